// SPDX-License-Identifier: GPL-2.0
/*
 * Rate limits per system (M7a): the GCRA of the uapi header ("Rate
 * limits"), one state per system id, shared by the system's devices and
 * both directions, on the CLOCK_BOOTTIME clock of the packet's decision.
 *
 * The state lives per netns in an xarray by system id, outside the policy,
 * so a reload keeps it as it keeps blocks (ids carry over loads).  The
 * writer (mw_net.lock) makes an entry for every system with limits before
 * a policy is swapped in, and frees the entries no limited system of the
 * running policy uses after the swap (RCU).  The packet path finds its
 * entry under RCU and updates it under the entry's spinlock (BH off: the
 * LOCAL_OUT hook runs in process context).
 */
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "mw.h"

struct mw_rate_ent {
	spinlock_t lock;
	u64 tat_pkt;		/* theoretical arrival times, boot ns */
	u64 tat_bit;
	struct rcu_head rcu;
};

static bool limited(const struct mw_img_system *s)
{
	return s && (s->limit_pps || s->limit_bps);
}

/* Has system limits in pol?  (RCU or writer) */
bool mw_rate_limited(const struct mw_policy *pol, u32 system)
{
	return limited(mw_pol_system(pol, system));
}

/* Writer: an entry for every limited system of pol (ENOMEM: none swapped). */
int mw_rates_prepare(struct mw_net *mn, const struct mw_policy *pol)
{
	u32 i;

	lockdep_assert_held(&mn->lock);
	for (i = 0; i < pol->n_systems; i++) {
		const struct mw_img_system *s = &pol->systems[i];
		struct mw_rate_ent *e;
		int err;

		if (!limited(s) || xa_load(&mn->rates, s->id))
			continue;
		e = kzalloc(sizeof(*e), GFP_KERNEL);
		if (!e)
			return -ENOMEM;
		spin_lock_init(&e->lock);
		err = xa_err(xa_store(&mn->rates, s->id, e, GFP_KERNEL));
		if (err) {
			kfree(e);
			return err;
		}
	}
	return 0;
}

/* Writer, pol in force: drop the entries of systems pol does not limit. */
void mw_rates_prune(struct mw_net *mn, const struct mw_policy *pol)
{
	struct mw_rate_ent *e;
	unsigned long id;

	lockdep_assert_held(&mn->lock);
	xa_for_each(&mn->rates, id, e) {
		if (pol && limited(mw_pol_system(pol, (u32)id)))
			continue;
		xa_erase(&mn->rates, id);
		kfree_rcu(e, rcu);
	}
}

/* Netns exit: no reader is left. */
void mw_rates_destroy(struct mw_net *mn)
{
	struct mw_rate_ent *e;
	unsigned long id;

	xa_for_each(&mn->rates, id, e)
		kfree(e);
	xa_destroy(&mn->rates);
}

/*
 * Packet path (RCU): charge a packet of ip_len bytes that stands for segs
 * packets on the wire (a GRO-merged or TSO-built skb: its segments) to
 * system; false when it is over the system's limits (then nothing is
 * charged, and the whole skb drops).
 */
bool mw_rate_admit(struct mw_net *mn, const struct mw_policy *pol, u32 system,
		   u32 ip_len, u32 segs, struct mw_clock *clk)
{
	const struct mw_img_system *s = mw_pol_system(pol, system);
	u64 now, cp, cb, tp, tb;
	struct mw_rate_ent *e;
	bool ok;

	if (!limited(s))
		return true;
	e = xa_load(&mn->rates, system);
	if (WARN_ON_ONCE(!e))
		return false;	/* made at commit: cannot happen; closed */
	now = mw_now(clk);
	cp = s->limit_pps ? div64_u64(NSEC_PER_SEC, s->limit_pps) * segs : 0;
	cb = s->limit_bps ?
	     div64_u64((u64)ip_len * 8 * NSEC_PER_SEC, s->limit_bps) : 0;
	spin_lock_bh(&e->lock);
	tp = max(e->tat_pkt, now);
	tb = max(e->tat_bit, now);
	ok = tp + cp <= now + MW_RATE_BURST_NS &&
	     tb + cb <= now + MW_RATE_BURST_NS;
	if (ok) {
		e->tat_pkt = tp + cp;
		e->tat_bit = tb + cb;
	}
	spin_unlock_bh(&e->lock);
	return ok;
}

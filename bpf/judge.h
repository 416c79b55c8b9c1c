/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state of one packet's judgement (struct mw_judge: the policy slot,
 * the clocks read at most once, what was looked up so far) and the
 * per-CPU scratch of the global functions.  decide.h judges with it.
 */
#ifndef MW_BPF_JUDGE_H
#define MW_BPF_JUDGE_H

#include "consts.h"
#include "maps.h"
#include "parse.h"

/* Per-packet judgement state: the slot read once, lookups made so far. */
struct mw_judge {
	__u32 slot;		/* the policy slot of this packet */
	__u32 generation;
	/* the clock offsets (boot_to_unix_ns: windows, valid_from, event
	 * times; boot_to_unix_max_ns: agreement and policy expiry) and the
	 * event rate, read where used: an update meanwhile changes no
	 * policy (slot and generation are the ones read once) */
	const struct mw_config *cfg;	/* NULL only before it is found */
	__u64 boot_ns;		/* 0 until read */
	__u64 mono_ns;		/* coarse monotonic ns; 0 until read */
	__u32 device;		/* MW_ID_NONE until known */
	__u32 system;
	__u32 conduit;
	const struct mw_img_iface *ifc;
	const struct mw_xdp_slot_meta *meta;
	struct mw_xdp_devstate *ds;	/* the device's block and event
					 * window (dev_blocks), NULL until
					 * its checks read it */
	__u8 *eth;		/* frame start (14 bytes present) */
	__u32 flow_row;		/* mw_flow_enter's answer (flow_entered) */
	__u8 flow_entered;	/* the packet is counted in flow_row */
	__u8 zones_known;	/* zones was looked up for this packet */
	__u8 limited;		/* the device's system has limits */
	__u64 zones;		/* zone mask of the destination (zones_known) */
};

/*
 * Per-CPU scratch of the global functions that judge a second address
 * (mw_judge_nd, mw_related): what holds no pointer lives here, not on the
 * stack, which they share with the program (512 bytes in all).
 */
struct mw_scratch {
	struct mw_xpkt t;	/* mw_related: the quote turned around */
	__u8 target[16];	/* mw_judge_nd: the NS/NA target */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mw_scratch);
} mw_scratch SEC(".maps");

/* The scratch, zeroed: NULL only if the map is missing. */
static __always_inline struct mw_scratch *scratch_get(void)
{
	__u32 zero = 0;
	struct mw_scratch *sc = bpf_map_lookup_elem(&mw_scratch, &zero);

	if (sc)
		__builtin_memset(sc, 0, sizeof(*sc));
	return sc;
}

static __always_inline __u64 judge_boot_ns(struct mw_judge *j)
{
	if (!j->boot_ns)
		j->boot_ns = bpf_ktime_get_boot_ns();
	return j->boot_ns;
}

/*
 * Unix time in ns, as the controller defines it (mw_config.boot_to_unix_ns),
 * for windows, valid_from and event times.  The boot clock is read at most
 * once per packet (and once in each global function of an ICMP packet,
 * which keeps its own state), and only by a check that needs it (a block
 * with an expiry, agreement validity, the policy's expiry, a rule's
 * window, a rate limit) or by a drop event that is sent.
 */
static __always_inline __u64 judge_now(struct mw_judge *j)
{
	return judge_boot_ns(j) + j->cfg->boot_to_unix_ns;
}

/*
 * Seconds of the wall clock with offset off: boot_to_unix_ns (windows,
 * valid_from) or boot_to_unix_max_ns (expiries, so that a step back of the
 * wall clock revives nothing).  now_ns < s * 1e9 <=> now_ns / 1e9 < s, for
 * now_ns >= 0.
 */
static __always_inline __s64 judge_secs(struct mw_judge *j, __s64 off)
{
	return (__s64)((judge_boot_ns(j) + off) / MW_NSEC_PER_SEC);
}

/*
 * Unix time in ns at tick resolution, for accounting (flow first/last
 * seen; drop-event windows count jiffies instead, account.h): the coarse
 * monotonic clock, which costs no clocksource read (struct mw_xdp_clock),
 * and no helper call either but once per tick and CPU (struct
 * mw_xdp_tick).
 */
static __always_inline __u64 judge_mono_ns(struct mw_judge *j)
{
	struct mw_xdp_tick *tk;
	__u32 zero = 0;
	__u64 jf;

	if (j->mono_ns)
		return j->mono_ns;
	/* the per-CPU value of this tick (struct mw_xdp_tick), else a read */
	jf = bpf_jiffies64();
	tk = bpf_map_lookup_elem(&mw_tick, &zero);
	if (tk && tk->mono_ns && tk->jiffies == jf) {
		j->mono_ns = tk->mono_ns;
		return j->mono_ns;
	}
	j->mono_ns = bpf_ktime_get_coarse_ns();
	if (tk) {
		tk->jiffies = jf;
		tk->mono_ns = j->mono_ns;
	}
	return j->mono_ns;
}

static __always_inline __u64 judge_acct_now(struct mw_judge *j)
{
	const struct mw_xdp_clock *clk;
	__u32 zero = 0;

	clk = bpf_map_lookup_elem(&mw_clock, &zero);
	return judge_mono_ns(j) +
	       (clk ? clk->mono_to_unix_ns : j->cfg->boot_to_unix_ns);
}

/* The reasons of a pass, as bits (every reason is below 32). */
#define MW_PASS_REASONS	(1U << MW_R_ALLOWED | 1U << MW_R_REPLY |	\
			 1U << MW_R_L2_CONTROL | 1U << MW_R_RELATED)

static __always_inline bool is_pass(int reason)
{
	return (__u32)reason < 32 && ((1U << reason) & MW_PASS_REASONS);
}

#endif /* MW_BPF_JUDGE_H */

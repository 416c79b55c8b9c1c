// SPDX-License-Identifier: GPL-2.0
/*
 * Counters and events.  Per-reason counters are per-CPU per netns; per
 * system, device and conduit counters live with the policy, one array of
 * each per CPU (one allocation per CPU, found by this_cpu_ptr), and are
 * carried by id into the next policy.
 * Drop events go to the "events" multicast group, rate-limited per device.
 */
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "mw.h"

int mw_counters_init(struct mw_net *mn)
{
	mn->reasons = __alloc_percpu(sizeof(struct mw_counter) * __MW_R_LAST,
				     __alignof__(struct mw_counter));
	return mn->reasons ? 0 : -ENOMEM;
}

void mw_counters_destroy(struct mw_net *mn)
{
	free_percpu(mn->reasons);
	mn->reasons = NULL;
}

int mw_pol_counters_alloc(struct mw_policy *pol)
{
	size_t n = (size_t)pol->n_sys_idx + pol->n_dev_idx + pol->n_cond_ids;
	unsigned int cpu;

	pol->ctr = alloc_percpu(struct mw_pol_ctr);
	if (!pol->ctr)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct mw_pol_ctr *c = per_cpu_ptr(pol->ctr, cpu);

		c->sys = kvzalloc_node(max_t(size_t, n, 1) * sizeof(*c->sys),
				       GFP_KERNEL, cpu_to_node(cpu));
		if (!c->sys)
			return -ENOMEM;
		c->dev = c->sys + pol->n_sys_idx;
		c->cond = c->dev + pol->n_dev_idx;
	}
	return 0;
}

void mw_pol_counters_free(struct mw_policy *pol)
{
	unsigned int cpu;

	if (!pol->ctr)
		return;
	for_each_possible_cpu(cpu)
		kvfree(per_cpu_ptr(pol->ctr, cpu)->sys);
	free_percpu(pol->ctr);
}

static void carry(struct mw_counter *to, u32 n_to,
		  const struct mw_counter *from, u32 n_from)
{
	memcpy(to, from, min(n_to, n_from) * sizeof(*to));
}

void mw_pol_counters_carry(struct mw_policy *to, const struct mw_policy *from)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct mw_pol_ctr *t = per_cpu_ptr(to->ctr, cpu);
		const struct mw_pol_ctr *f = per_cpu_ptr(from->ctr, cpu);

		carry(t->sys, to->n_sys_idx, f->sys, from->n_sys_idx);
		carry(t->dev, to->n_dev_idx, f->dev, from->n_dev_idx);
		carry(t->cond, to->n_cond_ids, f->cond, from->n_cond_ids);
	}
}

/* The sum over the CPUs of counter id of kind (1 sys, 2 dev, 3 cond). */
static void sum(struct mw_counter *out, const struct mw_policy *pol,
		int kind, u32 id)
{
	unsigned int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct mw_pol_ctr *pc = per_cpu_ptr(pol->ctr, cpu);
		const struct mw_counter *c = kind == 1 ? &pc->sys[id] :
					     kind == 2 ? &pc->dev[id] :
							 &pc->cond[id];

		out->pass_packets += c->pass_packets;
		out->pass_bytes += c->pass_bytes;
		out->drop_packets += c->drop_packets;
		out->drop_bytes += c->drop_bytes;
	}
}

static int put_counter(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 kind, u32 id, const struct mw_counter *c)
{
	void *hdr = mw_genl_put(skb, cb, MW_CMD_GET_COUNTERS);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u8(skb, MW_A_TARGET_KIND, kind) ||
	    nla_put_u32(skb, MW_A_TARGET_ID, id) ||
	    nla_put(skb, MW_A_COUNTERS, sizeof(*c), c)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * cb->args[0]: phase (0 reasons, 1 systems, 2 devices, 3 conduits, 4 done),
 * cb->args[1]: next index in the phase.
 */
int mw_counters_dump(struct mw_net *mn, struct sk_buff *skb,
		     struct netlink_callback *cb)
{
	const struct mw_policy *pol;
	struct mw_counter c;
	unsigned long i;
	unsigned int cpu;

	if (cb->args[0] == 0) {
		for (i = cb->args[1]; i < __MW_R_LAST; i++) {
			memset(&c, 0, sizeof(c));
			for_each_possible_cpu(cpu) {
				const struct mw_counter *p =
					per_cpu_ptr(mn->reasons, cpu) + i;

				c.pass_packets += p->pass_packets;
				c.pass_bytes += p->pass_bytes;
				c.drop_packets += p->drop_packets;
				c.drop_bytes += p->drop_bytes;
			}
			if (put_counter(skb, cb, MW_TARGET_REASON, i, &c)) {
				cb->args[1] = i;
				return skb->len;
			}
		}
		cb->args[0] = 1;
		cb->args[1] = 0;
	}
	rcu_read_lock();
	pol = rcu_dereference(mn->policy);
	while (pol && cb->args[0] < 4) {
		unsigned long n;
		u32 id;

		n = cb->args[0] == 1 ? pol->n_systems :
		    cb->args[0] == 2 ? pol->n_devices : pol->n_conduits;
		for (i = cb->args[1]; i < n; i++) {
			id = cb->args[0] == 1 ? pol->systems[i].id :
			     cb->args[0] == 2 ? pol->devices[i].id :
						pol->conduits[i].id;
			sum(&c, pol, cb->args[0], id);
			if (put_counter(skb, cb, cb->args[0] == 1 ?
					MW_TARGET_SYSTEM : cb->args[0] == 2 ?
					MW_TARGET_DEVICE : MW_TARGET_CONDUIT,
					id, &c)) {
				cb->args[1] = i;
				rcu_read_unlock();
				return skb->len;
			}
		}
		cb->args[0]++;
		cb->args[1] = 0;
	}
	rcu_read_unlock();
	cb->args[0] = 4;
	return skb->len;
}

/*
 * At most mw_event_rate events per device (or for unknown ones) a second
 * of the boot clock.
 */
static bool ev_allow(struct mw_ev_slot *s, u64 now_ns)
{
	u32 sec = (u32)div_u64(now_ns, NSEC_PER_SEC);

	if (READ_ONCE(s->sec) != sec) {
		WRITE_ONCE(s->sec, sec);
		WRITE_ONCE(s->n, 0);
	}
	if (READ_ONCE(s->n) >= mw_event_rate)
		return false;
	WRITE_ONCE(s->n, s->n + 1);
	return true;
}

/* A drop to the events group, rate permitting (mw_events_wanted() said so). */
void mw_event(struct mw_net *mn, const struct mw_policy *pol,
	      const struct net_device *dev, const struct mw_kpkt *p,
	      const struct mw_kres *res, struct mw_clock *clk)
{
	struct mw_ev_slot *slot = &mn->ev_unknown;
	struct mw_event ev = { 0 };
	struct sk_buff *skb;
	void *hdr;

	if (pol && res->device < pol->n_dev_idx)
		slot = &pol->dev_ev[res->device];
	if (!ev_allow(slot, mw_now(clk)))
		return;
	ev.ts_ns = (u64)mw_wall_ns(mn, clk);	/* unix ns */
	ev.ifindex = dev ? dev->ifindex : 0;
	ev.device = res->device;
	ev.system = res->system;
	ev.verdict = res->verdict;
	ev.reason = res->reason;
	ev.family = p->family;
	ev.proto = p->proto;
	if (p->has_ports) {
		ev.sport = htons(p->sport);
		ev.dport = htons(p->dport);
	}
	memcpy(ev.src, p->src, 16);
	memcpy(ev.dst, p->dst, 16);
	skb = genlmsg_new(nla_total_size(sizeof(ev)), GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &mw_genl_family, 0, MW_CMD_EVENT);
	if (!hdr || nla_put(skb, MW_A_EVENT, sizeof(ev), &ev)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&mw_genl_family, mn->net, skb, 0, 0,
				GFP_ATOMIC);
}

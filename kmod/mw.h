/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterwall.ko internals: the per-netns state, the running policy and the
 * interfaces between the module's files.
 *
 * Locking: every writer (genl commands, netns exit) holds mw_net.lock;
 * the packet path reads the policy, blocks and island flag under RCU only.
 */
#ifndef MW_H
#define MW_H

#include <linux/hash.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <asm/unaligned.h>
#include <linux/meterwall.h>

extern unsigned int mw_image_max;
extern bool mw_strict_new;
extern unsigned int mw_event_rate;

/* What passes while no policy is loaded (module parameter no_policy). */
enum mw_no_policy {
	MW_NOPOL_DROP_FORWARD,	/* relayed traffic drops, local passes */
	MW_NOPOL_DROP_ALL,	/* everything but loopback drops */
	MW_NOPOL_ACCEPT,	/* nothing is judged (labs) */
};

extern int mw_no_policy;

/*
 * Open image-load transaction (at most one per netns).  It belongs to the
 * netlink socket that began it: others get EBUSY / EPERM, and it ends when
 * that socket is closed.
 */
struct mw_txn {
	u32 id;			/* 0: none open */
	u32 portid;		/* netlink port of the owner */
	u32 len;
	u32 filled;
	void *buf;		/* vmalloc'd, page aligned */
};

/*
 * What the device checks need of a device (its record's id, system and
 * flags), kept in the host-address tables next to each address, so a
 * packet whose source is a host address reads one slot, not the slot and
 * the record.
 */
struct mw_devkey {
	u32 id;			/* MW_ID_NONE: an empty slot */
	u32 system;
	u32 flags;		/* enum mw_device_flags */
};

static inline void mw_devkey_of(const struct mw_img_device *dev,
				struct mw_devkey *k)
{
	k->id = dev->id;
	k->system = dev->system;
	k->flags = dev->flags;
}

/* Host-address hashes, one per family: /32 and /128 device prefixes. */
struct mw_host4_ent {
	u32 addr;		/* the 4 bytes as they are in the packet */
	struct mw_devkey dev;
};

struct mw_host6_ent {
	u8 addr[16];
	struct mw_devkey dev;
};

struct mw_host_table {
	void *slots;		/* mw_host4_ent or mw_host6_ent; NULL: none */
	u32 mask;		/* slots - 1 (power of two) */
	u32 bits;		/* log2(slots) */
};

/* Longest-prefix lookup over an image prefix section. */
struct mw_lpm {
	const struct mw_img_prefix *v;
	u32 n;
	/* the prefix lengths present, longest first */
	u8 n_plen4, n_plen6;
	u8 plen4[33];
	u8 plen6[129];
};

/*
 * The devices of the netns that are external interfaces of the policy or
 * stacked on one (VLAN, macvlan/ipvlan, bond/team, bridge, tunnels bound to
 * one), by ifindex, sorted (ifaces.c).  A device not in the table is not
 * external.
 */
#define MW_IFMAP_UNJUDGED	U32_MAX

struct mw_ifmap_ent {
	int ifindex;
	/*
	 * Index in mw_policy.ifaces; MW_IFMAP_UNJUDGED: on an external
	 * interface in a shape the model cannot judge (drops NOT_MANAGED).
	 */
	u32 idx;
	u16 vid;	/* VID of the first VLAN device on the way down */
	u8 n_vlans;	/* VLAN devices between it and the interface */
	u8 qinq;	/* one of them is 802.1ad */
};

struct mw_ifmap {
	struct rcu_head rcu;
	u32 n;
	struct mw_ifmap_ent e[];
};

/* What a device is to the policy (mw_pol_resolve). */
struct mw_via {
	const struct mw_img_iface *f;	/* NULL: cannot be judged */
	u16 vid;
	u8 n_vlans;
	bool qinq;	/* an 802.1ad VLAN device on the way */
};

/* Events: per-device rate limit state. */
struct mw_ev_slot {
	u32 sec;
	u32 n;
};

/* One CPU's counters of a policy's ids (one allocation, sys first). */
struct mw_pol_ctr {
	struct mw_counter *sys;		/* n_sys_idx */
	struct mw_counter *dev;		/* n_dev_idx */
	struct mw_counter *cond;	/* n_cond_ids */
};

struct mw_policy {
	void *img;
	u32 len;
	u32 generation;
	const struct mw_image_hdr *hdr;
	const struct mw_img_iface *ifaces;
	u32 n_ifaces;
	const struct mw_img_system *systems;
	u32 n_systems;
	const struct mw_img_device *devices;
	u32 n_devices;
	const struct mw_img_cset *csets;
	u32 n_csets;
	const struct mw_img_conduit *conduits;
	u32 n_conduits;
	const struct mw_img_window *windows;
	u32 n_windows;
	/* Tables built at commit: id -> record index (U32_MAX if none). */
	u32 *sys_idx, n_sys_idx;
	u32 *dev_idx, n_dev_idx;
	u32 *cset_idx, n_cset_idx;
	u32 n_cond_ids;			/* max conduit id + 1 */
	struct mw_host_table hosts4, hosts6;
	struct mw_lpm dev_lpm;
	struct mw_lpm zone_lpm;
	u64 ext_ifaces;			/* bit i: ifaces[i] is external */
	struct mw_ifmap __rcu *ifmap;	/* NULL: match by name */
	struct mw_pol_ctr __percpu *ctr;	/* counters.c */
	struct mw_ev_slot *dev_ev;	/* n_dev_idx entries */
};

#define MW_BLOCK_KINDS		2	/* MW_TARGET_SYSTEM, _DEVICE */

/*
 * The packet path's view of the blocks of one kind: ids [0, n), a bit per
 * id (set: blocked) and its end (until, CLOCK_BOOTTIME ns; U64_MAX: until
 * unblocked).  Every blocked id is below n: block.c grows it (a copy,
 * RCU-published) before it stores a block beyond; an id at or above n is
 * not blocked.  A bit is set only after its until is stored.
 */
struct mw_blockv {
	struct rcu_head rcu;
	u32 n;			/* a multiple of BITS_PER_LONG */
	u64 *until;		/* n entries, after bits */
	unsigned long bits[];	/* n bits */
};

#define MW_N_HOOKS	9	/* hooks.c: mw_nf_ops */

struct mw_net {
	struct net *net;
	struct nf_hook_ops ops[MW_N_HOOKS];	/* hooks.c, priv = this */
	struct mutex lock;
	struct mw_policy __rcu *policy;
	struct mw_txn txn;
	u32 txn_next;
	u32 generation;
	bool island;			/* READ_ONCE on the packet path */
	/*
	 * Blocks by id, one xarray per kind (MW_TARGET_SYSTEM,
	 * MW_TARGET_DEVICE: blocks[kind - 1]), so system N and device N
	 * never share a key: the entries with their cause, for dumps and
	 * writers.  The packet path reads blockv (same index) only.
	 */
	struct xarray blocks[MW_BLOCK_KINDS];
	struct mw_blockv __rcu *blockv[MW_BLOCK_KINDS];
	struct mw_counter __percpu *reasons;	/* [__MW_R_LAST] */
	struct mw_ev_slot ev_unknown;
	/*
	 * Time base (uapi "Time base"): unix ns = boot ns + offset.  Written
	 * under lock, read with READ_ONCE on the packet path.
	 */
	s64 boot_to_unix_ns;		/* windows, valid_from, events */
	s64 boot_to_unix_max_ns;	/* agreement and policy expiries */
	/*
	 * Rate limit state by system id (struct mw_rate_ent), outside the
	 * policy so a reload keeps it; an entry exists for every system with
	 * limits in the running policy (made before the swap).
	 */
	struct xarray rates;
	char errmsg[96];		/* formatted extack text (compat.h) */
};

struct mw_net *mw_net(const struct net *net);

/* policy.c */
int mw_policy_build(void *img, u32 len, struct mw_policy **out,
		    struct netlink_ext_ack *extack);
void mw_policy_free(struct mw_policy *pol);
int mw_txn_begin(struct mw_net *mn, u32 portid, u32 len, u32 *id);
int mw_txn_chunk(struct mw_net *mn, u32 portid, u32 id, u32 off,
		 const void *data, u32 len, struct netlink_ext_ack *extack);
/* POLICY_COMMIT options (MW_A_CLOCK, MW_A_FLAGS). */
struct mw_commit_opts {
	bool have_clock;
	s64 boot_to_unix_ns;
	u32 flags;		/* enum mw_commit_flags */
};

int mw_txn_commit(struct mw_net *mn, u32 portid, u32 id,
		  const struct mw_commit_opts *o,
		  struct netlink_ext_ack *extack);
void mw_clock_set(struct mw_net *mn, s64 boot_to_unix_ns, bool reset_max);
int mw_txn_abort(struct mw_net *mn, u32 portid, u32 id,
		 struct netlink_ext_ack *extack);
void mw_txn_release(struct mw_net *mn, u32 portid);
void mw_txn_end(struct mw_txn *txn);
void mw_policy_teardown(struct mw_net *mn);

/* Records by id (RCU or writer); inline: several per packet. */
static inline const void *mw_by_idx(const void *base, size_t stride,
				    const u32 *idx, u32 n_idx, u32 id)
{
	if (id >= n_idx || idx[id] == U32_MAX)
		return NULL;
	return (const u8 *)base + (size_t)idx[id] * stride;
}

static inline const struct mw_img_device *
mw_pol_device(const struct mw_policy *p, u32 id)
{
	return mw_by_idx(p->devices, sizeof(*p->devices), p->dev_idx,
			 p->n_dev_idx, id);
}

static inline const struct mw_img_system *
mw_pol_system(const struct mw_policy *p, u32 id)
{
	return mw_by_idx(p->systems, sizeof(*p->systems), p->sys_idx,
			 p->n_sys_idx, id);
}

static inline const struct mw_img_cset *
mw_pol_cset(const struct mw_policy *p, u32 id)
{
	return mw_by_idx(p->csets, sizeof(*p->csets), p->cset_idx,
			 p->n_cset_idx, id);
}

const struct mw_img_window *mw_pol_window(const struct mw_policy *p, u32 id);

/* Home slot of an IPv4 host address (hash_64 keeps the high bits). */
static inline u32 mw_host4_home(const struct mw_host_table *t, u32 addr)
{
	return hash_64(addr, t->bits);
}

/* The IPv4 host address addr's device (RCU or writer), or NULL. */
static inline const struct mw_devkey *
mw_pol_host4(const struct mw_policy *p, const u8 *addr)
{
	const struct mw_host_table *t = &p->hosts4;
	const struct mw_host4_ent *s = t->slots;
	u32 a = get_unaligned((const u32 *)addr), h;

	if (!s)
		return NULL;
	for (h = mw_host4_home(t, a); s[h].dev.id != MW_ID_NONE;
	     h = (h + 1) & t->mask)
		if (s[h].addr == a)
			return &s[h].dev;
	return NULL;
}

const struct mw_devkey *mw_pol_devkey_slow(const struct mw_policy *p,
					   u8 family, const u8 *addr,
					   struct mw_devkey *buf);

/*
 * The device whose prefix holds addr (host table, then longest prefix), as
 * what the device checks need: a slot of the host table or, for a device
 * found by a wider prefix, buf filled from its record.  NULL: none.
 * Inline for IPv4 hosts, the packet path's common case.
 */
static inline const struct mw_devkey *
mw_pol_find_devkey(const struct mw_policy *p, u8 family, const u8 *addr,
		   struct mw_devkey *buf)
{
	const struct mw_devkey *d;

	if (family == AF_INET) {
		d = mw_pol_host4(p, addr);
		if (d)
			return d;
	}
	return mw_pol_devkey_slow(p, family, addr, buf);
}

const struct mw_img_device *mw_pol_find_device(const struct mw_policy *p,
					       u8 family, const u8 *addr);
u32 mw_pol_lookup_device(const struct mw_policy *p, u8 family,
			 const u8 *addr);
u64 mw_pol_lookup_zones(const struct mw_policy *p, u8 family, const u8 *addr);

/* ifaces.c */
void mw_ifmap_refresh(struct mw_net *mn, struct mw_policy *pol,
		      const struct net_device *gone);
void mw_ifmap_free(struct mw_policy *pol);
bool mw_pol_resolve_walk(const struct mw_policy *p,
			 const struct net_device *dev, struct mw_via *via);

static inline void mw_via_of(const struct mw_policy *p,
			     const struct mw_ifmap_ent *e, struct mw_via *via)
{
	via->f = e->idx == MW_IFMAP_UNJUDGED ? NULL : &p->ifaces[e->idx];
	via->n_vlans = e->n_vlans;
	via->vid = e->vid;
	via->qinq = e->qinq;
}

/*
 * Packet path (RCU): is dev external or stacked on an external interface?
 * If so, via says which interface judges it (NULL: none can, drop) and the
 * VLAN tags the devices on the way took off.  The policy's table, searched
 * inline (every packet asks); the walk if it has none.
 */
static inline bool mw_pol_resolve(const struct mw_policy *p,
				  const struct net_device *dev,
				  struct mw_via *via)
{
	const struct mw_ifmap *m;
	u32 lo = 0, hi;

	if (!p->ext_ifaces)
		return false;
	m = rcu_dereference(p->ifmap);
	if (unlikely(!m))
		return mw_pol_resolve_walk(p, dev, via);
	hi = m->n;
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (m->e[mid].ifindex == dev->ifindex) {
			mw_via_of(p, &m->e[mid], via);
			return true;
		}
		if (m->e[mid].ifindex < dev->ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
int mw_ifaces_init(void);
void mw_ifaces_exit(void);

/*
 * The clock of one packet's decision (uapi "Time base"): CLOCK_BOOTTIME ns,
 * read on first use only (most decisions need no time: blocks without
 * expiry, no windows, no validity, no limits).  Wall-clock checks add the
 * netns's offsets: mw_wall_sec() for windows and valid_from,
 * mw_expiry_sec() for agreement and policy expiries.
 */
struct mw_clock {
	u64 ns;		/* CLOCK_BOOTTIME; 0: not read yet */
};

static inline u64 mw_now(struct mw_clock *clk)
{
	if (!clk->ns)
		clk->ns = ktime_get_boottime_ns();
	return clk->ns;
}

/* classify.c */
s64 mw_wall_ns(struct mw_net *mn, struct mw_clock *clk);
s64 mw_wall_sec(struct mw_net *mn, struct mw_clock *clk);
s64 mw_expiry_sec(struct mw_net *mn, struct mw_clock *clk);
bool mw_policy_expired(const struct mw_policy *pol, struct mw_net *mn,
		       struct mw_clock *clk);

/* The host's offset now: CLOCK_REALTIME - CLOCK_BOOTTIME, ns. */
static inline s64 mw_clock_sample(void)
{
	return (s64)(ktime_get_real_ns() - ktime_get_boottime_ns());
}

/*
 * classify.c.  The parser zeroes the fields before src_mac only
 * (MW_KPKT_ZERO: all ~190 bytes were a `rep stos` per packet, slow
 * under TCG); every field from src_mac on is written
 * before it is read, under the flag that says it is there:
 * src_mac (have_mac), arp_sha (arp), nd_lladdr (nd_has_lladdr), nd_target
 * (nd, parsed), q_* (q_ok).  A packet's struct on a hook's stack is
 * therefore MW_KPKT_UNINIT: without it, CONFIG_INIT_STACK_ALL_ZERO (Debian's
 * kernels) zeroes all of it on entry to the hook, the `rep stos` again.
 */
struct mw_kpkt {
	bool have_mac;
	u8 n_vlans;
	bool tag_8021ad;	/* a tag is 802.1ad (0x88a8): VLAN drop */
	u8 family;		/* AF_INET / AF_INET6 */
	u16 vlan;
	u8 proto;
	u8 parse_error;		/* enum mw_reason, 0 if it parsed */
	bool nd;
	bool fragment;
	bool has_ports;
	u8 tcp_flags;
	u8 icmp_type;
	u8 hop_limit;
	bool arp;		/* ARP: src = SPA, dst = TPA */
	/* NS/NA: the link-layer address option the kernel uses is there */
	bool nd_has_lladdr;
	bool q_ok;		/* ICMP errors: the quoted packet parsed */
	u16 sport, dport;	/* host order */
	u32 len;
	u32 ip_len;		/* IPv4 total length, IPv6 payload + 40 */
	u8 src[16];		/* IPv4: 4 bytes, zero-padded */
	u8 dst[16];
	/* not zeroed by the parser (above) */
	u8 src_mac[6];
	u8 arp_sha[6];		/* ARP sender hardware address */
	u8 nd_lladdr[6];
	u8 nd_target[16];
	/* ICMP errors: the quoted packet (TCP/UDP, see classify.c) */
	u8 q_proto;
	u16 q_sport, q_dport;
	u8 q_src[16];		/* IPv4: zero-padded */
	u8 q_dst[16];
};

#define MW_KPKT_ZERO	offsetof(struct mw_kpkt, src_mac)
#define MW_KPKT_UNINIT	__uninitialized	/* mw_parse_*() initialises */

struct mw_kres {
	u8 verdict;
	u8 reason;
	u8 dir;
	u32 system;
	u32 device;
	u32 conduit;
};

void mw_parse_skb(const struct sk_buff *skb, u8 family, struct mw_kpkt *p);
void mw_decide(const struct mw_policy *pol, struct mw_net *mn,
	       const struct mw_img_iface *f, enum mw_direction dir,
	       const struct mw_kpkt *p, struct mw_clock *clk, struct mw_kres *res);
u8 mw_device_checks(const struct mw_policy *pol, struct mw_net *mn,
		    const struct mw_img_iface *f, const struct mw_kpkt *p,
		    const struct mw_img_device *dev, struct mw_clock *clk,
		    struct mw_kres *res);
/*
 * ARP at NF_ARP_IN (skb->data at the ARP header, MAC header set): fills p
 * with p->arp set, src = SPA, dst = TPA, the sender hardware address, and
 * parse_error MALFORMED if the body is not Ethernet/IPv4 ARP.  mw_decide()
 * then judges it by the interface's arp mode (inbound only).
 */
void mw_parse_arp_skb(const struct sk_buff *skb, struct mw_kpkt *p);

/* block.c */
int mw_block_set(struct mw_net *mn, u8 kind, u32 id, u64 until, u32 cause);
int mw_block_clear(struct mw_net *mn, u8 kind, u32 id);

/*
 * Is (kind, id) blocked now?  RCU reader (packet path) or mutex holder:
 * a bit, and the until of a set one.
 */
static inline bool mw_block_active(struct mw_net *mn, u8 kind, u32 id,
				   struct mw_clock *clk)
{
	const struct mw_blockv *v;
	u64 until;

	v = rcu_dereference_check(mn->blockv[kind == MW_TARGET_SYSTEM ? 0 : 1],
				  lockdep_is_held(&mn->lock));
	if (!v || id >= v->n || !test_bit(id, v->bits))
		return false;
	smp_rmb();	/* the until stored before the bit */
	until = READ_ONCE(v->until[id]);
	return until == U64_MAX || mw_now(clk) < until;
}
void mw_blocks_destroy(struct mw_net *mn);
int mw_blocks_dump(struct mw_net *mn, struct sk_buff *skb,
		   struct netlink_callback *cb);

/* counters.c */
int mw_counters_init(struct mw_net *mn);
void mw_counters_destroy(struct mw_net *mn);
int mw_pol_counters_alloc(struct mw_policy *pol);
void mw_pol_counters_carry(struct mw_policy *to, const struct mw_policy *from);
void mw_pol_counters_free(struct mw_policy *pol);

static __always_inline void mw_counter_add(struct mw_counter *c, bool pass,
					   u32 pkts, u32 bytes)
{
	if (pass) {
		c->pass_packets += pkts;
		c->pass_bytes += bytes;
	} else {
		c->drop_packets += pkts;
		c->drop_bytes += bytes;
	}
}

/*
 * Packet path: count one verdict (res->reason 0 = followed its flow) by
 * reason, and by the system, device and conduit it names: pkts packets on
 * the wire (a GRO-merged or TSO-built skb's segments, as XDP counts them)
 * of bytes in all.  Inline: every packet judged counts.
 */
static __always_inline void mw_count(struct mw_net *mn,
				     const struct mw_policy *pol,
				     const struct mw_kres *res, u32 pkts,
				     u32 bytes)
{
	bool pass = res->verdict == MW_VERDICT_PASS;
	const struct mw_pol_ctr *c;

	preempt_disable();	/* this CPU's counters until the last add */
	mw_counter_add(this_cpu_ptr(mn->reasons) + res->reason, pass, pkts, bytes);
	if (pol) {
		c = this_cpu_ptr(pol->ctr);
		if (res->system < pol->n_sys_idx)
			mw_counter_add(&c->sys[res->system], pass, pkts, bytes);
		if (res->device < pol->n_dev_idx)
			mw_counter_add(&c->dev[res->device], pass, pkts, bytes);
		if (res->conduit < pol->n_cond_ids)
			mw_counter_add(&c->cond[res->conduit], pass, pkts, bytes);
	}
	preempt_enable();
}
int mw_counters_dump(struct mw_net *mn, struct sk_buff *skb,
		     struct netlink_callback *cb);
void mw_event(struct mw_net *mn, const struct mw_policy *pol,
	      const struct net_device *dev, const struct mw_kpkt *p,
	      const struct mw_kres *res, struct mw_clock *clk);

/* rate.c */
int mw_rates_prepare(struct mw_net *mn, const struct mw_policy *pol);
void mw_rates_prune(struct mw_net *mn, const struct mw_policy *pol);
void mw_rates_destroy(struct mw_net *mn);
bool mw_rate_limited(const struct mw_policy *pol, u32 system);
bool mw_rate_admit(struct mw_net *mn, const struct mw_policy *pol, u32 system,
		   u32 ip_len, u32 segs, struct mw_clock *clk);

/* hooks.c */
int mw_hooks_register(struct net *net);
void mw_hooks_unregister(struct net *net);
void mw_ct_revoke(struct mw_net *mn, const struct mw_policy *pol);

/* genl.c */
extern struct genl_family mw_genl_family;
extern bool mw_events_on;
int mw_genl_init(void);
void mw_genl_exit(void);
void *mw_genl_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);

/*
 * Does a drop in mn become an event (mw_event)?  The family is registered,
 * events are not off (event_rate 0) and the events group of mn's netns has
 * a listener.  Inline: every drop asks.
 */
static inline bool mw_events_wanted(struct mw_net *mn)
{
	return READ_ONCE(mw_events_on) && READ_ONCE(mw_event_rate) &&
	       genl_has_listeners(&mw_genl_family, mn->net, 0);
}

#endif /* MW_H */

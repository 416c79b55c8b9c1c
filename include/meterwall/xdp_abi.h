/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The XDP ABI: map values, sizes and defaults shared by the XDP program
 * (bpf/) and its loader (userspace/lib/xdp*.c), defined once.  Not part of
 * the public ABI in include/uapi/linux/meterwall.h: nothing but the loader
 * reads these maps.  Fixed-width types and explicit padding only.
 */
#ifndef MW_XDP_ABI_H
#define MW_XDP_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h>		/* struct bpf_spin_lock */
#include <linux/meterwall.h>
#endif

/* Default sizes of the persistent maps (the loader sizes them when it
 * creates them) and the default drop-event rate. */
#define MW_XDP_DEF_DEV_CAPACITY		65536U
#define MW_XDP_DEF_CONDUIT_CAPACITY	65536U
#define MW_XDP_DEF_FLOW_ENTRIES		65536U
#define MW_XDP_DEF_EVENT_RATE		MW_EVENT_RATE_DEFAULT

/* Policy slots: each per-policy table is an ARRAY_OF_MAPS of this size. */
#define MW_XDP_SLOTS		2

/* Words of the flow hash seed (struct mw_xdp_clock, struct mw_xdp_flow). */
#define MW_XDP_FLOW_SEEDS	12

/*
 * What the loader wrote into one slot (map "slot_meta", index = slot).
 * The program reads the counts (to skip empty tables), the reply port
 * range and the policy's own expiry; the rest is for status reporting.
 */
struct mw_xdp_slot_meta {
	__u32 n_dev_hosts;	/* entries in dev_hash4 + dev_hash */
	__u32 n_dev_prefixes;	/* entries in dev_lpm; 0: trie skipped */
	__u32 n_zone_hosts;	/* entries in zone_hash; 0: skipped */
	__u32 n_zone_prefixes;	/* entries in zone_lpm; 0: skipped */
	__u64 serial;		/* image serial */
	__s64 loaded_ns;	/* unix ns of the load */
	__u8 digest[32];	/* image digest */
	__u32 generation;	/* generation this slot was loaded as */
	__u32 n_ifaces;		/* image interfaces present on the host */
	__u32 n_devices;
	__u32 n_systems;
	__u16 reply_lo;		/* the image's reply port range: a */
	__u16 reply_hi;		/* stateless reply goes to one of these */
	__u8 h4_bits;		/* this slot's dev_tab4 has 1 << h4_bits
				 * rows (0: none, every IPv4 host in
				 * dev_hash4) */
	__u8 h4_spill;		/* 1: some IPv4 hosts are in dev_hash4 */
	__u8 h4_probes;		/* rows a lookup probes at most: the
				 * farthest any key was placed from its
				 * home + 1 (<= MW_XDP_H4_PROBES), so a
				 * miss in a table whose keys all sit at
				 * home costs one row */
	__u8 reserved;
	__s64 expires;		/* the image header's: unix seconds, 0 =
				 * never; compared with the boot clock +
				 * mw_config.boot_to_unix_max_ns */
};

/*
 * Interfaces by ifindex, directly (map "iface_direct", ARRAY of
 * MW_XDP_SLOTS * MW_XDP_IFINDEX_DIRECT, index slot * MW_XDP_IFINDEX_DIRECT +
 * ifindex): an array lookup the verifier inlines, where the per-slot
 * "ifaces" hash costs a call.  The loader rewrites a slot's whole range
 * with every load, before the flip; an interface with a larger ifindex, or
 * a row not present, is looked up in the slot's ifaces hash, which holds
 * every interface and stays authoritative.
 */
#define MW_XDP_IFINDEX_DIRECT	4096

struct mw_xdp_iface {
	struct mw_img_iface ifc;
	__u32 present;		/* 0: not in the image (ask the hash) */
	__u32 reserved;
};

/*
 * Drop-event rate limiter (in "dev_blocks" beside each device's block,
 * struct mw_xdp_devstate, and "glob_evstate"[0] for drops without a
 * device).  Written only when a window restarts or an event is sent, so a
 * drop flood that is already over the rate only reads it.
 */
struct mw_xdp_evstate {
	__u64 win_start;	/* jiffies at the window start (the window is
				 * the program's rodata mw_jiffies_per_sec:
				 * one second of the tick, which the loader
				 * reads as the coarse clock's resolution) */
	__u32 count;		/* events sent in this window */
	__u32 reserved;
};

/*
 * A device's persistent state (map "dev_blocks", ARRAY by device id): its
 * block and its event window side by side, so the drop of a blocked
 * device reads one line for both.  The controller writes the whole value
 * when it sets or clears a block (the window then starts afresh).
 */
struct mw_xdp_devstate {
	struct mw_block block;
	struct mw_xdp_evstate ev;
};

/*
 * Value of the dev_hash and dev_lpm tables: the device id with what the
 * device checks need of the device and its system, joined by the loader,
 * so one lookup does what took three (address, device, system).
 */
enum mw_xdp_dev_flags {
	MW_XDEV_F_NO_RECORD = 1 << 0,	/* the image has no such device:
					 * the address counts as no device */
	MW_XDEV_F_NO_SYSTEM = 1 << 1,	/* ... no such system: WRONG_IFACE */
	MW_XDEV_F_LIMITED = 1 << 2,	/* the system has limit_pps or
					 * limit_bps: its passes are charged
					 * (map "sys_rate") */
};

struct mw_xdp_dev {
	__u32 id;		/* device id */
	__u32 system;		/* its system id */
	__u32 cset;		/* its conduit set */
	__u32 sys_iface;	/* the system's demarcation interface id */
	__u32 sys_flags;	/* enum mw_system_flags of the system */
	__u16 dev_flags;	/* enum mw_device_flags */
	__u8 mac[6];		/* MAC binding (MW_DEV_F_MAC) */
	__u32 xflags;		/* enum mw_xdp_dev_flags */
	__s64 valid_from;	/* the system's, unix seconds */
	__s64 expires;
	__u64 limit_pps;	/* the system's limits (MW_XDEV_F_LIMITED) */
	__u64 limit_bps;
};

/*
 * Rate limit state of one system (map "sys_rate", ARRAY of MW_MAX_SYSTEMS
 * indexed by system id, outside the policy slots: ids carry over loads).
 * The GCRA of include/uapi/linux/meterwall.h ("Rate limits"): theoretical
 * arrival times in CLOCK_BOOTTIME ns, read and written under the lock.
 * A load zeroes the state of a system whose limits it changes (or that
 * it brings in with limits); a reload with the same limits keeps it, and
 * a system that leaves the policy keeps its state untouched (nothing
 * charges it meanwhile; it is zeroed if it comes back with limits).
 */
struct mw_xdp_rate {
	struct bpf_spin_lock lock;
	__u32 reserved;
	__u64 tat_pkt;
	__u64 tat_bit;
};

/*
 * IPv4 host devices in an open-addressing table (map "dev_tab4"): one
 * plain ARRAY holding both slots' tables, slot s's at row
 * s << mw_xdp_h4_bits(dev capacity), so every lookup is an array load the
 * verifier inlines (no outer map, no helper call, as dev_hash4 would cost).
 * A slot's table is sized to its policy: 1 << slot_meta.h4_bits rows,
 * mw_xdp_h4_bits(IPv4 host addresses of the policy), at most the
 * capacity's; so a small policy's table stays small and dense in the
 * cache however large the capacity.  A key's home is
 * mw_xdp_h4_home(addr, h4_bits); linear probing, at most
 * MW_XDP_H4_PROBES rows; the loader places every key within that bound
 * or leaves it in dev_hash4 (a "spill", slot_meta.h4_spill), so an empty
 * row or the end of the bound is a miss.  Row ref = device id + 1 (0:
 * empty).  The device's joined record (struct mw_xdp_dev) is row
 * slot * dev capacity + id of the ARRAY "dev_rec" (both slots, likewise).
 * The loader writes a slot's rows (the whole used range of dev_tab4, so
 * no key of an older policy stays) only while no packet reads that slot.
 */
#define MW_XDP_H4_PROBES	8
#define MW_XDP_H4_MIN_BITS	10

struct mw_xdp_h4 {
	__u32 addr;		/* IPv4 address, network order as in the packet */
	__u32 ref;		/* device id + 1; 0: empty */
};

/* Bits of a table for n keys (a slot's hosts, or the device capacity
 * for the largest): >= 2 rows per key. */
static inline __u32 mw_xdp_h4_bits(__u32 n)
{
	__u32 b = MW_XDP_H4_MIN_BITS;

	while (b < 31 && (1U << b) < 2ULL * n)
		b++;
	return b;
}

/*
 * Home row of an address (host order) in a table of 1 << bits rows
 * (bits >= MW_XDP_H4_MIN_BITS): the four addresses of a /30 share a block
 * of four rows, 32 bytes, in address order; the block is the top bits of
 * the multiplicative (Fibonacci) hash of the /30.  Devices numbered in
 * sequence, as meters and their gateways usually are, then sit four to a
 * block and a stream from many of them touches a quarter of the table's
 * lines it touched with one hash per address (consecutive /30s still
 * spread evenly: no more probes or spills, tools/bench and the unit test
 * h4 placement check it); addresses without order spread as before.
 */
static inline __u32 mw_xdp_h4_home(__u32 addr_host_order, __u32 bits)
{
	return ((addr_host_order >> 2) * 0x9E3779B1U >> (32 - bits) & ~3U) |
	       (addr_host_order & 3);
}

/*
 * Accounting clock (map "mw_clock"[0]).  Flow records take their time
 * from bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC at tick resolution: no
 * clocksource read, a fraction of the cost of bpf_ktime_get_boot_ns()
 * under a hypervisor; drop-event windows count jiffies, struct
 * mw_xdp_evstate); adding mono_to_unix_ns
 * gives unix ns.  The loader writes it with every mw_config write.  The
 * decision itself uses the boot clock (bpf_ktime_get_boot_ns(), read at
 * most once per packet and only when needed): as is for block expiries
 * and rate limits, + mw_config.boot_to_unix_ns for windows and
 * valid_from, + mw_config.boot_to_unix_max_ns for agreement and policy
 * expiries (include/uapi/linux/meterwall.h, "Time base").
 */
struct mw_xdp_clock {
	__s64 mono_to_unix_ns;
	__u32 flow_seed[MW_XDP_FLOW_SEEDS];	/* see struct mw_xdp_flow */
};

/*
 * Flow records (map "flow_tab", an ARRAY of ncpus << bits rows, BPF_F_MMAPABLE):
 * one table of 1 << bits rows per possible CPU, at index cpu << bits, so a
 * CPU writes only its own rows: no atomics, no locks, no helper call (the
 * verifier inlines the array lookup).  A flow's home row is
 * mw_xdp_flow_hash() of its key, seeded at random once per pin set
 * (mw_clock.flow_seed, kept across loads), so nobody outside can aim keys
 * at one row.  A flow is looked for in MW_XDP_FLOW_PROBES rows from home: a
 * hit is updated in place; a miss takes the first empty row or, when all
 * are taken, the one seen least recently (LRU within the probe window).
 * Rows are only emptied all together (flush), so an empty row ends the
 * search.  A flow seen on two CPUs has a row in each CPU's table; the
 * reader sums them by key.  f.packets == 0: empty row.  zones: the zone
 * mask of key.dst under policy generation zone_gen (0: not known), so
 * the next packets of the flow skip the zone lookup.
 */
#define MW_XDP_FLOW_PROBES	4
#define MW_XDP_FLOW_MIN_BITS	10
#define MW_XDP_FLOW_MAX_BITS	24

struct mw_xdp_flow {
	struct mw_flow_key key;
	__u32 zone_gen;
	struct mw_flow f;
	__u64 zones;
};

/*
 * A flow's row taken over by another flow (an eviction): the row as it
 * was, into the flow_export ring buffer first, so its record is written
 * whole even when nobody read the row since its last packets.  A flow's
 * packets on two CPUs are two rows (mw_xdp_foreach_flow_row tells them
 * apart by row; mw_xdp_foreach_flow sums them).  A full
 * ring loses the record (flow_evictions still counts the eviction).
 */
struct mw_flow_export {
	struct mw_flow_key key;
	__u32 row;		/* the row it was in */
	struct mw_flow f;
};

/*
 * Seeded hash of a flow key (11 words): pairwise sums multiplied (the NH
 * construction), then mixed; the home row is the top `bits' bits.
 */
static inline __u32 mw_xdp_flow_hash(const struct mw_flow_key *k,
				     const __u32 *s, __u32 bits)
{
	const __u32 *w = (const __u32 *)k;
	__u64 h;

	h = (__u64)(__u32)(w[0] + s[0]) * (__u32)(w[1] + s[1]) +
	    (__u64)(__u32)(w[2] + s[2]) * (__u32)(w[3] + s[3]) +
	    (__u64)(__u32)(w[4] + s[4]) * (__u32)(w[5] + s[5]) +
	    (__u64)(__u32)(w[6] + s[6]) * (__u32)(w[7] + s[7]) +
	    (__u64)(__u32)(w[8] + s[8]) * (__u32)(w[9] + s[9]) +
	    (__u64)(__u32)(w[10] + s[10]) * (s[11] | 1);
	h ^= h >> 31;
	h *= 0x9E3779B97F4A7C15ULL;
	return (__u32)(h >> (64 - bits));
}

/*
 * Per-CPU cache of the accounting clock (map "mw_tick", not pinned): the
 * coarse clock only moves at a tick, so its value is kept with the
 * jiffies it was read at, and bpf_jiffies64() -- which the verifier
 * inlines into one load -- tells whether it may still be used.  A packet
 * reads the clock (a helper call) at most once per tick per CPU; the
 * value is at most a tick behind bpf_ktime_get_coarse_ns().
 */
struct mw_xdp_tick {
	__u64 jiffies;
	__u64 mono_ns;
};

_Static_assert(sizeof(struct mw_xdp_slot_meta) == 96, "mw_xdp_slot_meta layout");
_Static_assert(sizeof(struct mw_xdp_evstate) == 16, "mw_xdp_evstate layout");
_Static_assert(sizeof(struct mw_xdp_devstate) == 32, "mw_xdp_devstate layout");
_Static_assert(sizeof(struct mw_xdp_clock) == 56, "mw_xdp_clock layout");
_Static_assert(sizeof(struct mw_xdp_flow) == 104, "mw_xdp_flow layout");
_Static_assert(sizeof(struct mw_flow_key) == 44, "flow key: 11 words");
_Static_assert(sizeof(struct mw_xdp_iface) == sizeof(struct mw_img_iface) + 8,
	       "mw_xdp_iface layout");
_Static_assert(sizeof(struct mw_xdp_dev) == 64, "mw_xdp_dev layout");
_Static_assert(sizeof(struct mw_xdp_rate) == 24, "mw_xdp_rate layout");
_Static_assert(sizeof(struct mw_xdp_h4) == 8, "mw_xdp_h4 layout");

#endif /* MW_XDP_ABI_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps of the XDP program.  All are pinned by name under the loader's
 * bpffs directory (default /sys/fs/bpf/meterwall).
 *
 * Per-policy tables come in MW_XDP_SLOTS (2) slots: each is an
 * ARRAY_OF_MAPS whose inner maps the loader creates sized to the policy.
 * A packet reads mw_config once, takes its slot, and uses only that slot's
 * inner maps, so it is judged by exactly one policy.  The inner templates
 * below only fix key/value sizes and flags; arrays carry BPF_F_INNER_MAP so
 * their sizes may differ from the template.  (They give sizes, not BTF
 * types: clang emits only forward declarations for types reachable
 * through the template, which libbpf cannot size.)
 *
 * Persistent state (blocks, counters, flows, events) lives outside the
 * slots and survives policy reloads; device-indexed maps are sized by the
 * loader (its device capacity).
 */
#ifndef MW_BPF_MAPS_H
#define MW_BPF_MAPS_H

#include "consts.h"
#include <meterwall/xdp_abi.h>

/* --- configuration ------------------------------------------------------ */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mw_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mw_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_SLOTS);
	__type(key, __u32);
	__type(value, struct mw_xdp_slot_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} slot_meta SEC(".maps");

/* slot * MW_XDP_IFINDEX_DIRECT + ifindex -> interface (struct mw_xdp_iface) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_SLOTS * MW_XDP_IFINDEX_DIRECT);
	__type(key, __u32);
	__type(value, struct mw_xdp_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} iface_direct SEC(".maps");

/*
 * IPv4 host address -> device id + 1, open addressing, and device id ->
 * its joined record, both slots in each (meterwall/xdp_abi.h, "dev_tab4"):
 * plain arrays, so their lookups are inlined and cost no outer-map read;
 * the loader sizes them from the device capacity before the object is
 * loaded.  Mmapable: a policy's rows are written with one copy into the
 * inactive slot (not a syscall's per-row copy, check and lock: 0.4 s of a
 * 1,000,000-device apply), and the values start on a page, so no 64-byte
 * record of dev_rec straddles two cache lines.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_SLOTS << MW_XDP_H4_MIN_BITS);	/* loader */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mw_xdp_h4);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dev_tab4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_SLOTS * MW_XDP_DEF_DEV_CAPACITY);	/* loader */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mw_xdp_dev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dev_rec SEC(".maps");

/* --- per-policy tables, one inner map per slot ------------------------- */

#define MW_SLOT_TABLE(name, inner_type, ktype, vtype, flags)		\
	struct name##_inner {						\
		__uint(type, inner_type);				\
		__uint(max_entries, 1);					\
		__uint(map_flags, flags);				\
		__uint(key_size, sizeof(ktype));			\
		__uint(value_size, sizeof(vtype));			\
	};								\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);		\
		__uint(max_entries, MW_XDP_SLOTS);			\
		__type(key, __u32);					\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
		__array(values, struct name##_inner);			\
	} name SEC(".maps")

/* ifindex -> interface (only image interfaces present on the host) */
MW_SLOT_TABLE(ifaces, BPF_MAP_TYPE_HASH, __u32, struct mw_img_iface, 0);
/* IPv6 host address (/128) -> device with its system's facts */
MW_SLOT_TABLE(dev_hash, BPF_MAP_TYPE_HASH, struct mw_addr_key,
	      struct mw_xdp_dev, 0);
/* IPv4 host address (4 bytes, network order) -> the same: a quarter of
 * the key to hash and compare */
MW_SLOT_TABLE(dev_hash4, BPF_MAP_TYPE_HASH, __u32, struct mw_xdp_dev, 0);
/* device prefix (shorter than a host) -> the same */
MW_SLOT_TABLE(dev_lpm, BPF_MAP_TYPE_LPM_TRIE, struct mw_lpm_key,
	      struct mw_xdp_dev, BPF_F_NO_PREALLOC);
/* device id -> device, system id -> system, ... (index = id).  devices
 * and systems are filled for inspection; the program reads the joined
 * records of dev_hash/dev_lpm instead. */
MW_SLOT_TABLE(devices, BPF_MAP_TYPE_ARRAY, __u32, struct mw_img_device,
	      BPF_F_INNER_MAP);
MW_SLOT_TABLE(systems, BPF_MAP_TYPE_ARRAY, __u32, struct mw_img_system,
	      BPF_F_INNER_MAP);
MW_SLOT_TABLE(csets, BPF_MAP_TYPE_ARRAY, __u32, struct mw_img_cset,
	      BPF_F_INNER_MAP);
MW_SLOT_TABLE(windows, BPF_MAP_TYPE_ARRAY, __u32, struct mw_img_window,
	      BPF_F_INNER_MAP);
/* zone prefixes: host prefixes exact, the rest longest-prefix; value =
 * zone mask (supersets included, so the longest match is the full set) */
MW_SLOT_TABLE(zone_hash, BPF_MAP_TYPE_HASH, struct mw_addr_key, __u64, 0);
MW_SLOT_TABLE(zone_lpm, BPF_MAP_TYPE_LPM_TRIE, struct mw_lpm_key, __u64,
	      BPF_F_NO_PREALLOC);

/* --- persistent state --------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_MAX_SYSTEMS);
	__type(key, __u32);
	__type(value, struct mw_block);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sys_blocks SEC(".maps");

/* device id -> its block and event window (struct mw_xdp_devstate) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_DEF_DEV_CAPACITY);	/* loader: capacity */
	__type(key, __u32);
	__type(value, struct mw_xdp_devstate);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dev_blocks SEC(".maps");

/* system id -> rate limit state (struct mw_xdp_rate, with its lock) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_MAX_SYSTEMS);
	__type(key, __u32);
	__type(value, struct mw_xdp_rate);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sys_rate SEC(".maps");

/*
 * Per device and CPU: row cpu * dev capacity + device id (the loader sizes
 * it possible CPUs * capacity).  A plain array, not a PERCPU_ARRAY: the
 * same memory, but a CPU's counters of devices numbered in sequence are
 * neighbours (two to a cache line) and reached with no pointer per
 * element to load first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_DEF_DEV_CAPACITY);	/* loader */
	__type(key, __u32);
	__type(value, struct mw_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dev_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MW_XDP_DEF_CONDUIT_CAPACITY);	/* loader */
	__type(key, __u32);
	__type(value, struct mw_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conduit_counters SEC(".maps");

/* Per reason: pass_* for pass reasons, drop_* for drop reasons. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, __MW_R_LAST);
	__type(key, __u32);
	__type(value, struct mw_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} reason_counters SEC(".maps");

/* struct mw_xdp_flow: ncpus << mw_flow_bits rows (the loader sizes it) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MW_XDP_DEF_FLOW_ENTRIES);	/* loader */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mw_xdp_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_tab SEC(".maps");

/* flows whose row another flow took over (counted per CPU, summed by the
 * loader): what the flow table lost before anyone read it */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_evictions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MW_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/* evicted flows' rows (struct mw_flow_export), for their records */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MW_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_export SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mw_xdp_evstate);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} glob_evstate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mw_xdp_clock);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} mw_clock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mw_xdp_tick);
} mw_tick SEC(".maps");

/* Inner map of the current slot for table `outer', or NULL. */
static __always_inline void *slot_table(void *outer, __u32 slot)
{
	return bpf_map_lookup_elem(outer, &slot);
}

#endif /* MW_BPF_MAPS_H */

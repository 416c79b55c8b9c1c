/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Map values private to the XDP program and its loader
 * (userspace/lib/xdp.c).  Not part of the public ABI in
 * include/uapi/linux/meterwall.h: nothing but the loader reads them.
 * Included by both sides; fixed-width types and explicit padding only.
 */
#ifndef MW_XDP_SHARED_H
#define MW_XDP_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Policy slots: each per-policy table is an ARRAY_OF_MAPS of this size. */
#define MW_XDP_SLOTS		2

/*
 * What the loader wrote into one slot (map "slot_meta", index = slot).
 * The program reads only the counts (to skip empty tables); the rest is
 * for status reporting.
 */
struct mw_xdp_slot_meta {
	__u32 n_dev_hosts;	/* entries in dev_hash */
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
};

/*
 * Drop-event rate limiter (maps "dev_evstate" by device id and
 * "glob_evstate"[0] for drops without a device).  Written only when a
 * window restarts or an event is sent, so a drop flood that is already
 * over the rate only reads it.
 */
struct mw_xdp_evstate {
	__u64 win_start_ns;	/* coarse monotonic ns at the window start */
	__u32 count;		/* events sent in this window */
	__u32 reserved;
};

/*
 * Accounting clock (map "mw_clock"[0]).  Flow records and the event rate
 * limiter take their time from bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC
 * at tick resolution: no clocksource read, a fraction of the cost of
 * bpf_ktime_get_boot_ns() under a hypervisor); adding mono_to_unix_ns
 * gives unix ns.  The loader writes it with every mw_config write.  The
 * decision itself (block expiry, agreement validity, windows) still uses
 * the boot clock + mw_config.boot_to_unix_ns, read only when needed.
 */
struct mw_xdp_clock {
	__s64 mono_to_unix_ns;
	__s64 reserved;
};

_Static_assert(sizeof(struct mw_xdp_slot_meta) == 80, "mw_xdp_slot_meta layout");
_Static_assert(sizeof(struct mw_xdp_evstate) == 16, "mw_xdp_evstate layout");
_Static_assert(sizeof(struct mw_xdp_clock) == 16, "mw_xdp_clock layout");

#endif /* MW_XDP_SHARED_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP enforcement point: loader and control library for
 * meterwall.bpf.o (bpf/).  mwctl and meterwalld build on it.
 *
 * State lives in bpffs, pinned by name under one directory (default
 * MW_XDP_PIN_DIR): the maps, and one link per interface ("link_<ifname>")
 * so enforcement continues when the controller exits.  Opening the
 * directory again reuses the pinned maps; a fresh program instance is
 * loaded against them (unless MW_XDP_F_NO_PROG).
 *
 * Maps (all pinned by name):
 *   mw_config         ARRAY[1] struct mw_config: island, generation,
 *                     boot_to_unix_ns and boot_to_unix_max_ns (the
 *                     clock, see mw_xdp_set_clock), event_rate, active
 *                     slot
 *   slot_meta         ARRAY[2] struct mw_xdp_slot_meta (meterwall/xdp_abi.h)
 *   iface_direct      ARRAY[2 * MW_XDP_IFINDEX_DIRECT] struct mw_xdp_iface:
 *                     each slot's interfaces by ifindex (smaller ifindexes;
 *                     the others only in ifaces)
 *   ifaces dev_hash4 dev_hash dev_lpm devices systems csets windows zone_hash
 *   zone_lpm          (dev_hash4: IPv4 hosts by their 4 bytes, dev_hash: IPv6
 *                     hosts; dev_hash4/dev_hash/dev_lpm values: struct
 *                     mw_xdp_dev, the device
 *                     joined with its system)
 *                     ARRAY_OF_MAPS[2]: one inner map per policy slot,
 *                     created by mw_xdp_load_image() sized to the policy
 *   dev_tab4 dev_rec  ARRAY_OF_MAPS[2] of fixed-size ARRAYs (sized from
 *                     dev_capacity, so the program's lookups are inlined):
 *                     IPv4 hosts in an open-addressing table (struct
 *                     mw_xdp_h4, at most MW_XDP_H4_PROBES probes; keys that
 *                     do not fit stay in dev_hash4) and the joined record
 *                     of every device by id (struct mw_xdp_dev)
 *   sys_rate          ARRAY[MW_MAX_SYSTEMS] struct mw_xdp_rate: rate limit
 *                     state by system id (a load zeroes the systems whose
 *                     limits it changes or brings in)
 *   sys_blocks        ARRAY[MW_MAX_SYSTEMS] struct mw_block
 *   dev_blocks        ARRAY[dev_capacity] struct mw_xdp_devstate: the
 *                     device's block and its event window
 *   dev_counters      ARRAY[ncpus * dev_capacity] struct mw_counter,
 *                     row cpu * dev_capacity + device
 *   conduit_counters  PERCPU_ARRAY[conduit_capacity] struct mw_counter
 *   reason_counters   PERCPU_ARRAY[__MW_R_LAST] struct mw_counter
 *                     (pass_* for pass reasons, drop_* for drop reasons)
 *   flow_tab          ARRAY[ncpus x flow_entries] struct mw_xdp_flow (rows
 *                     per CPU, meterwall/xdp_abi.h; read with mw_xdp_foreach_flow):
 *                     IP packets (pass and drop) whose source is a known
 *                     device, except BLOCKED drops (counted per device and
 *                     per reason, sent as events, but no flow record: a
 *                     flood from a blocked device cannot thrash the
 *                     table); ports are 0 unless TCP/UDP (and for
 *                     fragments); ARP is counted per device but has no flow
 *   flow_evictions    PERCPU_ARRAY[1] u64: flow rows taken over from
 *                     another flow (mw_xdp_flow_evictions)
 *   flow_export       RINGBUF struct mw_flow_export: those rows as they
 *                     were (mw_xdp_flow_export_open)
 *   events            RINGBUF of struct mw_event: drops, at most
 *                     mw_config.event_rate per second per device, and as
 *                     many for all drops without a device together (none
 *                     while no policy is loaded)
 *   glob_evstate      event window of the drops without a device
 *   mw_clock          ARRAY[1] struct mw_xdp_clock: unix time base of the
 *                     accounting clock (flow first/last seen:
 *                     CLOCK_MONOTONIC at tick resolution), written
 *                     with every mw_config write
 * Blocks, counters, flows and events are outside the policy slots: they
 * survive policy reloads.
 *
 * Every function returns 0 or -errno.  Nothing is printed: on failure a
 * human-readable message that says what to do is available from
 * mw_xdp_errmsg() (or, for mw_xdp_open(), in the caller's buffer).
 * libbpf's own messages are suppressed while the library calls into it.
 *
 * A handle is not thread-safe.  Writers of mw_config (load, island, time,
 * event rate) take an exclusive flock on the pin directory, so several
 * mwctl processes do not lose each other's updates.
 */
#ifndef MW_XDP_H
#define MW_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>

#include "image.h"
#include <meterwall/xdp_abi.h>	/* struct mw_xdp_slot_meta, defaults */

#define MW_XDP_PIN_DIR		"/sys/fs/bpf/meterwall"
#define MW_XDP_BPFFS		"/sys/fs/bpf"

struct mw_xdp;

enum mw_xdp_open_flags {
	MW_XDP_F_NO_PROG = 1 << 0,	/* maps only: status, blocks, load,
					 * counters (no attach, no test run) */
	MW_XDP_F_NO_FLOWS = 1 << 1,	/* program without flow records */
	MW_XDP_F_NO_EVENTS = 1 << 2,	/* program without drop events */
	MW_XDP_F_SINK = 1 << 3,		/* benchmarks: the program variant that
					 * judges and accounts as always, then
					 * drops every frame (no stack cost) */
	__MW_XDP_F_ALL = (1 << 4) - 1
};

struct mw_xdp_opts {
	/* bpffs directory; NULL = MW_XDP_PIN_DIR; "" = no pins at all (private
	 * maps that die with the handle: tests, benchmarks) */
	const char *pin_dir;
	/* Size of the device-indexed maps (blocks, counters, event state).
	 * 0 = the pinned maps' size, or MW_XDP_DEF_DEV_CAPACITY when creating.
	 * A value different from the pinned maps' is -EEXIST: the pins must
	 * be removed (mw_xdp_remove_pins) to resize. */
	uint32_t dev_capacity;
	uint32_t conduit_capacity;	/* same rules, per-conduit counters */
	uint32_t flow_entries;		/* same rules, flow table rows per
					 * CPU (rounded up to a power of two,
					 * 1024 .. 1 << 24) */
	/* flow_entries only when the table is created; pinned tables keep
	 * their rows (mw_xdp_status() tells how many).  Ignored when
	 * flow_entries is given. */
	uint32_t flow_entries_new;
	unsigned int flags;		/* enum mw_xdp_open_flags */
};

/*
 * Mount bpffs at /sys/fs/bpf if needed, create the pin directory, load the
 * program (verifier) and create or reuse the pinned maps.  *out is set on
 * success.  err (may be NULL) receives a message on failure.
 */
int mw_xdp_open(const struct mw_xdp_opts *opts, struct mw_xdp **out,
		char *err, size_t errlen);
/* Rows per CPU the flow table gets for flow_entries (0 = default). */
uint32_t mw_xdp_flow_rows(uint32_t flow_entries);
/* Close the handle.  Pinned state stays; links stay attached. */
void mw_xdp_close(struct mw_xdp *x);
/* Message of the last failure on this handle ("" if none). */
const char *mw_xdp_errmsg(const struct mw_xdp *x);

/* --- attachment ---------------------------------------------------------- */

enum mw_xdp_mode {
	MW_XDP_MODE_AUTO = 0,	/* native, falling back to generic (skb) */
	MW_XDP_MODE_NATIVE,	/* XDP_FLAGS_DRV_MODE */
	MW_XDP_MODE_SKB,	/* XDP_FLAGS_SKB_MODE (generic) */
};

/*
 * Attach this handle's program to ifname (in the caller's network
 * namespace) through a bpf_link pinned as <pin_dir>/link_<ifname>.  If
 * such a link exists it is switched to this program (bpf_link_update: no
 * moment without enforcement; the link keeps the mode it was created
 * with).  -EBUSY if another XDP program holds the interface.  Needs the
 * program (not MW_XDP_F_NO_PROG) and pins.
 */
int mw_xdp_attach(struct mw_xdp *x, const char *ifname, enum mw_xdp_mode mode);
/*
 * Detach: force-detach the pinned link, unpin and close it, then check
 * with bpf_xdp_query that no meterwall program is left on ifname.
 * -ENOENT if nothing of ours was attached.
 */
int mw_xdp_detach(struct mw_xdp *x, const char *ifname);

struct mw_xdp_iface_info {
	uint32_t ifindex;	/* 0: no such interface */
	bool linked;		/* a pinned link of ours exists for it */
	bool ours;		/* the attached program is meterwall's mw_xdp */
	bool same_prog;		/* ... and has the tag of this handle's program */
	enum mw_xdp_mode mode;	/* mode of the attached program */
	uint32_t prog_id;	/* attached XDP program, 0 if none */
};
int mw_xdp_iface_query(struct mw_xdp *x, const char *ifname,
		       struct mw_xdp_iface_info *info);

/* --- policy ---------------------------------------------------------------- */

struct mw_xdp_load_opts {
	/* Interface name -> ifindex; NULL = if_nametoindex() in the caller's
	 * network namespace.  Return 0 for "not on this host": that interface
	 * is skipped (its frames would be NOT_MANAGED anyway). */
	unsigned int (*ifindex)(const char *name, void *arg);
	void *arg;
	/* Clock: 0 = from the system clocks now (mw_xdp_clock_offset()).
	 * Otherwise this boot_to_unix_ns is written (tests, replays).
	 * Either way the load sets the clock as mw_xdp_set_clock(x, it,
	 * false) does; on maps that never had a policy boot_to_unix_max_ns
	 * starts at it. */
	int64_t boot_to_unix_ns;
};

struct mw_xdp_load_result {
	uint32_t generation;	/* the new generation */
	uint32_t slot;		/* the slot now active */
	uint32_t n_ifaces;	/* image interfaces found on the host */
	uint32_t n_skipped;	/* image interfaces not on the host */
};

/*
 * Atomic policy swap.  Checks the image against the capacities (device,
 * conduit, system ids), resolves interfaces, builds fresh inner maps sized
 * to the policy and fills them completely, inserts them into the INACTIVE
 * slot, then flips mw_config.slot and bumps the generation in one array
 * update, and waits until no packet is still judged by the old policy.
 * On any error the old policy stays in force and the active slot is
 * untouched.  opts and res may be NULL.
 */
int mw_xdp_load_image(struct mw_xdp *x, const struct mw_image_view *v,
		      const struct mw_xdp_load_opts *opts,
		      struct mw_xdp_load_result *res);

/* --- runtime state ----------------------------------------------------------- */

/* Block a system or device until until_ns (CLOCK_BOOTTIME ns, 0 = until
 * unblocked; no clock step moves it).  One map write: the next packet
 * sees it.  Survives policy reloads, not a reboot (new maps). */
int mw_xdp_block(struct mw_xdp *x, enum mw_target kind, uint32_t id,
		 uint64_t until_ns, enum mw_block_cause cause);
int mw_xdp_unblock(struct mw_xdp *x, enum mw_target kind, uint32_t id);
int mw_xdp_get_block(struct mw_xdp *x, enum mw_target kind, uint32_t id,
		     struct mw_block *out);
/* Calls fn for every active block (expired ones included). */
int mw_xdp_foreach_block(struct mw_xdp *x,
			 int (*fn)(enum mw_target kind, uint32_t id,
				   const struct mw_block *b, void *arg),
			 void *arg);

int mw_xdp_island(struct mw_xdp *x, bool on);
int mw_xdp_set_event_rate(struct mw_xdp *x, uint32_t per_second);
/*
 * The datapath's clock (include/uapi/linux/meterwall.h, "Time base"):
 * mw_config.boot_to_unix_ns = boot_to_unix_ns (0: mw_xdp_clock_offset()
 * now), for windows and valid_from; boot_to_unix_max_ns = the larger of
 * itself and that, or exactly that with reset_max, for agreement and
 * policy expiries (so a step back of the wall clock revives nothing).
 * Call it after every step of the wall clock.
 */
int mw_xdp_set_clock(struct mw_xdp *x, int64_t boot_to_unix_ns,
		     bool reset_max);
/* The host's offset now: CLOCK_REALTIME - CLOCK_BOOTTIME, in ns. */
int64_t mw_xdp_clock_offset(void);

struct mw_xdp_status {
	struct mw_config cfg;		/* as the datapath sees it */
	struct mw_xdp_slot_meta active;	/* meta of the active slot (zero if
					 * generation == 0) */
	uint32_t dev_capacity;
	uint32_t conduit_capacity;
	uint32_t flow_entries;
	bool pinned;
	char pin_dir[256];
};
int mw_xdp_status(struct mw_xdp *x, struct mw_xdp_status *st);

/* --- counters, flows, events ------------------------------------------- */

/* Sums over CPUs.  Ids beyond the capacity are -ERANGE. */
int mw_xdp_dev_counter(struct mw_xdp *x, uint32_t dev, struct mw_counter *out);
/* A block in force at boot-clock time now (active, its end not reached):
 * the one test of mwctl status, meterwalld's metrics and auto-block,
 * and the controller's unblock. */
static inline bool mw_block_in_force(const struct mw_block *b, int64_t now)
{
	return b->active && (!b->until || (int64_t)b->until > now);
}
/* Devices 0..n-1 at once (batched reads): out[n]. */
int mw_xdp_dev_counters(struct mw_xdp *x, struct mw_counter *out, uint32_t n);
int mw_xdp_conduit_counter(struct mw_xdp *x, uint32_t conduit,
			   struct mw_counter *out);
/* out[reason] for every reason 0 .. __MW_R_LAST - 1. */
int mw_xdp_reason_counters(struct mw_xdp *x,
			   struct mw_counter out[__MW_R_LAST]);

/*
 * Every flow record, merged over CPUs: packets and bytes summed, first_ns
 * the earliest, last_ns the latest, and device/conduit/generation/verdict/
 * reason from the CPU that saw the flow last.  fn returning non-zero stops
 * the walk and is returned.
 */
int mw_xdp_foreach_flow(struct mw_xdp *x,
			int (*fn)(const struct mw_flow_key *k,
				  const struct mw_flow *f, void *arg),
			void *arg);
/* Every row in use as it is, with its index (0 .. mw_xdp_flow_table_rows()
 * - 1; a CPU's part of the table is a range of rows, so the rows of a flow
 * seen on two CPUs come separately; flow_export's rows carry the same
 * index). */
uint32_t mw_xdp_flow_table_rows(const struct mw_xdp *x);
int mw_xdp_foreach_flow_row(struct mw_xdp *x,
			    int (*fn)(const struct mw_flow_key *k, uint32_t row,
				      const struct mw_flow *f, void *arg),
			    void *arg);
/* Remove every flow record. */
int mw_xdp_flush_flows(struct mw_xdp *x);
/* Flows whose row another flow took over since the maps were created
 * (map flow_evictions, summed over CPUs): records nobody read. */
int mw_xdp_flow_evictions(struct mw_xdp *x, uint64_t *out);

struct mw_xdp_events;
/* Drop events from the ring buffer; fn is called from poll. */
int mw_xdp_events_open(struct mw_xdp *x,
		       int (*fn)(const struct mw_event *e, void *arg),
		       void *arg, struct mw_xdp_events **out);
/* Evicted flows' rows (ring flow_export), polled and closed as events. */
int mw_xdp_flow_export_open(struct mw_xdp *x,
			    int (*fn)(const struct mw_flow_export *e, void *arg),
			    void *arg, struct mw_xdp_events **out);
/* Wait up to timeout_ms; returns the number of events consumed or -errno. */
int mw_xdp_events_poll(struct mw_xdp_events *ev, int timeout_ms);
int mw_xdp_events_fd(const struct mw_xdp_events *ev);	/* for epoll */
void mw_xdp_events_close(struct mw_xdp_events *ev);

/* --- maintenance and tests ----------------------------------------------------- */

/* fd of the loaded program (-1 with MW_XDP_F_NO_PROG): bpf_prog_test_run. */
int mw_xdp_prog_fd(const struct mw_xdp *x);
/*
 * Remove the map pins and the directory (decommission, tests).  -EBUSY
 * while a link_* pin remains: detach first.
 */
int mw_xdp_remove_pins(struct mw_xdp *x);

#endif /* MW_XDP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* Internals shared by xdp.c, xdp_load.c and xdp_state.c. */
#ifndef MW_XDP_INT_H
#define MW_XDP_INT_H

#include <stdarg.h>
#include <bpf/libbpf.h>

#include "xdp.h"

/*
 * Maps of meterwall.bpf.o, by role: the enum id and the skeleton's member,
 * whose name is also the map's name and pin name (xdp.c takes each map
 * from the skeleton, so a map renamed in bpf/ fails the build here).
 */
#define MW_XDP_MAPS(X)							\
	X(M_CONFIG, mw_config)						\
	X(M_SLOT_META, slot_meta)					\
	/* per-slot outer maps, in the order xdp_load.c fills them */	\
	X(M_IFACES, ifaces)						\
	X(M_DEV_HASH, dev_hash)						\
	X(M_DEV_LPM, dev_lpm)						\
	X(M_DEVICES, devices)						\
	X(M_SYSTEMS, systems)						\
	X(M_CSETS, csets)						\
	X(M_WINDOWS, windows)						\
	X(M_ZONE_HASH, zone_hash)					\
	X(M_ZONE_LPM, zone_lpm)						\
	X(M_DEV_HASH4, dev_hash4)					\
	/* persistent */						\
	X(M_SYS_BLOCKS, sys_blocks)					\
	X(M_DEV_BLOCKS, dev_blocks)					\
	X(M_DEV_COUNTERS, dev_counters)					\
	X(M_CONDUIT_COUNTERS, conduit_counters)				\
	X(M_REASON_COUNTERS, reason_counters)				\
	X(M_FLOWS, flow_tab)						\
	X(M_EVENTS, events)						\
	X(M_GLOB_EVSTATE, glob_evstate)					\
	X(M_CLOCK, mw_clock)						\
	/* per slot, but plain arrays (meterwall/xdp_abi.h) */	\
	X(M_IFACE_DIRECT, iface_direct)					\
	X(M_DEV_TAB4, dev_tab4)						\
	X(M_DEV_REC, dev_rec)						\
	/* persistent: rate limit state by system id */			\
	X(M_SYS_RATE, sys_rate)						\
	/* persistent: flow rows taken over from another flow */	\
	X(M_FLOW_EVICTIONS, flow_evictions)				\
	/* the rows as they were, for their records */			\
	X(M_FLOW_EXPORT, flow_export)

enum mw_xdp_map {
#define MW_XDP_MAP_ENUM(id, member) id,
	MW_XDP_MAPS(MW_XDP_MAP_ENUM)
#undef MW_XDP_MAP_ENUM
	M__COUNT
};
#define M_FIRST_SLOT_TABLE	M_IFACES
#define M_LAST_SLOT_TABLE	M_DEV_HASH4

extern const char *const mw_xdp_map_names[M__COUNT];

struct meterwall;

/* A per-slot table's inner map: the program's template (bpf/maps.h). */
struct mw_xdp_shape {
	enum bpf_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t flags;
};

struct mw_xdp {
	struct meterwall *skel;
	struct bpf_map *map[M__COUNT];
	int fd[M__COUNT];
	bool mmapable[M__COUNT];	/* BPF_F_MMAPABLE: rows by mmap */
	int prog_fd;			/* -1 without the program */
	unsigned int flags;
	bool pinned;
	char pin_dir[256];
	int dir_fd;			/* flock for mw_config writers */
	uint32_t dev_capacity;
	uint32_t conduit_capacity;
	uint32_t flow_entries;		/* flow_tab rows per CPU */
	uint32_t flow_bits;		/* = log2(flow_entries) */
	uint32_t h4_bits;		/* dev_tab4 rows per slot, at most:
					 * 1 << h4_bits */
	struct mw_xdp_shape shape[M_LAST_SLOT_TABLE - M_FIRST_SLOT_TABLE + 1];
	int ncpus;
	char err[512];
};

/*
 * dev_tab4 (meterwall/xdp_abi.h), in a buffer of (1 << bits) + 1 rows: place addr
 * (network order) with ref, within MW_XDP_H4_PROBES rows of its home (an
 * existing row of the same address is overwritten).  Returns the probe it
 * took (0-based), or -1 when it does not fit: the key goes to dev_hash4.
 * mw_xdp_h4_find is the program's lookup: the ref, 0 if not in the table.
 */
struct mw_xdp_h4;
int mw_xdp_h4_place(struct mw_xdp_h4 *tab, uint32_t bits, uint32_t addr,
		    uint32_t ref);
uint32_t mw_xdp_h4_find(const struct mw_xdp_h4 *tab, uint32_t bits,
			uint32_t addr);

/* After the object is opened (before load, while libbpf still holds the
 * inner-map templates): x->shape from them, -EPROTO when their key or
 * value sizes are not what xdp_load.c writes. */
int mw_xdp_take_shapes(struct mw_xdp *x);

/*
 * Rows [first, first + n) of the mmapable array map fd, values of size
 * bytes (a multiple of 8, as the kernel lays them out), mapped with prot:
 * a pointer to row first, the mapping for munmap in *base, *len; NULL and
 * errno on failure.
 */
void *mw_xdp_map_rows(int fd, uint64_t first, uint64_t n, size_t size,
		      int prot, void **base, size_t *len);

/* xdp_slot.c.  -E2BIG (and the message) if an id of v is beyond the
 * persistent maps' capacity. */
struct mw_image_view;
struct mw_config;
int mw_xdp_check_capacity(struct mw_xdp *x, const struct mw_image_view *v);
/* Wait for every packet that reads slot now: its ifaces entry rewritten
 * with the map it holds (the syscall returns after an RCU grace period). */
int mw_xdp_rcu_barrier(struct mw_xdp *x, uint32_t slot);
/* Zero the rate-limit state of v's systems whose limits are new or
 * changed against cfg's policy. */
int mw_xdp_reset_rates(struct mw_xdp *x, const struct mw_image_view *v,
		       const struct mw_config *cfg);

/* Record a message (what went wrong, what to do) and return err (< 0). */
int mw_xdp_fail(struct mw_xdp *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* libbpf messages: silenced; the last warning is kept for details. */
libbpf_print_fn_t mw_xdp_quiet_begin(void);
void mw_xdp_quiet_end(libbpf_print_fn_t old);
const char *mw_xdp_libbpf_last(void);

/* mw_config under the pin-directory lock. */
int mw_xdp_lock(struct mw_xdp *x);
void mw_xdp_unlock(struct mw_xdp *x);
int mw_xdp_read_config(struct mw_xdp *x, struct mw_config *cfg);
int mw_xdp_write_config(struct mw_xdp *x, const struct mw_config *cfg);
/*
 * Set the clock in cfg (struct mw_config, "Time base" of the uapi header):
 * boot_to_unix_ns = off (0: mw_xdp_clock_offset() now), and
 * boot_to_unix_max_ns = off when reset_max, else the larger of the two.
 */
void mw_xdp_config_clock(struct mw_config *cfg, int64_t off, bool reset_max);

#endif /* MW_XDP_INT_H */

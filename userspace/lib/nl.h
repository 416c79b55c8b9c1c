/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libnl-3 client of the meterwall.ko generic netlink family "meterwall"
 * (commands documented in include/uapi/linux/meterwall.h).  Every function
 * returns 0 or -errno (the kernel's errno when the kernel refused: -EPERM
 * without CAP_NET_ADMIN, -EBADMSG for an image that fails validation,
 * -ENOENT from mw_nl_open when the module is not loaded); none prints.
 * After a refusal, mw_nl_errmsg() has the kernel's extack message.
 */
#ifndef MW_NL_H
#define MW_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>

struct mw_nl;

int mw_nl_open(struct mw_nl **out);
void mw_nl_close(struct mw_nl *nl);

/*
 * POLICY_COMMIT options.  have_clock: send MW_A_CLOCK = boot_to_unix_ns
 * (the controller's CLOCK_REALTIME - CLOCK_BOOTTIME; without it the module
 * samples its own); flags: enum mw_commit_flags (MW_COMMIT_F_ROLLBACK:
 * accept a serial below the one in force).
 */
struct mw_nl_commit_opts {
	bool have_clock;
	int64_t boot_to_unix_ns;
	uint32_t flags;
};

/*
 * Whole transaction: begin, chunks of MW_CHUNK_MAX, commit (with o, NULL =
 * plain); abort on error.  The kernel refuses an older serial (-ESTALE)
 * without MW_COMMIT_F_ROLLBACK, the same serial with other content
 * (-EEXIST).
 */
int mw_nl_load_image(struct mw_nl *nl, const void *img, size_t len);
int mw_nl_load_image_opts(struct mw_nl *nl, const void *img, size_t len,
			  const struct mw_nl_commit_opts *o);

/* The transaction's steps, for callers that need them separately. */
int mw_nl_begin(struct mw_nl *nl, uint32_t len, uint32_t *txn);
int mw_nl_chunk(struct mw_nl *nl, uint32_t txn, uint32_t off,
		const void *data, uint32_t len);
int mw_nl_commit(struct mw_nl *nl, uint32_t txn);
int mw_nl_commit_opts(struct mw_nl *nl, uint32_t txn,
		      const struct mw_nl_commit_opts *o);
int mw_nl_abort(struct mw_nl *nl, uint32_t txn);

/* until_ns: CLOCK_BOOTTIME ns, 0 = until unblocked. */
int mw_nl_block(struct mw_nl *nl, enum mw_target kind, uint32_t id,
		uint64_t until_ns, enum mw_block_cause cause);
int mw_nl_unblock(struct mw_nl *nl, enum mw_target kind, uint32_t id);
int mw_nl_island(struct mw_nl *nl, bool on);

/*
 * MW_CMD_CLOCK_SET: the module's boot_to_unix_ns = boot_to_unix_ns, its
 * boot_to_unix_max_ns the larger of itself and that (or that, with
 * MW_CLOCK_F_RESET_MAX in flags).
 */
int mw_nl_clock_set(struct mw_nl *nl, int64_t boot_to_unix_ns,
		    uint32_t flags);

struct mw_nl_status {
	bool loaded;		/* a policy is running */
	bool island;
	uint32_t generation;	/* 0: none loaded yet */
	uint64_t serial;
	uint8_t digest[32];
	int64_t boot_to_unix_ns;	/* the netns's time base */
	int64_t boot_to_unix_max_ns;
};

int mw_nl_status(struct mw_nl *nl, struct mw_nl_status *st);

/* Dumps: cb is called per record; a non-zero return stops the dump. */
typedef int (*mw_nl_counter_fn)(enum mw_target kind, uint32_t id,
				const struct mw_counter *c, void *arg);
int mw_nl_counters(struct mw_nl *nl, mw_nl_counter_fn cb, void *arg);

typedef int (*mw_nl_block_fn)(enum mw_target kind, uint32_t id,
			      uint64_t until_ns, uint32_t cause, void *arg);
int mw_nl_blocks(struct mw_nl *nl, mw_nl_block_fn cb, void *arg);

/* The extack message of the last request ("" if none; never NULL). */
const char *mw_nl_errmsg(const struct mw_nl *nl);

/*
 * Send command cmd with attrs (raw, already-encoded netlink attributes,
 * len bytes, may be malformed on purpose) and return the kernel's answer:
 * 0 or -errno.  dump adds NLM_F_DUMP.  For tests.
 */
int mw_nl_raw(struct mw_nl *nl, uint8_t cmd, const void *attrs, size_t len,
	      bool dump);

/* nl_events.c: the module's drop events (multicast; any number of
 * readers).  -ENOENT when the module is not loaded.  poll: non-blocking,
 * fn for every event pending; 0 or -EIO. */
struct mw_nl_events;
typedef int (*mw_nl_event_fn)(const struct mw_event *e, void *arg);
int mw_nl_events_open(mw_nl_event_fn fn, void *arg, struct mw_nl_events **out);
int mw_nl_events_fd(const struct mw_nl_events *ev);
int mw_nl_events_poll(struct mw_nl_events *ev);
void mw_nl_events_close(struct mw_nl_events *ev);

#endif /* MW_NL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's persistent state, outside the datapath:
 *   $MW_STATE_DIR (default /var/lib/meterwall)
 *     policy.img   the image in force (names, and the id map for the next load)
 *     blocks       one block per line: "system|device NAME UNTIL_NS CAUSE"
 *                  re-applied on attach and load, so blocks survive reboots
 *     lock         flock'ed for the whole of every command that changes state
 *   $MW_LOG_DIR (default /var/log/meterwall)
 *     audit.log    one JSON object per state change (append only)
 *   $MW_PIN_DIR (default /sys/fs/bpf/meterwall): the XDP maps and links
 * The two directories are created 0750; they and the pin directory are
 * refused (with a message) when they are symbolic links, not owned by root
 * (or the caller), or writable by group or others.  Files are created 0600 and never followed through a
 * symbolic link; policy.img and blocks are replaced atomically (a unique
 * temporary file, fsync, rename, fsync of the directory).
 */
#ifndef MWCTL_STATE_H
#define MWCTL_STATE_H

#include <stdint.h>

#include "image.h"
#include "nl.h"
#include "xdp.h"

const char *state_dir(void);
const char *pin_dir(void);
/* path of a file in the state directory (static buffer per call site) */
int state_path(char *buf, size_t len, const char *name);
/*
 * Serialise state changes: an exclusive flock on the state directory's
 * lock file, held until the process exits.  Prints why on failure.
 */
int state_lock(void);

/*
 * Open the XDP enforcement point; prints the library's message on error.
 * flow_entries (0 = default) sizes the flow table if the maps are created.
 */
int xdp_open(struct mw_xdp **x, unsigned int flags, uint32_t flow_entries);

/*
 * The image in force: 0, -ENOENT when none was loaded, or -errno (then
 * printed).
 */
int active_image(struct mw_image *img, struct mw_image_view *v);
int save_active_image(const struct mw_image *img);

/* Resolve "NAME", "system:NAME" or "device:NAME"; prints errors. */
int resolve_target(const struct mw_image_view *v, const char *name,
		   enum mw_target *kind, uint32_t *id);

/*
 * Persisted blocks (callers hold state_lock()).  A line that is not a
 * block is reported as file:line and kept; names of MW_NAME_MAX bytes or
 * more are -ENAMETOOLONG, never truncated.
 */
/* until: boot ns (0 = until unblocked), and the same instant in unix ns
 * (block_unix_time()), recorded for people and for the next boot */
int blocks_record(enum mw_target kind, const char *name, uint64_t until_ns,
		  uint64_t until_unix_ns, enum mw_block_cause cause);
int blocks_forget(enum mw_target kind, const char *name);
/*
 * Re-apply persisted blocks by name onto ids of v, in XDP and (nl not
 * NULL) the kernel module; returns the count or -errno.
 */
int blocks_reapply(struct mw_xdp *x, struct mw_nl *nl,
		   const struct mw_image_view *v);

/* The kernel module's netlink family, or NULL when it is not loaded. */
struct mw_nl *kmod_open(void);

/* Append one audit record: action and key=value pairs (NULL-terminated). */
int audit(const char *action, ...) __attribute__((sentinel));

int64_t now_unix_ns(void);
/* CLOCK_BOOTTIME ns: the datapaths' clock (uapi "Time base"). */
int64_t now_boot_ns(void);
/* The host's REALTIME - BOOTTIME: mw_xdp_clock_offset() (xdp.h). */
/* "90s", "15m", "2h", "7d" -> seconds; -EINVAL, or -ERANGE (too large) */
int parse_duration(const char *s, uint64_t *secs);
/*
 * now + secs on the boot clock (what blocks expire by): -ERANGE unless it
 * ends before INT64_MAX ns of that clock: never wraps.
 */
int block_until(uint64_t secs, uint64_t *until_ns);
/* A block's end on the boot clock as unix ns by the host's clock now. */
uint64_t block_unix_time(uint64_t until_boot_ns);
/* The longest block_until() accepts now, in whole days. */
uint64_t block_max_days(void);

#endif

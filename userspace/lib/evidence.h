/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Evidence bundles (controls 2.1.1 and 2.1.4): what this host knows about
 * one external system in a time window, in one file for the party's
 * incident, and the check that it is what was written.
 *
 * The bundle is a gzip'ed POSIX tar (pax) of regular files, mode 0600:
 *
 *   manifest.json        format, system (entity, contact, demarcation),
 *                        window, host, when and by whom it was made, the
 *                        policy in force (serial, digest), the audit log's
 *                        verification, where each member came from, and
 *                        every other member's name, size, SHA-256, records
 *   policy-entry.json    the system as the policy in force has it: owner,
 *                        contact, agreement, demarcation, validity,
 *                        limits, auto-block, devices with their addresses,
 *                        conduits
 *   audit.jsonl          the audit records of the window that name the
 *                        system or one of its devices, and the host-wide
 *                        ones (naming no system or device: loads, island,
 *                        daemon start and stop, seals), as written (seq
 *                        and mac: checkable against the whole log)
 *   blocks.json          its blocks in force now
 *   blocks-history.jsonl its block transitions in the window
 *   flows.jsonl          meterwalld's flow records of its devices that
 *                        overlap the window (flows.jsonl.1, flows.jsonl)
 *   events.jsonl         meterwalld's events of the window naming it or
 *                        its devices (mwctl's audit records it passes on
 *                        too), and the host-wide ones (naming no system
 *                        or device: start, stop, seals)
 *   counters.json        XDP's counters of its devices and conduits now
 *                        (totals since the maps were made), or why not
 *
 * JSON lines are copied byte for byte from their files.  The window is
 * inclusive at both ends; a flow record belongs when [first, last]
 * overlaps it.  Nothing in another party's name is included.
 *
 * Functions return 0 or -errno.  mw_evidence_create reports through the
 * controller (ctl.h); mw_evidence_verify needs no controller.
 */
#ifndef MW_EVIDENCE_H
#define MW_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MW_EVIDENCE_FORMAT	"meterwall-evidence/1"
#define MW_EVIDENCE_MANIFEST	"manifest.json"
/* a member larger than this is refused when verifying */
#define MW_EVIDENCE_MANIFEST_MAX	(16u << 20)

struct mw_ctl;

struct mw_evidence_opts {
	const char *system;		/* its name */
	int64_t since_ns, until_ns;	/* unix ns, inclusive */
	const char *out;		/* the bundle's path */
	bool force;			/* replace an existing file */
	const char *key;		/* the audit chain's initial key (a file
					 * as `mwctl audit init' writes it);
					 * NULL: the chain's structure only */
};

struct mw_evidence_result {
	unsigned int members;		/* manifest.json included */
	uint64_t audit, history, blocks, flows, events;	/* records */
	bool counters;			/* XDP's counters were read */
	bool in_policy;			/* the system is in the policy in force */
	const char *audit_check;	/* "chain", "structure", "failed",
					 * "absent" */
	char manifest_sha256[65];
	char bundle_sha256[65];
};

/*
 * Collect, write the bundle (a new file of mode 0600 beside o->out,
 * renamed to it; an existing o->out is refused unless o->force, and a
 * symbolic link or directory always), and audit its creation (action
 * "evidence", object "system:NAME", with the manifest's and the
 * bundle's SHA-256: the bundle anchored in the tamper-evident log).
 */
int mw_evidence_create(struct mw_ctl *c, const struct mw_evidence_opts *o,
		       struct mw_evidence_result *r);

/* One problem verify found: a member by name, and what is wrong. */
typedef void (*mw_evidence_problem_fn)(const char *member, const char *what,
				       void *arg);

struct mw_evidence_check {
	char system[64];
	int64_t since_ns, until_ns, created_ns;
	unsigned int members;		/* listed in the manifest */
	unsigned int good;		/* ... found with their size and hash */
	unsigned int problems;
	char manifest_sha256[65];
	char why[256];			/* when the bundle cannot be checked */
};

/*
 * Read the bundle at path, hash every member and compare with its
 * manifest: a member changed (size or SHA-256), missing, added, present
 * twice, or not a regular file is a problem, each reported to fn (may
 * be NULL) with its name.  0: every member as listed; -EBADMSG: problems
 * (counted), or no usable manifest (why); another -errno: the file
 * cannot be read (why).
 */
int mw_evidence_verify(const char *path, mw_evidence_problem_fn fn,
		       void *arg, struct mw_evidence_check *chk);

/*
 * The audit record that anchors a bundle: the "evidence" record of the
 * audit log at log_path naming manifest_sha256.  0 and its seq, -ENOENT
 * when there is none, or another -errno.  (A manifest changed with its
 * members' hashes is found this way: the bundle alone cannot tell.)
 */
int mw_evidence_anchor(const char *log_path, const char *manifest_sha256,
		       uint64_t *seq);

#endif

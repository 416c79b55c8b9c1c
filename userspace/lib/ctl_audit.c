// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's audit records (ctl.h): the log directory's audit.log
 * in the chain of audit.h, its key state in the state directory.
 *
 *   state directory
 *     audit.key    seq, the current key, the last mac (audit.h)
 *     audit.key0   the initial key of a chain started without `mwctl
 *                  audit init' (no key state yet), until `mwctl audit
 *                  init' exports it and removes it from the host
 *
 * A chain starts at `mwctl audit init', or at the first record when
 * there is no key state (a warning says that the initial key is on the
 * host); an audit.log found then is kept aside, never rewritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "ctl_int.h"
#include "timefmt.h"

#define MAX_PAIRS	16

struct audit_paths {
	char log[600];
	char state[600];
	char key0[600];
};

/* The paths, the directories created and checked; the lock is held on
 * success. */
static int paths_lock(struct mw_ctl *c, struct audit_paths *p)
{
	int err;

	err = mw_ctl_lock(c);
	if (err)
		return err;
	err = ctl_log_dir(c);
	if (!err)
		err = ctl_state_path(c, p->state, sizeof(p->state), "audit.key");
	if (!err)
		err = ctl_state_path(c, p->key0, sizeof(p->key0), "audit.key0");
	if (!err && (size_t)snprintf(p->log, sizeof(p->log), "%s/audit.log",
				     c->log_dir) >= sizeof(p->log))
		err = -ENAMETOOLONG;
	if (err)
		mw_ctl_unlock(c);
	return err;
}

/* A new file of 0600, never an existing one or a symbolic link. */
static int write_new(const char *path, const char *data, size_t len)
{
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	errno = ENOSPC;		/* a short write sets none */
	if (write(fd, data, len) != (ssize_t)len)
		err = -errno;
	else if (fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

static int key_file_write(const char *path, const uint8_t *key)
{
	char hex[2 * MW_AUDIT_KEY_LEN + 2];
	int err;

	mw_audit_key_hex(key, hex);
	strcat(hex, "\n");
	err = write_new(path, hex, sizeof(hex) - 1);
	OPENSSL_cleanse(hex, sizeof(hex));
	return err;
}

/* Overwritten, then removed. */
static void key_file_destroy(const char *path)
{
	static const char zeros[2 * MW_AUDIT_KEY_LEN + 1];
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, zeros, sizeof(zeros)) == (ssize_t)sizeof(zeros))
			fsync(fd);
		close(fd);
	}
	unlink(path);
}

/* audit.log kept aside as audit.log.TIME[-N] (never replacing a file);
 * its new name in moved ("" when there was none). */
static int log_aside(const char *log, char *moved, size_t len)
{
	char t[MW_TIME_LEN];
	struct stat st;
	int i;

	*moved = '\0';
	if (lstat(log, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	mw_time_format(mw_now_unix_ns(), 0, 0, t, sizeof(t));
	for (i = 0; i < 100; i++) {
		if ((size_t)snprintf(moved, len, i ? "%s.%s-%d" : "%s.%s", log,
				     t, i) >= len)
			return -ENAMETOOLONG;
		if (!renameat2(AT_FDCWD, log, AT_FDCWD, moved,
			       RENAME_NOREPLACE))
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* A new chain from key0: the old log kept aside, a fresh key state. */
static int chain_new(const struct audit_paths *p, const uint8_t *key0,
		     char *moved, size_t len)
{
	struct mw_audit_state st = { 0 };
	int err;

	err = log_aside(p->log, moved, len);
	if (err)
		return err;
	memcpy(st.key, key0, sizeof(st.key));
	err = mw_audit_state_write(p->state, &st);
	mw_audit_state_wipe(&st);
	return err;
}

/* No key state: a chain starts here, its initial key left on the host
 * (audit.key0) until `mwctl audit init' takes it off; its first record
 * says so. */
static int chain_auto(struct mw_ctl *c, const struct audit_paths *p,
		      struct mw_audit_state *st, const struct mw_audit_rec *as)
{
	char moved[700], reason[1500];
	struct mw_audit_rec r = {
		"audit-init", "audit.log", reason, "ok", as->uid, as->claimed,
	};
	int err;

	err = mw_audit_new_key(st->key);
	if (!err) {
		unlink(p->key0);
		err = key_file_write(p->key0, st->key);
	}
	if (!err)
		err = chain_new(p, st->key, moved, sizeof(moved));
	mw_audit_state_wipe(st);
	if (err)
		return err;
	ctl_say(c, MW_CTL_WARNING, NULL,
		"warning: the audit log starts a new chain%s%s, and its initial key is on this host (%s): run `mwctl audit init' to take it off",
		*moved ? "; the previous log is kept as " : "", moved, p->key0);
	snprintf(reason, sizeof(reason),
		 "no key state: a new chain, its initial key on this host until `mwctl audit init'%s%s",
		 *moved ? "; the previous log is kept as " : "", moved);
	err = mw_audit_state_read(p->state, st);
	if (!err)
		err = mw_audit_append(&(struct mw_audit_files){ p->log, p->state },
				      st, &r, NULL, NULL, 0);
	return err;
}

static int vaudit(struct mw_ctl *c, const struct mw_audit_rec *proto,
		  va_list ap)
{
	const char *kv[2 * MAX_PAIRS + 1];
	struct mw_audit_rec r = *proto;
	struct mw_audit_state st;
	struct audit_paths p;
	char note[768];
	int n = 0, err;

	while (n < 2 * MAX_PAIRS && (kv[n] = va_arg(ap, const char *))) {
		kv[n + 1] = va_arg(ap, const char *);
		n += 2;
	}
	kv[n] = NULL;
	r.kv = kv;
	r.uid = getuid();
	r.claimed = c->claimed_user;
	err = paths_lock(c, &p);
	if (err)
		return err;
	err = mw_audit_state_read(p.state, &st);
	if (err == -ENOENT)
		err = chain_auto(c, &p, &st, &r);
	if (!err) {
		err = mw_audit_append(&(struct mw_audit_files){ p.log, p.state },
				      &st, &r, NULL, note, sizeof(note));
		if (*note)
			ctl_say(c, MW_CTL_WARNING, NULL, "alert: %s", note);
	}
	mw_audit_state_wipe(&st);
	mw_ctl_unlock(c);
	return err;
}

int mw_ctl_audit(struct mw_ctl *c, const char *action, const char *object,
		 const char *reason, const char *result, ...)
{
	struct mw_audit_rec r = { action, object, reason, result };
	va_list ap;
	int err;

	va_start(ap, result);
	err = vaudit(c, &r, ap);
	va_end(ap);
	if (err)
		ctl_say(c, MW_CTL_WARNING, NULL,
			"alert: %s %s (%s): its audit record could not be written to %s/audit.log (%s)",
			action, object ? object : "", result, c->log_dir,
			strerror(-err));
	return err;
}

int ctl_audit_first(struct mw_ctl *c, const char *what, const char *action,
		    const char *object, const char *reason, ...)
{
	struct mw_audit_rec r = { action, object, reason, "pending" };
	va_list ap;
	int err;

	va_start(ap, reason);
	err = vaudit(c, &r, ap);
	va_end(ap);
	if (err)
		ctl_fail(c, err, NULL,
			 "error: refusing to %s: its audit record cannot be written first (%s/audit.log: %s)",
			 what, c->log_dir, strerror(-err));
	return err;
}

const char *ctl_audit_why(struct mw_ctl *c, int err)
{
	if (!err)
		return "";
	return strncmp(c->err, "error: ", 7) ? c->err : c->err + 7;
}

void ctl_audit_refused(struct mw_ctl *c, const char *action,
		       const char *object)
{
	char why[sizeof(c->err)];

	snprintf(why, sizeof(why), "%s", ctl_audit_why(c, -1));
	mw_ctl_audit(c, action, object, why, "refused", NULL);
}

int mw_ctl_audit_seal(struct mw_ctl *c, const char *reason)
{
	return mw_ctl_audit(c, "seal", "audit.log", reason, "ok", NULL);
}

/* `mwctl audit init': the initial key of a chain started here exported,
 * or a new chain (none yet, or force). */
static int init_locked(struct mw_ctl *c, const struct audit_paths *p,
		       bool force, const char *out, uint8_t *key0,
		       bool *exported)
{
	struct mw_audit_state st;
	char moved[700], reason[1500] = "a new chain", was[64] = "";
	struct stat sb;
	int err;

	*exported = false;
	err = mw_audit_state_read(p->state, &st);
	if (!err)
		snprintf(was, sizeof(was), ", %" PRIu64 " records by its key state",
			 st.seq);
	mw_audit_state_wipe(&st);
	if (!err && !force && !mw_audit_key_read(p->key0, key0)) {
		*exported = true;
		err = out ? key_file_write(out, key0) : 0;
		if (err)
			return ctl_fail(c, err, out, "error: cannot write the key: %s",
					strerror(-err));
		key_file_destroy(p->key0);
		return mw_ctl_audit(c, "audit-init", "audit.log",
				    "the initial key was exported and removed from this host",
				    "ok", NULL);
	}
	if (!err && !force)
		return ctl_fail(c, -EEXIST, NULL,
				"error: the audit log is initialised already (%s) and its initial key was taken off this host: --force starts a new chain (the log is kept aside)",
				p->state);
	if (err == -ENOENT && !force && !stat(p->log, &sb) && sb.st_size)
		return ctl_fail(c, -EEXIST, NULL,
				"error: %s holds records but there is no key state (%s): --force starts a new chain (the log is kept aside)",
				p->log, p->state);
	if (err && err != -ENOENT && !force)
		return ctl_fail(c, err, NULL,
				"error: the key state %s cannot be read (%s): --force starts a new chain (the log is kept aside)",
				p->state, strerror(-err));
	err = mw_audit_new_key(key0);
	if (!err && out && (err = key_file_write(out, key0)))
		return ctl_fail(c, err, out, "error: cannot write the key: %s",
				strerror(-err));
	if (!err)
		err = chain_new(p, key0, moved, sizeof(moved));
	if (err) {
		if (out)
			key_file_destroy(out);
		return ctl_fail(c, err, NULL, "error: cannot start the audit chain: %s",
				strerror(-err));
	}
	key_file_destroy(p->key0);
	if (*moved)
		snprintf(reason, sizeof(reason),
			 "%sa new chain; the previous log (%s%s) is kept as %s",
			 force ? "forced: " : "", p->log, was, moved);
	return mw_ctl_audit(c, "audit-init", "audit.log", reason, "ok", NULL);
}

int mw_ctl_audit_init(struct mw_ctl *c, bool force, const char *out,
		      uint8_t key0[MW_AUDIT_KEY_LEN], bool *exported)
{
	struct audit_paths p;
	int err;

	err = paths_lock(c, &p);
	if (err)
		return err;
	err = init_locked(c, &p, force, out, key0, exported);
	mw_ctl_unlock(c);
	return err;
}

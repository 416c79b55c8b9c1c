// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's handle, its directories and files, the state lock, the
 * image in force, target names and the time helpers (ctl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_int.h"
#include "fileio.h"

/* --- handle, messages ------------------------------------------------- */

static int set_dir(char *dst, size_t len, const char *given, const char *var,
		   const char *def)
{
	const char *v = given ? given : getenv(var);

	if (!v || !*v)
		v = def;
	return (size_t)snprintf(dst, len, "%s", v) >= len ? -ENAMETOOLONG : 0;
}

int mw_ctl_open(const struct mw_ctl_opts *o, struct mw_ctl **out)
{
	static const struct mw_ctl_opts none;
	struct mw_ctl *c;
	int err;

	if (!o)
		o = &none;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = set_dir(c->state_dir, sizeof(c->state_dir), o->state_dir,
		      "MW_STATE_DIR", "/var/lib/meterwall");
	if (!err)
		err = set_dir(c->log_dir, sizeof(c->log_dir), o->log_dir,
			      "MW_LOG_DIR", "/var/log/meterwall");
	if (!err)
		err = set_dir(c->pin_dir, sizeof(c->pin_dir), o->pin_dir,
			      "MW_PIN_DIR", MW_XDP_PIN_DIR);
	if (err) {
		free(c);
		return err;
	}
	snprintf(c->claimed_user, sizeof(c->claimed_user), "%s",
		 o->claimed_user ? o->claimed_user : "");
	c->report = o->report;
	c->report_arg = o->report_arg;
	c->lock_fd = -1;
	c->state_checked = c->log_checked = 1;
	*out = c;
	return 0;
}

void mw_ctl_close(struct mw_ctl *c)
{
	if (!c)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c);
}

const char *mw_ctl_errmsg(const struct mw_ctl *c)
{
	return c->err;
}

const char *mw_ctl_state_dir(const struct mw_ctl *c)
{
	return c->state_dir;
}

const char *mw_ctl_pin_dir(const struct mw_ctl *c)
{
	return c->pin_dir;
}

const char *mw_ctl_log_dir(const struct mw_ctl *c)
{
	return c->log_dir;
}

bool mw_ctl_events_taken(const struct mw_ctl *c)
{
	char path[600];
	bool taken;
	int fd;

	snprintf(path, sizeof(path), "%s/" MW_CTL_EVENTS_LOCK, c->state_dir);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;	/* no daemon ever read them */
	taken = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return taken;
}

static void vsay(struct mw_ctl *c, enum mw_ctl_level level,
		 const char *subject, const char *fmt, va_list ap)
{
	char buf[sizeof(c->err)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (level == MW_CTL_ERROR)
		memcpy(c->err, buf, sizeof(buf));
	if (c->report)
		c->report(level, subject, buf, c->report_arg);
}

void ctl_say(struct mw_ctl *c, enum mw_ctl_level level, const char *subject,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, level, subject, fmt, ap);
	va_end(ap);
}

int ctl_fail(struct mw_ctl *c, int err, const char *subject,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, MW_CTL_ERROR, subject, fmt, ap);
	va_end(ap);
	return err;
}

/* --- directories and files ---------------------------------------------- */

static int mkdir_p(const char *dir)
{
	char buf[512], *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * A directory of state, logs or pins (var names its variable) is refused
 * when it is a symbolic link, not a directory, owned by anyone but root or
 * the caller, or writable by group or others: whoever can write to it can
 * swap the policy image, drop blocks, rewrite the audit log or replace the
 * maps.  A missing directory is 0 with missing_ok.
 */
static int dir_refused(struct mw_ctl *c, const char *dir, const char *var,
		       bool missing_ok)
{
	const char *why = NULL;
	struct stat st;
	int err;

	if (lstat(dir, &st) < 0) {
		err = -errno;
		if (err == -ENOENT && missing_ok)
			return 0;
		return ctl_fail(c, err, NULL, "error: %s (%s): %s", dir, var,
				strerror(-err));
	}
	if (S_ISLNK(st.st_mode))
		why = "is a symbolic link";
	else if (!S_ISDIR(st.st_mode))
		why = "is not a directory";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		why = "is not owned by root";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		why = "is writable by group or others";
	if (!why)
		return 0;
	return ctl_fail(c, -EPERM, NULL, "error: refusing %s (%s): it %s (uid %u, mode %04o); it must be a directory of root's, mode 0750 or stricter",
			dir, var, why, (unsigned int)st.st_uid,
			(unsigned int)(st.st_mode & 07777));
}

/* A state or log directory: created 0750 when missing, then checked
 * (dir_refused); once per handle. */
static int secure_dir(struct mw_ctl *c, const char *dir, const char *var,
		      int *checked)
{
	int err;

	if (*checked <= 0)
		return *checked;
	err = mkdir_p(dir);
	if (err)
		return *checked = ctl_fail(c, err, NULL,
					   "error: cannot create %s (%s): %s",
					   dir, var, strerror(-err));
	return *checked = dir_refused(c, dir, var, false);
}

int ctl_state_path(struct mw_ctl *c, char *buf, size_t len, const char *name)
{
	int err = secure_dir(c, c->state_dir, "MW_STATE_DIR",
			     &c->state_checked);

	if (err)
		return err;
	if ((size_t)snprintf(buf, len, "%s/%s", c->state_dir, name) >= len)
		return ctl_fail(c, -ENAMETOOLONG, NULL, "error: %s: path too long",
				c->state_dir);
	return 0;
}

int ctl_log_dir(struct mw_ctl *c)
{
	return secure_dir(c, c->log_dir, "MW_LOG_DIR", &c->log_checked);
}

/* --- the state lock ------------------------------------------------------- */

int mw_ctl_lock(struct mw_ctl *c)
{
	char path[512];
	int err;

	if (c->lock_depth) {
		c->lock_depth++;
		return 0;
	}
	err = ctl_state_path(c, path, sizeof(path), "lock");
	if (err)
		return err;
	if (c->lock_fd < 0) {
		c->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
				  O_CLOEXEC, 0600);
		if (c->lock_fd < 0) {
			err = -errno;
			return ctl_fail(c, err, NULL,
					"error: cannot open the lock %s: %s",
					path, strerror(-err));
		}
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			ctl_say(c, MW_CTL_NOTE, NULL,
				"waiting for another mwctl or meterwalld (%s)",
				path);
		while ((err = flock(c->lock_fd, LOCK_EX)) < 0 &&
		       errno == EINTR)
			;
		if (err) {
			err = -errno;
			return ctl_fail(c, err, NULL,
					"error: cannot lock %s: %s", path,
					strerror(-err));
		}
	}
	c->lock_depth = 1;
	return 0;
}

void mw_ctl_unlock(struct mw_ctl *c)
{
	if (c->lock_depth && !--c->lock_depth)
		flock(c->lock_fd, LOCK_UN);
}

/* --- handles ----------------------------------------------------------------- */

int mw_ctl_xdp(struct mw_ctl *c, unsigned int flags, uint32_t flow_entries,
	       struct mw_xdp **x)
{
	struct mw_xdp_opts o = {
		.pin_dir = c->pin_dir,
		.flags = flags,
		.flow_entries_new = flow_entries,
	};
	struct mw_xdp_status st;
	char err[512] = "";
	int ret;

	/* the library creates a missing one (0700, on bpffs) */
	ret = dir_refused(c, c->pin_dir, "MW_PIN_DIR", true);
	if (ret)
		return ret;
	ret = mw_xdp_open(&o, x, err, sizeof(err));
	if (ret)
		return ctl_fail(c, ret, NULL, "%s",
				err[0] ? err : strerror(-ret));
	if (flow_entries && !mw_xdp_status(*x, &st) &&
	    st.flow_entries != mw_xdp_flow_rows(flow_entries))
		ctl_say(c, MW_CTL_NOTE, NULL,
			"note: the flow table keeps its %u rows per CPU, not the %u of the policy's flow_entries: it is sized when created (detach every interface and remove %s to resize it)",
			st.flow_entries, mw_xdp_flow_rows(flow_entries),
			c->pin_dir);
	return 0;
}

struct mw_nl *mw_ctl_kmod(struct mw_ctl *c)
{
	struct mw_nl *nl;

	(void)c;
	return mw_nl_open(&nl) ? NULL : nl;
}

int ctl_points_open(struct mw_ctl *c, struct ctl_points *p)
{
	int err;

	p->x = NULL;
	p->nl = NULL;
	err = mw_ctl_lock(c);
	if (err)
		return err;
	err = mw_ctl_xdp(c, MW_XDP_F_NO_PROG, 0, &p->x);
	if (err) {
		mw_ctl_unlock(c);
		return err;
	}
	p->nl = mw_ctl_kmod(c);
	return 0;
}

void ctl_points_close(struct mw_ctl *c, struct ctl_points *p)
{
	mw_nl_close(p->nl);
	mw_xdp_close(p->x);
	p->nl = NULL;
	p->x = NULL;
	mw_ctl_unlock(c);
}

/* --- the image in force ------------------------------------------------------ */

int mw_ctl_active_image(struct mw_ctl *c, struct mw_image *img,
			struct mw_image_view *v)
{
	const char *why = NULL;
	struct stat st;
	char path[512];
	int err;

	err = ctl_state_path(c, path, sizeof(path), "policy.img");
	if (err)
		return err;
	if (!lstat(path, &st) && S_ISLNK(st.st_mode))
		return ctl_fail(c, -ELOOP, NULL,
				"error: refusing %s: it is a symbolic link",
				path);
	err = mw_image_read_file(path, img);
	if (err == -ENOENT)
		return err;
	if (err)
		return ctl_fail(c, err, NULL,
				"error: cannot read the policy in force %s: %s",
				path, strerror(-err));
	err = mw_image_view(img->data, img->len, v, &why);
	if (err) {
		mw_image_free(img);
		return ctl_fail(c, err, NULL, "error: %s: %s", path, why);
	}
	return 0;
}

int ctl_save_image(struct mw_ctl *c, const struct mw_image *img)
{
	char path[512];
	int err = ctl_state_path(c, path, sizeof(path), "policy.img");

	return err ? err : mw_replace_file(path, img->data, img->len, 0600);
}

/* --- names ----------------------------------------------------------------- */

const char *mw_ctl_bare_name(const char *name)
{
	if (!strncmp(name, "system:", 7) || !strncmp(name, "device:", 7))
		return name + 7;
	return name;
}

const char *mw_ctl_kind_name(enum mw_target kind)
{
	return kind == MW_TARGET_SYSTEM ? "system" : "device";
}

const char *mw_ctl_cause_name(enum mw_block_cause cause)
{
	switch (cause) {
	case MW_BLOCK_OPERATOR: return "manual";
	case MW_BLOCK_THRESHOLD: return "threshold";
	case MW_BLOCK_INCIDENT: return "incident";
	default: return "unknown";
	}
}

int mw_ctl_resolve(struct mw_ctl *c, const struct mw_image_view *v,
		   const char *name, enum mw_target *kind, uint32_t *id)
{
	const struct mw_img_system *s = NULL;
	const struct mw_img_device *d = NULL;

	if (!strncmp(name, "system:", 7)) {
		s = mw_image_system_by_name(v, name + 7);
	} else if (!strncmp(name, "device:", 7)) {
		d = mw_image_device_by_name(v, name + 7);
	} else {
		s = mw_image_system_by_name(v, name);
		d = mw_image_device_by_name(v, name);
		if (s && d)
			return ctl_fail(c, -EINVAL, NULL,
					"`%s' names a system and a device: say system:%s or device:%s",
					name, name, name);
	}
	if (s || d) {
		*kind = s ? MW_TARGET_SYSTEM : MW_TARGET_DEVICE;
		*id = s ? s->id : d->id;
		return 0;
	}
	return ctl_fail(c, -ENOENT, NULL,
			"no system or device named `%s' in the policy in force",
			name);
}

/* --- time -------------------------------------------------------------------- */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t mw_now_unix_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t mw_now_boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

int mw_parse_duration(const char *s, uint64_t *secs)
{
	unsigned long long v;
	char *end;
	uint64_t mul;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || v == 0)
		return -EINVAL;
	if (!strcmp(end, "s") || !*end)
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else if (!strcmp(end, "d"))
		mul = 86400;
	else
		return -EINVAL;
	if (__builtin_mul_overflow(v, mul, secs))
		return -ERANGE;
	return 0;
}

int mw_block_until(uint64_t secs, uint64_t *until_ns)
{
	int64_t now = mw_now_boot_ns();
	uint64_t ns;

	if (__builtin_mul_overflow(secs, 1000000000ULL, &ns) ||
	    ns > (uint64_t)(INT64_MAX - now))
		return -ERANGE;
	*until_ns = (uint64_t)now + ns;
	return 0;
}

uint64_t mw_block_unix_time(uint64_t until_boot_ns)
{
	return until_boot_ns ? until_boot_ns +
			       (uint64_t)mw_xdp_clock_offset() : 0;
}

uint64_t mw_block_max_days(void)
{
	return (uint64_t)(INT64_MAX - mw_now_boot_ns()) / 1000000000ULL / 86400;
}

const char *ctl_boot_id(struct mw_ctl *c)
{
	char *id = c->boot_id;
	FILE *f;

	if (c->boot_id_read)
		return id;
	c->boot_id_read = true;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return id;
	if (!fgets(id, sizeof(c->boot_id), f) ||
	    strlen(id) != MW_CTL_BOOT_ID_LEN ||
	    strspn(id, "0123456789abcdef-") != MW_CTL_BOOT_ID_LEN)
		id[0] = '\0';
	fclose(f);
	return id;
}

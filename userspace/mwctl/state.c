// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mwctl.h"
#include "state.h"

static const char *env_or(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

const char *state_dir(void)
{
	return env_or("MW_STATE_DIR", "/var/lib/meterwall");
}

const char *pin_dir(void)
{
	return env_or("MW_PIN_DIR", MW_XDP_PIN_DIR);
}

static const char *log_dir(void)
{
	return env_or("MW_LOG_DIR", "/var/log/meterwall");
}

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
 * maps.  Prints why.  A missing directory is 0 with missing_ok.
 */
static int dir_refused(const char *dir, const char *var, bool missing_ok)
{
	const char *why = NULL;
	struct stat st;
	int err;

	if (lstat(dir, &st) < 0) {
		err = -errno;
		if (err == -ENOENT && missing_ok)
			return 0;
		fprintf(stderr, "%s: error: %s (%s): %s\n", prog_name, dir, var,
			strerror(-err));
		return err;
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
	fprintf(stderr, "%s: error: refusing %s (%s): it %s (uid %u, mode %04o); it must be a directory of root's, mode 0750 or stricter\n",
		prog_name, dir, var, why, (unsigned int)st.st_uid,
		(unsigned int)(st.st_mode & 07777));
	return -EPERM;
}

/* A state or log directory: created 0750 when missing, then checked
 * (dir_refused); once per run. */
static int secure_dir(const char *dir, const char *var, int *checked)
{
	int err;

	if (*checked <= 0)
		return *checked;
	err = mkdir_p(dir);
	if (err) {
		fprintf(stderr, "%s: error: cannot create %s (%s): %s\n",
			prog_name, dir, var, strerror(-err));
		return *checked = err;
	}
	return *checked = dir_refused(dir, var, false);
}

int state_path(char *buf, size_t len, const char *name)
{
	static int checked = 1;
	int err = secure_dir(state_dir(), "MW_STATE_DIR", &checked);

	if (err)
		return err;
	if ((size_t)snprintf(buf, len, "%s/%s", state_dir(), name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int state_lock(void)
{
	static int fd = -1;
	char path[512];
	int err;

	if (fd >= 0)
		return 0;
	err = state_path(path, sizeof(path), "lock");
	if (err == -ENAMETOOLONG)
		fprintf(stderr, "%s: error: %s: path too long\n", prog_name,
			state_dir());
	if (err)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "%s: error: cannot open the lock %s: %s\n",
			prog_name, path, strerror(-err));
		return err;
	}
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return 0;	/* held until exit */
	if (errno == EWOULDBLOCK)
		fprintf(stderr, "%s: waiting for another mwctl (%s)\n",
			prog_name, path);
	while ((err = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (!err)
		return 0;
	err = -errno;
	fprintf(stderr, "%s: error: cannot lock %s: %s\n", prog_name, path,
		strerror(-err));
	close(fd);
	fd = -1;
	return err;
}

/* fsync a directory: a rename in it is durable once this returns. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Replace dir/name by len bytes of data, atomically and durably: a fresh
 * file of a unique name (mkstemp: O_EXCL, mode 0600) in the same
 * directory, written and fsynced, renamed over name, and the directory
 * fsynced.  On failure the old file is untouched.
 */
static int replace_file(const char *dir, const char *name, const void *data,
			size_t len)
{
	char tmp[600], path[600];
	const char *p = data;
	int fd, err = 0;
	ssize_t n;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
	    sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		n = write(fd, p, len);
		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			p += n, len -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return sync_dir(dir);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t now_unix_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t now_boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

int parse_duration(const char *s, uint64_t *secs)
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

int block_until(uint64_t secs, uint64_t *until_ns)
{
	int64_t now = now_boot_ns();
	uint64_t ns;

	if (__builtin_mul_overflow(secs, 1000000000ULL, &ns) ||
	    ns > (uint64_t)(INT64_MAX - now))
		return -ERANGE;
	*until_ns = (uint64_t)now + ns;
	return 0;
}

uint64_t block_max_days(void)
{
	return (uint64_t)(INT64_MAX - now_boot_ns()) / 1000000000ULL / 86400;
}

/* The flow table's pin name (the map list in xdp.h). */
#define MW_XDP_FLOW_PIN		"flow_tab"

/* Rows per CPU the library makes of a flow_entries request (xdp.h). */
static uint32_t flow_rows(uint32_t want)
{
	unsigned int bits = MW_XDP_FLOW_MIN_BITS;

	while (bits < MW_XDP_FLOW_MAX_BITS && (1U << bits) < want)
		bits++;
	return 1U << bits;
}

int xdp_open(struct mw_xdp **x, unsigned int flags, uint32_t flow_entries)
{
	struct mw_xdp_opts o = { .pin_dir = pin_dir(), .flags = flags };
	char err[512] = "", path[512];
	struct mw_xdp_status st;
	int ret;

	/* the library creates a missing one (0700, on bpffs) */
	ret = dir_refused(pin_dir(), "MW_PIN_DIR", true);
	if (ret)
		return ret;
	/* the flow table is sized from the policy when the maps are created;
	 * pinned maps keep their size (re-create them to resize) */
	snprintf(path, sizeof(path), "%s/" MW_XDP_FLOW_PIN, pin_dir());
	if (flow_entries && access(path, F_OK))
		o.flow_entries = flow_entries;

	ret = mw_xdp_open(&o, x, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog_name,
			err[0] ? err : strerror(-ret));
		return ret;
	}
	if (flow_entries && !o.flow_entries && !mw_xdp_status(*x, &st) &&
	    st.flow_entries != flow_rows(flow_entries))
		fprintf(stderr, "%s: note: the flow table keeps its %u rows per CPU, not the %u of the policy's flow_entries: it is sized when created (detach every interface and remove %s to resize it)\n",
			prog_name, st.flow_entries, flow_rows(flow_entries),
			pin_dir());
	return 0;
}

int active_image(struct mw_image *img, struct mw_image_view *v)
{
	const char *why = NULL;
	struct stat st;
	char path[512];
	int err;

	err = state_path(path, sizeof(path), "policy.img");
	if (err)
		return err;
	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		fprintf(stderr, "%s: error: refusing %s: it is a symbolic link\n",
			prog_name, path);
		return -ELOOP;
	}
	err = mw_image_read_file(path, img);
	if (err) {
		if (err != -ENOENT)
			fprintf(stderr, "%s: error: cannot read the policy in force %s: %s\n",
				prog_name, path, strerror(-err));
		return err;
	}
	err = mw_image_view(img->data, img->len, v, &why);
	if (err) {
		fprintf(stderr, "%s: error: %s: %s\n", prog_name, path, why);
		mw_image_free(img);
	}
	return err;
}

int save_active_image(const struct mw_image *img)
{
	char path[512];
	int err = state_path(path, sizeof(path), "policy.img");

	return err ? err : replace_file(state_dir(), "policy.img", img->data,
					img->len);
}

int resolve_target(const struct mw_image_view *v, const char *name,
		   enum mw_target *kind, uint32_t *id)
{
	const struct mw_img_system *s = NULL;
	const struct mw_img_device *d = NULL;

	if (!strncmp(name, "system:", 7))
		s = mw_image_system_by_name(v, name + 7);
	else if (!strncmp(name, "device:", 7))
		d = mw_image_device_by_name(v, name + 7);
	else {
		s = mw_image_system_by_name(v, name);
		d = mw_image_device_by_name(v, name);
		if (s && d) {
			fprintf(stderr, "%s: `%s' names a system and a device: say system:%s or device:%s\n",
				prog_name, name, name, name);
			return -EINVAL;
		}
	}
	if (s) {
		*kind = MW_TARGET_SYSTEM;
		*id = s->id;
		return 0;
	}
	if (d) {
		*kind = MW_TARGET_DEVICE;
		*id = d->id;
		return 0;
	}
	fprintf(stderr, "%s: no system or device named `%s' in the policy in force\n",
		prog_name, name);
	return -ENOENT;
}

/* --- persisted blocks ------------------------------------------------- */

/*
 * One line of the blocks file:
 *   system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID]
 * The unix time is for people and for other boots; within the boot that
 * wrote it (BOOT_ID, /proc/sys/kernel/random/boot_id) the boot clock
 * value is used as it is, so no clock step moves a block.
 */
#define BOOT_ID_LEN	36

struct block_line {
	enum mw_target kind;
	char name[MW_NAME_MAX];
	uint64_t until;			/* unix ns, 0 = until unblocked */
	unsigned int cause;
	uint64_t until_boot;		/* boot ns, valid in boot_id */
	char boot_id[BOOT_ID_LEN + 1];	/* "" when not recorded */
};

/* This boot's id ("" when unknown: every line then counts as another
 * boot's, which only costs the conversion through the wall clock). */
static const char *boot_id(void)
{
	static char id[BOOT_ID_LEN + 1];
	static bool done;
	FILE *f;

	if (done)
		return id;
	done = true;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return id;
	if (!fgets(id, sizeof(id), f) || strlen(id) != BOOT_ID_LEN ||
	    strspn(id, "0123456789abcdef-") != BOOT_ID_LEN)
		id[0] = '\0';
	fclose(f);
	return id;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* A block line (s is modified); -EINVAL if it is not one. */
static int parse_line(char *s, struct block_line *b)
{
	char *f[7], *save = NULL;
	uint64_t cause;
	int n;

	for (n = 0; n < 7; n++)
		f[n] = strtok_r(n ? NULL : s, " \t", &save);
	if (!f[3] || f[6] || (f[4] && !f[5]))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	if (f[4] && (parse_u64(f[4], &b->until_boot) ||
		     strlen(f[5]) != BOOT_ID_LEN ||
		     strspn(f[5], "0123456789abcdef-") != BOOT_ID_LEN))
		return -EINVAL;
	if (f[4])
		strcpy(b->boot_id, f[5]);
	if (!strcmp(f[0], "system"))
		b->kind = MW_TARGET_SYSTEM;
	else if (!strcmp(f[0], "device"))
		b->kind = MW_TARGET_DEVICE;
	else
		return -EINVAL;
	if (strlen(f[1]) >= sizeof(b->name) || parse_u64(f[2], &b->until) ||
	    parse_u64(f[3], &cause) || cause >= __MW_BLOCK_LAST)
		return -EINVAL;
	strcpy(b->name, f[1]);
	b->cause = (unsigned int)cause;
	return 0;
}

static int write_line(FILE *f, const struct block_line *b)
{
	int n = fprintf(f, "%s %s %" PRIu64 " %u",
			b->kind == MW_TARGET_SYSTEM ? "system" : "device",
			b->name, b->until, b->cause);

	if (n >= 0 && b->boot_id[0])
		n = fprintf(f, " %" PRIu64 " %s", b->until_boot, b->boot_id);
	if (n >= 0)
		n = fputc('\n', f);
	return n < 0 ? -EIO : 0;
}

/*
 * The boot clock deadline of a recorded block now: as written in this
 * boot, else converted from the unix time.  false: it has ended.
 */
static bool line_until_boot(const struct block_line *b, uint64_t *until)
{
	int64_t t;

	if (!b->until) {
		*until = 0;
		return true;
	}
	if (b->boot_id[0] && !strcmp(b->boot_id, boot_id())) {
		*until = b->until_boot;
	} else {
		t = (int64_t)b->until - mw_xdp_clock_offset();
		if (b->until > INT64_MAX || t <= 0)
			return false;
		*until = (uint64_t)t;
	}
	return *until > (uint64_t)now_boot_ns();
}

/*
 * Call fn for every line of the blocks file with its block, or with NULL
 * for a line that is not one (reported as file:line, and passed on so a
 * rewrite keeps it for the operator).  No file: no call.  fn returning
 * non-zero stops the walk and is returned.
 */
static int blocks_walk(int (*fn)(const struct block_line *b,
				 const char *raw, void *arg), void *arg)
{
	struct block_line b;
	char path[512], *line = NULL, *copy;
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int fd, err;

	err = state_path(path, sizeof(path), "blocks");
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		fprintf(stderr, "%s: error: cannot open %s: %s\n", prog_name,
			path, err == -ELOOP ? "it is a symbolic link" :
			strerror(-err));
		return err;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		copy = strdup(line);
		if (!copy) {
			err = -ENOMEM;
			break;
		}
		if (parse_line(copy, &b)) {
			fprintf(stderr, "%s:%u: warning: not a block (system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID]): `%s'; kept, and skipped\n",
				path, lineno, line);
			err = fn(NULL, line, arg);
		} else {
			err = fn(&b, line, arg);
		}
		free(copy);
	}
	if (!err && ferror(f)) {
		err = -EIO;
		fprintf(stderr, "%s: error: cannot read %s\n", prog_name, path);
	}
	free(line);
	fclose(f);
	return err;
}

struct rewrite_ctx {
	FILE *out;
	enum mw_target kind;
	const char *name;
};

static int rewrite_one(const struct block_line *b, const char *raw,
		       void *arg)
{
	struct rewrite_ctx *c = arg;

	if (!b)
		return fprintf(c->out, "%s\n", raw) < 0 ? -EIO : 0;
	if (b->kind == c->kind && !strcmp(b->name, c->name))
		return 0;
	return write_line(c->out, b);
}

/*
 * Rewrite the blocks file without (kind, name), plus an optional new line.
 * Callers hold state_lock(), so no concurrent update is lost; the file is
 * replaced atomically (replace_file).
 */
static int blocks_rewrite(enum mw_target kind, const char *name,
			  const struct block_line *add)
{
	struct rewrite_ctx c = { .kind = kind, .name = name };
	char *buf = NULL;
	size_t len = 0;
	int err;

	c.out = open_memstream(&buf, &len);
	if (!c.out)
		return -errno;
	err = blocks_walk(rewrite_one, &c);
	if (!err && add)
		err = write_line(c.out, add);
	if (ferror(c.out) && !err)
		err = -EIO;
	if (fclose(c.out) && !err)
		err = -errno;
	if (!err)
		err = replace_file(state_dir(), "blocks", buf, len);
	free(buf);
	return err;
}

uint64_t block_unix_time(uint64_t until_boot_ns)
{
	return until_boot_ns ? until_boot_ns +
			       (uint64_t)mw_xdp_clock_offset() : 0;
}

int blocks_record(enum mw_target kind, const char *name, uint64_t until_ns,
		  uint64_t until_unix_ns, enum mw_block_cause cause)
{
	struct block_line b = { .kind = kind, .cause = cause,
				.until_boot = until_ns };

	if (strlen(name) >= sizeof(b.name))
		return -ENAMETOOLONG;
	strcpy(b.name, name);
	if (until_ns) {
		b.until = until_unix_ns;
		snprintf(b.boot_id, sizeof(b.boot_id), "%s", boot_id());
	}
	return blocks_rewrite(kind, name, &b);
}

int blocks_forget(enum mw_target kind, const char *name)
{
	return blocks_rewrite(kind, name, NULL);
}

struct mw_nl *kmod_open(void)
{
	struct mw_nl *nl;

	return mw_nl_open(&nl) ? NULL : nl;
}

struct reapply_ctx {
	struct mw_xdp *x;
	struct mw_nl *nl;
	const struct mw_image_view *v;
	int n;
};

static int reapply_one(const struct block_line *b, const char *raw,
		       void *arg)
{
	struct reapply_ctx *c = arg;
	const struct mw_img_system *s = NULL;
	const struct mw_img_device *d = NULL;
	uint64_t until;
	uint32_t id;
	int err;

	(void)raw;
	if (!b || !line_until_boot(b, &until))
		return 0;	/* not a block, or ended: nothing to apply */
	if (b->kind == MW_TARGET_SYSTEM)
		s = mw_image_system_by_name(c->v, b->name);
	else
		d = mw_image_device_by_name(c->v, b->name);
	if (!s && !d)
		return 0;	/* kept on file: the name may come back */
	id = s ? s->id : d->id;
	err = mw_xdp_block(c->x, b->kind, id, until, b->cause);
	if (err) {
		fprintf(stderr, "%s: error: cannot re-apply the block of %s `%s': %s\n",
			prog_name, b->kind == MW_TARGET_SYSTEM ? "system" :
			"device", b->name, mw_xdp_errmsg(c->x));
		return err;
	}
	if (c->nl && (err = mw_nl_block(c->nl, b->kind, id, until,
					b->cause))) {
		fprintf(stderr, "%s: error: the kernel module refused the block of `%s': %s\n",
			prog_name, b->name, strerror(-err));
		return err;
	}
	c->n++;
	return 0;
}

int blocks_reapply(struct mw_xdp *x, struct mw_nl *nl,
		   const struct mw_image_view *v)
{
	struct reapply_ctx c = { x, nl, v, 0 };
	int err = blocks_walk(reapply_one, &c);

	return err ? err : c.n;
}

/* --- audit ------------------------------------------------------------ */

int audit(const char *action, ...)
{
	static int checked = 1;
	const char *user = getenv("SUDO_USER");
	char path[512];
	const char *k;
	struct stat st;
	va_list ap;
	FILE *f;
	int fd, err = secure_dir(log_dir(), "MW_LOG_DIR", &checked);

	if (err)
		return err;
	if ((size_t)snprintf(path, sizeof(path), "%s/audit.log", log_dir()) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* an older file may carry the umask's mode: at most 0640 */
	if ((st.st_mode & 0137) && fchmod(fd, st.st_mode & 0640) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return -errno;
	}
	fprintf(f, "{\"ts_ns\":%lld,\"action\":", (long long)now_unix_ns());
	jp_write_string(f, action);
	fprintf(f, ",\"uid\":%u,\"sudo_user\":", (unsigned int)getuid());
	jp_write_string(f, user ? user : "");
	va_start(ap, action);
	while ((k = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);

		fputc(',', f);
		jp_write_string(f, k);
		fputc(':', f);
		jp_write_string(f, val ? val : "");
	}
	va_end(ap);
	fputs("}\n", f);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	else if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

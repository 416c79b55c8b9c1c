// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int state_path(char *buf, size_t len, const char *name)
{
	int err = mkdir_p(state_dir());

	if (err)
		return err;
	if ((size_t)snprintf(buf, len, "%s/%s", state_dir(), name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int64_t now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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
	if (v > (1ULL << 40) / mul)
		return -ERANGE;
	*secs = v * mul;
	return 0;
}

int xdp_open(struct mw_xdp **x, unsigned int flags, uint32_t flow_entries)
{
	struct mw_xdp_opts o = { .pin_dir = pin_dir(), .flags = flags };
	char err[512] = "", path[512];
	int ret;

	/* the flow table is sized from the policy when the maps are created;
	 * pinned maps keep their size (re-create them to resize) */
	snprintf(path, sizeof(path), "%s/flows", pin_dir());
	if (flow_entries && access(path, F_OK))
		o.flow_entries = flow_entries;

	ret = mw_xdp_open(&o, x, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s: %s\n", prog_name,
			err[0] ? err : strerror(-ret));
	return ret;
}

int active_image(struct mw_image *img, struct mw_image_view *v)
{
	const char *why = NULL;
	char path[512];
	int err;

	err = state_path(path, sizeof(path), "policy.img");
	if (err)
		return err;
	err = mw_image_read_file(path, img);
	if (err)
		return err;
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

	return err ? err : mw_image_write_file(path, img);
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

struct block_line {
	enum mw_target kind;
	char name[MW_NAME_MAX];
	uint64_t until;
	unsigned int cause;
};

static int read_line(FILE *f, struct block_line *b)
{
	char kind[16];

	if (fscanf(f, "%15s %63s %lu %u", kind, b->name, &b->until, &b->cause) != 4)
		return -1;
	b->kind = !strcmp(kind, "system") ? MW_TARGET_SYSTEM : MW_TARGET_DEVICE;
	return 0;
}

/* Rewrite the blocks file without (kind, name), plus an optional new line. */
static int blocks_rewrite(enum mw_target kind, const char *name,
			  const struct block_line *add)
{
	char path[512], tmp[600];
	struct block_line b;
	FILE *in, *out;
	int err;

	err = state_path(path, sizeof(path), "blocks");
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = fopen(tmp, "w");
	if (!out)
		return -errno;
	in = fopen(path, "r");
	while (in && !read_line(in, &b))
		if (b.kind != kind || strcmp(b.name, name))
			fprintf(out, "%s %s %lu %u\n", b.kind == MW_TARGET_SYSTEM ?
				"system" : "device", b.name, b.until, b.cause);
	if (in)
		fclose(in);
	if (add)
		fprintf(out, "%s %s %lu %u\n", add->kind == MW_TARGET_SYSTEM ?
			"system" : "device", add->name, add->until, add->cause);
	if (fflush(out) || fsync(fileno(out))) {
		err = -errno;
		fclose(out);
		unlink(tmp);
		return err;
	}
	fclose(out);
	return rename(tmp, path) ? -errno : 0;
}

int blocks_record(enum mw_target kind, const char *name, uint64_t until_ns,
		  enum mw_block_cause cause)
{
	struct block_line b = { .kind = kind, .until = until_ns, .cause = cause };

	snprintf(b.name, sizeof(b.name), "%s", name);
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

int blocks_reapply(struct mw_xdp *x, struct mw_nl *nl,
		   const struct mw_image_view *v)
{
	struct block_line b;
	char path[512];
	int n = 0, err;
	FILE *f;

	err = state_path(path, sizeof(path), "blocks");
	if (err)
		return err;
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!read_line(f, &b)) {
		const struct mw_img_system *s = NULL;
		const struct mw_img_device *d = NULL;
		uint32_t id;

		if (b.kind == MW_TARGET_SYSTEM)
			s = mw_image_system_by_name(v, b.name);
		else
			d = mw_image_device_by_name(v, b.name);
		if (!s && !d)
			continue;	/* kept on file: the name may come back */
		id = s ? s->id : d->id;
		err = mw_xdp_block(x, b.kind, id, b.until, b.cause);
		if (!err && nl)
			err = mw_nl_block(nl, b.kind, id, b.until, b.cause);
		if (err)
			break;
		n++;
	}
	fclose(f);
	return err ? err : n;
}

/* --- audit ------------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int audit(const char *action, ...)
{
	const char *user = getenv("SUDO_USER");
	char path[512];
	const char *k;
	va_list ap;
	FILE *f;
	int err = mkdir_p(log_dir());

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/audit.log", log_dir());
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fprintf(f, "{\"ts_ns\":%lld,\"action\":", (long long)now_unix_ns());
	json_str(f, action);
	fprintf(f, ",\"uid\":%u,\"sudo_user\":", (unsigned int)getuid());
	json_str(f, user ? user : "");
	va_start(ap, action);
	while ((k = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);

		fputc(',', f);
		json_str(f, k);
		fputc(':', f);
		json_str(f, val ? val : "");
	}
	va_end(ap);
	fputs("}\n", f);
	err = fflush(f) || fsync(fileno(f)) ? -errno : 0;
	fclose(f);
	return err;
}

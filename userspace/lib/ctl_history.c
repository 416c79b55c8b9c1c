// SPDX-License-Identifier: GPL-2.0
/*
 * The history of blocks (control 2.1.3): blocks.history in the state
 * directory, one JSON object per transition, appended and never
 * rewritten:
 *
 *   {"ts_ns":N,"time":"RFC 3339 UTC","event":E,"kind":"system|device",
 *    "target":NAME,"system":SYSTEM,"uid":N,"user":CLAIMED, ...}
 *
 * E is blocked (cause, reason, by, until_ns), reconnect-requested
 * (request, requested_by, contact), reconnected (request, requested_by,
 * approved_by, one_step) or expired (cause, reason, since_ns, until_ns,
 * request).  Values are strings or integers, never nested.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_int.h"
#include "fileio.h"
#include "json.h"
#include "timefmt.h"

#define HISTORY		"blocks.history"
#define MAX_FIELDS	32

static void put_field(FILE *m, const struct mw_ctl_field *f)
{
	fputc(',', m);
	jp_write_string(m, f->key);
	fputc(':', m);
	if (f->is_num)
		fprintf(m, "%lld", (long long)f->num);
	else
		jp_write_string(m, f->str ? f->str : "");
}

static int history_line(struct mw_ctl *c, const char *event,
			enum mw_target kind, const char *target,
			const char *system, const struct mw_ctl_field *f,
			size_t n, char **line, size_t *len)
{
	int64_t now = mw_now_unix_ns();
	char t[MW_TIME_LEN];
	FILE *m;
	size_t i;

	m = open_memstream(line, len);
	if (!m)
		return -errno;
	fprintf(m, "{\"ts_ns\":%lld,\"time\":", (long long)now);
	jp_write_string(m, mw_time_format(now, 0, 9, t, sizeof(t)));
	put_field(m, &(struct mw_ctl_field){ .key = "event", .str = event });
	put_field(m, &(struct mw_ctl_field){ .key = "kind",
					     .str = mw_ctl_kind_name(kind) });
	put_field(m, &(struct mw_ctl_field){ .key = "target", .str = target });
	put_field(m, &(struct mw_ctl_field){ .key = "system", .str = system });
	put_field(m, &(struct mw_ctl_field){ .key = "uid", .num = getuid(),
					     .is_num = true });
	put_field(m, &(struct mw_ctl_field){ .key = "user",
					     .str = c->claimed_user });
	for (i = 0; i < n; i++)
		put_field(m, &f[i]);
	fputs("}\n", m);
	return fclose(m) ? -errno : 0;
}

int ctl_history_add(struct mw_ctl *c, const char *event, enum mw_target kind,
		    const char *target, const char *system,
		    const struct mw_ctl_field *f, size_t n)
{
	char path[512], *line = NULL;
	struct stat st;
	size_t len = 0;
	int fd = -1, err;

	err = ctl_state_path(c, path, sizeof(path), HISTORY);
	if (!err)
		err = history_line(c, event, kind, target, system, f, n, &line,
				   &len);
	if (!err) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
		if (fd < 0)
			err = -errno;
	}
	if (!err && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
		err = -EINVAL;
	/* the record whole or not at all (a full disk), then on disk */
	if (!err)
		err = mw_append_record(fd, line, len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(line);
	if (err)
		ctl_fail(c, err, NULL,
			 "error: %s `%s': %s, but not recorded in %s/%s: %s",
			 mw_ctl_kind_name(kind), target, event, c->state_dir,
			 HISTORY, err == -ELOOP ? "it is a symbolic link" :
			 strerror(-err));
	return err;
}

/* --- reading: flat objects of strings and integers ------------------------ */

static void skip_ws(char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r')
		(*p)++;
}

static void put_utf8(char **o, unsigned int u)
{
	if (u < 0x80) {
		*(*o)++ = (char)u;
	} else if (u < 0x800) {
		*(*o)++ = (char)(0xc0 | u >> 6);
		*(*o)++ = (char)(0x80 | (u & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | u >> 12);
		*(*o)++ = (char)(0x80 | ((u >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (u & 0x3f));
	}
}

/*
 * A JSON string at *p, decoded in place (the decoded form is never
 * longer); NULL if it is not one.  \u escapes of surrogates become
 * U+FFFD.
 */
static char *take_string(char **p)
{
	char *s = *p, *o, *start;
	unsigned int u;
	int k;

	if (*s != '"')
		return NULL;
	start = o = ++s;
	while (*s && *s != '"') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/': *o++ = *s++; break;
		case 'b': *o++ = '\b'; s++; break;
		case 'f': *o++ = '\f'; s++; break;
		case 'n': *o++ = '\n'; s++; break;
		case 'r': *o++ = '\r'; s++; break;
		case 't': *o++ = '\t'; s++; break;
		case 'u':
			if (sscanf(s + 1, "%4x%n", &u, &k) != 1 || k != 4)
				return NULL;
			if (!u || (u >= 0xd800 && u <= 0xdfff))
				u = 0xfffd;
			put_utf8(&o, u);
			s += 5;
			break;
		default:
			return NULL;
		}
	}
	if (*s != '"')
		return NULL;
	*o = '\0';
	*p = s + 1;
	return start;
}

static int take_number(char **p, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (end == *p || errno)
		return -EINVAL;
	*p = end;
	return 0;
}

/* One line into f (pointing into line, which is modified); the count or
 * -EINVAL. */
static int parse_record(char *line, struct mw_ctl_field *f)
{
	char *p = line;
	int n = 0;

	skip_ws(&p);
	if (*p++ != '{')
		return -EINVAL;
	skip_ws(&p);
	while (*p != '}') {
		if (n == MAX_FIELDS || (n && *p++ != ','))
			return -EINVAL;
		skip_ws(&p);
		memset(&f[n], 0, sizeof(f[n]));
		f[n].key = take_string(&p);
		skip_ws(&p);
		if (!f[n].key || *p++ != ':')
			return -EINVAL;
		skip_ws(&p);
		if (*p == '"')
			f[n].str = take_string(&p);
		else if (!take_number(&p, &f[n].num))
			f[n].is_num = true;
		if (!f[n].str && !f[n].is_num)
			return -EINVAL;
		n++;
		skip_ws(&p);
	}
	p++;
	skip_ws(&p);
	return *p && *p != '\n' ? -EINVAL : n;
}

int mw_ctl_blocks_history(struct mw_ctl *c, mw_ctl_history_fn fn, void *arg)
{
	struct mw_ctl_field f[MAX_FIELDS];
	char path[512], where[600], *line = NULL;
	unsigned int lineno = 0;
	size_t cap = 0;
	FILE *in;
	int fd, n, err = 0;

	err = ctl_state_path(c, path, sizeof(path), HISTORY);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	in = fd < 0 ? NULL : fdopen(fd, "r");
	if (!in) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return ctl_fail(c, err, NULL, "error: cannot read %s: %s", path,
				err == -ELOOP ? "it is a symbolic link" :
				strerror(-err));
	}
	while (!err && getline(&line, &cap, in) > 0) {
		lineno++;
		n = parse_record(line, f);
		if (n < 0) {
			snprintf(where, sizeof(where), "%s:%u", path, lineno);
			ctl_say(c, MW_CTL_WARNING, where,
				"warning: not a history record; skipped");
			continue;
		}
		err = fn(f, (size_t)n, arg);
	}
	free(line);
	fclose(in);
	return err;
}

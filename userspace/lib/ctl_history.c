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
#include "jsonread.h"
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

/*
 * One line into f (pointing into *tree, freed by the caller): the count,
 * or -EINVAL when it is not a flat object of strings and integers.
 */
static int parse_record(const char *line, size_t len, struct mw_ctl_field *f,
			struct mw_json **tree)
{
	const struct mw_json *m;
	const char *why;
	int n = 0;

	if (mw_json_parse(line, len, tree, &why, NULL))
		return -EINVAL;
	if ((*tree)->type != MW_JSON_OBJ)
		return -EINVAL;
	for (m = (*tree)->child; m; m = m->next) {
		if (n == MAX_FIELDS)
			return -EINVAL;
		memset(&f[n], 0, sizeof(f[n]));
		f[n].key = m->key;
		if (m->type == MW_JSON_STR)
			f[n].str = m->str;
		else if (m->type == MW_JSON_NUM && m->is_int)
			f[n].num = m->num, f[n].is_num = true;
		else
			return -EINVAL;
		n++;
	}
	return n;
}

int mw_ctl_blocks_history(struct mw_ctl *c, mw_ctl_history_fn fn, void *arg)
{
	struct mw_ctl_field f[MAX_FIELDS];
	char path[512], where[600], *line = NULL;
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t len;
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
	while (!err && (len = getline(&line, &cap, in)) > 0) {
		struct mw_json *tree = NULL;

		lineno++;
		n = parse_record(line, (size_t)len, f, &tree);
		if (n < 0) {
			snprintf(where, sizeof(where), "%s:%u", path, lineno);
			ctl_say(c, MW_CTL_WARNING, where,
				"warning: not a history record; skipped");
		} else {
			err = fn(f, (size_t)n, arg);
		}
		mw_json_free(tree);
	}
	free(line);
	fclose(in);
	return err;
}

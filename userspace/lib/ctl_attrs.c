// SPDX-License-Identifier: GPL-2.0
/*
 * policy.attrs: what the policy in force says that its compiled image
 * does not carry, kept beside policy.img.  Today one thing: the systems
 * with two_person (a reconnect needs an approver other than the
 * requester).  The image stays as the datapaths know it (a new system
 * flag would be refused by modules built before it).
 *
 *   image SHA256-HEX		the digest of the image it belongs to
 *   two_person SYSTEM		one line per such system
 *
 * Written after policy.img at every load, replaced atomically.  No file:
 * a policy loaded before this existed, which had no two_person.  A file
 * of another image (a load that failed half-way): every system is taken
 * to need two people until the policy is loaded again (fail closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_int.h"
#include "fileio.h"
#include "policy.h"

#define ATTRS	"policy.attrs"

int ctl_attrs_body(const struct mw_policy *pol, char **body)
{
	size_t i, len = 0;
	FILE *m;

	*body = NULL;
	m = open_memstream(body, &len);
	if (!m)
		return -errno;
	for (i = 0; i < pol->n_systems; i++)
		if (pol->systems[i].two_person)
			fprintf(m, "two_person %s\n", pol->systems[i].name);
	if (fclose(m)) {
		free(*body);
		*body = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void digest_hex(const struct mw_image_view *v, char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", v->hdr->digest[i]);
}

int ctl_attrs_save(struct mw_ctl *c, const struct mw_image_view *v,
		   const char *body)
{
	char path[512], hex[65], *buf;
	int err, n;

	err = ctl_state_path(c, path, sizeof(path), ATTRS);
	if (err)
		return err;
	digest_hex(v, hex);
	n = asprintf(&buf, "image %s\n%s", hex, body ? body : "");
	if (n < 0)
		return -ENOMEM;
	err = mw_replace_file(path, buf, (size_t)n, 0600);
	free(buf);
	return err;
}

/*
 * Whether policy.attrs lists two_person for system: 1 yes, 0 no, -ESTALE
 * when it belongs to another image, -errno.
 */
static int attrs_lookup(struct mw_ctl *c, const struct mw_image_view *v,
			const char *system)
{
	char path[512], hex[65], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int fd, found = 0, lineno = 0;
	FILE *f;

	if (ctl_state_path(c, path, sizeof(path), ATTRS))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	digest_hex(v, hex);
	while (found >= 0 && (len = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!lineno++) {
			if (strncmp(line, "image ", 6) || strcmp(line + 6, hex))
				found = -ESTALE;
		} else if (!strncmp(line, "two_person ", 11) &&
			   !strcmp(line + 11, system)) {
			found = 1;
		}
	}
	if (!lineno)
		found = -ESTALE;
	free(line);
	fclose(f);
	return found;
}

int mw_ctl_two_person(struct mw_ctl *c, const struct mw_image_view *v,
		      enum mw_target kind, const char *name, bool *on)
{
	const char *system = ctl_target_system(v, kind, name);
	int r = attrs_lookup(c, v, system);

	if (r >= 0) {
		*on = r == 1;
		return 0;
	}
	*on = true;
	if (r == -ESTALE) {
		ctl_say(c, MW_CTL_WARNING, NULL,
			"warning: %s/%s does not belong to the policy in force: every reconnect takes two people until the policy is loaded again",
			c->state_dir, ATTRS);
		return 0;
	}
	return ctl_fail(c, r, NULL, "error: cannot read %s/%s: %s",
			c->state_dir, ATTRS,
			r == -ELOOP ? "it is a symbolic link" : strerror(-r));
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "compile.h"
#include "mwctl.h"
#include "policy.h"

bool want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

/* Commands without getopt: -j / --json anywhere selects JSON output and
 * is taken out of argv. */
int take_json_flag(int argc, char **argv)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			jp_init(stdout, true);
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int parse_u32(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

int load_and_compile(const char *path, struct mw_policy **pol,
		     struct mw_image *img)
{
	struct mw_diag diag = { 0 };
	int err;

	err = mw_policy_load_file(path, pol, &diag);
	if (err) {
		mw_diag_print(&diag);
		return err;
	}
	err = mw_compile(*pol, NULL, img, &diag);
	if (err) {
		mw_diag_print(&diag);
		mw_policy_free(*pol);
		*pol = NULL;
	}
	return err;
}

int32_t policy_tz(void)
{
	struct mw_image img = { 0 };
	struct mw_image_view v;
	int32_t tz = 0;

	if (!mw_ctl_active_image(ctl, &img, &v)) {
		tz = v.hdr->tz_offset;
		mw_image_free(&img);
	}
	return tz;
}

void print_until(uint64_t until_ns, int32_t tz)
{
	if (until_ns) {
		jp_time("until", until_ns, tz, 0);
		return;
	}
	jp_str("until", "indefinite");
	if (jp_json())
		jp_u64("until_ns", 0);
}

const struct mw_img_system *device_system(const struct mw_image_view *v,
					  uint32_t device)
{
	const struct mw_img_device *d = v && device != MW_ID_NONE ?
					mw_image_device(v, device) : NULL;

	return d ? mw_image_system(v, d->system) : NULL;
}

void print_owner(const struct mw_image_view *v, const struct mw_img_system *s)
{
	const struct mw_img_iface *f = s ? mw_image_iface(v, s->iface) : NULL;

	jp_str("system", s ? mw_image_str(v, s->name) : "");
	jp_str("entity", s ? mw_image_str(v, s->entity) : "");
	jp_str("contact", s ? mw_image_str(v, s->contact) : "");
	jp_str("demarcation", f ? f->name : "");
}

const char *owner_text(const struct mw_image_view *v,
		       const struct mw_img_system *s, char *buf, size_t len)
{
	const struct mw_img_iface *f = s ? mw_image_iface(v, s->iface) : NULL;

	if (!s)
		return "-";
	snprintf(buf, len, "%s: %s <%s> at %s", mw_image_str(v, s->name),
		 mw_image_str(v, s->entity), mw_image_str(v, s->contact),
		 f ? f->name : "?");
	return buf;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Island, attach and detach, the clock, and the audit record (ctl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_int.h"
#include "ethtool.h"
#include "fileio.h"
#include "json.h"

int mw_ctl_island(struct mw_ctl *c, bool on, bool *kmod)
{
	const char *state = on ? "on" : "off";
	struct ctl_points p;
	int err;

	err = ctl_points_open(c, &p);
	if (err)
		return err;
	/* off opens traffic: recorded first, or not done */
	if (!on && (err = ctl_audit_first(c, "turn island mode off", "island",
					  "external interfaces", "", "state",
					  state, NULL)))
		goto out;
	err = mw_xdp_island(p.x, on);
	if (err)
		ctl_fail(c, err, NULL, "island %s failed: %s", state,
			 mw_xdp_errmsg(p.x));
	if (!err && p.nl && (err = mw_nl_island(p.nl, on))) {
		ctl_fail(c, err, NULL,
			 "island %s failed in the kernel module: %s", state,
			 strerror(-err));
		if (!on)	/* both or neither; island on stays on in XDP */
			mw_xdp_island(p.x, true);
	}
	mw_ctl_audit(c, "island", "external interfaces", ctl_audit_why(c, err),
		     err ? "failed" : "ok", "state", state, "kmod",
		     p.nl ? "yes" : "no", NULL);
out:
	if (kmod)
		*kmod = p.nl != NULL;
	ctl_points_close(c, &p);
	return err;
}

static int detached_update(struct mw_ctl *c, const char *ifname, bool add);

/*
 * A tag the NIC takes out of the frame (receive VLAN offload) is not in
 * the bytes XDP reads: the program would judge a tagged frame as untagged.
 */
static int rxvlan_off(struct mw_ctl *c, const char *ifname, bool *changed)
{
	char msg[512];
	int err = mw_eth_rxvlan_off(ifname, changed, msg, sizeof(msg));

	if (err == -ENODEV)
		return ctl_fail(c, err, NULL, "cannot attach to `%s': %s",
				ifname, msg);
	if (err)
		return ctl_fail(c, err, NULL, "refusing to attach to `%s': %s",
				ifname, msg);
	if (*changed)
		ctl_say(c, MW_CTL_NOTE, NULL,
			"note: turned off the receive VLAN offloads of `%s' (rx-vlan-hw-parse, rx-vlan-stag-hw-parse), so that XDP sees VLAN tags",
			ifname);
	return 0;
}

static int attach_locked(struct mw_ctl *c, struct mw_xdp *given,
			 const char *ifname, enum mw_xdp_mode mode,
			 bool *changed)
{
	const struct mw_img_iface *f;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	struct mw_xdp *x = given;
	bool have_img;
	int err;

	*changed = false;
	/* the program judges every frame as inbound from external systems */
	have_img = !mw_ctl_active_image(c, &img, &v);
	f = have_img ? mw_image_iface_by_name(&v, ifname) : NULL;
	if (f && f->zone != MW_ZONE_EXTERNAL) {
		err = ctl_fail(c, -EINVAL, NULL,
			       "`%s' is a smart-meter-side interface in the policy in force: the XDP program belongs on external interfaces",
			       ifname);
		goto out;
	}
	err = rxvlan_off(c, ifname, changed);
	if (!err && !x)
		err = mw_ctl_xdp(c, 0, have_img ? v.hdr->flow_entries : 0, &x);
	if (err)
		goto out;
	err = mw_xdp_attach(x, ifname, mode);
	if (err) {
		ctl_fail(c, err, NULL, "cannot attach to `%s': %s", ifname,
			 mw_xdp_errmsg(x));
		goto close;
	}
	/* after a reboot the maps are new: put the recorded blocks back */
	if (have_img && (err = mw_ctl_blocks_reapply(c, x, NULL, &v)) < 0) {
		ctl_fail(c, err, NULL,
			 "error: attached to `%s', but the recorded blocks could not all be put back (%s)",
			 ifname, strerror(-err));
		goto close;
	}
	err = 0;
	if (mw_ctl_is_detached(c, ifname))
		detached_update(c, ifname, false);
close:
	if (!given)
		mw_xdp_close(x);
out:
	/* (no interface of that name: nothing was tried) */
	if (err != -ENODEV)
		mw_ctl_audit(c, "attach", ifname, ctl_audit_why(c, err),
			     err ? "failed" : "ok", "mode",
			     mode == MW_XDP_MODE_SKB ? "generic" : "native",
			     "rx_vlan_offload",
			     *changed ? "turned off" : "off", NULL);
	mw_image_free(&img);
	return err;
}

int mw_ctl_attach_with(struct mw_ctl *c, struct mw_xdp *x, const char *ifname,
		       enum mw_xdp_mode mode, bool *rxvlan_changed)
{
	bool changed = false;
	int err;

	err = mw_ctl_lock(c);
	if (err)
		return err;
	err = attach_locked(c, x, ifname, mode, &changed);
	if (rxvlan_changed)
		*rxvlan_changed = changed;
	mw_ctl_unlock(c);
	return err;
}

int mw_ctl_attach(struct mw_ctl *c, const char *ifname, enum mw_xdp_mode mode,
		  bool *rxvlan_changed)
{
	return mw_ctl_attach_with(c, NULL, ifname, mode, rxvlan_changed);
}

/* The state directory's "detached": one interface name per line. */
static int detached_update(struct mw_ctl *c, const char *ifname, bool add)
{
	char path[512], *buf = NULL, *line = NULL;
	size_t len = 0, cap = 0;
	FILE *in, *out;
	ssize_t n;
	int err;

	err = ctl_state_path(c, path, sizeof(path), "detached");
	if (err)
		return err;
	out = open_memstream(&buf, &len);
	if (!out)
		return -errno;
	in = fopen(path, "re");
	while (in && (n = getline(&line, &cap, in)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (*line && strcmp(line, ifname))
			fprintf(out, "%s\n", line);
	}
	if (in)
		fclose(in);
	if (add)
		fprintf(out, "%s\n", ifname);
	fclose(out);
	err = buf ? mw_replace_file(path, buf, len, 0600) : -ENOMEM;
	free(buf);
	free(line);
	return err;
}

bool mw_ctl_is_detached(struct mw_ctl *c, const char *ifname)
{
	char path[512], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/detached", c->state_dir) >=
	    (int)sizeof(path))
		return false;
	f = fopen(path, "re");
	while (f && !found && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(line, ifname);
	}
	if (f)
		fclose(f);
	free(line);
	return found;
}

int mw_ctl_detach(struct mw_ctl *c, const char *ifname)
{
	bool was = mw_ctl_is_detached(c, ifname);
	struct mw_xdp *x;
	int err;

	err = mw_ctl_lock(c);
	if (err)
		return err;
	err = mw_ctl_xdp(c, MW_XDP_F_NO_PROG, 0, &x);
	if (err)
		goto unlock;
	/* it opens the interface's traffic: audited first, or not done */
	err = ctl_audit_first(c, "detach", "detach", ifname, "", NULL);
	if (err)
		goto close;
	/* recorded first: the detach itself is a link event a daemon sees */
	err = was ? 0 : detached_update(c, ifname, true);
	if (err)
		ctl_fail(c, err, NULL,
			 "cannot record `%s' as detached (%s): not detached (meterwalld would attach it again)",
			 ifname, strerror(-err));
	else if ((err = mw_xdp_detach(x, ifname))) {
		ctl_fail(c, err, NULL, "cannot detach from `%s': %s", ifname,
			 mw_xdp_errmsg(x));
		if (!was)
			detached_update(c, ifname, false);
	}
	mw_ctl_audit(c, "detach", ifname, ctl_audit_why(c, err),
		     err ? "failed" : "ok", NULL);
close:
	mw_xdp_close(x);
unlock:
	mw_ctl_unlock(c);
	return err;
}

int mw_ctl_clock_sync(struct mw_ctl *c, bool reset, int64_t *offset,
		      bool *kmod)
{
	struct ctl_points p;
	char buf[32];
	int64_t off;
	int err;

	err = ctl_points_open(c, &p);
	if (err)
		return err;
	off = mw_xdp_clock_offset();
	err = mw_xdp_set_clock(p.x, off, reset);
	if (err)
		ctl_fail(c, err, NULL, "clock sync: XDP: %s", mw_xdp_errmsg(p.x));
	if (!err && p.nl &&
	    (err = mw_nl_clock_set(p.nl, off,
				   reset ? MW_CLOCK_F_RESET_MAX : 0)))
		ctl_fail(c, err, NULL,
			 "clock sync: the kernel module refused it: %s%s%s",
			 strerror(-err), *mw_nl_errmsg(p.nl) ? ": " : "",
			 mw_nl_errmsg(p.nl));
	snprintf(buf, sizeof(buf), "%lld", (long long)off);
	mw_ctl_audit(c, "clock-sync", "time base", ctl_audit_why(c, err),
		     err ? "failed" : "ok", "boot_to_unix_ns", buf, "reset_max",
		     reset ? "yes" : "no", "kmod", p.nl ? "yes" : "no", NULL);
	if (offset)
		*offset = off;
	if (kmod)
		*kmod = p.nl != NULL;
	ctl_points_close(c, &p);
	return err;
}

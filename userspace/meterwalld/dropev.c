// SPDX-License-Identifier: GPL-2.0
/*
 * Drop events (control 1.1.5) from XDP's ring buffer and from the kernel
 * module's multicast group, both already limited per device per second
 * (event_rate), become the daemon's events ("drop": JSON line and syslog,
 * point xdp or kmod) with the names a person needs:
 * interface, reason, addresses and ports, device, system, entity,
 * contact, demarcation.  The ring buffer has one reader: the daemon holds
 * the state directory's events.lock while it reads, and `mwctl events`
 * then points at events.jsonl instead of taking them away from it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "classify.h"
#include "nl.h"
#include "meterwalld.h"

struct mwd_dropev {
	struct mw_xdp_events *rb;
	struct mw_nl_events *kmod;	/* NULL: the module not (yet) loaded */
	struct mwd_events *ev;
	const struct mwd_flowlog *names;	/* the policy in force */
	mwd_kick_fn kick;		/* told of XDP's drops by device */
	void *kick_arg;
	int lock_fd;
};

static void emit(struct mwd_dropev *d, const struct mw_event *e,
		 const char *point)
{
	const struct mw_image_view *v = mwd_flowlog_view(d->names);
	const struct mw_img_device *dev = v && e->device != MW_ID_NONE ?
					  mw_image_device(v, e->device) : NULL;
	const struct mw_img_system *sys = v && dev ?
					  mw_image_system(v, dev->system) : NULL;
	const struct mw_img_iface *dem = sys ? mw_image_iface(v, sys->iface) :
				       NULL;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	char sp[8], dp[8], pr[8], ifname[IF_NAMESIZE] = "";
	int af = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	const char *kv[] = {
		"point", point, "iface", ifname,
		"verdict", mw_verdict_name(e->verdict),
		"reason", mw_reason_name(e->reason),
		"proto", pr, "src", src, "sport", sp, "dst", dst, "dport", dp,
		"device", dev ? mw_image_str(v, dev->name) : "",
		"system", sys ? mw_image_str(v, sys->name) : "",
		"entity", sys ? mw_image_str(v, sys->entity) : "",
		"contact", sys ? mw_image_str(v, sys->contact) : "",
		"demarcation", dem ? dem->name : "",
		NULL
	};

	if (e->family) {
		inet_ntop(af, e->src, src, sizeof(src));
		inet_ntop(af, e->dst, dst, sizeof(dst));
	}
	if (!if_indextoname(e->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", e->ifindex);
	snprintf(sp, sizeof(sp), "%u", ntohs(e->sport));
	snprintf(dp, sizeof(dp), "%u", ntohs(e->dport));
	snprintf(pr, sizeof(pr), "%u", e->proto);
	mwd_event(d->ev, 6, "drop", kv, "%s %s from %s on %s (%s)",
		  mw_verdict_name(e->verdict), mw_reason_name(e->reason),
		  src[0] ? src : "-", ifname, point);
}

static int on_xdp(const struct mw_event *e, void *arg)
{
	struct mwd_dropev *d = arg;

	if (d->kick && e->device != MW_ID_NONE)
		d->kick(e->device, d->kick_arg);
	emit(d, e, "xdp");
	return 0;
}

static int on_kmod(const struct mw_event *e, void *arg)
{
	emit(arg, e, "kmod");
	return 0;
}

int mwd_dropev_open(struct mw_ctl *c, struct mw_xdp *x, struct mwd_events *ev,
		    const struct mwd_flowlog *names, mwd_kick_fn kick,
		    void *kick_arg, struct mwd_dropev **out)
{
	struct mwd_dropev *d = calloc(1, sizeof(*d));
	char path[600];
	int err;

	if (!d)
		return -ENOMEM;
	d->ev = ev;
	d->names = names;
	d->kick = kick;
	d->kick_arg = kick_arg;
	snprintf(path, sizeof(path), "%s/" MW_CTL_EVENTS_LOCK,
		 mw_ctl_state_dir(c));
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (d->lock_fd >= 0)
			close(d->lock_fd);
		free(d);
		return err;
	}
	err = mw_xdp_events_open(x, on_xdp, d, &d->rb);
	if (err) {
		close(d->lock_fd);
		free(d);
		return err;
	}
	mwd_dropev_kmod(d);
	*out = d;
	return 0;
}

void mwd_dropev_kmod(struct mwd_dropev *d)
{
	if (d && !d->kmod && mw_nl_events_open(on_kmod, d, &d->kmod))
		d->kmod = NULL;		/* not loaded: asked again later */
}

int mwd_dropev_fd(const struct mwd_dropev *d)
{
	return d ? mw_xdp_events_fd(d->rb) : -1;
}

int mwd_dropev_kfd(const struct mwd_dropev *d)
{
	return d ? mw_nl_events_fd(d->kmod) : -1;
}

void mwd_dropev_poll(struct mwd_dropev *d)
{
	if (!d)
		return;
	mw_xdp_events_poll(d->rb, 0);
	if (d->kmod && mw_nl_events_poll(d->kmod)) {
		mw_nl_events_close(d->kmod);	/* the module went away */
		d->kmod = NULL;
	}
}

void mwd_dropev_close(struct mwd_dropev *d)
{
	if (!d)
		return;
	mw_xdp_events_close(d->rb);
	mw_nl_events_close(d->kmod);
	close(d->lock_fd);	/* the lock goes with it */
	free(d);
}

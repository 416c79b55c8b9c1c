// SPDX-License-Identifier: GPL-2.0
/*
 * What a policy load checks and waits for around the swap (xdp_load.c):
 * that the persistent maps hold the policy's ids, the rate-limit state of
 * the systems whose limits change, and the datapath's grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "xdp_int.h"

/* What to do when the persistent maps are too small. */
static const char *resize_hint(const struct mw_xdp *x, char *buf, size_t len)
{
	if (!x->pinned)
		return "open the XDP maps with a larger capacity";
	snprintf(buf, len, "detach every interface, remove %s and attach again "
		 "with a larger capacity", x->pin_dir);
	return buf;
}

/* Ids the persistent maps can hold. */
int mw_xdp_check_capacity(struct mw_xdp *x, const struct mw_image_view *v)
{
	char hint[400];
	size_t i, k;

	for (i = 0; i < v->n_devices; i++)
		if (v->devices[i].id >= x->dev_capacity)
			return mw_xdp_fail(x, -E2BIG,
					   "device `%s' has id %u but the XDP "
					   "maps hold %u devices: %s",
					   mw_image_str(v, v->devices[i].name),
					   v->devices[i].id, x->dev_capacity,
					   resize_hint(x, hint, sizeof(hint)));
	for (i = 0; i < v->n_systems; i++)
		if (v->systems[i].id >= MW_MAX_SYSTEMS)
			return mw_xdp_fail(x, -E2BIG, "system `%s' has id %u, "
					   "beyond %u", mw_image_str(v,
					   v->systems[i].name),
					   v->systems[i].id, MW_MAX_SYSTEMS);
	for (i = 0; i < v->n_conduits; i++)
		if (v->conduits[i].id >= x->conduit_capacity)
			return mw_xdp_fail(x, -E2BIG,
					   "conduit `%s' has id %u but the XDP "
					   "maps hold %u conduits: %s",
					   mw_image_str(v, v->conduits[i].name),
					   v->conduits[i].id,
					   x->conduit_capacity,
					   resize_hint(x, hint, sizeof(hint)));
	for (i = 0; i < v->n_csets; i++)
		for (k = 0; k < v->csets[i].n_rules && k < MW_CSET_RULES; k++)
			if (v->csets[i].rules[k].conduit >= x->conduit_capacity)
				return mw_xdp_fail(x, -E2BIG,
						   "a rule names conduit id %u, "
						   "beyond the capacity %u: %s",
						   v->csets[i].rules[k].conduit,
						   x->conduit_capacity,
						   resize_hint(x, hint,
							       sizeof(hint)));
	return 0;
}

/* fd of slot's inner map of table m; -ENOENT if the slot has none. */
static int slot_inner_fd(struct mw_xdp *x, int m, uint32_t slot)
{
	uint32_t id;
	int fd;

	if (bpf_map_lookup_elem(x->fd[m], &slot, &id) < 0)
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

/*
 * Rewrite the active slot's ifaces entry with the map it already holds:
 * no change for readers, but the syscall returns only after an RCU grace
 * period, i.e. after every packet that was running when it started.
 */
int mw_xdp_rcu_barrier(struct mw_xdp *x, uint32_t slot)
{
	int fd, err = 0;

	fd = slot_inner_fd(x, M_IFACES, slot);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (bpf_map_update_elem(x->fd[M_IFACES], &slot, &fd, BPF_ANY) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Rate limit state (struct mw_xdp_rate) of the systems whose limits this
 * policy changes, or which it brings in with limits: zeroed, so that they
 * start with a whole burst.  A reload with the same limits keeps the
 * state (it gives no fresh burst); the state of systems without limits
 * is never read.  old: the policy in force (cfg), if any.
 */
int mw_xdp_reset_rates(struct mw_xdp *x, const struct mw_image_view *v,
		       const struct mw_config *cfg)
{
	static const struct mw_xdp_rate zero;
	int old = -1, err = 0;
	size_t i;

	if (cfg->generation)
		old = slot_inner_fd(x, M_SYSTEMS, cfg->slot & 1);
	for (i = 0; i < v->n_systems && !err; i++) {
		const struct mw_img_system *s = &v->systems[i];
		struct mw_img_system o;

		if (!s->limit_pps && !s->limit_bps)
			continue;
		if (old >= 0 && !bpf_map_lookup_elem(old, &s->id, &o) &&
		    o.id == s->id && o.limit_pps == s->limit_pps &&
		    o.limit_bps == s->limit_bps)
			continue;
		if (bpf_map_update_elem(x->fd[M_SYS_RATE], &s->id, &zero,
					BPF_ANY) < 0)
			err = mw_xdp_fail(x, -errno, "cannot reset the rate "
					  "limit of system `%s': %s (the "
					  "previous policy stays in force)",
					  mw_image_str(v, s->name),
					  strerror(errno));
	}
	if (old >= 0)
		close(old);
	return err;
}

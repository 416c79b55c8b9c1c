// SPDX-License-Identifier: GPL-2.0
/*
 * The policy compiler: struct mw_policy -> compiled image (see the layout
 * in include/uapi/linux/meterwall.h).
 *
 * Ids of interfaces, systems, devices and conduits are carried over from
 * the previous image by name; new names get the lowest free id.  Zones are
 * renumbered on every compile (a zone mask carries no runtime state): named
 * zones first, in policy order, then one anonymous zone per distinct set of
 * literal conduit prefixes.  Conduit sets: one per system, in policy order,
 * each followed by one per overriding device of that system.
 *
 * The steps live one concept per file: see compile_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

const struct mw_loc mw_no_loc;

static void cc_free(struct cc *c)
{
	size_t i;

	cc_strtab_free(&c->st);
	free(c->iface_ids);
	free(c->sys_ids);
	free(c->dev_base);
	free(c->devs);
	free(c->dev_sys);
	free(c->dev_ids);
	free(c->dev_cset);
	free(c->cdts);
	for (i = 0; i < c->n_anon; i++)
		free(c->anon[i].p);
	free(c->csets);
	free(c->sys_cset);
	free(c->zpfx);
	free(c->dpfx);
	free(c->dp);
	free(c->o_iface);
	free(c->o_zone);
	free(c->o_sys);
	free(c->o_dev);
	free(c->o_cdt);
	free(c);
}

/* All records made: what only built them goes before the image exists. */
static void release_flat(struct cc *c)
{
	free(c->devs);
	free(c->dev_sys);
	free(c->dev_ids);
	free(c->dev_cset);
	free(c->st.slot);
	c->devs = NULL;
	c->dev_sys = NULL;
	c->dev_ids = NULL;
	c->dev_cset = NULL;
	c->st.slot = NULL;
	c->st.nslot = 0;
}

static int compile_steps(struct cc *c)
{
	uint32_t empty;
	int err;

	err = cc_str_add(&c->st, "", &empty);		/* offset 0 */
	if (!err)
		err = cc_assign_iface_ids(c);
	if (!err)
		err = cc_assign_sys_ids(c);
	if (!err)
		err = cc_flatten_devices(c);
	if (!err)
		err = cc_assign_dev_ids(c);
	if (!err)
		err = cc_flatten_conduits(c);
	if (!err)
		err = cc_build_zones(c);
	if (!err)
		err = cc_build_zone_prefixes(c);
	if (!err)
		err = cc_build_windows(c);
	if (!err)
		err = cc_build_csets(c);
	if (!err)
		err = cc_build_dev_prefixes(c);
	if (!err)
		cc_compact_dev_prefixes(c);
	if (!err)
		err = cc_make_ifaces(c);
	if (!err)
		err = cc_make_zones(c);
	if (!err)
		err = cc_make_systems(c);
	if (!err)
		err = cc_make_devices(c);
	if (!err)
		err = cc_make_conduits(c);
	if (!err)
		release_flat(c);
	return err;
}

int mw_compile(const struct mw_policy *pol, const struct mw_image_view *prev,
	       struct mw_image *out, struct mw_diag *diag)
{
	struct cc *c;
	int err;

	out->data = NULL;
	out->len = 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pol = pol;
	c->prev = prev;
	c->diag = diag;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	err = compile_steps(c);
	if (!err)
		err = cc_emit(c, out);
	else if (diag && err != -ENOMEM && !diag->msg[0])
		cc_err(c, no_loc, "compile failed: %s", strerror(-err));
	if (err == -ENOMEM && diag)
		cc_err(c, no_loc, "out of memory");
	cc_free(c);
	return err;
}

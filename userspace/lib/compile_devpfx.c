// SPDX-License-Identifier: GPL-2.0
/*
 * Device prefixes: the table of device addresses and its overlap check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile_int.h"

/* ---------------------------------------------------------------------- */
/* Device prefixes                                                        */

static int cmp_pfx_ent(const void *a, const void *b)
{
	return cc_cmp_img_prefix(&((const struct pfx_ent *)a)->p,
			      &((const struct pfx_ent *)b)->p);
}

static bool img_contains(const struct mw_img_prefix *o,
			 const struct mw_img_prefix *i)
{
	struct mw_img_prefix k = *i;

	if (o->family != i->family || o->plen > i->plen)
		return false;
	cc_mask_addr(k.addr, o->plen);
	return !memcmp(k.addr, o->addr, 16);
}

static int dev_pfx_conflict(struct cc *c, const struct pfx_ent *a,
			    const struct pfx_ent *b, bool same)
{
	struct mw_prefix p = { .family = b->p.family, .plen = b->p.plen };
	char buf[64];

	memcpy(p.addr, b->p.addr, 16);
	mw_prefix_format(&p, buf, sizeof(buf));
	if (same)
		cc_err(c, b->loc,
		       "device \"%s\": address %s is also device \"%s\"'s",
		       c->devs[b->dev]->name, buf, c->devs[a->dev]->name);
	else
		cc_err(c, b->loc,
		       "device \"%s\": address %s overlaps device \"%s\" of system \"%s\"",
		       c->devs[b->dev]->name, buf, c->devs[a->dev]->name,
		       c->pol->systems[a->sys].name);
	return -EEXIST;
}

/* Sorted; duplicates and overlaps across systems are errors. */
static int check_dev_prefixes(struct cc *c)
{
	size_t *stack, sp = 0, i;
	int err = 0;

	stack = calloc(130, sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	for (i = 0; i < c->n_dpfx && !err; i++) {
		const struct pfx_ent *e = &c->dpfx[i];

		if (i && !cc_cmp_img_prefix(&c->dpfx[i - 1].p, &e->p)) {
			err = dev_pfx_conflict(c, &c->dpfx[i - 1], e, true);
			break;
		}
		while (sp && !img_contains(&c->dpfx[stack[sp - 1]].p, &e->p))
			sp--;
		if (sp && c->dpfx[stack[sp - 1]].sys != e->sys)
			err = dev_pfx_conflict(c, &c->dpfx[stack[sp - 1]], e,
					       false);
		if (sp < 130)
			stack[sp++] = i;
	}
	free(stack);
	return err;
}

int cc_build_dev_prefixes(struct cc *c)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->n_dev; i++)
		n += c->devs[i]->n_addrs;
	c->dpfx = calloc(n + 1, sizeof(*c->dpfx));
	if (!c->dpfx)
		return -ENOMEM;
	for (i = 0, n = 0; i < c->n_dev; i++) {
		const struct mw_device_spec *d = c->devs[i];

		for (j = 0; j < d->n_addrs; j++, n++) {
			cc_to_img_prefix(&d->addrs[j], &c->dpfx[n].p);
			c->dpfx[n].p.value = c->dev_ids[i];
			c->dpfx[n].sys = c->dev_sys[i];
			c->dpfx[n].dev = i;
			c->dpfx[n].loc = d->addrs[j].loc.line ?
					 d->addrs[j].loc : d->loc;
		}
	}
	c->n_dpfx = n;
	if (n)
		qsort(c->dpfx, n, sizeof(*c->dpfx), cmp_pfx_ent);
	return check_dev_prefixes(c);
}

/* Checked: keep only the image records (in place, then shrunk). */
void cc_compact_dev_prefixes(struct cc *c)
{
	struct mw_img_prefix *dp = (struct mw_img_prefix *)c->dpfx, *r;
	size_t i;

	for (i = 0; i < c->n_dpfx; i++)
		memmove(&dp[i], &c->dpfx[i].p, sizeof(dp[i]));
	r = realloc(dp, (c->n_dpfx + 1) * sizeof(*dp));
	c->dp = r ?: dp;
	c->dpfx = NULL;
}

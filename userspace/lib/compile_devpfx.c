// SPDX-License-Identifier: GPL-2.0
/*
 * Device prefixes: the table of device addresses, sorted (the parser
 * refused overlaps between systems and addresses used twice).
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
		}
	}
	c->n_dpfx = n;
	if (n)
		mw_sort(c->dpfx, n, sizeof(*c->dpfx), cmp_pfx_ent);
	/* overlaps and duplicates are the parser's errors (mw_compile); a
	 * duplicate here would make an image the validator refuses */
	return 0;
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

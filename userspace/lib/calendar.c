// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "classify.h"

#define DAY	86400

enum { W_UNKNOWN, W_CLOSED, W_OPEN };

struct mw_calendar {
	uint8_t *stage;		/* by system id: 0, 1 (30 d), 2 (7 d), 3 (1 d),
				 * 4 (expired) */
	size_t n_stage;
	uint8_t *win;		/* by conduit id: W_* */
	size_t n_win;
};

int mw_calendar_new(struct mw_calendar **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void mw_calendar_free(struct mw_calendar *c)
{
	if (!c)
		return;
	free(c->stage);
	free(c->win);
	free(c);
}

static int fit(uint8_t **a, size_t *n, size_t want)
{
	uint8_t *p;

	if (want <= *n)
		return 0;
	p = realloc(*a, want);
	if (!p)
		return -ENOMEM;
	memset(p + *n, 0, want - *n);
	*a = p;
	*n = want;
	return 0;
}

static unsigned int stage_of(int64_t left)
{
	if (left <= 0)
		return 4;
	if (left <= DAY)
		return 3;
	if (left <= 7 * DAY)
		return 2;
	return left <= 30 * DAY ? 1 : 0;
}

static void agreements(struct mw_calendar *c, const struct mw_image_view *v,
		       int64_t now, mw_cal_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < v->n_systems; i++) {
		const struct mw_img_system *s = &v->systems[i];
		struct mw_cal_event e = { .sys = s, .expires = s->expires };
		unsigned int st;

		if (!(s->flags & MW_SYS_F_EXPIRES) || s->id >= c->n_stage)
			continue;
		st = stage_of(s->expires - now);
		if (st <= c->stage[s->id]) {
			c->stage[s->id] = (uint8_t)st;	/* extended: anew */
			continue;
		}
		c->stage[s->id] = (uint8_t)st;
		e.kind = st == 4 ? MW_CAL_EXPIRED : MW_CAL_EXPIRING;
		e.days_left = st == 4 ? 0 : (s->expires - now + DAY - 1) / DAY;
		fn(&e, arg);
	}
}

static void windows(struct mw_calendar *c, const struct mw_image_view *v,
		    int64_t now, mw_cal_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < v->n_conduits; i++) {
		const struct mw_img_conduit *cd = &v->conduits[i];
		struct mw_cal_event e = { .conduit = cd };
		uint8_t was, is;

		if (!cd->window || cd->id >= c->n_win)
			continue;
		was = c->win[cd->id];
		is = mw_window_open(v, cd->window, now) ? W_OPEN : W_CLOSED;
		c->win[cd->id] = is;
		if (was == is || (was == W_UNKNOWN && is == W_CLOSED))
			continue;
		e.kind = is == W_OPEN ? MW_CAL_WINDOW_OPEN : MW_CAL_WINDOW_CLOSE;
		e.first = was == W_UNKNOWN;
		e.sys = mw_image_system(v, cd->system);
		fn(&e, arg);
	}
}

int mw_calendar_step(struct mw_calendar *c, const struct mw_image_view *v,
		     int64_t now_s, mw_cal_fn fn, void *arg)
{
	size_t i, ns = 0, nc = 0;

	for (i = 0; i < v->n_systems; i++)
		if (v->systems[i].id >= ns)
			ns = v->systems[i].id + 1;
	for (i = 0; i < v->n_conduits; i++)
		if (v->conduits[i].id >= nc)
			nc = v->conduits[i].id + 1;
	if (fit(&c->stage, &c->n_stage, ns) || fit(&c->win, &c->n_win, nc))
		return -ENOMEM;
	agreements(c, v, now_s, fn, arg);
	windows(c, v, now_s, fn, arg);
	return 0;
}

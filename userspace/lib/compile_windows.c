// SPDX-License-Identifier: GPL-2.0
/*
 * Time windows: a local weekly spec -> UTC minute-of-week ranges.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

/* ---------------------------------------------------------------------- */
/* Windows                                                                */

#define WEEK MW_MINUTES_PER_WEEK

static void set_minutes(uint8_t *bits, long start, long len)
{
	long m;

	for (m = 0; m < len; m++) {
		long x = ((start + m) % WEEK + WEEK) % WEEK;

		bits[x / 8] |= (uint8_t)(1u << (x % 8));
	}
}

static bool minute_set(const uint8_t *bits, long m)
{
	m = ((m % WEEK) + WEEK) % WEEK;
	return bits[m / 8] & (1u << (m % 8));
}

static int cmp_range(const void *a, const void *b)
{
	const struct mw_window_range *x = a, *y = b;

	return (int)x->start - (int)y->start;
}

/* Runs of set minutes, around the week; all set = [0, WEEK). */
static void runs_to_window(const uint8_t *bits, struct mw_img_window *w)
{
	long m, first = -1, start, end;

	for (m = 0; m < WEEK; m++) {
		if (!minute_set(bits, m)) {
			first = m;
			break;
		}
	}
	if (first < 0) {
		w->n = 1;
		w->r[0].start = 0;
		w->r[0].end = WEEK;
		return;
	}
	for (m = first; m < first + WEEK; m++) {
		if (!minute_set(bits, m) || minute_set(bits, m - 1))
			continue;
		start = m;
		while (minute_set(bits, m))
			m++;
		end = m % WEEK;
		if (w->n >= MW_WINDOW_RANGES)
			return;		/* cannot happen: <= 7 days */
		w->r[w->n].start = (uint16_t)(start % WEEK);
		w->r[w->n].end = (uint16_t)(end ? end : WEEK);
		w->n++;
	}
	qsort(w->r, w->n, sizeof(w->r[0]), cmp_range);
}

/* Local days/from/to -> UTC minute-of-week ranges (Thursday 00:00 = 0). */
static void window_ranges(const struct mw_window_spec *ws, int32_t tz,
			  struct mw_img_window *w)
{
	uint8_t bits[WEEK / 8 + 1] = { 0 };
	long len, tzmin = tz / 60;
	int d;

	memset(w, 0, sizeof(*w));
	len = ws->to > ws->from ? ws->to - ws->from : 1440 - ws->from + ws->to;
	for (d = 0; d < 7; d++) {
		long day = (d + 4) % 7;	/* Monday = 0 -> Thursday-based */

		if (ws->days & (1u << d))
			set_minutes(bits, day * 1440 + ws->from - tzmin, len);
	}
	runs_to_window(bits, w);
}

static int window_id(struct cc *c, const struct cdt *t, uint16_t *out)
{
	struct mw_img_window w;
	size_t i;

	*out = 0;
	if (!t->spec->window.set)
		return 0;
	window_ranges(&t->spec->window, c->pol->tz_offset, &w);
	for (i = 0; i < c->n_win; i++) {
		w.id = (uint32_t)i;
		if (!memcmp(&w, &c->win[i], sizeof(w))) {
			*out = (uint16_t)(i + 1);
			return 0;
		}
	}
	if (c->n_win >= MW_MAX_WINDOWS) {
		cc_err(c, t->spec->window.loc,
		       "conduit \"%s\": too many distinct windows, at most %u",
		       t->name, MW_MAX_WINDOWS);
		return -E2BIG;
	}
	w.id = (uint32_t)c->n_win;
	c->win[c->n_win++] = w;
	*out = (uint16_t)c->n_win;
	return 0;
}

int cc_build_windows(struct cc *c)
{
	size_t i;
	int err;

	for (i = 0; i < c->n_cdts; i++) {
		err = window_id(c, &c->cdts[i], &c->cdts[i].window);
		if (err)
			return err;
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy's calendar (controls 2.1.1, 3.1.3): agreements that are about
 * to expire or have expired, and maintenance windows (conduit windows)
 * that open and close.  Pure: the caller gives the time, so tests step a
 * clock instead of sleeping; meterwalld steps it every second and turns
 * what it reports into events.
 */
#ifndef MW_CALENDAR_H
#define MW_CALENDAR_H

#include <stdint.h>

#include "image.h"

enum mw_cal_kind {
	MW_CAL_EXPIRING,	/* within 30, 7 or 1 day(s) of expires */
	MW_CAL_EXPIRED,		/* expires reached: its traffic is dropped */
	MW_CAL_WINDOW_OPEN,	/* a conduit's window opened (or was open
				 * when first seen) */
	MW_CAL_WINDOW_CLOSE,
};

struct mw_cal_event {
	enum mw_cal_kind kind;
	const struct mw_img_system *sys;
	const struct mw_img_conduit *conduit;	/* windows only */
	int64_t expires;	/* unix s (agreements) */
	int64_t days_left;	/* whole days, rounded up (EXPIRING) */
	bool first;		/* WINDOW_OPEN: open when first seen */
};

typedef void (*mw_cal_fn)(const struct mw_cal_event *e, void *arg);

struct mw_calendar;
int mw_calendar_new(struct mw_calendar **out);
void mw_calendar_free(struct mw_calendar *c);
/*
 * What happened up to now_s (unix seconds) under policy v, each reported
 * once: an agreement's warning when it comes within 30, 7 and 1 day(s) of
 * expiring (only the latest reached when several are passed at once, as
 * at a start), and when it expires; a later expiry in a new policy takes
 * the warnings back, to be given again.  State is kept by system and
 * conduit id (ids carry over between policies).  0 or -ENOMEM.
 */
int mw_calendar_step(struct mw_calendar *c, const struct mw_image_view *v,
		     int64_t now_s, mw_cal_fn fn, void *arg);

#endif

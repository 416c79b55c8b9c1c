/* SPDX-License-Identifier: GPL-2.0 */
/* meterwalld: the enforcement that holds across restarts and link changes. */
#ifndef MW_METERWALLD_H
#define MW_METERWALLD_H

#include <stdbool.h>

#include "ctl.h"

struct mwd_config {
	char state_dir[256];	/* "" = the controller's default */
	char log_dir[256];
	char pin_dir[256];
	enum mw_xdp_mode mode;	/* attach mode of the external interfaces */
};

/*
 * config.c: read path (YAML, a mapping of the keys above; attach_mode:
 * native | generic).  A missing file is the defaults when missing_ok.
 * Errors name file:line:col and the value; 0 or -errno.
 */
int mwd_config_read(const char *path, bool missing_ok, struct mwd_config *cfg);

/* links.c: rtnetlink link events (RTMGRP_LINK). */
int mwd_links_open(void);
/*
 * Read what is pending on fd; for each link that appeared or changed, fn
 * with its name and ifindex.  0 or -errno.
 */
int mwd_links_read(int fd, void (*fn)(const char *name, unsigned int ifindex,
				      void *arg), void *arg);

#endif

// SPDX-License-Identifier: GPL-2.0
/* The version of the policy in force's file (meterwalld.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "meterwalld.h"

int mwd_policy_id(struct mw_ctl *c, struct mwd_file_id *id)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/policy.img", mw_ctl_state_dir(c));
	if (lstat(path, &st) < 0)
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtim = st.st_mtim;
	id->ctim = st.st_ctim;
	return 0;
}

bool mwd_file_id_eq(const struct mwd_file_id *a, const struct mwd_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec &&
	       a->ctim.tv_sec == b->ctim.tv_sec &&
	       a->ctim.tv_nsec == b->ctim.tv_nsec;
}

/* SPDX-License-Identifier: GPL-2.0 */
/* The policy compiler: a parsed policy (policy.h) -> an image (image.h). */
#ifndef MW_COMPILE_H
#define MW_COMPILE_H

#include "image.h"
#include "policy.h"

/*
 * compile.c: policy -> image.  prev (may be NULL) is the image in force:
 * systems, devices and conduits that keep their names keep their ids.
 * pol is valid as mw_policy_load_*() returns it: the parser checks the
 * policy's meaning once (references, overlaps, ranges) and the compiler
 * does not repeat it.  What only the compiler can know is checked here:
 * capacity limits, ids carried over, the image's size; on error *diag
 * names the element.  A reference the compiler cannot resolve (a policy
 * built without the parser) is -EINVAL.  Returns 0 or -errno.
 */
int mw_compile(const struct mw_policy *pol, const struct mw_image_view *prev,
	       struct mw_image *out, struct mw_diag *diag);

#endif /* MW_COMPILE_H */

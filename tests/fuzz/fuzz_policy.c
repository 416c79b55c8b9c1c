// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the policy parser and compiler.  Any YAML in; a
 * policy the parser accepts must compile or fail with a diagnostic, and
 * what the compiler emits must pass the image validator (the kernel
 * module runs the same checks on it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "compile.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mw_policy *pol = NULL;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	struct mw_diag d = { 0 };
	const char *why = NULL;

	if (mw_policy_load_buf("fuzz.yaml", (const char *)data, len, &pol,
			       &d)) {
		if (!d.msg[0])
			abort();	/* a rejection always says why */
		return 0;
	}
	if (!mw_compile(pol, NULL, &img, &d)) {
		if (mw_image_view(img.data, img.len, &v, &why))
			abort();	/* the compiler's output is valid */
		/* compiled again with itself as the image in force: the
		 * id carry-over path */
		{
			struct mw_image again = { 0 };

			if (mw_compile(pol, &v, &again, &d))
				abort();
			if (again.len != img.len)
				abort();
			mw_image_free(&again);
		}
		mw_image_free(&img);
	} else if (!d.msg[0]) {
		abort();
	}
	mw_policy_free(pol);
	return 0;
}

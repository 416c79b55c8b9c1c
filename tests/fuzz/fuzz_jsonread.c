// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the JSON reader (jsonread.h) that evidence bundles
 * use on JSON lines and manifests, which may come from anywhere.  Any
 * bytes: parsed or refused, never a crash, leak or read past the input;
 * a parsed tree is walked whole, its strings NUL-terminated, and what
 * was parsed parses again from the same bytes to the same shape.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

static size_t walk(const struct mw_json *v, int depth)
{
	const struct mw_json *e;
	size_t n = 1;

	if (depth > MW_JSON_DEPTH + 1)
		abort();
	if ((v->type == MW_JSON_STR || v->type == MW_JSON_NUM) &&
	    strlen(v->str) > 1u << 30)
		abort();
	for (e = v->child; e; e = e->next) {
		if ((v->type == MW_JSON_OBJ) != (e->key != NULL))
			abort();
		n += walk(e, depth + 1);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_json *a, *b;
	const char *why;
	size_t at;

	if (mw_json_parse((const char *)data, size, &a, &why, &at)) {
		if (!why || at > size)
			abort();
		return 0;
	}
	if (mw_json_parse((const char *)data, size, &b, NULL, NULL) ||
	    walk(a, 0) != walk(b, 0))
		abort();
	mw_json_free(a);
	mw_json_free(b);
	return 0;
}

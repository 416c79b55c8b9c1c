// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the policy parser and compiler.  Any YAML in; a
 * policy the parser accepts must compile or fail with a diagnostic, and
 * what the compiler emits must pass the image validator (the kernel
 * module runs the same checks on it).  Where the fast reader
 * (policy_scan.c) reads the input, its tree must be libyaml's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "compile.h"
#include "policy.h"
#include "policy_int.h"

static bool node_eq(const struct mwp_node *a, const struct mwp_node *b)
{
	if (a->type != b->type || a->len != b->len || a->line != b->line ||
	    a->col != b->col || a->plain != b->plain)
		return false;
	if (a->type == MWP_SCALAR)
		return !memcmp(a->text, b->text, a->len + 1);
	return a->first == b->first;
}

/* mwp_tree_scan: -EAGAIN, or exactly what libyaml composes, without an
 * error and with no second document after it. */
static void check_scan(const uint8_t *data, size_t len)
{
	struct mwp_tree a, b;
	yaml_document_t extra;
	yaml_parser_t p;
	size_t i;

	if (mwp_tree_scan((const char *)data, len, &a))
		return;
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, data, len);
	if (mwp_tree_load(&p, &b) || !yaml_parser_load(&p, &extra))
		abort();
	if (yaml_document_get_root_node(&extra))
		abort();
	if (a.root != b.root || a.n_nodes != b.n_nodes ||
	    a.n_kids != b.n_kids ||
	    (a.n_kids && memcmp(a.kids, b.kids, a.n_kids * sizeof(*a.kids))))
		abort();
	for (i = 1; i < a.n_nodes; i++)
		if (!node_eq(&a.nodes[i], &b.nodes[i]))
			abort();
	yaml_document_delete(&extra);
	yaml_parser_delete(&p);
	mwp_tree_free(&a);
	mwp_tree_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mw_policy *pol = NULL;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	struct mw_diag d = { 0 };
	const char *why = NULL;

	check_scan(data, len);
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

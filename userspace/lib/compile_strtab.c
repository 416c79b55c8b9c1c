// SPDX-License-Identifier: GPL-2.0
/*
 * The compiler's string table: deduplicated, offset 0 is the empty string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static int strtab_grow(struct strtab *t)
{
	size_t n = t->nslot ? t->nslot * 2 : 1024, i;
	uint32_t *slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < t->nslot; i++) {
		uint32_t v = t->slot[i];
		size_t j;

		if (!v)
			continue;
		j = str_hash(t->buf + v - 1) & (n - 1);
		while (slot[j])
			j = (j + 1) & (n - 1);
		slot[j] = v;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = n;
	return 0;
}

static int strtab_append(struct strtab *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *b;

		while (cap < t->len + n)
			cap *= 2;
		b = realloc(t->buf, cap);
		if (!b)
			return -ENOMEM;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	return 0;
}

int cc_str_add(struct strtab *t, const char *s, uint32_t *off)
{
	size_t j, n = strlen(s) + 1;
	int err;

	if ((t->used + 1) * 2 > t->nslot) {
		err = strtab_grow(t);
		if (err)
			return err;
	}
	j = str_hash(s) & (t->nslot - 1);
	for (; t->slot[j]; j = (j + 1) & (t->nslot - 1)) {
		if (!strcmp(t->buf + t->slot[j] - 1, s)) {
			*off = t->slot[j] - 1;
			return 0;
		}
	}
	if (t->len + n > MW_IMAGE_MAX)
		return -E2BIG;
	*off = (uint32_t)t->len;
	err = strtab_append(t, s, n);
	if (err)
		return err;
	t->slot[j] = *off + 1;
	t->used++;
	return 0;
}

void cc_strtab_free(struct strtab *t)
{
	free(t->buf);
	free(t->slot);
}

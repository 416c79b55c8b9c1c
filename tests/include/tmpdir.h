/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A unit test's own temporary directory (root, made by tmpdir_make in
 * its setup) and the small file helpers the controller's tests share.
 * Include after cmocka.h; static inline, so a test uses what it needs.
 */
#ifndef MW_TEST_TMPDIR_H
#define MW_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root[64];

/* /tmp/mw-test-TAG.XXXXXX */
static inline void tmpdir_make(const char *tag)
{
	snprintf(root, sizeof(root), "/tmp/mw-test-%s.XXXXXX", tag);
	assert_non_null(mkdtemp(root));
}

/* root/name; eight results may be in use at once */
static inline char *path_in(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, name);
	return buf[i];
}

static inline void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A text file whole (up to 64 KiB), in a buffer reused by each call. */
static inline char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* How often needle occurs in hay. */
static inline int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

#endif /* MW_TEST_TMPDIR_H */

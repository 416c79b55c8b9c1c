/* SPDX-License-Identifier: GPL-2.0 */
/* Located diagnostics: "file:line:col: message" (parser, compiler). */
#ifndef MW_DIAG_H
#define MW_DIAG_H

struct mw_loc {
	int line;		/* 1-based; 0 = unknown */
	int col;		/* 1-based */
};

/* A located diagnostic: "file:line:col: message". */
struct mw_diag {
	char file[256];
	struct mw_loc loc;
	char msg[512];
};

/* util.c */
void mw_diag_set(struct mw_diag *d, const char *file, struct mw_loc loc,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void mw_diag_print(const struct mw_diag *d);	/* to stderr */

#endif /* MW_DIAG_H */

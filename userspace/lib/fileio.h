/* SPDX-License-Identifier: GPL-2.0 */
/* Files replaced whole: never half-written, never lost on a crash. */
#ifndef MW_FILEIO_H
#define MW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace path by len bytes of data, atomically and durably: a fresh file
 * of a unique name next to it (mkstemp: O_EXCL), written, given mode,
 * fsynced, renamed over path, and the directory fsynced.  On failure the
 * old file is untouched and the temporary one removed.  0 or -errno.
 */
int mw_replace_file(const char *path, const void *data, size_t len,
		    mode_t mode);

/*
 * Append one record (a whole line) to fd, opened O_APPEND, all or nothing:
 * a short write (a full disk) is cut back off, so a log never holds a torn
 * line.  0, or -errno (-ENOSPC for a short write).  One writer per file.
 */
int mw_append_record(int fd, const void *buf, size_t len);

#endif

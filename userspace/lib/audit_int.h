/* SPDX-License-Identifier: GPL-2.0 */
/* The audit chain's internals, shared by audit.c and audit_verify.c. */
#ifndef MW_AUDIT_INT_H
#define MW_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"

/* ,"mac":"<64 hex digits>"}\n */
#define MW_AUDIT_MAC_SUFFIX_LEN	(8 + 2 * MW_AUDIT_MAC_LEN + 3)

/* HMAC-SHA-256(key, prev || body) */
int audit_mac(const uint8_t key[MW_AUDIT_KEY_LEN],
	      const uint8_t prev[MW_AUDIT_MAC_LEN], const char *body,
	      size_t len, uint8_t mac[MW_AUDIT_MAC_LEN]);
int audit_evolve(uint8_t key[MW_AUDIT_KEY_LEN]);
/* n bytes from 2n lowercase hex digits; -EINVAL */
int audit_unhex(const char *s, uint8_t *out, size_t n);
void audit_hex(const uint8_t *in, size_t n, char *out);
int audit_read_small(const char *path, char *buf, size_t cap, size_t *len);

/*
 * One line (len bytes, without its newline): {"seq":N, ... ,"mac":"HEX"}
 * into *seq and mac; with key (and prev), the mac checked too.  0, or
 * -EBADMSG with *why (when why is not NULL).
 */
int audit_line_check(const char *line, size_t len, uint64_t *seq,
		     const uint8_t *key, const uint8_t *prev,
		     uint8_t mac[MW_AUDIT_MAC_LEN], const char **why);

#endif

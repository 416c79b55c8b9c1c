// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the audit log's verifier and the seal reader (a log
 * or syslog lines copied from a host that may be taken).  Every line that
 * has a record's form gets the mac the chain wants first (as fuzz_image
 * recomputes the digest), or nearly every input would stop at the first
 * mac; then the verdict is judged: a log verified whole has exactly as
 * many records as lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_int.h"

static const uint8_t key0[MW_AUDIT_KEY_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* Each line with a record's form gets its chain mac, in place. */
static void fix_macs(char *log, size_t len)
{
	uint8_t key[MW_AUDIT_KEY_LEN], prev[MW_AUDIT_MAC_LEN] = { 0 };
	uint8_t mac[MW_AUDIT_MAC_LEN];
	char *p = log, *nl, hex[2 * MW_AUDIT_MAC_LEN + 1];
	uint64_t seq;
	size_t n, body;

	memcpy(key, key0, sizeof(key));
	for (; p < log + len && (nl = memchr(p, '\n', log + len - p));
	     p = nl + 1) {
		n = (size_t)(nl - p);
		if (audit_line_check(p, n, &seq, NULL, NULL, mac, NULL))
			continue;
		body = n - (MW_AUDIT_MAC_SUFFIX_LEN - 1);
		if (audit_mac(key, prev, p, body, mac) || audit_evolve(key))
			return;
		audit_hex(mac, sizeof(mac), hex);
		memcpy(p + body + 8, hex, 2 * MW_AUDIT_MAC_LEN);
		memcpy(prev, mac, sizeof(prev));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_audit_verify v = { .key0 = key0 };
	struct mw_audit_seal *seals = NULL;
	char *log = malloc(size + 1);
	size_t i, lines = 0;
	int n;

	if (!log)
		return 0;
	memcpy(log, data, size);
	log[size] = '\0';
	n = mw_audit_seals_parse(log, size, &seals);
	fix_macs(log, size);
	for (i = 0; i < size; i++)
		lines += log[i] == '\n';
	if (n >= 0) {
		v.seals = seals;
		v.n_seals = (size_t)n;
	}
	if (!mw_audit_verify_log(log, size, &v) && v.records != lines)
		abort();
	v.n_seals = 0;
	if (!mw_audit_verify_log(log, size, &v) && v.records != lines)
		abort();
	free(seals);
	free(log);
	return 0;
}

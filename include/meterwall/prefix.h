/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address prefixes (family, 16 address bytes, length), the one
 * definition of their order and of "no host bits", for the compiler, the
 * validator (userspace and kernel) and the risk checks.
 */
#ifndef MW_PREFIX_H
#define MW_PREFIX_H

#include <meterwall/freestanding.h>

/* Address bits from plen on (all 16 bytes) are zero. */
static inline bool mw_host_bits_zero(const uint8_t addr[16], unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bit = i * 8;
		uint8_t mask;

		if (bit + 8 <= plen)
			continue;
		mask = bit >= plen ? 0xff : (uint8_t)(0xff >> (plen - bit));
		if (addr[i] & mask)
			return false;
	}
	return true;
}

/* Order by family, address bytes, then prefix length. */
static inline int mw_prefix_cmp(uint8_t fa, const uint8_t a[16], uint8_t pa,
				uint8_t fb, const uint8_t b[16], uint8_t pb)
{
	int r;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	r = memcmp(a, b, 16);
	if (r)
		return r;
	return (int)pa - (int)pb;
}

#endif /* MW_PREFIX_H */

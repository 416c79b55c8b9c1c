/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Edits of frames for the differential tests on mutated frames (the XDP
 * program's, tests/unit/xdp_diff/random.c, and the module's,
 * tests/guest/kmod_diff.c): one to four edits that know where the
 * headers are (a field of Ethernet, of a tag, of IPv4 or IPv6 or what
 * follows, set to a value the parsers branch on; a tag put in or taken
 * out; a cut; bytes after the end; a stretch copied over another or
 * repeated).  A small PRNG with a seed, so that a run is the same twice.
 */
#ifndef MW_TEST_MUTATE_H
#define MW_TEST_MUTATE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "frames.h"

/* xorshift64*: enough for choosing edits */
struct mut {
	uint64_t s;
};

static inline void mut_seed(struct mut *m, uint64_t seed)
{
	m->s = 0x9E3779B97F4A7C15ULL * (seed + 1);
}

/* A number below n (0 if n is 0). */
static inline uint32_t mut_rnd(struct mut *m, uint32_t n)
{
	m->s ^= m->s >> 12;
	m->s ^= m->s << 25;
	m->s ^= m->s >> 27;
	return n ? (uint32_t)((m->s * 0x2545F4914F6CDD1DULL) >> 32) % n : 0;
}

/* Values the parsers branch on: ethertypes and TPIDs, IP versions and
 * header lengths, protocols and extension headers, ICMP and ND types,
 * option kinds, and the ends of the ranges. */
static const uint8_t mut_values8[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x11, 0x20,
	0x29, 0x2b, 0x2c, 0x32, 0x33, 0x3a, 0x3b, 0x3c, 0x40, 0x44, 0x45,
	0x46, 0x4f, 0x60, 0x6f, 0x7f, 0x80, 0x81, 0x83, 0x85, 0x86, 0x87,
	0x88, 0x89, 0x8a, 0x91, 0xa8, 0xdd, 0xfe, 0xff,
};

static const uint16_t mut_values16[] = {
	0x0000, 0x0001, 0x0008, 0x0014, 0x0028, 0x003c, 0x0800, 0x0806,
	0x86dd, 0x8100, 0x88a8, 0x9100, 0x2000, 0x4000, 0x1fff, 0x3fff,
	0x05dc, 0x05dd, 0x7fff, 0x8000, 0xffff,
};

/* Where the network header starts (after the tags, if it can tell). */
static inline size_t mut_l3(const uint8_t *f, size_t len)
{
	size_t o = 12;

	while (o + 2 <= len && o < 12 + 4 * 4) {
		uint16_t t = (uint16_t)(f[o] << 8 | f[o + 1]);

		if (t != 0x8100 && t != 0x88a8 && t != 0x9100)
			break;
		o += 4;
	}
	return o + 2;
}

/* An offset inside the headers: in the first 64 bytes of the frame (a
 * quarter of the edits), else in the 128 from the network header on. */
static inline size_t mut_off(struct mut *m, const uint8_t *f,
			     size_t len)
{
	size_t l3 = mut_l3(f, len), span;

	if (mut_rnd(m, 4) == 0 || l3 >= len)
		span = len < 64 ? len : 64, l3 = 0;
	else
		span = len - l3 < 128 ? len - l3 : 128;
	return l3 + mut_rnd(m, (uint32_t)span);
}

/* One edit of f (len bytes, room for cap): the new length. */
static inline size_t mut_edit(struct mut *m, uint8_t *f, size_t len,
			      size_t cap)
{
	size_t o = mut_off(m, f, len), n, a;

	switch (mut_rnd(m, 10)) {
	case 0:			/* a byte, any value */
		f[o] = (uint8_t)mut_rnd(m, 256);
		return len;
	case 1:			/* a byte, a value parsers branch on */
		f[o] = mut_values8[mut_rnd(m, sizeof(mut_values8))];
		return len;
	case 2:			/* a bit */
		f[o] ^= (uint8_t)(1U << mut_rnd(m, 8));
		return len;
	case 3:			/* two bytes: a length, a type, a flag word */
		if (o + 2 > len)
			return len;
		if (mut_rnd(m, 3))	/* a value from the list */
			n = mut_values16[mut_rnd(m, sizeof(mut_values16) /
						    sizeof(mut_values16[0]))];
		else			/* about the bytes left */
			n = len - o + mut_rnd(m, 5) - 2;
		fr_be16(f + o, (uint16_t)n);
		return len;
	case 4:			/* cut */
		return 14 + mut_rnd(m, (uint32_t)(len - 14 + 1));
	case 5:			/* bytes after the end */
		n = 1 + mut_rnd(m, 64);
		if (len + n > cap)
			return len;
		for (a = 0; a < n; a++)
			f[len + a] = mut_rnd(m, 2) ? 0 :
						     (uint8_t)mut_rnd(m, 256);
		return len + n;
	case 6:			/* a tag in */
		if (len + 4 > cap)
			return len;
		memmove(f + 16, f + 12, len - 12);
		n = mut_rnd(m, 2) ? 0x8100 : mut_rnd(m, 2) ? 0x88a8 : 0x9100;
		fr_be16(f + 12, (uint16_t)n);
		/* the VIDs the tagged policy takes, or any TCI */
		n = mut_rnd(m, 2) ? (mut_rnd(m, 2) ? 10 : 20) :
				    mut_rnd(m, 0x10000);
		fr_be16(f + 14, (uint16_t)n);
		return len + 4;
	case 7:			/* four bytes out, at the type (a tag out) */
		if (len < 14 + 4)
			return len;
		memmove(f + 12, f + 16, len - 16);
		return len - 4;
	case 8:			/* a stretch copied over another */
		n = 1 + mut_rnd(m, 24);
		a = mut_off(m, f, len);
		if (a + n > len || o + n > len)
			return len;
		memmove(f + o, f + a, n);
		return len;
	default:		/* a stretch repeated (a header twice) */
		n = 1 + mut_rnd(m, 40);
		a = mut_off(m, f, len);
		if (a + n > len || len + n > cap)
			return len;
		memmove(f + a + n, f + a, len - a);
		return len + n;
	}
}

/* One to four edits (one in half of the frames): the new length. */
static inline size_t mut_frame(struct mut *m, uint8_t *f, size_t len,
			       size_t cap)
{
	uint32_t n = mut_rnd(m, 2) ? 1 : 2 + mut_rnd(m, 3);

	while (n--)
		len = mut_edit(m, f, len, cap);
	return len;
}

/*
 * One to four edits of the bytes from lo on (the 64 after lo), none
 * before and no length but a cut at lo or later: for frames whose headers
 * up to lo must stay (a forwarded frame's addresses and TTL).  Returns the
 * new length.
 */
static inline size_t mut_tail(struct mut *m, uint8_t *f, size_t len,
			      size_t lo)
{
	uint32_t n = mut_rnd(m, 2) ? 1 : 2 + mut_rnd(m, 3);
	size_t o, span;

	while (n-- && lo < len) {
		span = len - lo < 64 ? len - lo : 64;
		o = lo + mut_rnd(m, (uint32_t)span);
		switch (mut_rnd(m, 8)) {
		case 0:
		case 1:
			f[o] = (uint8_t)mut_rnd(m, 256);
			break;
		case 2:
		case 3:
			f[o] = mut_values8[mut_rnd(m, sizeof(mut_values8))];
			break;
		case 4:
		case 5:
			f[o] ^= (uint8_t)(1U << mut_rnd(m, 8));
			break;
		case 6:
			if (o + 2 <= len)
				fr_be16(f + o, mut_values16[mut_rnd(m,
					sizeof(mut_values16) /
					sizeof(mut_values16[0]))]);
			break;
		default:		/* one in eight: a cut */
			len = o;
			break;
		}
	}
	return len;
}

#endif /* MW_TEST_MUTATE_H */

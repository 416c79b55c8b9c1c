// SPDX-License-Identifier: GPL-2.0
/* Small shared helpers: prefixes, MAC addresses, diagnostics, protocol
 * names. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "classify.h"
#include "policy.h"

static unsigned int addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/*
 * "192.0.2.1", "192.0.2.0/24", "2001:db8::/32".  A bare address is a host
 * prefix.  Host bits set under the mask are an error, not silently cleared:
 * "192.0.2.1/24" almost always means the author meant something else.
 */
int mw_prefix_parse(const char *s, struct mw_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	unsigned long plen;
	char *end;

	memset(p, 0, sizeof(*p));
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;

	if (!slash) {
		p->plen = addr_len(p->family) * 8;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno || *end || plen > addr_len(p->family) * 8 ||
	    (slash[1] == '0' && slash[2] != '\0'))
		return -EINVAL;
	p->plen = (uint8_t)plen;
	return mw_host_bits_zero(p->addr, p->plen) ? 0 : -EDOM;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rem = bits % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rem)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

bool mw_prefix_contains(const struct mw_prefix *outer,
			const struct mw_prefix *inner)
{
	return outer->family == inner->family && outer->plen <= inner->plen &&
	       bits_equal(outer->addr, inner->addr, outer->plen);
}

bool mw_prefix_overlap(const struct mw_prefix *a, const struct mw_prefix *b)
{
	return mw_prefix_contains(a, b) || mw_prefix_contains(b, a);
}

void mw_prefix_format(const struct mw_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (p->plen == addr_len(p->family) * 8)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->plen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "02:00:5e:10:00:01" (colons or dashes, not mixed). */
int mw_mac_parse(const char *s, uint8_t mac[6])
{
	char sep;
	int i;

	if (strlen(s) != 17)
		return -EINVAL;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && s[i * 3 + 2] != sep)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void mw_diag_set(struct mw_diag *d, const char *file, struct mw_loc loc,
		 const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	snprintf(d->file, sizeof(d->file), "%s", file ? file : "<policy>");
	d->loc = loc;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

void mw_diag_print(const struct mw_diag *d)
{
	if (d->loc.line)
		fprintf(stderr, "%s:%d:%d: error: %s\n", d->file, d->loc.line,
			d->loc.col, d->msg);
	else
		fprintf(stderr, "%s: error: %s\n", d->file, d->msg);
}

const char *mw_proto_name(uint8_t proto, char buf[MW_PROTO_LEN])
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case MW_ANY_PROTO:
		return "any";
	}
	snprintf(buf, MW_PROTO_LEN, "%u", proto);
	return buf;
}

void mw_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *, const void *))
{
	const char *p = base;
	size_t i;

	for (i = 1; i < n; i++, p += size)
		if (cmp(p, p + size) > 0)
			break;
	if (i < n)
		qsort(base, n, size, cmp);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of meterwall.ko against the reference classifier, with
 * real packets through the module's netfilter hooks.
 *
 * One corpus (built here with tests/include/frames.h from examples/gateway.yaml
 * with its time dependence pinned, see pin_policy()) is judged twice: by
 * mw_pkt_parse + mw_classify, and by the module, which reads each frame
 * from a veth pair in a qemu guest.  The module's reason is the per-reason
 * counter (MW_TARGET_REASON) that moved.  Besides the frames made on
 * purpose (products, edge cases, the attack corpus) it holds N_MUTATED
 * edited copies of its inbound frames and N_MUTATED_OUT of its outbound
 * ones, past their IP header (tests/include/mutate.h, fixed seeds): what
 * nobody thought of.
 *
 * Without arguments (tests/run.sh on the host): a cmocka suite checks the
 * corpus itself: its size, the classifier's verdict for every frame, and
 * that the reason codes are covered.
 *
 * `kmod_diff dump`: the inbound frames for the XDP differential test
 * (dump_inbound).
 *
 * `kmod_diff run GW_NETNS` (tests/vm/guest/kmod-diff.sh): run in the
 * injecting namespace, whose x0 / x1 / x2 are the veth peers of ext0 / ext1
 * / sm0 in the gateway namespace GW_NETNS, where meterwall.ko is loaded
 * with strict_new=0 and nothing is configured but the links.  The tool
 * opens AF_PACKET sockets on x0..x2, enters GW_NETNS, adds the routes and
 * permanent neighbours of the outbound phase (table `routes'), loads the
 * policy and one device block, and then per frame:
 *   - sends the frame (destination MAC = the gateway interface's MAC) and
 *     a marker frame (from a marker device appended to the policy, PASS
 *     ALLOWED; only marker frames move its device counter);
 *   - reads the counters until the marker is counted: veth delivers
 *     in order on one CPU (the tool pins itself to CPU 0), so the frame has
 *     been through the hooks by then;
 *   - the delta minus the marker is the frame's: one reason moved = the
 *     module's verdict and reason; nothing moved = the frame did not reach
 *     the hooks (the kernel dropped it before netfilter); more = ambiguous.
 * Inbound frames are injected on x0/x1 (judged on ext0/ext1 at PRE_ROUTING);
 * outbound frames on x2, forwarded by the gateway out of ext0/ext1 (judged
 * at FORWARD) and compared with mw_classify(..., MW_DIR_OUTBOUND, ...).
 *
 * Frames that do not reach the hooks are counted by category (ARP, other
 * ethertypes, VLAN-tagged, IP headers the stack rejects) and must be ones
 * the classifier drops, or ARP (the module does not judge ARP).  Every
 * other outcome than agreement on verdict and reason is a failure, printed
 * with the frame.  Exit 0 only without failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "classify.h"
#include "compile.h"
#include "image.h"
#include "nl.h"
#include "policy.h"
#include "frames.h"
#include "attacks.h"
#include "mutate.h"

#define POLICY_FILE "examples/gateway.yaml"
#define MIN_REACHING 500	/* frames the module must judge */
#define N_MUTATED 4000		/* edited copies of inbound frames */
#define N_MUTATED_OUT 1000	/* ... and of outbound ones */

enum { IF_EXT0, IF_EXT1, IF_SM0, IF_N };
static const char *const gw_if[IF_N] = { "ext0", "ext1", "sm0" };
static const char *const inj_if[IF_N] = { "x0", "x1", "x2" };

/* The device blocked by the test (mirrored into the classifier's state). */
#define BLOCKED_DEVICE "hems-gw-2"

struct cframe {
	uint8_t *buf;
	size_t len;
	int inj;		/* injected on inj_if[inj] */
	int judged_on;		/* the external interface it is judged on */
	enum mw_direction dir;
	char label[120];
};

static struct corpus {
	struct mw_policy *pol;
	struct mw_image img;
	struct mw_image_view v;
	uint32_t iface_id[IF_N];
	struct mw_block *dev_blocks;
	uint32_t blocked_dev;
	uint32_t marker_dev;
	struct cframe *f;
	size_t n, cap;
	uint16_t ip_id;
} C;

/* ---------------------------------------------------------------------- */
/* policy                                                                  */

static int64_t unix_s(int y, int mo, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };

	return (int64_t)timegm(&tm);
}

/*
 * The example's agreements and windows depend on the date; pin them so the
 * corpus covers the same reasons on any day: every system valid from 2000
 * to 2100, except ev-charging (not yet valid) and retailer-api (expired);
 * no windows.  Rate limits are dropped too: the module's state depends on
 * its packet times, which the classifier cannot follow frame by frame
 * (tests/vm/guest/kmod.sh tests them with real traffic).
 */
static void pin_policy(struct mw_policy *pol)
{
	size_t i, j, k;

	pol->has_expires = false;
	for (i = 0; i < pol->n_systems; i++) {
		struct mw_system_spec *s = &pol->systems[i];

		s->limits.pps = s->limits.bps = 0;
		s->has_valid_from = s->has_expires = true;
		s->valid_from = unix_s(2000, 1, 1);
		s->expires = unix_s(2100, 1, 1);
		if (!strcmp(s->name, "ev-charging"))
			s->valid_from = unix_s(2099, 1, 1);
		if (!strcmp(s->name, "retailer-api"))
			s->expires = unix_s(2001, 1, 1);
		for (j = 0; j < s->n_conduits; j++)
			s->conduits[j].window.set = false;
		for (j = 0; j < s->n_devices; j++)
			for (k = 0; k < s->devices[j].n_conduits; k++)
				s->devices[j].conduits[k].window.set = false;
	}
}

/*
 * Appended to the example's systems: the marker device, whose counter
 * moves only for the marker frame sent after each corpus frame.
 */
#define MARKER_SYSTEM "kmod-diff-marker"
#define MARKER_ADDR "198.51.100.250"
static const char marker_yaml[] =
	"\n  - name: " MARKER_SYSTEM "\n"
	"    entity: \"kmod-diff marker\"\n"
	"    contact: \"test@example.org\"\n"
	"    agreement: \"T-1\"\n"
	"    interface: ext0\n"
	"    devices:\n"
	"      - name: " MARKER_SYSTEM "\n"
	"        addresses: [" MARKER_ADDR "]\n"
	"    conduits:\n"
	"      - name: marker\n"
	"        direction: inbound\n"
	"        zone: head-end\n"
	"        proto: udp\n"
	"        ports: [9]\n";

static int policy_setup(char *why, size_t len)
{
	struct mw_diag diag;
	const char *w = NULL;
	const struct mw_img_device *d;
	int i, rc;

	FILE *fp = fopen(POLICY_FILE, "r");
	char *text;
	size_t n;

	text = fp ? malloc(1 << 20) : NULL;
	if (!text) {
		snprintf(why, len, "%s: %s", POLICY_FILE, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	n = fread(text, 1, (1 << 20) - sizeof(marker_yaml), fp);
	fclose(fp);
	memcpy(text + n, marker_yaml, sizeof(marker_yaml));	/* systems: last */
	rc = mw_policy_load_buf(POLICY_FILE, text, strlen(text), &C.pol, &diag);
	free(text);
	if (rc) {
		snprintf(why, len, "%s + marker: %s", POLICY_FILE, diag.msg);
		return -1;
	}
	pin_policy(C.pol);
	rc = mw_compile(C.pol, NULL, &C.img, &diag);
	if (rc) {
		snprintf(why, len, "compile: %s", diag.msg);
		return -1;
	}
	rc = mw_image_view(C.img.data, C.img.len, &C.v, &w);
	if (rc) {
		snprintf(why, len, "image: %s", w ? w : strerror(-rc));
		return -1;
	}
	for (i = 0; i < IF_N; i++) {
		const struct mw_img_iface *f =
			mw_image_iface_by_name(&C.v, gw_if[i]);

		if (!f) {
			snprintf(why, len, "no interface %s", gw_if[i]);
			return -1;
		}
		C.iface_id[i] = f->id;
	}
	d = mw_image_device_by_name(&C.v, BLOCKED_DEVICE);
	if (!d) {
		snprintf(why, len, "no device %s", BLOCKED_DEVICE);
		return -1;
	}
	C.blocked_dev = d->id;
	d = mw_image_device_by_name(&C.v, MARKER_SYSTEM);
	if (!d) {
		snprintf(why, len, "no marker device");
		return -1;
	}
	C.marker_dev = d->id;
	C.dev_blocks = calloc(C.v.n_devices + 1, sizeof(*C.dev_blocks));
	if (!C.dev_blocks) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	C.dev_blocks[C.blocked_dev].active = 1;
	C.dev_blocks[C.blocked_dev].cause = MW_BLOCK_OPERATOR;
	return 0;
}

static void classify_frame(const struct cframe *cf, struct mw_result *res)
{
	struct mw_runtime rt = {
		.dev_blocks = C.dev_blocks,
		.n_dev_blocks = C.v.n_devices + 1,
	};
	struct timespec bt, rl;
	struct mw_pkt p;

	clock_gettime(CLOCK_BOOTTIME, &bt);
	clock_gettime(CLOCK_REALTIME, &rl);
	rt.boot_ns = (int64_t)bt.tv_sec * 1000000000LL + bt.tv_nsec;
	rt.boot_to_unix_ns = (int64_t)rl.tv_sec * 1000000000LL + rl.tv_nsec -
			     rt.boot_ns;
	rt.boot_to_unix_max_ns = rt.boot_to_unix_ns;
	mw_pkt_parse(cf->buf, cf->len, &p);
	mw_classify(&C.v, &rt, C.iface_id[cf->judged_on], cf->dir, &p, res);
}

/* ---------------------------------------------------------------------- */
/* corpus                                                                  */

static void add(const uint8_t *buf, size_t len, int inj, int judged_on,
		enum mw_direction dir, const char *fmt, ...)
{
	struct cframe *cf;
	va_list ap;

	if (len < 14)
		return;		/* AF_PACKET needs the Ethernet header */
	if (C.n == C.cap) {
		size_t cap = C.cap ? C.cap * 2 : 1024;
		struct cframe *f = realloc(C.f, cap * sizeof(*f));

		if (!f)
			abort();
		C.f = f;
		C.cap = cap;
	}
	cf = &C.f[C.n++];
	cf->buf = malloc(len);
	if (!cf->buf)
		abort();
	memcpy(cf->buf, buf, len);
	cf->len = len;
	cf->inj = inj;
	cf->judged_on = judged_on;
	cf->dir = dir;
	va_start(ap, fmt);
	vsnprintf(cf->label, sizeof(cf->label), fmt, ap);
	va_end(ap);
}

static void add_in(const uint8_t *buf, size_t len, int ifs, const char *what)
{
	add(buf, len, ifs, ifs, MW_DIR_INBOUND, "in %s: %s", gw_if[ifs], what);
}

/* Give every IPv4 datagram its own id (no two fragments ever reassemble)
 * and a correct header checksum where the header is complete. */
static void fix_ipv4(uint8_t *ip, size_t avail)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	if (avail < 20)
		return;
	C.ip_id++;
	fr_be16(ip + 4, C.ip_id);
	if (ihl < 20 || ihl > avail)
		return;
	fr_be16(ip + 10, 0);
	fr_be16(ip + 10, fr_csum(ip, ihl));
}

/* A frame of fr_spec (frames.h), IPv4 with a fresh id and a valid
 * checksum (the kernel checks them before the hooks).  0 on overflow. */
static size_t mk(const struct fr_spec *s, uint8_t *buf)
{
	size_t len = fr_build(s, buf), ip = 14 + 4 * (size_t)s->tags;

	if (len && s->family == AF_INET)
		fix_ipv4(buf + ip, len - ip);
	return len;
}

/* Protocol cases: conduits of the example, their replies, near misses. */
struct proto_case {
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;
	uint8_t type;		/* ICMP type (v4 numbering; v6 mapped) */
};
static const struct proto_case cases[] = {
	{ IPPROTO_TCP, 41000, 3610, FR_TCP_SYN },
	{ IPPROTO_TCP, 41000, 443, FR_TCP_SYN },
	{ IPPROTO_TCP, 41000, 4059, FR_TCP_SYN },
	{ IPPROTO_TCP, 41000, 8883, FR_TCP_SYN },
	{ IPPROTO_TCP, 41000, 8444, FR_TCP_SYN },
	{ IPPROTO_TCP, 41000, 23, FR_TCP_SYN },
	{ IPPROTO_TCP, 443, 41000, FR_TCP_SYN | FR_TCP_ACK },
	{ IPPROTO_TCP, 443, 41000, FR_TCP_RST },
	{ IPPROTO_TCP, 3610, 41000, FR_TCP_ACK },
	{ IPPROTO_UDP, 41000, 3610, 0 },
	{ IPPROTO_UDP, 3610, 41000, 0 },
	{ IPPROTO_UDP, 41000, 123, 0 },
	{ IPPROTO_ICMP, 0, 0, 0, 8 },		/* echo request */
	{ IPPROTO_ICMP, 0, 0, 0, 0 },		/* echo reply */
	{ IPPROTO_ICMP, 0, 0, 0, 3 },		/* unreachable */
	{ 47, 0, 0, 0 },			/* GRE */
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void case_spec(const struct proto_case *pc, int family,
		      struct fr_spec *s)
{
	s->family = family;
	s->proto = pc->proto;
	if (family == AF_INET6 && pc->proto == IPPROTO_ICMP) {
		s->proto = IPPROTO_ICMPV6;
		s->type = pc->type == 8 ? 128 : pc->type == 0 ? 129 : 1;
	} else {
		s->type = pc->type;
	}
	s->sport = pc->sport;
	s->dport = pc->dport;
	s->flags = pc->flags;
	if (pc->proto == 47)
		s->payload = 8;		/* not parsed; IPv6 needs a payload */
}

static const char *const sm4[] = {	/* smart-meter side: zones, none */
	"192.0.2.10", "192.0.2.20", "192.0.2.40", "192.0.2.200", "10.9.9.9",
};
static const char *const sm6[] = {
	"2001:db8:10::10", "2001:db8:10::20", "2001:db8:30::7",
	"2001:db8:20::9", "2001:db8:77::1",
};

/* A device address (or an unknown one) with its interface and MAC. */
struct src {
	int family;
	char addr[INET6_ADDRSTRLEN];
	uint8_t mac[6];
	int home;		/* IF_EXT0 / IF_EXT1 */
	bool known;
};
static struct src srcs[64];
static size_t n_srcs;

static int iface_index(uint32_t id)
{
	int i;

	for (i = 0; i < IF_N; i++)
		if (C.iface_id[i] == id)
			return i;
	return IF_EXT0;
}

static void collect_sources(void)
{
	static const char *const unknown[] = {
		"198.51.100.77", "203.0.113.99", "2001:db8:100::77",
		"2001:db8:181::1",
	};
	size_t i;

	n_srcs = 0;
	for (i = 0; i < C.v.n_dev_prefixes && n_srcs < 56; i++) {
		const struct mw_img_prefix *p = &C.v.dev_prefixes[i];
		const struct mw_img_device *d =
			mw_image_device(&C.v, (uint32_t)p->value);
		const struct mw_img_system *sy =
			d ? mw_image_system(&C.v, d->system) : NULL;
		struct src *s;
		uint8_t a[16];

		if (d && d->id == C.marker_dev)
			continue;
		s = &srcs[n_srcs++];
		memcpy(a, p->addr, 16);
		if (p->plen < (p->family == AF_INET ? 32 : 128))
			a[p->family == AF_INET ? 3 : 15] |= 3;
		s->family = p->family;
		inet_ntop(p->family, a, s->addr, sizeof(s->addr));
		memcpy(s->mac, d && (d->flags & MW_DEV_F_MAC) ? d->mac :
			       fr_mac_src, 6);
		s->home = sy ? iface_index(sy->iface) : IF_EXT0;
		s->known = true;
	}
	for (i = 0; i < 4; i++) {
		struct src *s = &srcs[n_srcs++];

		s->family = strchr(unknown[i], ':') ? AF_INET6 : AF_INET;
		snprintf(s->addr, sizeof(s->addr), "%s", unknown[i]);
		memcpy(s->mac, fr_mac_src, 6);
		s->home = i & 1 ? IF_EXT1 : IF_EXT0;
		s->known = false;
	}
}

static const struct src *src_by_addr(const char *a)
{
	size_t i;

	for (i = 0; i < n_srcs; i++)
		if (!strcmp(srcs[i].addr, a))
			return &srcs[i];
	return &srcs[0];
}

/* Inbound: every source x smart-meter destination x case on its home
 * interface; known sources also on the other one (WRONG_IFACE). */
static void inbound_product(void)
{
	uint8_t buf[FR_MAX];
	size_t i, d, k;

	for (i = 0; i < n_srcs; i++) {
		const struct src *s = &srcs[i];
		const char *const *dst = s->family == AF_INET ? sm4 : sm6;

		for (d = 0; d < 5; d++)
			for (k = 0; k < N_CASES; k++) {
				struct fr_spec sp = { .src = s->addr,
						   .dst = dst[d],
						   .smac = s->mac };
				size_t len;
				char what[100];

				case_spec(&cases[k], s->family, &sp);
				len = mk(&sp, buf);
				snprintf(what, sizeof(what),
					 "%s -> %s proto %u %u->%u type %u",
					 s->addr, dst[d], sp.proto, sp.sport,
					 sp.dport, sp.type);
				add_in(buf, len, s->home, what);
				if (s->known && d == 0 && k < 4)
					add_in(buf, len, s->home ^ 1, what);
			}
	}
}

/* Outbound: smart-meter source x device destination x case, forwarded
 * out of the interface `routes' gives the destination. */
struct route {
	int family;
	const char *prefix;
	int ifs;
};
static const struct route routes[] = {
	{ AF_INET, "198.51.100.0/24", IF_EXT0 },
	{ AF_INET, "198.51.100.64/29", IF_EXT1 },	/* ev-charging: WRONG_IFACE */
	{ AF_INET, "203.0.113.0/24", IF_EXT1 },
	{ AF_INET6, "2001:db8:100::/40", IF_EXT0 },
	{ AF_INET6, "2001:db8:180::/48", IF_EXT1 },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static int route_of(int family, const char *addr)
{
	uint8_t a[16];
	int best = -1, best_len = -1;
	size_t i;

	fr_addr(addr, family, a);
	for (i = 0; i < N_ROUTES; i++) {
		struct mw_prefix p;
		int b;

		if (routes[i].family != family ||
		    mw_prefix_parse(routes[i].prefix, &p))
			continue;
		for (b = 0; b < p.plen; b++)
			if ((a[b / 8] ^ p.addr[b / 8]) & (0x80 >> (b % 8)))
				break;
		if (b == p.plen && p.plen > best_len) {
			best = routes[i].ifs;
			best_len = p.plen;
		}
	}
	return best;
}

static void outbound_product(void)
{
	uint8_t buf[FR_MAX];
	size_t i, d, k;

	for (i = 0; i < n_srcs; i++) {
		const struct src *t = &srcs[i];
		const char *const *from = t->family == AF_INET ? sm4 : sm6;
		int out = route_of(t->family, t->addr);

		if (out < 0)
			continue;
		for (d = 0; d < 5; d += 2)
			for (k = 0; k < N_CASES; k++) {
				struct fr_spec sp = { .src = from[d],
						   .dst = t->addr };
				size_t len;

				case_spec(&cases[k], t->family, &sp);
				/* sm-side view of the case: swap ports */
				sp.sport = cases[k].dport;
				sp.dport = cases[k].sport;
				len = mk(&sp, buf);
				add(buf, len, IF_SM0, out, MW_DIR_OUTBOUND,
				    "out %s: %s -> %s proto %u %u->%u type %u",
				    gw_if[out], from[d], t->addr, sp.proto,
				    sp.sport, sp.dport, sp.type);
			}
	}
}

static void edge_frames(void)
{
	const struct src *hems = src_by_addr("198.51.100.10");
	const struct src *hems6 = src_by_addr("2001:db8:100::10");
	const struct src *probe = src_by_addr("203.0.113.30");
	static const uint8_t rogue_mac[6] = { 0x02, 0, 0, 0, 0x66, 0x66 };
	uint8_t buf[FR_MAX], b2[FR_MAX];
	struct fr_spec base = { .family = AF_INET, .src = hems->addr,
			     .dst = "192.0.2.10", .smac = hems->mac,
			     .proto = IPPROTO_UDP, .sport = 41000,
			     .dport = 3610 };
	struct fr f;
	size_t len, l, ip, i;
	int k;

	/* spoofed MAC on bound devices, v4 and v6 */
	{
		struct fr_spec s = base;

		s.smac = rogue_mac;
		len = mk(&s, buf);
		add_in(buf, len, IF_EXT0, "spoofed mac v4");
		s.family = AF_INET6;
		s.src = hems6->addr;
		s.dst = "2001:db8:10::10";
		len = mk(&s, buf);
		add_in(buf, len, IF_EXT0, "spoofed mac v6");
	}
	/* IPv4 options 0..40 bytes */
	for (i = 0; i <= 40; i += 4) {
		struct fr_spec s = base;

		s.opts = i;
		len = mk(&s, buf);
		add_in(buf, len, IF_EXT0, "ipv4 options");
	}
	/* every truncation of a TCP and a UDP datagram (IP + L4 header) */
	{
		struct fr_spec s = base;

		s.proto = IPPROTO_TCP;
		s.payload = 4;
		len = mk(&s, buf);
		for (l = 14; l <= len; l++) {
			memcpy(b2, buf, len);
			add_in(b2, l, IF_EXT0, "truncated ipv4 tcp frame");
		}
		/* consistent headers with an L4 cut short (total length) */
		for (l = 20; l < 40; l += 2) {
			memcpy(b2, buf, len);
			fr_be16(b2 + 16, (uint16_t)l);
			fix_ipv4(b2 + 14, len - 14);
			add_in(b2, len, IF_EXT0, "ipv4 total length cuts tcp");
		}
	}
	/* IHL and version over a valid datagram (checksum fixed) */
	len = mk(&base, buf);
	for (i = 0; i < 16; i++) {
		memcpy(b2, buf, len);
		b2[14] = (uint8_t)(0x40 | i);
		fix_ipv4(b2 + 14, len - 14);
		add_in(b2, len, IF_EXT0, "ipv4 ihl");
		memcpy(b2, buf, len);
		b2[14] = (uint8_t)(i << 4 | 5);
		fix_ipv4(b2 + 14, len - 14);
		add_in(b2, len, IF_EXT0, "ipv4 version");
	}
	/* bad header checksum: the stack drops it */
	memcpy(b2, buf, len);
	b2[14 + 10] ^= 0xff;
	add_in(b2, len, IF_EXT0, "ipv4 bad checksum");
	/* trailing padding */
	memcpy(b2, buf, len);
	memset(b2 + len, 0, 18);
	add_in(b2, len + 18, IF_EXT0, "ipv4 trailing padding");
	/* IPv4 fragments of every protocol, from hems (port rules only)
	 * and the probe (a port-less ICMP rule) */
	{
		static const uint16_t frags[] = {
			FR_IP_MF, FR_IP_MF | 3, 3, 0x1fff, FR_IP_DF,
			FR_IP_DF | FR_IP_MF, 0x8000,
		};
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP,
						  IPPROTO_ICMP, 47 };
		size_t p;

		for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
			for (p = 0; p < sizeof(protos); p++) {
				struct fr_spec s = base;

				s.frag = frags[i];
				s.proto = protos[p];
				s.type = 8;
				s.payload = 16;
				len = mk(&s, buf);
				add_in(buf, len, IF_EXT0, "ipv4 fragment hems");
				s.src = probe->addr;
				s.smac = probe->mac;
				s.dst = "192.0.2.20";
				len = mk(&s, buf);
				add_in(buf, len, IF_EXT1, "ipv4 fragment probe");
			}
	}
	/* IPv6: extension chains of 0..9 destination options */
	for (k = 0; k <= 9; k++) {
		int j;

		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, hems6->mac, FR_ETH_IPV6);
		ip = fr_ipv6(&f, hems6->addr, "2001:db8:10::10",
			     k ? 60 : IPPROTO_UDP, 64);
		for (j = 0; j < k; j++)
			fr_ext(&f, j + 1 < k ? 60 : IPPROTO_UDP, (uint8_t)(j & 1));
		fr_udp(&f, 41000, 3610, 4);
		fr_ipv6_end(&f, ip);
		add_in(buf, f.len, IF_EXT0, "ipv6 dstopts chain");
	}
	/* hop-by-hop with 12 bytes of padding: ip6_rcv drops it */
	fr_init(&f, buf, sizeof(buf));
	fr_eth(&f, fr_mac_dst, hems6->mac, FR_ETH_IPV6);
	ip = fr_ipv6(&f, hems6->addr, "2001:db8:10::10", 0, 64);
	fr_ext(&f, IPPROTO_UDP, 1);
	fr_udp(&f, 41000, 3610, 4);
	fr_ipv6_end(&f, ip);
	add_in(buf, f.len, IF_EXT0, "ipv6 hop-by-hop, long padding");
	/* each extension kind, then TCP; truncated payloads */
	{
		static const uint8_t kinds[] = { 0, 43, 60, 51, 44 };

		for (k = 0; k < 5; k++) {
			int second;

			for (second = 0; second < 2; second++) {
				fr_init(&f, buf, sizeof(buf));
				fr_eth(&f, fr_mac_dst, hems6->mac, FR_ETH_IPV6);
				ip = fr_ipv6(&f, hems6->addr, "2001:db8:10::10",
					     second ? 60 : kinds[k], 64);
				if (second)
					fr_ext(&f, kinds[k], 0);
				if (kinds[k] == 51)
					fr_ah(&f, IPPROTO_TCP, 4);
				else if (kinds[k] == 44)
					fr_frag6(&f, IPPROTO_TCP, 0, false, 77);
				else	/* hop-by-hop: 8 bytes (Linux refuses
					 * more than 7 bytes of padding) */
					fr_ext(&f, IPPROTO_TCP, kinds[k] ? 1 : 0);
				fr_tcp(&f, 41000, 3610, FR_TCP_SYN, 5);
				fr_ipv6_end(&f, ip);
				add_in(buf, f.len, IF_EXT0, "ipv6 ext kind");
				/* payload length cutting into the chain */
				for (l = 4; l < f.len - 54; l += 6) {
					memcpy(b2, buf, f.len);
					fr_be16(b2 + 18, (uint16_t)l);
					add_in(b2, 54 + l, IF_EXT0,
					       "ipv6 ext chain cut");
				}
			}
		}
	}
	/* IPv6 fragments */
	{
		static const struct { uint16_t off; bool more; } fr6[] = {
			{ 0, true }, { 2, false }, { 2, true }, { 0, false },
		};
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
						  IPPROTO_ICMPV6, 59 };
		size_t p;
		uint32_t id = 1000;

		for (i = 0; i < 4; i++)
			for (p = 0; p < sizeof(protos); p++)
				for (k = 0; k < 2; k++) {
					const struct src *s = k ? src_by_addr(
						"2001:db8:100::11") : hems6;

					fr_init(&f, buf, sizeof(buf));
					fr_eth(&f, fr_mac_dst, s->mac,
					       FR_ETH_IPV6);
					ip = fr_ipv6(&f, s->addr,
						     "2001:db8:10::10", 44, 64);
					fr_frag6(&f, protos[p], fr6[i].off,
						 fr6[i].more, id++);
					if (protos[p] == IPPROTO_UDP)
						fr_udp(&f, 41000, 3610, 8);
					else if (protos[p] == IPPROTO_TCP)
						fr_tcp(&f, 41000, 3610,
						       FR_TCP_SYN, 5);
					else if (protos[p] == IPPROTO_ICMPV6)
						fr_icmp(&f, 128, 0);
					fr_payload(&f, 16, 1);
					fr_ipv6_end(&f, ip);
					add_in(buf, f.len, IF_EXT0,
					       "ipv6 fragment");
				}
	}
	/* IPv6 payload length 0 / short / version 4 */
	{
		struct fr_spec s = base;

		s.family = AF_INET6;
		s.src = hems6->addr;
		s.dst = "2001:db8:10::10";
		len = mk(&s, buf);
		for (l = 0; l < 12; l += 3) {
			memcpy(b2, buf, len);
			fr_be16(b2 + 18, (uint16_t)l);
			add_in(b2, len, IF_EXT0, "ipv6 payload length");
		}
		memcpy(b2, buf, len);
		b2[14] = 0x40;
		add_in(b2, len, IF_EXT0, "ipv6 version 4");
		for (l = 14; l < len; l += 7)
			add_in(buf, l, IF_EXT0, "truncated ipv6 udp frame");
	}
	/* ND: sources x types x hop limit, on ext0 (devices) and ext1 (none) */
	{
		static const char *const nsrc[] = {
			"fe80::1", "::", "2001:db8:100::10",
			"2001:db8:100::77", "2001:db8:180::80",
		};
		static const uint8_t types[] = { 133, 135, 136, 137, 128 };
		size_t t;
		int h;

		for (i = 0; i < 5; i++)
			for (t = 0; t < 5; t++)
				for (h = 0; h < 2; h++) {
					fr_init(&f, buf, sizeof(buf));
					fr_eth(&f, fr_mac_dst, hems6->mac,
					       FR_ETH_IPV6);
					ip = fr_ipv6(&f, nsrc[i],
						     "ff02::1:ff00:1",
						     IPPROTO_ICMPV6,
						     h ? 64 : 255);
					fr_icmp(&f, types[t], 0);
					fr_nd_target(&f, "2001:db8:10::1");
					fr_ipv6_end(&f, ip);
					add_in(buf, f.len, IF_EXT0, "nd");
					add_in(buf, f.len, IF_EXT1, "nd");
				}
	}
	/* ICMP error quoting a datagram, from the probe and hems */
	for (k = 0; k < 2; k++) {
		const struct src *s = k ? hems : probe;
		size_t in;

		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, s->mac, FR_ETH_IPV4);
		ip = fr_ipv4(&f, s->addr, "192.0.2.20", IPPROTO_ICMP, 64, 0, 0);
		fr_icmp(&f, 3, 3);
		in = fr_ipv4(&f, "192.0.2.20", s->addr, IPPROTO_UDP, 64, 0, 0);
		fr_udp(&f, 3610, 41000, 0);
		fr_ipv4_end(&f, in);
		fr_ipv4_end(&f, ip);
		fix_ipv4(buf + ip, f.len - ip);
		add_in(buf, f.len, k ? IF_EXT0 : IF_EXT1, "icmp error");
	}
	/* TCP data offset 0..15 */
	for (k = 0; k < 16; k++) {
		struct fr_spec s = base;

		s.proto = IPPROTO_TCP;
		s.payload = 12;
		len = mk(&s, buf);
		buf[14 + 20 + 12] = (uint8_t)(k << 4);
		add_in(buf, len, IF_EXT0, "tcp data offset");
	}
	/* L2: VLAN tags (1, 2, 3; VIDs 0, 5), other ethertypes, ARP */
	for (k = 1; k <= 3; k++) {
		static const uint16_t vids[] = { 0, 5 };

		for (i = 0; i < 2; i++) {
			struct fr_spec s = base;

			s.tags = k;
			s.vid = vids[i];
			len = mk(&s, buf);
			add_in(buf, len, IF_EXT0, k == 1 ? "vlan tag" :
				       "vlan tags");
			if (k == 1)
				add_in(buf, len, IF_EXT1, "vlan tag");
		}
	}
	/* priority tag (VID 0) outside a tag with VID 5 */
	fr_init(&f, buf, sizeof(buf));
	fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_8021AD);
	fr_tag(&f, 0, 3, FR_ETH_8021Q);
	fr_tag(&f, 5, 0, FR_ETH_IPV4);
	ip = fr_ipv4(&f, hems->addr, "192.0.2.10", IPPROTO_UDP, 64, 0, 0);
	fr_udp(&f, 41000, 3610, 0);
	fr_ipv4_end(&f, ip);
	fix_ipv4(buf + ip, f.len - ip);
	add_in(buf, f.len, IF_EXT0, "vlan tags 0 (802.1ad), 5");
	/*
	 * L14: single 802.1ad tags (VID 0: the kernel clears the priority
	 * tag and the module sees its protocol; VID 5: dropped before IP) on
	 * an otherwise allowed datagram: never a pass.
	 */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 2; i++) {
			fr_init(&f, buf, sizeof(buf));
			fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_8021AD);
			fr_tag(&f, i ? 5 : 0, 0, FR_ETH_IPV4);
			ip = fr_ipv4(&f, hems->addr, "192.0.2.10", IPPROTO_UDP,
				     64, 0, 0);
			fr_udp(&f, 41000, 3610, 0);
			fr_ipv4_end(&f, ip);
			fix_ipv4(buf + ip, f.len - ip);
			add_in(buf, f.len, k ? IF_EXT1 : IF_EXT0,
			       i ? "802.1ad tag 5" : "802.1ad tag 0");
		}
	}
	{
		static const uint16_t types[] = { 0x88cc, 0x8847, 0x0000,
						  0x86dc, 0x8863 };

		for (i = 0; i < 5; i++) {
			fr_init(&f, buf, sizeof(buf));
			fr_eth(&f, fr_mac_dst, fr_mac_src, types[i]);
			fr_payload(&f, 46, 0);
			add_in(buf, f.len, IF_EXT0, "other ethertype");
		}
	}
	{
		static const char *const spa[] = { "198.51.100.10",
						   "198.51.100.77",
						   "203.0.113.20" };

		for (i = 0; i < 3; i++)
			for (k = 0; k < 2; k++) {
				const struct src *s = src_by_addr(spa[i]);
				const uint8_t *mac = k ? rogue_mac : s->mac;

				fr_init(&f, buf, sizeof(buf));
				fr_eth(&f, fr_mac_dst, mac, FR_ETH_ARP);
				fr_arp(&f, 1, mac, spa[i], fr_mac_dst,
				       "198.51.100.1");
				add_in(buf, f.len, IF_EXT0, "arp");
				add_in(buf, f.len, IF_EXT1, "arp");
			}
	}
}

static void corpus_free(void)
{
	size_t i;

	for (i = 0; i < C.n; i++)
		free(C.f[i].buf);
	free(C.f);
	C.f = NULL;
	C.n = C.cap = 0;
	free(C.dev_blocks);
	C.dev_blocks = NULL;
	mw_image_free(&C.img);
	mw_policy_free(C.pol);
	C.pol = NULL;
}

/*
 * The attack corpus (attacks.h) inbound on each source's home interface:
 * every frame of the rarer techniques, one in eight of the many fake
 * replies (the guest sends each frame with a marker under emulation).
 */
static void attack_emit_kmod(const uint8_t *frame, size_t len,
			     const char *technique, void *arg)
{
	static unsigned int n;
	const struct src *s = arg;

	if (!strcmp(technique, "fake-reply") && n++ % 8)
		return;
	add_in(frame, len, s->home, technique);
}

static void attack_frames(void)
{
	static const uint16_t ports[] = { 443, 3610 };
	static const char *const d4[] = { "192.0.2.10" };
	static const char *const d6[] = { "2001:db8:10::10" };
	struct attack_src as[64];
	size_t i, n4 = 0, n6 = 0;
	const char *dst;

	for (i = 0; i < n_srcs; i++) {
		as[i].family = srcs[i].family;
		as[i].addr = srcs[i].addr;
		as[i].mac = srcs[i].mac;
	}
	/* each source on its home interface, the quotes from every source */
	for (i = 0; i < n_srcs; i++) {
		struct attack_ctx a = {
			.srcs = as, .n_srcs = n_srcs, .dst4 = d4, .dst6 = d6,
			.n_dst = 1, .ports = ports, .n_ports = 2,
			.emit = attack_emit_kmod, .arg = &srcs[i],
		};
		size_t *nf = srcs[i].family == AF_INET ? &n4 : &n6;

		/* three sources of each family, and the unknown ones */
		if (srcs[i].known && (*nf)++ >= 3)
			continue;
		dst = srcs[i].family == AF_INET ? d4[0] : d6[0];
		attack_source_route(&a, &as[i], dst);
		attack_icmp_control(&a, &as[i], dst);
		attack_fake_reply(&a, &as[i], dst);
		attack_icmp_error(&a, &as[i], dst);
	}
}

/* The marker's address anywhere in the frame (an edit may have made
 * it the source: its counter would move for the frame). */
static bool has_marker(const uint8_t *f, size_t len)
{
	uint8_t a[4];
	size_t i;

	fr_addr(MARKER_ADDR, AF_INET, a);
	for (i = 0; i + 4 <= len; i++)
		if (!memcmp(f + i, a, 4))
			return true;
	return false;
}

/*
 * Edited copies of the inbound frames (tests/include/mutate.h), on the
 * interface of the frame edited; an untagged IPv4 header gets a fresh id
 * and checksum after the edits (no two fragments ever reassemble, and the
 * kernel does not drop them for the checksum: they reach the hooks).
 * Frames that carry the marker's address are left out.
 */
static void mutated_frames(size_t n)
{
	size_t i, len, n_in = C.n;
	uint8_t f[FR_MAX];
	struct mut m;

	mut_seed(&m, 7);
	for (i = 0; i < n; i++) {
		/* a copy: add() may move C.f */
		struct cframe cf = C.f[mut_rnd(&m, (uint32_t)n_in)];

		if (cf.dir != MW_DIR_INBOUND)
			continue;
		memcpy(f, cf.buf, cf.len);
		len = mut_frame(&m, f, cf.len, sizeof(f));
		if (len > 1514 || has_marker(f, len))
			continue;	/* the veth's MTU; the marker's own */
		if (len >= 14 + 20 && f[12] == 0x08 && f[13] == 0)
			fix_ipv4(f + 14, len - 14);
		add(f, len, cf.inj, cf.judged_on, MW_DIR_INBOUND,
		    "mutated %zu: %s", i, cf.label);
	}
}

/*
 * Edited copies of the outbound frames: only what follows the IP header
 * (mut_tail), so that the frame is still routed out of the same interface
 * with its TTL: the transport header, the ICMP message, the payload.
 */
static void mutated_outbound(size_t n)
{
	size_t i, len, lo, n_out = 0, *out = calloc(C.n, sizeof(*out));
	uint8_t f[FR_MAX];
	struct mut m;

	if (!out)
		abort();
	for (i = 0; i < C.n; i++)
		if (C.f[i].dir == MW_DIR_OUTBOUND && C.f[i].len >= 14 + 20)
			out[n_out++] = i;
	mut_seed(&m, 8);
	for (i = 0; i < n && n_out; i++) {
		/* a copy: add() may move C.f */
		struct cframe cf = C.f[out[mut_rnd(&m, (uint32_t)n_out)]];

		lo = cf.buf[12] == 0x86 ? 14 + 40 :
		     14 + (size_t)(cf.buf[14] & 0x0f) * 4;
		memcpy(f, cf.buf, cf.len);
		len = mut_tail(&m, f, cf.len, lo);
		if (f[12] == 0x08 && f[13] == 0)
			fix_ipv4(f + 14, len - 14);
		add(f, len, cf.inj, cf.judged_on, MW_DIR_OUTBOUND,
		    "mutated out %zu: %s", i, cf.label);
	}
	free(out);
}

static int corpus_build(char *why, size_t len)
{
	if (policy_setup(why, len))
		return -1;
	C.ip_id = 0x100;
	collect_sources();
	inbound_product();
	edge_frames();
	attack_frames();
	mutated_frames(N_MUTATED);
	outbound_product();
	mutated_outbound(N_MUTATED_OUT);
	return 0;
}

/* The module's documented blind spots: frames the kernel drops (or hands
 * to another protocol) before the IP hooks.  NULL: it should reach them. */
static const char *kernel_category(const struct cframe *cf)
{
	uint16_t et = (uint16_t)(cf->buf[12] << 8 | cf->buf[13]);

	if (et == FR_ETH_ARP)
		return "arp";
	if (et == FR_ETH_8021Q || et == FR_ETH_8021AD)
		return "vlan-tagged";
	if (et != FR_ETH_IPV4 && et != FR_ETH_IPV6)
		return "non-ip";
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* host suite: the corpus itself                                           */

static int setup(void **state)
{
	char why[1024];

	(void)state;
	if (corpus_build(why, sizeof(why))) {
		fprintf(stderr, "corpus: %s\n", why);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	corpus_free();
	return 0;
}

static void test_corpus_size(void **state)
{
	size_t i, ip = 0, out = 0;

	(void)state;
	for (i = 0; i < C.n; i++) {
		if (!kernel_category(&C.f[i]))
			ip++;
		if (C.f[i].dir == MW_DIR_OUTBOUND)
			out++;
	}
	print_message("corpus: %zu frames, %zu IPv4/IPv6, %zu outbound\n",
		      C.n, ip, out);
	assert_true(ip >= MIN_REACHING + 200);	/* margin: the stack drops some */
	assert_true(out >= 100);
}

static void test_classifier_coverage(void **state)
{
	size_t by[2][__MW_R_LAST] = { { 0 } }, i;
	static const enum mw_reason in_need[] = {
		MW_R_ALLOWED, MW_R_REPLY, MW_R_L2_CONTROL, MW_R_MALFORMED,
		MW_R_VLAN, MW_R_NON_IP, MW_R_L2_DENIED, MW_R_EXTHDR,
		MW_R_UNKNOWN_SOURCE, MW_R_WRONG_IFACE, MW_R_SPOOFED,
		MW_R_BLOCKED, MW_R_AGREEMENT, MW_R_FRAGMENT, MW_R_NO_CONDUIT,
		MW_R_SOURCE_ROUTE, MW_R_ICMP_CONTROL, MW_R_RELATED,
	};
	static const enum mw_reason out_need[] = {
		MW_R_ALLOWED, MW_R_REPLY, MW_R_UNKNOWN_DEST, MW_R_WRONG_IFACE,
		MW_R_BLOCKED, MW_R_AGREEMENT, MW_R_NO_CONDUIT,
	};
	/*
	 * Reasons of a state this corpus does not set up, each tested
	 * through the module in tests/vm/guest/kmod.sh: no policy, island,
	 * an interface the module cannot judge, rate limits (real traffic
	 * against the GCRA bound), the policy's own expiry, packets that
	 * follow a tracked connection (FLOW: the corpus is one frame each).
	 */
	static const enum mw_reason elsewhere[] = {
		MW_R_NO_POLICY, MW_R_ISLAND, MW_R_NOT_MANAGED, MW_R_RATE_LIMIT,
		MW_R_POLICY_EXPIRED, MW_R_FLOW,
	};
	bool listed[__MW_R_LAST] = { false };
	int r;

	for (i = 0; i < sizeof(in_need) / sizeof(in_need[0]); i++)
		listed[in_need[i]] = true;
	for (i = 0; i < sizeof(out_need) / sizeof(out_need[0]); i++)
		listed[out_need[i]] = true;
	for (i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++)
		listed[elsewhere[i]] = true;
	for (r = 1; r < __MW_R_LAST; r++)
		if (!listed[r])
			fail_msg("reason %s neither covered by the corpus nor listed as tested elsewhere",
				 mw_reason_name(r));

	(void)state;
	for (i = 0; i < C.n; i++) {
		struct mw_result res;

		classify_frame(&C.f[i], &res);
		assert_true(res.verdict == MW_VERDICT_PASS ||
			    res.verdict == MW_VERDICT_DROP);
		assert_true(res.reason > MW_R_UNSPEC &&
			    res.reason < __MW_R_LAST);
		/* the marker's reason is never a PASS */
		by[C.f[i].dir == MW_DIR_OUTBOUND][res.reason]++;
	}
	for (r = 1; r < __MW_R_LAST; r++)
		if (by[0][r] || by[1][r])
			print_message("  %-15s in %5zu  out %5zu\n",
				      mw_reason_name(r), by[0][r], by[1][r]);
	for (i = 0; i < sizeof(in_need) / sizeof(in_need[0]); i++)
		if (!by[0][in_need[i]])
			fail_msg("no inbound frame with reason %s",
				 mw_reason_name(in_need[i]));
	for (i = 0; i < sizeof(out_need) / sizeof(out_need[0]); i++)
		if (!by[1][out_need[i]])
			fail_msg("no outbound frame with reason %s",
				 mw_reason_name(out_need[i]));
}

/* ---------------------------------------------------------------------- */
/* guest: through the module                                               */

static struct guest {
	int sock[IF_N];
	int ifindex_inj[IF_N];
	uint8_t gw_mac[IF_N][6];
	struct mw_nl *nl;
	uint8_t marker[FR_MAX];
	size_t marker_len;
} G;

/* counter totals per reason ([0] pass, [1] drop) and of the marker */
struct counts {
	uint64_t r[__MW_R_LAST][2];
	uint64_t marker;
};

static int rc_cb(enum mw_target kind, uint32_t id, const struct mw_counter *c,
		 void *arg)
{
	struct counts *k = arg;

	if (kind == MW_TARGET_REASON && id < __MW_R_LAST) {
		k->r[id][0] = c->pass_packets;
		k->r[id][1] = c->drop_packets;
	}
	if (kind == MW_TARGET_DEVICE && id == C.marker_dev)
		k->marker = c->pass_packets + c->drop_packets;
	return 0;
}

static int read_counts(struct counts *out)
{
	memset(out, 0, sizeof(*out));
	return mw_nl_counters(G.nl, rc_cb, out);
}

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "kmod-diff: `%s' failed (%d)\n", cmd, rc);
	return rc;
}

static int guest_setup(const char *gw_ns)
{
	struct mw_nl_status st;
	cpu_set_t cpus;
	int i, fd, rc;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		perror("sched_setaffinity (continuing)");
	for (i = 0; i < IF_N; i++) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET };

		G.sock[i] = socket(AF_PACKET, SOCK_RAW, 0);
		G.ifindex_inj[i] = (int)if_nametoindex(inj_if[i]);
		if (G.sock[i] < 0 || !G.ifindex_inj[i]) {
			fprintf(stderr, "kmod-diff: packet socket on %s: %s\n",
				inj_if[i], strerror(errno));
			return -1;
		}
		sll.sll_ifindex = G.ifindex_inj[i];
		if (bind(G.sock[i], (struct sockaddr *)&sll, sizeof(sll))) {
			perror("bind");
			return -1;
		}
	}
	fd = open(gw_ns, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "kmod-diff: enter %s: %s\n", gw_ns,
			strerror(errno));
		return -1;
	}
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (i = 0; i < IF_N; i++) {
		struct ifreq ifr = {};

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", gw_if[i]);
		if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
			fprintf(stderr, "kmod-diff: MAC of %s: %s\n", gw_if[i],
				strerror(errno));
			return -1;
		}
		memcpy(G.gw_mac[i], ifr.ifr_hwaddr.sa_data, 6);
	}
	close(fd);
	/* routes of the outbound phase via permanent neighbours: no ND or
	 * ARP of the gateway's own is ever sent */
	if (sh("/sbin/ip neigh replace 100.64.0.1 lladdr 02:00:00:00:01:01 dev ext0 nud permanent") ||
	    sh("/sbin/ip neigh replace 100.64.0.2 lladdr 02:00:00:00:01:02 dev ext1 nud permanent") ||
	    sh("/sbin/ip -6 neigh replace fe80::101 lladdr 02:00:00:00:01:01 dev ext0 nud permanent") ||
	    sh("/sbin/ip -6 neigh replace fe80::102 lladdr 02:00:00:00:01:02 dev ext1 nud permanent"))
		return -1;
	for (i = 0; i < (int)N_ROUTES; i++) {
		const struct route *r = &routes[i];

		if (r->family == AF_INET)
			rc = sh("/sbin/ip route replace %s via 100.64.0.%d dev %s onlink",
				r->prefix, r->ifs + 1, gw_if[r->ifs]);
		else
			rc = sh("/sbin/ip -6 route replace %s via fe80::10%d dev %s",
				r->prefix, r->ifs + 1, gw_if[r->ifs]);
		if (rc)
			return -1;
	}

	rc = mw_nl_open(&G.nl);
	if (rc) {
		fprintf(stderr, "kmod-diff: netlink: %s\n", strerror(-rc));
		return -1;
	}
	rc = mw_nl_load_image(G.nl, C.img.data, C.img.len);
	if (!rc)
		rc = mw_nl_block(G.nl, MW_TARGET_DEVICE, C.blocked_dev, 0,
				 MW_BLOCK_OPERATOR);
	if (!rc)
		rc = mw_nl_status(G.nl, &st);
	if (rc || !st.loaded) {
		fprintf(stderr, "kmod-diff: load/block: %s\n", strerror(-rc));
		return -1;
	}
	/* the marker: the marker device's conduit on ext0 (PASS ALLOWED) */
	{
		struct fr_spec s = { .family = AF_INET, .src = MARKER_ADDR,
				  .dst = "192.0.2.10", .proto = IPPROTO_UDP,
				  .sport = 9, .dport = 9 };

		G.marker_len = mk(&s, G.marker);
		memcpy(G.marker, G.gw_mac[IF_EXT0], 6);
	}
	return 0;
}

static int send_on(int inj, const uint8_t *buf, size_t len)
{
	ssize_t n = send(G.sock[inj], buf, len, 0);

	return n == (ssize_t)len ? 0 : -1;
}

struct outcome {
	int moved;		/* reasons whose counter moved (frame only) */
	int reason;		/* when moved == 1 */
	int verdict;
};

static int run_frame(const struct cframe *cf, struct outcome *o)
{
	struct counts before, after;
	uint8_t buf[FR_MAX];
	int tries, r, v;

	if (read_counts(&before))
		return -1;
	memcpy(buf, cf->buf, cf->len);
	memcpy(buf, G.gw_mac[cf->inj], 6);
	if (send_on(cf->inj, buf, cf->len)) {
		fprintf(stderr, "kmod-diff: send %s: %s\n", cf->label,
			strerror(errno));
		return -1;
	}
	C.ip_id++;
	fr_be16(G.marker + 14 + 4, C.ip_id);
	fix_ipv4(G.marker + 14, G.marker_len - 14);
	if (send_on(IF_EXT0, G.marker, G.marker_len))
		return -1;
	for (tries = 0;; tries++) {
		if (read_counts(&after))
			return -1;
		if (after.marker > before.marker)
			break;
		if (tries == 200) {
			fprintf(stderr, "kmod-diff: marker never counted\n");
			return -1;
		}
		usleep(1000);
	}
	if (after.marker != before.marker + 1 || !after.r[MW_R_ALLOWED][0]) {
		fprintf(stderr, "kmod-diff: marker counted %llu times\n",
			(unsigned long long)(after.marker - before.marker));
		return -1;
	}
	after.r[MW_R_ALLOWED][0]--;	/* the marker's */
	o->moved = 0;
	o->reason = -1;
	o->verdict = MW_VERDICT_UNSPEC;
	for (r = 0; r < __MW_R_LAST; r++)
		for (v = 0; v < 2; v++) {
			uint64_t d = after.r[r][v] - before.r[r][v];

			if (!d)
				continue;
			o->moved += (int)d;
			o->reason = r;
			o->verdict = v ? MW_VERDICT_DROP : MW_VERDICT_PASS;
		}
	return 0;
}

static void hex(const struct cframe *cf)
{
	size_t i, n = cf->len < 96 ? cf->len : 96;

	fprintf(stdout, "      ");
	for (i = 0; i < n; i++)
		fprintf(stdout, "%02x", cf->buf[i]);
	fprintf(stdout, "%s\n", n < cf->len ? "..." : "");
}

/*
 * Why a frame that moved no counter did not reach the hooks, or NULL when
 * nothing explains it.  `pass_ok': the kernel drops such frames whatever
 * the classifier says (the classifier checks no checksums and no IPv6
 * option contents); otherwise the classifier must drop them too.
 */
static const struct category {
	const char *name;
	bool pass_ok;
} cats[] = {
	{ "arp", true },		/* not IP: the module never judges ARP */
	{ "non-ip", false },
	{ "vlan-tagged", false },	/* VID != 0 without a VLAN device */
	{ "ip-header-rejected", false },	/* classifier: MALFORMED/EXTHDR */
	{ "ipv4-bad-checksum", true },	/* ip_rcv drops it */
	{ "ipv6-hop-by-hop-rejected", true },	/* ip6_rcv's option parse */
	/* ip6_rcv: a multicast source (RFC 4291 2.7), a loopback source
	 * or destination, multicast of scope 0 or interface-local */
	{ "ipv6-address-rejected", true },
};
#define N_CATS (sizeof(cats) / sizeof(cats[0]))

/* Addresses ip6_rcv drops before the hooks, whatever the rest says. */
static bool ipv6_rejected(const uint8_t *src, const uint8_t *dst)
{
	static const uint8_t loopback[16] = { [15] = 1 };

	return src[0] == 0xff || !memcmp(src, loopback, 16) ||
	       !memcmp(dst, loopback, 16) ||
	       (dst[0] == 0xff && (dst[1] & 0x0f) <= 1);
}

static int category_of(const struct cframe *cf, const struct mw_result *res)
{
	const char *name = kernel_category(cf);
	const uint8_t *ip = cf->buf + 14;
	size_t avail = cf->len - 14, ihl, c;

	if (!name && cf->buf[12] == 0x08 && cf->buf[13] == 0 && avail >= 20 &&
	    (ip[0] >> 4) == 4 && (ihl = (size_t)(ip[0] & 0x0f) * 4) >= 20 &&
	    ihl <= avail && fr_csum(ip, ihl) != 0)
		name = "ipv4-bad-checksum";
	if (!name && (res->reason == MW_R_MALFORMED ||
		      res->reason == MW_R_EXTHDR))
		name = "ip-header-rejected";
	if (!name && cf->buf[12] == 0x86 && cf->buf[13] == 0xdd &&
	    avail >= 40 && ip[6] == 0)
		name = "ipv6-hop-by-hop-rejected";
	if (!name && cf->buf[12] == 0x86 && cf->buf[13] == 0xdd &&
	    avail >= 40 && ipv6_rejected(ip + 8, ip + 24))
		name = "ipv6-address-rejected";
	for (c = 0; name && c < N_CATS; c++)
		if (!strcmp(name, cats[c].name))
			return (int)c;
	return -1;
}

static int guest_run(const char *gw_ns)
{
	size_t agree = 0, reach = 0, bad = 0, by_cat[N_CATS] = { 0 };
	size_t mutated = 0;
	size_t agree_dir[2] = { 0 }, by_reason[__MW_R_LAST] = { 0 }, i;
	struct timespec t0, t1;
	struct counts c0, c1;
	double secs;
	int r;

	if (guest_setup(gw_ns))
		return 2;
	/*
	 * No traffic of the gateway's own may move a counter.  Interfaces
	 * just brought up send their last MLD reports for a few seconds:
	 * wait (up to 10 s) until the counters hold still for 1 s.
	 */
	if (read_counts(&c0))
		return 2;
	for (i = 0; i < 10; i++) {
		usleep(1000000);
		r = read_counts(&c1);
		if (r || !memcmp(&c0, &c1, sizeof(c0)))
			break;
		c0 = c1;
	}
	if (r || memcmp(&c0, &c1, sizeof(c0))) {
		printf("kmod-diff: counters move without traffic (read %d)\n", r);
		for (i = 0; i < __MW_R_LAST; i++)
			if (memcmp(c0.r[i], c1.r[i], sizeof(c0.r[i])))
				printf("  reason %zu (%s): pass %llu -> %llu, drop %llu -> %llu\n",
				       i, mw_reason_name((enum mw_reason)i),
				       (unsigned long long)c0.r[i][0],
				       (unsigned long long)c1.r[i][0],
				       (unsigned long long)c0.r[i][1],
				       (unsigned long long)c1.r[i][1]);
		if (c0.marker != c1.marker)
			printf("  marker %llu -> %llu\n",
			       (unsigned long long)c0.marker,
			       (unsigned long long)c1.marker);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < C.n; i++) {
		const struct cframe *cf = &C.f[i];
		struct mw_result res;
		struct outcome o;
		int c;

		if (run_frame(cf, &o))
			return 2;
		classify_frame(cf, &res);
		if (o.moved == 0) {
			/* dropped by the kernel before the hooks */
			c = category_of(cf, &res);
			if (c >= 0 && (res.verdict == MW_VERDICT_DROP ||
				       cats[c].pass_ok)) {
				by_cat[c]++;
				continue;
			}
			printf("DIFF  %s len %zu: did not reach the hooks (%s), "
			       "classifier %s/%s\n", cf->label, cf->len,
			       c >= 0 ? cats[c].name : "unexplained",
			       mw_verdict_name(res.verdict),
			       mw_reason_name(res.reason));
			hex(cf);
			bad++;
			continue;
		}
		reach++;
		if (o.moved == 1 && (int)res.verdict == o.verdict &&
		    (int)res.reason == o.reason) {
			agree++;
			mutated += !strncmp(cf->label, "mutated ", 8);
			agree_dir[cf->dir == MW_DIR_OUTBOUND]++;
			by_reason[o.reason]++;
			continue;
		}
		bad++;
		printf("DIFF  %s len %zu: module %s/%s%s, classifier %s/%s\n",
		       cf->label, cf->len,
		       o.moved == 1 ? mw_verdict_name(o.verdict) : "?",
		       o.moved == 1 ? mw_reason_name(o.reason) : "?",
		       o.moved > 1 ? " (several counters moved)" : "",
		       mw_verdict_name(res.verdict),
		       mw_reason_name(res.reason));
		hex(cf);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("kmod-diff: corpus %zu frames in %.1f s (%.2f ms per frame)\n",
	       C.n, secs, C.n ? secs * 1e3 / (double)C.n : 0.0);
	printf("kmod-diff: reached the hooks %zu, agreeing %zu (inbound %zu, "
	       "outbound %zu), disagreeing %zu\n", reach, agree, agree_dir[0],
	       agree_dir[1], bad);
	printf("kmod-diff: edited frames reaching the hooks, agreeing %zu\n",
	       mutated);
	for (r = 0; r < __MW_R_LAST; r++)
		if (by_reason[r])
			printf("kmod-diff:   agreed %-15s %zu\n",
			       mw_reason_name(r), by_reason[r]);
	for (r = 0; r < (int)N_CATS; r++)
		printf("kmod-diff: not reaching the hooks: %-24s %zu\n",
		       cats[r].name, by_cat[r]);
	mw_nl_close(G.nl);
	if (reach < MIN_REACHING) {
		printf("kmod-diff: only %zu frames reached the hooks (want "
		       ">= %d)\n", reach, MIN_REACHING);
		return 1;
	}
	return bad ? 1 : 0;
}

/*
 * `kmod_diff dump`: the corpus's inbound frames, one per line, "ext0|ext1
 * HEX LABEL", for the XDP differential test, which judges them too (one
 * corpus, both datapaths; outbound frames are the module's alone).
 */
static int dump_inbound(void)
{
	char why[1024];
	size_t i, k;

	if (corpus_build(why, sizeof(why))) {
		fprintf(stderr, "kmod-diff: corpus: %s\n", why);
		return 2;
	}
	for (i = 0; i < C.n; i++) {
		const struct cframe *cf = &C.f[i];

		if (cf->dir != MW_DIR_INBOUND)
			continue;
		printf("%s ", gw_if[cf->judged_on]);
		for (k = 0; k < cf->len; k++)
			printf("%02x", cf->buf[k]);
		printf(" %s\n", cf->label);
	}
	corpus_free();
	return fflush(stdout) ? 2 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_size),
		cmocka_unit_test(test_classifier_coverage),
	};

	if (argc == 3 && !strcmp(argv[1], "run")) {
		char why[1024];
		int rc;

		if (corpus_build(why, sizeof(why))) {
			fprintf(stderr, "kmod-diff: corpus: %s\n", why);
			return 2;
		}
		rc = guest_run(argv[2]);
		corpus_free();
		return rc;
	}
	if (argc == 2 && !strcmp(argv[1], "dump"))
		return dump_inbound();
	if (argc != 1) {
		fprintf(stderr, "usage: %s [run GW_NETNS | dump]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests_name("kmod_diff", tests, setup,
					   teardown);
}

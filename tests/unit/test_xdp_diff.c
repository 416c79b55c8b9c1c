// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of the XDP program against the reference classifier.
 *
 * examples/gateway.yaml is compiled and loaded through the loader library
 * (userspace/lib/xdp.c) into a private pin directory; then a corpus of
 * frames (systematic products of sources x destinations x protocols x
 * interfaces, every truncation of several base frames, hand-made edge and
 * malformed frames, the attack corpus of attacks.h, and every inbound frame
 * of the module's differential corpus, from `kmod_diff dump`: the two
 * datapaths run the same frames) runs through BPF_PROG_TEST_RUN and through
 * mw_pkt_parse + mw_classify with the same interface, island flag, blocks,
 * rate limit state and clock.  Verdict and reason must agree on every
 * frame.  The clock: the classifier gets the datapath's two offsets
 * (mw_config) and CLOCK_BOOTTIME read before and after the test run; the
 * program read its clock in between, so it must agree with the classifier
 * at one of the two (every check is monotonic in time, or has one
 * boundary within microseconds).
 *
 * The program's reason is read from the per-reason counters
 * (reason_counters): exactly one of them moves by one per frame, which
 * also checks that every verdict is counted with its reason.
 *
 * Interfaces: the test runs in a private network namespace with two veth
 * pairs; the policy's ext0 / ext1 / sm0 are resolved to mwt0 / mwt2 /
 * mwt1 by the load callback, and lo is an interface the policy does not
 * know.  mwt2 gets an ifindex beyond MW_XDP_IFINDEX_DIRECT, so ext1 is
 * judged through the ifaces hash and ext0 through the direct array.  Frames shorter than 14 bytes are not tested: BPF_PROG_TEST_RUN
 * refuses them (no driver delivers them either).
 *
 * Needs root and BPF; otherwise skipped, or failed under CI=true.
 */
#include "xdp_diff/env.h"

/* ---------------------------------------------------------------------- */
/* hand-made edge and malformed frames                                     */

static void edge_ipv4(void)
{
	const struct src *hems = src_of("198.51.100.10");
	const struct src *probe = src_of("203.0.113.30");
	struct fr_spec f = { .family = AF_INET, .src = hems->addr,
			   .dst = "192.0.2.10", .smac = hems->mac,
			   .proto = IPPROTO_UDP, .sport = 40000, .dport = 3610 };
	uint8_t buf[FR_MAX], b2[FR_MAX];
	size_t len, i;
	int v;

	/* options of every length, then truncated at every byte */
	for (i = 0; i <= 40; i += 4) {
		f.opts = i;
		len = fr_build(&f, buf);
		diff(IF_EXT0, buf, len, "ipv4 options");
	}
	f.opts = 8;
	len = fr_build(&f, buf);
	truncations(IF_EXT0, buf, len, "ipv4+options udp");
	f.opts = 0;

	/* IHL 0..15 over a valid frame, version 0..15 */
	len = fr_build(&f, buf);
	for (i = 0; i < 16; i++) {
		memcpy(b2, buf, len);
		b2[14] = (uint8_t)(0x40 | i);
		diff(IF_EXT0, b2, len, "ipv4 ihl");
		memcpy(b2, buf, len);
		b2[14] = (uint8_t)(i << 4 | 5);
		diff(IF_EXT0, b2, len, "ipv4 version");
	}
	/* total length: smaller than IHL, too short for L4, exact, beyond */
	for (v = 0; v < 70; v += 3) {
		memcpy(b2, buf, len);
		fr_be16(b2 + 16, (uint16_t)v);
		diff(IF_EXT0, b2, len, "ipv4 total length");
	}
	/* trailing padding after the datagram */
	memcpy(b2, buf, len);
	memset(b2 + len, 0, 20);
	diff(IF_EXT0, b2, len + 20, "ipv4 padding");

	/* fragments: first with MF, tiny, overlapping, later ones */
	{
		static const uint16_t frags[] = {
			FR_IP_MF, FR_IP_MF | 1, 1, 2, 0x1fff, FR_IP_DF,
			FR_IP_DF | FR_IP_MF, 0x8000,
		};
		static const uint8_t protos[] = {
			IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, 47,
		};
		size_t p;

		for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
			for (p = 0; p < sizeof(protos); p++) {
				struct fr_spec g = f;

				g.frag = frags[i];
				g.proto = protos[p];
				g.dport = protos[p] == IPPROTO_TCP ? 3610 : 3610;
				len = fr_build(&g, buf);
				diff(IF_EXT0, buf, len, "ipv4 fragment hems");
				/* tiny: only 8 bytes of L4 */
				diff(IF_EXT0, buf, 14 + 20 + 8, "tiny fragment");
				g.src = probe->addr;
				g.smac = probe->mac;
				g.dst = "192.0.2.20";
				g.type = 8;
				len = fr_build(&g, buf);
				diff(IF_EXT1, buf, len, "ipv4 fragment probe");
			}
	}
}

static void edge_ipv6(void)
{
	const struct src *hems = src_of("2001:db8:100::10");
	uint8_t buf[FR_MAX], b2[FR_MAX];
	struct fr f;
	size_t ip, len;
	int n, k;
	static const uint8_t kinds[] = { 60, 43, 0, 51, 44 };

	/* chains of 0..9 destination-options headers before UDP */
	for (n = 0; n <= 9; n++) {
		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
		ip = fr_ipv6(&f, hems->addr, "2001:db8:10::10",
			     n ? 60 : IPPROTO_UDP, 64);
		for (k = 0; k < n; k++)
			fr_ext(&f, k + 1 < n ? 60 : IPPROTO_UDP, k & 1);
		fr_udp(&f, 40000, 3610, 4);
		fr_ipv6_end(&f, ip);
		diff(IF_EXT0, buf, f.len, "ipv6 dstopts chain");
		if (n == 2 || n == 8 || n == 9)
			truncations(IF_EXT0, buf, f.len, "ipv6 chain");
	}
	/* each kind of header first, second, and in a mix */
	for (k = 0; k < 5; k++) {
		int second;

		for (second = 0; second < 2; second++) {
			uint8_t first = second ? 60 : kinds[k];

			fr_init(&f, buf, sizeof(buf));
			fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
			ip = fr_ipv6(&f, hems->addr, "2001:db8:10::10", first,
				     64);
			if (second)
				fr_ext(&f, kinds[k], 0);
			if (kinds[k] == 51)
				fr_ah(&f, IPPROTO_TCP, 4);
			else if (kinds[k] == 44)
				fr_frag6(&f, IPPROTO_TCP, 0, false, 7);
			else
				fr_ext(&f, IPPROTO_TCP, 1);
			fr_tcp(&f, 40000, 3610, FR_TCP_SYN, 5);
			fr_ipv6_end(&f, ip);
			diff(IF_EXT0, buf, f.len, "ipv6 ext kind");
			truncations(IF_EXT0, buf, f.len, "ipv6 ext kind");
		}
	}
	/* fragments: offset, M, both; for TCP, UDP, ICMPv6 */
	{
		static const struct { uint16_t off; bool more; } fr6[] = {
			{ 0, true }, { 1, false }, { 1, true }, { 0, false },
			{ 8191, false },
		};
		static const uint8_t protos[] = {
			IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, 60, 59,
		};
		size_t i, p;

		for (i = 0; i < 5; i++)
			for (p = 0; p < sizeof(protos); p++) {
				fr_init(&f, buf, sizeof(buf));
				fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
				ip = fr_ipv6(&f, hems->addr, "2001:db8:10::20",
					     44, 64);
				fr_frag6(&f, protos[p], fr6[i].off,
					 fr6[i].more, 9);
				if (protos[p] == IPPROTO_UDP)
					fr_udp(&f, 40000, 3610, 0);
				else if (protos[p] == IPPROTO_ICMPV6)
					fr_icmp(&f, 128, 0);
				else if (protos[p] == IPPROTO_TCP)
					fr_tcp(&f, 40000, 3610, FR_TCP_SYN, 5);
				fr_ipv6_end(&f, ip);
				diff(IF_EXT0, buf, f.len, "ipv6 fragment");
			}
	}
	/* ESP and no-next-header end the chain */
	{
		static const uint8_t ends[] = { 50, 59 };

		for (k = 0; k < 2; k++) {
			fr_init(&f, buf, sizeof(buf));
			fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
			ip = fr_ipv6(&f, hems->addr, "2001:db8:10::10", 60, 64);
			fr_ext(&f, ends[k], 0);
			fr_payload(&f, 16, 0);
			fr_ipv6_end(&f, ip);
			diff(IF_EXT0, buf, f.len, "ipv6 esp/none");
		}
	}
	/* payload length 0, beyond the frame, version wrong, padding */
	{
		struct fr_spec g = { .family = AF_INET6, .src = hems->addr,
				   .dst = "2001:db8:10::10", .smac = hems->mac,
				   .proto = IPPROTO_UDP, .sport = 1,
				   .dport = 3610 };
		int pl;

		len = fr_build(&g, buf);
		for (pl = 0; pl < 24; pl += 1) {
			memcpy(b2, buf, len);
			fr_be16(b2 + 18, (uint16_t)pl);
			diff(IF_EXT0, b2, len, "ipv6 payload length");
		}
		memcpy(b2, buf, len);
		b2[14] = 0x40;
		diff(IF_EXT0, b2, len, "ipv6 version 4");
		memcpy(b2, buf, len);
		memset(b2 + len, 0, 30);
		diff(IF_EXT0, b2, len + 30, "ipv6 padding");
	}
}

static void edge_l2(void)
{
	const struct src *hems = src_of("198.51.100.10");
	const struct src *hems6 = src_of("2001:db8:100::10");
	const struct src *dr = src_of("203.0.113.80");
	static const uint8_t bad_mac[6] = { 0x02, 0, 0, 0, 0x66, 0x66 };
	uint8_t buf[FR_MAX];
	struct fr_spec f = { .family = AF_INET, .src = hems->addr,
			   .dst = "192.0.2.10", .smac = hems->mac,
			   .proto = IPPROTO_UDP, .sport = 40000, .dport = 3610 };
	struct fr fr;
	size_t len, ip;
	int k, t, i, vid;
	static const uint16_t vids[] = { 0, 1, 210, 211, 4095 };
	static const uint16_t odd_types[] = { 0x88cc, 0x8847, 0x0000, 0x05ff,
					      0xffff, 0x8863 };

	/* tags: 1 (several VIDs), two, three, truncated; the outer one
	 * 802.1Q and 802.1ad */
	for (k = 0; k < 2; k++)
		for (t = 1; t <= 3; t++)
			for (i = 0; i < 5; i++) {
				f.tpid = k ? FR_ETH_8021AD : FR_ETH_8021Q;
				f.tags = t;
				f.vid = vids[i];
				len = fr_build(&f, buf);
				diff(IF_EXT0, buf, len, "vlan");
				diff(IF_EXT1, buf, len, "vlan");
				if (i == 2)
					truncations(IF_EXT1, buf,
						    len < 40 ? len : 40, "vlan");
			}
	f.tags = 0;
	f.tpid = 0;
	/* spoofed MAC: bound device, unbound device */
	f.smac = bad_mac;
	len = fr_build(&f, buf);
	diff(IF_EXT0, buf, len, "spoofed mac");
	f.src = dr->addr;
	f.proto = IPPROTO_TCP;
	f.sport = 443;
	f.dport = 40000;
	f.flags = FR_TCP_ACK;
	len = fr_build(&f, buf);
	diff(IF_EXT1, buf, len, "unbound mac reply");
	/* other ethertypes */
	for (i = 0; i < 6; i++) {
		fr_init(&fr, buf, sizeof(buf));
		fr_eth(&fr, fr_mac_dst, fr_mac_src, odd_types[i]);
		fr_payload(&fr, 46, 0);
		diff(IF_EXT0, buf, fr.len, "ethertype");
	}
	/* ARP: device, spoofed, unknown, malformed; on ext0, ext1, sm0 */
	{
		static const char *const spa[] = {
			"198.51.100.10", "198.51.100.40", "203.0.113.20",
			"198.51.100.66", "203.0.113.5",
		};
		for (i = 0; i < 5; i++)
			for (t = 0; t < 3; t++) {
				const uint8_t *mac = t == 1 ? bad_mac :
						     i == 3 ? fr_mac_src :
						     src_of(spa[i])->mac;

				fr_init(&fr, buf, sizeof(buf));
				fr_eth(&fr, fr_mac_dst, mac, FR_ETH_ARP);
				fr_arp(&fr, 1, mac, spa[i], fr_mac_dst,
				       "192.0.2.1");
				if (t == 2)
					buf[14 + 4] = 5;	/* hlen */
				diff(IF_EXT0, buf, fr.len, "arp");
				diff(IF_EXT1, buf, fr.len, "arp");
				diff(IF_SM0, buf, fr.len, "arp");
				if (i == 0 && t == 0)
					truncations(IF_EXT0, buf, fr.len, "arp");
			}
	}
	/* ND: link-local, unspecified, device, spoofed, unknown, hop 64 */
	{
		static const char *const nsrc[] = {
			"fe80::1", "::", "2001:db8:100::10", "2001:db8:100::10",
			"2001:db8:100::77", "2001:db8:180::80", "febf::1",
			"fec0::1",
		};
		static const uint8_t types[] = { 133, 134, 135, 136, 137, 132,
						 138 };
		int h, ty;

		for (i = 0; i < 8; i++)
			for (ty = 0; ty < 7; ty++)
				for (h = 0; h < 2; h++) {
					const uint8_t *mac = i == 3 ? bad_mac :
							     hems6->mac;

					fr_init(&fr, buf, sizeof(buf));
					fr_eth(&fr, fr_mac_dst, mac, FR_ETH_IPV6);
					ip = fr_ipv6(&fr, nsrc[i], "ff02::1:ff00:1",
						     IPPROTO_ICMPV6,
						     h ? 64 : 255);
					fr_icmp(&fr, types[ty], 0);
					fr_nd_target(&fr, "2001:db8:10::1");
					fr_ipv6_end(&fr, ip);
					diff(IF_EXT0, buf, fr.len, "nd");
					diff(IF_EXT1, buf, fr.len, "nd");
					if (i == 2 && ty == 2 && !h)
						truncations(IF_EXT0, buf,
							    fr.len, "nd");
				}
	}
	/* ICMP errors quoting a packet, from devices */
	{
		static const char *const from[] = { "203.0.113.30",
						    "198.51.100.10" };

		for (i = 0; i < 2; i++) {
			const struct src *s = src_of(from[i]);

			fr_init(&fr, buf, sizeof(buf));
			fr_eth(&fr, fr_mac_dst, s->mac, FR_ETH_IPV4);
			ip = fr_ipv4(&fr, s->addr, "192.0.2.20", IPPROTO_ICMP,
				     64, 0, 0);
			fr_icmp(&fr, 3, 3);
			{
				size_t in = fr_ipv4(&fr, "192.0.2.20", s->addr,
						    IPPROTO_UDP, 64, 0, 0);

				fr_udp(&fr, 3610, 40000, 0);
				fr_ipv4_end(&fr, in);
			}
			fr_ipv4_end(&fr, ip);
			diff(IF_EXT1, buf, fr.len, "icmp error");
			diff(IF_EXT0, buf, fr.len, "icmp error");
			truncations(IF_EXT1, buf, fr.len, "icmp error");
		}
	}
	/* TCP data offset 0..15 */
	for (vid = 0; vid < 16; vid++) {
		struct fr_spec g = { .family = AF_INET, .src = hems->addr,
				   .dst = "192.0.2.10", .smac = hems->mac,
				   .proto = IPPROTO_TCP, .sport = 40000,
				   .dport = 3610, .flags = FR_TCP_SYN,
				   .payload = 12 };

		len = fr_build(&g, buf);
		buf[14 + 20 + 12] = (uint8_t)(vid << 4);
		diff(IF_EXT0, buf, len, "tcp doff");
	}
	(void)ip;
}

/* Truncations of the main base frames (IPv4/IPv6 TCP/UDP/ICMP). */
static void base_truncations(void)
{
	const struct src *hems = src_of("198.51.100.10");
	const struct src *hems6 = src_of("2001:db8:100::10");
	const struct src *probe = src_of("203.0.113.30");
	uint8_t buf[FR_MAX];
	size_t len;
	struct fr_spec f[] = {
		{ .family = AF_INET, .src = hems->addr, .dst = "192.0.2.10",
		  .smac = hems->mac, .proto = IPPROTO_TCP, .sport = 40000,
		  .dport = 3610, .flags = FR_TCP_SYN },
		{ .family = AF_INET6, .src = hems6->addr,
		  .dst = "2001:db8:10::10", .smac = hems6->mac,
		  .proto = IPPROTO_UDP, .sport = 40000, .dport = 3610 },
		{ .family = AF_INET, .src = probe->addr, .dst = "192.0.2.20",
		  .smac = probe->mac, .proto = IPPROTO_ICMP, .type = 8 },
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		len = fr_build(&f[i], buf);
		truncations(i == 2 ? IF_EXT1 : IF_EXT0, buf, len, "base");
	}
}

/* ---------------------------------------------------------------------- */
/* tests                                                                   */


static const char *const techniques[] = {
	"source-route", "icmp-control", "arp-poison", "nd-poison",
	"fake-reply", "icmp-error",
};
static size_t by_technique[6];

static void attack_emit_xdp(const uint8_t *frame, size_t len,
			    const char *technique, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < 6; i++)
		if (!strcmp(techniques[i], technique))
			by_technique[i]++;
	diff(IF_EXT0, frame, len, technique);
	diff(IF_EXT1, frame, len, technique);
}

static void attack_corpus(void)
{
	static const uint16_t ports[] = { 443, 3610, 8443, 4059, 53 };
	struct attack_src as[64];
	struct attack_ctx a = {
		.srcs = as, .dst4 = dst4, .dst6 = dst6, .n_dst = 5,
		.ports = ports, .n_ports = 5, .emit = attack_emit_xdp,
	};
	size_t i;

	a.n_srcs = attack_sources(as, 64);
	memset(by_technique, 0, sizeof(by_technique));
	attacks(&a);
	for (i = 0; i < 6; i++) {
		print_message("  attack %-13s %zu frames x 2 interfaces\n",
			      techniques[i], by_technique[i]);
		assert_true(by_technique[i] > 0);
	}
}

/*
 * The module's differential corpus (tests/guest/kmod_diff.c), its inbound
 * frames from `kmod_diff dump`: one corpus judged by both datapaths
 * against the same oracle (the module's outbound frames are its alone).
 */
static void module_corpus(void)
{
	const char *o = getenv("O");
	char cmd[512], *line = NULL, *hex, *label;
	size_t cap = 0, n = 0, len, i;
	uint8_t buf[FR_MAX];
	unsigned int b;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/guest/kmod_diff dump",
		 o && *o ? o : "build");
	p = popen(cmd, "r");
	assert_non_null(p);
	while (getline(&line, &cap, p) > 0) {
		hex = strchr(line, ' ');
		if (!hex)
			fail_msg("module corpus: bad line `%s'", line);
		*hex++ = '\0';
		label = strchr(hex, ' ');
		if (label)
			*label = '\0';
		len = strlen(hex) / 2;
		if (len > FR_MAX || strlen(hex) % 2)
			fail_msg("module corpus: bad frame of %zu hex digits",
				 strlen(hex));
		for (i = 0; i < len; i++) {
			if (sscanf(hex + 2 * i, "%2x", &b) != 1)
				fail_msg("module corpus: bad hex");
			buf[i] = (uint8_t)b;
		}
		diff(!strcmp(line, "ext1") ? IF_EXT1 : IF_EXT0, buf, len,
		     "module corpus");
		n++;
	}
	free(line);
	if (pclose(p) != 0 || n < 1000)
		fail_msg("module corpus: %zu frames from `%s'", n, cmd);
	print_message("module corpus: %zu inbound frames\n", n);
}

void test_diff_corpus(void **state)
{
	static const int all_ext[] = { IF_EXT0, IF_EXT1 };
	static const int others[] = { IF_SM0, IF_LO };
	struct mw_xdp *empty = NULL;
	struct mw_xdp_opts eo = { .pin_dir = "" };
	char err[512];
	size_t before;

	(void)state;
	need_env();
	E.corpus = E.agree = E.shown = 0;
	memset(E.by_reason, 0, sizeof(E.by_reason));
	set_now(E.x, t_normal);

	product(all_ext, 2, E.n_srcs, "normal");
	product(others, 2, 6, "other iface");
	base_truncations();
	edge_ipv4();
	edge_ipv6();
	edge_l2();
	attack_corpus();
	module_corpus();
	print_message("normal state: %zu frames\n", E.corpus);

	/* Sunday: the maintenance window is closed */
	set_now(E.x, unix_ns(2027, 3, 7, 3, 0));
	product(all_ext, 2, E.n_srcs, "sunday");
	/* before every agreement; after most (not the policy's own
	 * expiry); after the policy's own expiry */
	set_now(E.x, unix_ns(2026, 6, 1, 0, 0));
	product(all_ext, 1, E.n_srcs, "before validity");
	set_now(E.x, unix_ns(2027, 12, 15, 0, 0));
	product(all_ext, 1, E.n_srcs, "after agreements");
	set_now(E.x, unix_ns(2028, 6, 1, 0, 0));
	product(all_ext, 1, E.n_srcs, "after expiry");
	edge_l2();
	set_now(E.x, t_normal);

	/* blocks: a system, a device until the future, one in the past
	 * (CLOCK_BOOTTIME) */
	block(MW_TARGET_SYSTEM, sys_id("hems-aggregator"), 0);
	block(MW_TARGET_DEVICE, dev_id("gw-probe"),
	      (uint64_t)boot_ns() + 3600ULL * 1000000000ULL);
	block(MW_TARGET_DEVICE, dev_id("maint-jump-1"),
	      (uint64_t)boot_ns() / 2);
	product(all_ext, 2, E.n_srcs, "blocked");
	edge_l2();
	clear_blocks();

	/* island */
	assert_int_equal(mw_xdp_island(E.x, true), 0);
	E.island = true;
	product(all_ext, 1, 8, "island");
	edge_l2();
	assert_int_equal(mw_xdp_island(E.x, false), 0);
	E.island = false;

	/* no policy at all: a private instance that never loaded one */
	before = E.corpus;
	assert_int_equal(mw_xdp_open(&eo, &empty, err, sizeof(err)), 0);
	{
		uint8_t buf[FR_MAX];
		size_t s, k, len;

		for (s = 0; s < E.n_srcs; s++)
			for (k = 0; k < n_variants; k += 4) {
				len = build_variant(&E.srcs[s],
						    E.srcs[s].family == AF_INET ?
						    dst4[0] : dst6[0],
						    &variants[k], buf);
				diff_on(empty, NULL, IF_EXT0, buf, len,
					"no policy");
			}
	}
	mw_xdp_close(empty);
	print_message("no-policy frames: %zu\n", E.corpus - before);

	for (int r = 0; r < __MW_R_LAST; r++)
		if (E.by_reason[r])
			print_message("  %-15s %zu\n", mw_reason_name(r),
				      E.by_reason[r]);
	print_message("corpus: %zu frames, %zu agree, %zu differ\n", E.corpus,
		      E.agree, E.corpus - E.agree);
	assert_true(E.corpus >= 500);
	assert_int_equal(E.agree, E.corpus);
	/* the attack classes reached the decisions made for them */
	assert_true(E.by_reason[MW_R_SOURCE_ROUTE] > 0);
	assert_true(E.by_reason[MW_R_ICMP_CONTROL] > 0);
	assert_true(E.by_reason[MW_R_RELATED] > 0);
	assert_true(E.by_reason[MW_R_SPOOFED] > 0);
	assert_true(E.by_reason[MW_R_AGREEMENT] > 0);
	assert_true(E.by_reason[MW_R_POLICY_EXPIRED] > 0);
	assert_true(E.by_reason[MW_R_BLOCKED] > 0);
}

/* One frame, judged by the datapath; its reason. */

void test_every_reason(void **state)
{
	int r, missing = 0;

	(void)state;
	need_env();
	for (r = MW_R_UNSPEC + 1; r < __MW_R_LAST; r++) {
		if (r == MW_R_UNKNOWN_DEST || r == MW_R_FLOW)
			continue;	/* outbound / tracked flows: kmod only */
		if (!E.covered[r]) {
			print_message("reason %s: no agreeing frame\n",
				      mw_reason_name(r));
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_corpus),
		cmocka_unit_test(test_diff_random),
		cmocka_unit_test(test_block_survives_reload),
		cmocka_unit_test(test_swap_atomic),
		cmocka_unit_test(test_reopen_pins),
		cmocka_unit_test(test_island),
		cmocka_unit_test(test_clock_offsets),
		cmocka_unit_test(test_policy_expired),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_vlan_8021ad),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_flow_table_lru),
		cmocka_unit_test(test_flow_two_cpus),
		cmocka_unit_test(test_flow_zone_cache),
		cmocka_unit_test(test_torn_config),
		cmocka_unit_test(test_sink_variant),
		cmocka_unit_test(test_attach_detach),
		cmocka_unit_test(test_bench),
		cmocka_unit_test(test_h4_probe_bound),
		cmocka_unit_test(test_h4_spill_path),
		cmocka_unit_test(test_pins_before_mmap),
		cmocka_unit_test(test_verifier_budget),
		cmocka_unit_test(test_every_reason),
	};

	/* one test (a glob: MW_TEST_FILTER=test_diff_random) */
	if (getenv("MW_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MW_TEST_FILTER"));
	return cmocka_run_group_tests_name("xdp_diff", tests, group_setup,
					   group_teardown);
}

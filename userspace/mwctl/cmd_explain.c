// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl explain POLICY|IMAGE --from ADDR --to ADDR --proto P [--dport N] ...
 * Runs the reference classifier on a described packet and says why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "classify.h"
#include "image.h"
#include <meterwall/reasons.h>

#include "mwctl.h"
#include "policy.h"

struct explain_args {
	const char *from, *to, *iface;
	int proto;
	long sport, dport;
	uint16_t vlans[MW_MAX_VLAN_TAGS + 1];
	int n_vlans;
	const char *mac;
	uint8_t tcp_flags;
	int icmp_type;
	bool fragment, island;
	int64_t at_ns;
};

static void explain_usage(FILE *f)
{
	fprintf(f, "Usage: %s explain POLICY|IMAGE --from ADDR --to ADDR --proto PROTO\n"
		"        [--dport N] [--sport N] [--iface IF] [--vlan N]... [--mac MAC]\n"
		"        [--tcp-flags syn|ack|synack|rst|fin] [--icmp-type N] [--fragment]\n"
		"        [--island] [--at UNIX_SECONDS]\n\n"
		"Judge one packet as meterwall's enforcement points would, and say why.\n"
		"The direction follows from the addresses: from a device of an external\n"
		"system is inbound, to one is outbound.  PROTO is tcp, udp, icmp, icmpv6\n"
		"or a number.  TCP defaults to a SYN (a new connection).\n", prog_name);
}

static int parse_proto(const char *s)
{
	static const struct { const char *n; int p; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	};
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].n))
			return names[i].p;
	if (parse_u32(s, 254, &v))
		return -EINVAL;
	return (int)v;
}

static int parse_tcp_flags(const char *s, uint8_t *flags)
{
	static const struct { const char *n; uint8_t f; } names[] = {
		{ "syn", 0x02 }, { "ack", 0x10 }, { "synack", 0x12 },
		{ "rst", 0x04 }, { "fin", 0x11 }, { "psh", 0x18 },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].n)) {
			*flags = names[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_addr(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "%s explain: invalid %s: `%s'\n", prog_name, what, val);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct explain_args *a)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "proto", required_argument, NULL, 'p' },
		{ "sport", required_argument, NULL, 's' },
		{ "dport", required_argument, NULL, 'd' },
		{ "iface", required_argument, NULL, 'i' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "mac", required_argument, NULL, 'm' },
		{ "tcp-flags", required_argument, NULL, 'F' },
		{ "icmp-type", required_argument, NULL, 'T' },
		{ "fragment", no_argument, NULL, 'g' },
		{ "island", no_argument, NULL, 'I' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': a->from = optarg; break;
		case 't': a->to = optarg; break;
		case 'i': a->iface = optarg; break;
		case 'm': a->mac = optarg; break;
		case 'g': a->fragment = true; break;
		case 'I': a->island = true; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': explain_usage(stdout); exit(0);
		case 'p':
			a->proto = parse_proto(optarg);
			if (a->proto < 0)
				return bad("protocol", optarg);
			break;
		case 's':
		case 'd':
			if (parse_u32(optarg, 65535, &v))
				return bad("port", optarg);
			*(c == 's' ? &a->sport : &a->dport) = (long)v;
			break;
		case 'v':
			if (parse_u32(optarg, 4095, &v) || a->n_vlans > MW_MAX_VLAN_TAGS)
				return bad("VLAN id (0..4095, at most 3 tags)", optarg);
			a->vlans[a->n_vlans++] = (uint16_t)v;
			break;
		case 'F':
			if (parse_tcp_flags(optarg, &a->tcp_flags))
				return bad("TCP flags", optarg);
			break;
		case 'T':
			if (parse_u32(optarg, 255, &v))
				return bad("ICMP type", optarg);
			a->icmp_type = (int)v;
			break;
		case 'a':
			if (parse_u32(optarg, 1UL << 40, &v))
				return bad("time (unix seconds)", optarg);
			a->at_ns = (int64_t)v * 1000000000LL;
			break;
		default:
			explain_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || !a->from || !a->to || a->proto < 0) {
		explain_usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* A YAML policy or a compiled image: compile the former. */
static int load_any(const char *path, struct mw_image *img)
{
	struct mw_policy *pol = NULL;
	int err;

	err = mw_image_read_file(path, img);
	if (!err && img->len >= 4 && *(uint32_t *)img->data == MW_IMAGE_MAGIC)
		return 0;
	mw_image_free(img);
	err = load_and_compile(path, &pol, img);
	mw_policy_free(pol);
	return err;
}

static int build_pkt(const struct explain_args *a, struct mw_pkt *p)
{
	uint8_t fam2;
	int i;

	memset(p, 0, sizeof(*p));
	if (parse_addr(a->from, &p->family, p->src))
		return bad("source address", a->from);
	if (parse_addr(a->to, &fam2, p->dst))
		return bad("destination address", a->to);
	if (fam2 != p->family) {
		fprintf(stderr, "%s explain: `%s' and `%s' are of different address families\n",
			prog_name, a->from, a->to);
		return -EINVAL;
	}
	if (a->mac && mw_mac_parse(a->mac, p->src_mac))
		return bad("MAC address", a->mac);
	p->n_vlans = (uint8_t)a->n_vlans;
	for (i = 0; i < a->n_vlans && i < MW_MAX_VLAN_TAGS; i++)
		p->vlan[i] = a->vlans[i];
	p->ethertype = p->family == AF_INET ? 0x0800 : 0x86dd;
	p->proto = (uint8_t)a->proto;
	p->fragment = a->fragment;
	p->hop_limit = 64;
	p->len = 64;
	p->has_ports = !a->fragment &&
		       (a->proto == IPPROTO_TCP || a->proto == IPPROTO_UDP);
	p->sport = (uint16_t)(a->sport >= 0 ? a->sport : 40000);
	p->dport = (uint16_t)(a->dport >= 0 ? a->dport : 0);
	p->tcp_flags = a->tcp_flags;
	p->icmp_type = (uint8_t)(a->icmp_type >= 0 ? a->icmp_type :
				 (a->proto == IPPROTO_ICMPV6 ? 128 : 8));
	return 0;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case MW_ANY_PROTO: return "any";
	default: return "other";
	}
}

static const struct mw_img_iface *pick_iface(const struct mw_image_view *v,
					     const struct explain_args *a,
					     uint32_t dev_id)
{
	const struct mw_img_device *d;
	const struct mw_img_system *s;
	size_t i;

	if (a->iface)
		return mw_image_iface_by_name(v, a->iface);
	d = dev_id == MW_ID_NONE ? NULL : mw_image_device(v, dev_id);
	s = d ? mw_image_system(v, d->system) : NULL;
	for (i = 0; i < v->n_ifaces; i++) {
		if (s ? v->ifaces[i].id == s->iface :
			v->ifaces[i].zone == MW_ZONE_EXTERNAL)
			return &v->ifaces[i];
	}
	return NULL;
}

static void print_result(const struct mw_image_view *v,
			 const struct mw_img_iface *ifc,
			 const struct mw_result *r)
{
	const struct mw_img_device *d = r->device == MW_ID_NONE ? NULL :
					mw_image_device(v, r->device);
	const struct mw_img_system *s = r->system == MW_ID_NONE ? NULL :
					mw_image_system(v, r->system);
	const struct mw_img_conduit *c = r->conduit == MW_ID_NONE ? NULL :
					 mw_image_conduit(v, r->conduit);

	jp_open_obj(NULL);
	jp_str("verdict", mw_verdict_name(r->verdict));
	jp_str("reason", mw_reason_name(r->reason));
	jp_str("why", mw_reason_info(r->reason) ?
	       mw_reason_info(r->reason)->desc : "");
	jp_str("direction", r->dir == MW_DIR_OUTBOUND ? "outbound" : "inbound");
	jp_str("interface", ifc->name);
	if (s) {
		jp_open_obj("system");
		jp_str("name", mw_image_str(v, s->name));
		jp_str("entity", mw_image_str(v, s->entity));
		jp_str("contact", mw_image_str(v, s->contact));
		jp_str("agreement", mw_image_str(v, s->agreement));
		jp_close_obj();
	}
	if (d)
		jp_str("device", mw_image_str(v, d->name));
	if (c) {
		jp_open_obj("conduit");
		jp_str("name", mw_image_str(v, c->name));
		jp_str("direction", c->direction == MW_DIR_OUTBOUND ?
			"outbound" : "inbound");
		jp_str("proto", proto_name(c->proto));
		jp_close_obj();
	}
	jp_close_obj();
	jp_finish();
}

int explain_main(int argc, char **argv)
{
	struct explain_args a = { .proto = -1, .sport = -1, .dport = -1,
				  .icmp_type = -1 };
	const struct mw_img_iface *ifc;
	const struct mw_img_device *d;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	struct mw_runtime rt = { 0 };
	enum mw_direction dir;
	struct mw_result r;
	struct mw_pkt p;
	const char *why;
	uint32_t dev;
	int ret = 1;

	if (parse_args(argc, argv, &a) || build_pkt(&a, &p))
		return 1;
	if (load_any(argv[optind], &img))
		return 1;
	if (mw_image_view(img.data, img.len, &v, &why)) {
		fprintf(stderr, "%s: error: invalid image: %s\n", argv[optind], why);
		goto out;
	}
	if (p.tcp_flags == 0 && p.proto == IPPROTO_TCP)
		p.tcp_flags = 0x02;

	dev = mw_lookup_device(&v, p.family, p.src);
	dir = MW_DIR_INBOUND;
	if (dev == MW_ID_NONE) {
		uint32_t to = mw_lookup_device(&v, p.family, p.dst);

		/* to a device, or from the smart-meter side: outbound */
		if (to != MW_ID_NONE || mw_lookup_zones(&v, p.family, p.src)) {
			dev = to;
			dir = MW_DIR_OUTBOUND;
		}
	}
	ifc = pick_iface(&v, &a, dev);
	if (!ifc) {
		fprintf(stderr, "%s explain: interface `%s' is not in the policy\n",
			prog_name, a.iface ? a.iface : "(external)");
		goto out;
	}
	d = dev == MW_ID_NONE ? NULL : mw_image_device(&v, dev);
	if (!a.mac && d && (d->flags & MW_DEV_F_MAC))
		memcpy(p.src_mac, d->mac, 6);
	rt.island = a.island;
	rt.boot_ns = mw_now_boot_ns();
	/* the wall clock of the question: --at, else the host's now */
	rt.boot_to_unix_ns = a.at_ns ? a.at_ns - rt.boot_ns :
				       mw_xdp_clock_offset();
	rt.boot_to_unix_max_ns = rt.boot_to_unix_ns;
	mw_classify(&v, &rt, ifc->id, dir, &p, &r);
	print_result(&v, ifc, &r);
	ret = r.verdict == MW_VERDICT_PASS ? 0 : 2;
out:
	mw_image_free(&img);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* mwctl status: enforcement points, policy, interfaces, counters, blocks */
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "ethtool.h"
#include "mwctl.h"

static void hex32(const uint8_t *d, char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* now: the boot clock (blocks end by it); a block's end is shown as unix
 * time too (the host's offset now), in the policy's time zone (mwctl
 * blocks says who and why) */
static void print_block(struct mw_xdp *x, enum mw_target kind, uint32_t id,
			int64_t now, int32_t tz)
{
	struct mw_block b;

	if (mw_xdp_get_block(x, kind, id, &b) || !mw_block_in_force(&b, now))
		return;
	jp_open_obj("block");
	print_until(mw_block_unix_time(b.until), tz);
	jp_u64("until_boot_ns", b.until);
	jp_u64("cause", b.cause);
	jp_close_obj();
}

static void print_counter(const struct mw_counter *c)
{
	jp_u64("pass_packets", c->pass_packets);
	jp_u64("pass_bytes", c->pass_bytes);
	jp_u64("drop_packets", c->drop_packets);
	jp_u64("drop_bytes", c->drop_bytes);
}

static void add(struct mw_counter *a, const struct mw_counter *b)
{
	a->pass_packets += b->pass_packets;
	a->pass_bytes += b->pass_bytes;
	a->drop_packets += b->drop_packets;
	a->drop_bytes += b->drop_bytes;
}

static void print_systems(struct mw_xdp *x, const struct mw_image_view *v,
			  int64_t now)
{
	size_t i, j;

	jp_open_arr("systems");
	for (i = 0; i < v->n_systems; i++) {
		const struct mw_img_system *s = &v->systems[i];
		struct mw_counter sum = { 0 }, c;

		for (j = 0; j < v->n_devices; j++)
			if (v->devices[j].system == s->id &&
			    !mw_xdp_dev_counter(x, v->devices[j].id, &c))
				add(&sum, &c);
		jp_open_obj(NULL);
		jp_str("system", mw_image_str(v, s->name));
		print_counter(&sum);
		print_block(x, MW_TARGET_SYSTEM, s->id, now, v->hdr->tz_offset);
		jp_open_arr("devices");
		for (j = 0; j < v->n_devices; j++) {
			const struct mw_img_device *d = &v->devices[j];

			if (d->system != s->id)
				continue;
			memset(&c, 0, sizeof(c));
			mw_xdp_dev_counter(x, d->id, &c);
			jp_open_obj(NULL);
			jp_str("device", mw_image_str(v, d->name));
			print_counter(&c);
			print_block(x, MW_TARGET_DEVICE, d->id, now,
				    v->hdr->tz_offset);
			jp_close_obj();
		}
		jp_close_arr();
		jp_close_obj();
	}
	jp_close_arr();
}

/*
 * Whether the NIC leaves VLAN tags in the frames XDP judges: "off" (it
 * does), or "on" with the offloads that take them out.  Nothing when the
 * interface cannot be asked.
 */
static void print_rxvlan(const char *ifname)
{
	struct mw_eth_feature f[__MW_ETH_RXVLAN_N];
	bool on = false;
	int k;

	if (mw_eth_rxvlan_get(ifname, f, NULL, 0))
		return;
	for (k = 0; k < __MW_ETH_RXVLAN_N; k++)
		on |= f[k].active;
	jp_str("rx_vlan_offload", on ? "on" : "off");
	if (!on)
		return;
	jp_open_arr("rx_vlan_offload_on");
	for (k = 0; k < __MW_ETH_RXVLAN_N; k++)
		if (f[k].active)
			jp_str(NULL, f[k].name);
	jp_close_arr();
}

static void print_ifaces(struct mw_xdp *x, const struct mw_image_view *v)
{
	size_t i;

	jp_open_arr("interfaces");
	for (i = 0; i < v->n_ifaces; i++) {
		const struct mw_img_iface *f = &v->ifaces[i];
		struct mw_xdp_iface_info info = { 0 };

		mw_xdp_iface_query(x, f->name, &info);
		jp_open_obj(NULL);
		jp_str("interface", f->name);
		jp_str("zone", f->zone == MW_ZONE_EXTERNAL ? "external" : "smart-meter");
		jp_bool("present", info.ifindex != 0);
		jp_bool("xdp", info.ours);
		if (info.ours)
			jp_str("mode", info.mode == MW_XDP_MODE_SKB ? "generic" : "native");
		else if (info.prog_id)
			jp_u64("foreign_prog_id", info.prog_id);
		if (info.ifindex && f->zone == MW_ZONE_EXTERNAL)
			print_rxvlan(f->name);
		jp_close_obj();
	}
	jp_close_arr();
}

static int kmod_reason(enum mw_target kind, uint32_t id,
		       const struct mw_counter *c, void *arg)
{
	uint64_t n = c->pass_packets + c->drop_packets;

	(void)arg;
	if (kind != MW_TARGET_REASON || !n)
		return 0;
	jp_u64(mw_reason_name(id), n);
	return 0;
}

static int kmod_block(enum mw_target kind, uint32_t id, uint64_t until_ns,
		      uint32_t cause, void *arg)
{
	(void)kind, (void)id, (void)cause;
	if (!until_ns || (int64_t)until_ns > mw_now_boot_ns())
		++*(uint64_t *)arg;
	return 0;
}

/* The kernel module, when it is loaded (the second enforcement point). */
static void print_kmod(void)
{
	struct mw_nl_status ks;
	struct mw_nl *nl = mw_ctl_kmod(ctl);
	uint64_t nblocks = 0;
	char hex[65];

	jp_open_obj("kmod");
	jp_bool("loaded", nl != NULL);
	if (nl && !mw_nl_status(nl, &ks)) {
		jp_u64("generation", ks.generation);
		jp_bool("island", ks.island);
		jp_i64("boot_to_unix_ns", ks.boot_to_unix_ns);
		jp_i64("boot_to_unix_max_ns", ks.boot_to_unix_max_ns);
		if (ks.loaded) {
			jp_u64("serial", ks.serial);
			hex32(ks.digest, hex);
			jp_str("digest", hex);
		}
		if (!mw_nl_blocks(nl, kmod_block, &nblocks))
			jp_u64("blocks", nblocks);
		jp_open_obj("reasons");
		mw_nl_counters(nl, kmod_reason, NULL);
		jp_close_obj();
	}
	jp_close_obj();
	mw_nl_close(nl);
}

/* meterwalld, when it runs (it reads the drop events: mw_ctl_events_taken) */
static void print_daemon(void)
{
	jp_open_obj("meterwalld");
	jp_bool("running", mw_ctl_events_taken(ctl));
	jp_close_obj();
}

int status_main(int argc, char **argv)
{
	struct mw_counter rc[__MW_R_LAST];
	struct mw_image img = { 0 };
	struct mw_xdp_status st;
	struct mw_image_view v;
	bool have_img;
	struct mw_xdp *x;
	int64_t now = mw_now_boot_ns();
	char hex[65];
	int r;

	if (want_help(argc, argv)) {
		printf("Usage: %s status\n\nThe enforcement points, the policy in force, interfaces,\nper-reason, per-system and per-device counters, and blocks.\n",
		       prog_name);
		return 0;
	}
	if (take_json_flag(argc, argv) > 1) {
		fprintf(stderr, "Usage: %s status [-j|--json]\n", prog_name);
		return 1;
	}
	if (mw_ctl_xdp(ctl, MW_XDP_F_NO_PROG, 0, &x))
		return 1;
	if (mw_xdp_status(x, &st)) {
		fprintf(stderr, "%s: %s\n", prog_name, mw_xdp_errmsg(x));
		mw_xdp_close(x);
		return 1;
	}
	have_img = mw_ctl_active_image(ctl, &img, &v) == 0;
	jp_open_obj(NULL);
	jp_open_obj("xdp");
	jp_str("pin_dir", st.pin_dir);
	jp_u64("generation", st.cfg.generation);
	jp_bool("island", st.cfg.island);
	jp_i64("boot_to_unix_ns", st.cfg.boot_to_unix_ns);
	jp_i64("boot_to_unix_max_ns", st.cfg.boot_to_unix_max_ns);
	jp_u64("device_capacity", st.dev_capacity);
	jp_u64("flow_entries", st.flow_entries);
	if (st.cfg.generation) {
		jp_u64("serial", st.active.serial);
		hex32(st.active.digest, hex);
		jp_str("digest", hex);
		jp_u64("devices", st.active.n_devices);
		jp_u64("systems", st.active.n_systems);
	}
	jp_close_obj();
	if (!mw_xdp_reason_counters(x, rc)) {
		jp_open_obj("reasons");
		for (r = 1; r < __MW_R_LAST; r++)
			if (rc[r].pass_packets + rc[r].drop_packets)
				jp_u64(mw_reason_name(r), rc[r].pass_packets +
				       rc[r].drop_packets);
		jp_close_obj();
	}
	if (have_img) {
		print_ifaces(x, &v);
		print_systems(x, &v, now);
		mw_image_free(&img);
	}
	print_kmod();
	print_daemon();
	jp_close_obj();
	jp_finish();
	mw_xdp_close(x);
	return 0;
}

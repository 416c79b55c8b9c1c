// SPDX-License-Identifier: GPL-2.0
/*
 * XDP enforcement point: open (program + pinned maps), attach and detach
 * through pinned bpf_links, and the helpers the other xdp_*.c files share.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_int.h"
#include "meterwall.skel.h"

#define BPF_FS_MAGIC_NUM	0xcafe4a11
#define MW_PROG_NAME		"mw_xdp"

const char *const mw_xdp_map_names[M__COUNT] = {
#define MW_XDP_MAP_NAME(id, member) [id] = #member,
	MW_XDP_MAPS(MW_XDP_MAP_NAME)
#undef MW_XDP_MAP_NAME
};

/* Where the skeleton keeps each map (a missing one does not compile). */
static const size_t skel_map_off[M__COUNT] = {
#define MW_XDP_MAP_OFF(id, member) \
	[id] = offsetof(struct meterwall, maps.member),
	MW_XDP_MAPS(MW_XDP_MAP_OFF)
#undef MW_XDP_MAP_OFF
};

/* ---------------------------------------------------------------------- */
/* errors, libbpf noise, config                                            */

int mw_xdp_fail(struct mw_xdp *x, int err, const char *fmt, ...)
{
	va_list ap;

	if (x) {
		va_start(ap, fmt);
		vsnprintf(x->err, sizeof(x->err), fmt, ap);
		va_end(ap);
	}
	return err;
}

const char *mw_xdp_errmsg(const struct mw_xdp *x)
{
	return x ? x->err : "";
}

static __thread char libbpf_last[256];

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, ap);
	n = strlen(libbpf_last);
	while (n && libbpf_last[n - 1] == '\n')
		libbpf_last[--n] = '\0';
	return 0;
}

/* MW_XDP_DEBUG=1 in the environment keeps libbpf's messages (verifier log). */
static bool libbpf_debug(void)
{
	const char *d = getenv("MW_XDP_DEBUG");

	return d && d[0] && strcmp(d, "0");
}

libbpf_print_fn_t mw_xdp_quiet_begin(void)
{
	libbpf_last[0] = '\0';
	if (libbpf_debug())
		return NULL;
	return libbpf_set_print(quiet_print);
}

void mw_xdp_quiet_end(libbpf_print_fn_t old)
{
	if (!libbpf_debug())
		libbpf_set_print(old);
}

const char *mw_xdp_libbpf_last(void)
{
	return libbpf_last[0] ? libbpf_last : "no detail";
}

int mw_xdp_lock(struct mw_xdp *x)
{
	if (x->dir_fd < 0)
		return 0;
	while (flock(x->dir_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return mw_xdp_fail(x, -errno, "cannot lock %s: %s",
					   x->pin_dir, strerror(errno));
	return 0;
}

void mw_xdp_unlock(struct mw_xdp *x)
{
	if (x->dir_fd >= 0)
		flock(x->dir_fd, LOCK_UN);
}

int mw_xdp_read_config(struct mw_xdp *x, struct mw_config *cfg)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(x->fd[M_CONFIG], &zero, cfg) < 0)
		return mw_xdp_fail(x, -errno, "cannot read mw_config: %s",
				   strerror(errno));
	return 0;
}

static int64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * mw_config, and with it the accounting clock (mw_clock): the same unix
 * time base moved from the boot clock to the monotonic clock, which
 * differ by the time spent suspended.
 */
int mw_xdp_write_config(struct mw_xdp *x, const struct mw_config *cfg)
{
	struct mw_xdp_clock clk = {};
	static const uint32_t none[MW_XDP_FLOW_SEEDS];
	uint32_t zero = 0;
	int64_t m0, b, m1;

	/* the flow hash seed is drawn once and kept: the rows already
	 * placed are found by it */
	if (bpf_map_lookup_elem(x->fd[M_CLOCK], &zero, &clk) < 0)
		return mw_xdp_fail(x, -errno, "cannot read mw_clock: %s",
				   strerror(errno));
	if (!memcmp(clk.flow_seed, none, sizeof(none)) &&
	    getrandom(clk.flow_seed, sizeof(clk.flow_seed), 0) !=
	    sizeof(clk.flow_seed))
		return mw_xdp_fail(x, -EIO, "no random bytes for the flow "
				   "hash seed");
	m0 = ts_ns(CLOCK_MONOTONIC);
	b = ts_ns(CLOCK_BOOTTIME);
	m1 = ts_ns(CLOCK_MONOTONIC);
	clk.mono_to_unix_ns = cfg->boot_to_unix_ns + b - (m0 + (m1 - m0) / 2);
	if (bpf_map_update_elem(x->fd[M_CLOCK], &zero, &clk, BPF_ANY) < 0)
		return mw_xdp_fail(x, -errno, "cannot write mw_clock: %s",
				   strerror(errno));
	if (bpf_map_update_elem(x->fd[M_CONFIG], &zero, cfg, BPF_ANY) < 0)
		return mw_xdp_fail(x, -errno, "cannot write mw_config: %s",
				   strerror(errno));
	return 0;
}

int64_t mw_xdp_clock_offset(void)
{
	int64_t b0 = ts_ns(CLOCK_BOOTTIME);
	int64_t r = ts_ns(CLOCK_REALTIME);
	int64_t b1 = ts_ns(CLOCK_BOOTTIME);

	return r - (b0 + (b1 - b0) / 2);
}

void mw_xdp_config_clock(struct mw_config *cfg, int64_t off, bool reset_max)
{
	cfg->boot_to_unix_ns = off ? off : mw_xdp_clock_offset();
	if (reset_max || cfg->boot_to_unix_max_ns < cfg->boot_to_unix_ns)
		cfg->boot_to_unix_max_ns = cfg->boot_to_unix_ns;
}

/* ---------------------------------------------------------------------- */
/* open / close                                                            */

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type ==
	       (unsigned long)BPF_FS_MAGIC_NUM;
}

/* bpffs at /sys/fs/bpf (mounted if missing), then the pin directory. */
static int prepare_pin_dir(struct mw_xdp *x)
{
	const char *dir = x->pin_dir;

	if (!strncmp(dir, MW_XDP_BPFFS "/", strlen(MW_XDP_BPFFS) + 1) &&
	    !is_bpffs(MW_XDP_BPFFS) &&
	    mount("bpf", MW_XDP_BPFFS, "bpf", 0, "mode=0700") < 0)
		return mw_xdp_fail(x, -errno,
				   "cannot mount bpffs at %s: %s (run as root, "
				   "or mount it: mount -t bpf bpf %s)",
				   MW_XDP_BPFFS, strerror(errno), MW_XDP_BPFFS);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return mw_xdp_fail(x, -errno, "cannot create %s: %s", dir,
				   strerror(errno));
	if (!is_bpffs(dir))
		return mw_xdp_fail(x, -ENOTSUP,
				   "%s is not on a bpf filesystem: choose a "
				   "directory under %s", dir, MW_XDP_BPFFS);
	x->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dir_fd < 0)
		return mw_xdp_fail(x, -errno, "cannot open %s: %s", dir,
				   strerror(errno));
	return 0;
}

/* The pinned map `name' (info zeroed if it is not pinned). */
static void pinned_info(struct mw_xdp *x, const char *name,
			struct bpf_map_info *info)
{
	uint32_t len = sizeof(*info);
	char path[320];
	int fd;

	memset(info, 0, sizeof(*info));
	snprintf(path, sizeof(path), "%s/%s", x->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, info, &len) < 0)
		memset(info, 0, sizeof(*info));
	close(fd);
}

/* max_entries of the pinned map `name', 0 if it is not pinned. */
static uint32_t pinned_size(struct mw_xdp *x, const char *name)
{
	struct bpf_map_info info;

	pinned_info(x, name, &info);
	return info.max_entries;
}

/*
 * Map m is mmapable (bpf/maps.h) unless it is pinned already without the
 * flag (by a version before it had it): that map is reused as it is, its
 * rows then written by syscall.  Whether it is: x->mmapable[m].
 */
static void pick_mmapable(struct mw_xdp *x, int m)
{
	uint32_t flags = bpf_map__map_flags(x->map[m]);
	struct bpf_map_info info = {};

	if (x->pinned)
		pinned_info(x, mw_xdp_map_names[m], &info);
	if (info.id && !(info.map_flags & BPF_F_MMAPABLE)) {
		flags &= ~BPF_F_MMAPABLE;
		bpf_map__set_map_flags(x->map[m], flags);
	}
	x->mmapable[m] = flags & BPF_F_MMAPABLE;
}

/* Requested size vs pinned size; sets *size.  -EEXIST on a mismatch. */
static int pick_size(struct mw_xdp *x, const char *map, uint32_t want,
		     uint32_t def, uint32_t *size)
{
	uint32_t have = x->pinned ? pinned_size(x, map) : 0;

	if (have && want && want != have)
		return mw_xdp_fail(x, -EEXIST,
				   "the pinned map %s/%s holds %u entries, not "
				   "the %u asked for: detach every interface "
				   "and remove %s to resize it", x->pin_dir,
				   map, have, want, x->pin_dir);
	*size = have ? have : want ? want : def;
	return 0;
}

/*
 * Rows per CPU of flow_tab (meterwall/xdp_abi.h): flow_entries rounded up to a
 * power of two; the pinned table's when want is 0.
 */
static unsigned int flow_bits(uint32_t want)
{
	unsigned int bits = MW_XDP_FLOW_MIN_BITS;

	while (bits < MW_XDP_FLOW_MAX_BITS &&
	       (1U << bits) < (want ? want : MW_XDP_DEF_FLOW_ENTRIES))
		bits++;
	return bits;
}

uint32_t mw_xdp_flow_rows(uint32_t flow_entries)
{
	return 1U << flow_bits(flow_entries);
}

static int pick_flow_rows(struct mw_xdp *x, uint32_t want, uint32_t if_new)
{
	uint32_t have = x->pinned ? pinned_size(x, mw_xdp_map_names[M_FLOWS]) : 0;
	uint32_t bits, n = x->ncpus;

	if (!want && !have)
		want = if_new;
	if (want > 1U << MW_XDP_FLOW_MAX_BITS)
		return mw_xdp_fail(x, -EINVAL, "flow_entries %u: at most %u",
				   want, 1U << MW_XDP_FLOW_MAX_BITS);
	bits = flow_bits(want);
	if (have && !want)
		for (bits = MW_XDP_FLOW_MIN_BITS;
		     bits < MW_XDP_FLOW_MAX_BITS && (n << bits) < have;)
			bits++;
	if (have && have != n << bits)
		return mw_xdp_fail(x, -EEXIST,
				   "the pinned map %s/flow_tab holds %u rows, "
				   "not %u CPUs x %u: detach every interface "
				   "and remove %s to resize it", x->pin_dir,
				   have, n, 1U << bits, x->pin_dir);
	if ((uint64_t)n << bits > 1U << 30)
		return mw_xdp_fail(x, -E2BIG, "flow table too large: %u CPUs "
				   "x %u rows; lower flow_entries", n,
				   1U << bits);
	x->flow_bits = bits;
	x->flow_entries = 1U << bits;
	return 0;
}

/*
 * One second of the kernel's tick (HZ), for the program's event windows:
 * the coarse clocks advance once a tick, so their resolution is the tick.
 * 100 (the smallest HZ Linux offers) should it not be known: a window then
 * lasts at most a second, never longer.
 */
static uint32_t jiffies_per_sec(void)
{
	struct timespec r;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &r) || r.tv_sec ||
	    r.tv_nsec <= 0)
		return 100;
	return (uint32_t)((1000000000L + r.tv_nsec / 2) / r.tv_nsec);
}

static int set_sizes(struct mw_xdp *x, const struct mw_xdp_opts *o)
{
	int err;

	err = pick_size(x, mw_xdp_map_names[M_DEV_BLOCKS], o->dev_capacity,
			MW_XDP_DEF_DEV_CAPACITY, &x->dev_capacity);
	if (!err)
		err = pick_size(x, mw_xdp_map_names[M_CONDUIT_COUNTERS],
				o->conduit_capacity, MW_XDP_DEF_CONDUIT_CAPACITY,
				&x->conduit_capacity);
	if (!err)
		err = pick_flow_rows(x, o->flow_entries, o->flow_entries_new);
	if (err)
		return err;
	if (x->dev_capacity > MW_MAX_DEVICES ||
	    x->conduit_capacity > MW_MAX_CONDUITS)
		return mw_xdp_fail(x, -EINVAL,
				   "capacity too large: at most %u devices and "
				   "%u conduits", MW_MAX_DEVICES,
				   MW_MAX_CONDUITS);
	bpf_map__set_max_entries(x->map[M_DEV_BLOCKS], x->dev_capacity);
	if ((uint64_t)x->ncpus * x->dev_capacity > UINT32_MAX)
		return mw_xdp_fail(x, -EINVAL, "%d CPUs * %u devices of "
				   "counters: too many", x->ncpus,
				   x->dev_capacity);
	bpf_map__set_max_entries(x->map[M_DEV_COUNTERS],
				 (uint32_t)x->ncpus * x->dev_capacity);
	bpf_map__set_max_entries(x->map[M_CONDUIT_COUNTERS],
				 x->conduit_capacity);
	bpf_map__set_max_entries(x->map[M_FLOWS],
				 (uint32_t)x->ncpus << x->flow_bits);
	/* dev_tab4 / dev_rec: both slots' rows, from the capacity */
	x->h4_bits = mw_xdp_h4_bits(x->dev_capacity);
	bpf_map__set_max_entries(x->map[M_DEV_TAB4],
				 MW_XDP_SLOTS << x->h4_bits);
	bpf_map__set_max_entries(x->map[M_DEV_REC],
				 MW_XDP_SLOTS * x->dev_capacity);
	pick_mmapable(x, M_DEV_TAB4);
	pick_mmapable(x, M_DEV_REC);
	return 0;
}

static int load_skel(struct mw_xdp *x, const struct mw_xdp_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .pin_root_path = x->pinned ? x->pin_dir : NULL);
	int i, err;

	x->skel = meterwall__open_opts(&oo);
	if (!x->skel)
		return mw_xdp_fail(x, -errno,
				   "cannot open the embedded XDP object (%s): "
				   "rebuild mwctl", mw_xdp_libbpf_last());
	for (i = 0; i < M__COUNT; i++) {
		x->map[i] = *(struct bpf_map **)((char *)x->skel +
						 skel_map_off[i]);
		if (!x->pinned)
			bpf_map__set_pin_path(x->map[i], NULL);
	}
	err = mw_xdp_take_shapes(x);
	if (err)
		return err;
	err = set_sizes(x, o);
	if (err)
		return err;
	x->skel->rodata->mw_h4_max_bits = x->h4_bits;
	x->skel->rodata->mw_dev_capacity = x->dev_capacity;
	x->skel->rodata->mw_flows_enabled = !(o->flags & MW_XDP_F_NO_FLOWS);
	x->skel->rodata->mw_flow_bits = x->flow_bits;
	x->skel->rodata->mw_events_enabled = !(o->flags & MW_XDP_F_NO_EVENTS);
	x->skel->rodata->mw_jiffies_per_sec = jiffies_per_sec();
	if (o->flags & (MW_XDP_F_NO_PROG | MW_XDP_F_SINK))
		bpf_program__set_autoload(x->skel->progs.mw_xdp, false);
	if ((o->flags & (MW_XDP_F_NO_PROG | MW_XDP_F_SINK)) != MW_XDP_F_SINK)
		bpf_program__set_autoload(x->skel->progs.mw_xdp_sink, false);

	err = meterwall__load(x->skel);
	if (err) {
		err = err < 0 ? err : -errno;
		if (err == -EPERM)
			return mw_xdp_fail(x, err,
					   "not allowed to load BPF programs "
					   "and maps: run as root (CAP_BPF, "
					   "CAP_NET_ADMIN)");
		if (x->pinned && (err == -EINVAL || err == -EEXIST))
			return mw_xdp_fail(x, err,
					   "cannot use the maps pinned in %s "
					   "(%s): they are from another version "
					   "or size; detach every interface and "
					   "remove %s", x->pin_dir,
					   mw_xdp_libbpf_last(), x->pin_dir);
		return mw_xdp_fail(x, err,
				   "the kernel refused the XDP program (%s); "
				   "it needs BPF, BTF and XDP (Linux 6.1 or "
				   "later); run again with MW_XDP_DEBUG=1 to "
				   "see the verifier's log", strerror(-err));
	}
	for (i = 0; i < M__COUNT; i++)
		x->fd[i] = bpf_map__fd(x->map[i]);
	x->prog_fd = (o->flags & MW_XDP_F_NO_PROG) ? -1 :
		     (o->flags & MW_XDP_F_SINK) ?
		     bpf_program__fd(x->skel->progs.mw_xdp_sink) :
		     bpf_program__fd(x->skel->progs.mw_xdp);
	return 0;
}

/* A fresh mw_config: no policy, real clock (both offsets the host's
 * sample), default event rate. */
static int init_config(struct mw_xdp *x)
{
	struct mw_config cfg;
	int err;

	err = mw_xdp_lock(x);
	if (err)
		return err;
	err = mw_xdp_read_config(x, &cfg);
	if (!err && !cfg.generation && !cfg.event_rate &&
	    !cfg.boot_to_unix_ns) {
		cfg.event_rate = MW_XDP_DEF_EVENT_RATE;
		mw_xdp_config_clock(&cfg, 0, true);
		err = mw_xdp_write_config(x, &cfg);
	}
	mw_xdp_unlock(x);
	return err;
}

int mw_xdp_open(const struct mw_xdp_opts *opts, struct mw_xdp **out,
		char *err, size_t errlen)
{
	struct mw_xdp_opts none = {};
	const struct mw_xdp_opts *o = opts ? opts : &none;
	libbpf_print_fn_t old;
	struct mw_xdp *x;
	const char *dir;
	int ret, n;

	*out = NULL;
	if (o->flags & ~__MW_XDP_F_ALL) {
		if (err && errlen)
			snprintf(err, errlen, "unknown open flags %#x",
				 o->flags & ~__MW_XDP_F_ALL);
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->dir_fd = -1;
	x->prog_fd = -1;
	x->flags = o->flags;
	dir = o->pin_dir ? o->pin_dir : MW_XDP_PIN_DIR;
	x->pinned = dir[0] != '\0';
	n = snprintf(x->pin_dir, sizeof(x->pin_dir), "%s", dir);
	while (n > 1 && x->pin_dir[n - 1] == '/')
		x->pin_dir[--n] = '\0';
	x->ncpus = libbpf_num_possible_cpus();

	old = mw_xdp_quiet_begin();
	if (x->ncpus <= 0)
		ret = mw_xdp_fail(x, -EINVAL, "cannot count the possible CPUs");
	else if (x->pinned && n >= (int)sizeof(x->pin_dir) - 32)
		ret = mw_xdp_fail(x, -ENAMETOOLONG, "pin directory name too "
				  "long: `%s'", dir);
	else
		ret = x->pinned ? prepare_pin_dir(x) : 0;
	if (!ret)
		ret = load_skel(x, o);
	if (!ret)
		ret = init_config(x);
	mw_xdp_quiet_end(old);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s", x->err);
		mw_xdp_close(x);
		return ret;
	}
	*out = x;
	return 0;
}

void mw_xdp_close(struct mw_xdp *x)
{
	if (!x)
		return;
	meterwall__destroy(x->skel);
	if (x->dir_fd >= 0)
		close(x->dir_fd);
	free(x);
}

int mw_xdp_prog_fd(const struct mw_xdp *x)
{
	return x->prog_fd;
}

/* ---------------------------------------------------------------------- */
/* attach / detach                                                         */

static int link_path(struct mw_xdp *x, const char *ifname, char *buf,
		     size_t len)
{
	if (!ifname[0] || strlen(ifname) >= IF_NAMESIZE || strchr(ifname, '/'))
		return mw_xdp_fail(x, -EINVAL, "bad interface name `%s'",
				   ifname);
	snprintf(buf, len, "%s/link_%s", x->pin_dir, ifname);
	return 0;
}

/* Is program id ours (named mw_xdp)?  *tag_same: same tag as x's program. */
static bool prog_is_ours(struct mw_xdp *x, uint32_t id, bool *tag_same)
{
	struct bpf_prog_info a = {}, b = {};
	uint32_t la = sizeof(a), lb = sizeof(b);
	bool ours = false;
	int fd;

	*tag_same = false;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &a, &la))
		ours = !strcmp(a.name, MW_PROG_NAME);
	close(fd);
	if (ours && x->prog_fd >= 0 &&
	    !bpf_obj_get_info_by_fd(x->prog_fd, &b, &lb))
		*tag_same = !memcmp(a.tag, b.tag, sizeof(a.tag));
	return ours;
}

int mw_xdp_iface_query(struct mw_xdp *x, const char *ifname,
		       struct mw_xdp_iface_info *info)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[320];
	int err, fd;

	memset(info, 0, sizeof(*info));
	err = link_path(x, ifname, path, sizeof(path));
	if (err)
		return err;
	if (x->pinned && (fd = bpf_obj_get(path)) >= 0) {
		info->linked = true;
		close(fd);
	}
	info->ifindex = if_nametoindex(ifname);
	if (!info->ifindex)
		return 0;
	if (bpf_xdp_query(info->ifindex, 0, &q) < 0)
		return mw_xdp_fail(x, -errno, "cannot query XDP on %s: %s",
				   ifname, strerror(errno));
	if (q.drv_prog_id) {
		info->prog_id = q.drv_prog_id;
		info->mode = MW_XDP_MODE_NATIVE;
	} else if (q.skb_prog_id) {
		info->prog_id = q.skb_prog_id;
		info->mode = MW_XDP_MODE_SKB;
	}
	if (info->prog_id)
		info->ours = prog_is_ours(x, info->prog_id, &info->same_prog);
	return 0;
}

static int link_create(struct mw_xdp *x, const char *ifname,
		       unsigned int ifindex, enum mw_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd, err;

	lo.flags = mode == MW_XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE :
					      XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(x->prog_fd, ifindex, BPF_XDP, &lo);
	if (fd < 0 && mode == MW_XDP_MODE_AUTO &&
	    (errno == EOPNOTSUPP || errno == EINVAL)) {
		lo.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(x->prog_fd, ifindex, BPF_XDP, &lo);
	}
	if (fd >= 0)
		return fd;
	err = -errno;
	if (err == -EBUSY || err == -EEXIST)
		return mw_xdp_fail(x, -EBUSY,
				   "another XDP program is attached to %s: "
				   "remove it first (ip link set dev %s xdp "
				   "off)", ifname, ifname);
	if (err == -EOPNOTSUPP)
		return mw_xdp_fail(x, err,
				   "the driver of %s has no native XDP: "
				   "attach in generic (skb) mode", ifname);
	return mw_xdp_fail(x, err, "cannot attach XDP to %s: %s", ifname,
			   strerror(-err));
}

int mw_xdp_attach(struct mw_xdp *x, const char *ifname, enum mw_xdp_mode mode)
{
	struct bpf_link_info li = {};
	uint32_t len = sizeof(li);
	unsigned int ifindex;
	char path[320];
	int fd, err;

	if (x->prog_fd < 0 || !x->pinned)
		return mw_xdp_fail(x, -EINVAL,
				   "attach needs the program and a pin "
				   "directory (opened with MW_XDP_F_NO_PROG "
				   "or without pins)");
	err = link_path(x, ifname, path, sizeof(path));
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return mw_xdp_fail(x, -ENODEV, "no interface `%s'", ifname);

	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (bpf_obj_get_info_by_fd(fd, &li, &len) == 0 &&
		    li.type == BPF_LINK_TYPE_XDP && li.xdp.ifindex == ifindex) {
			/* in force: switch programs, never detach first */
			err = bpf_link_update(fd, x->prog_fd, NULL) < 0 ?
			      -errno : 0;
			close(fd);
			if (err)
				return mw_xdp_fail(x, err,
						   "cannot update the XDP link "
						   "of %s: %s", ifname,
						   strerror(-err));
			return 0;
		}
		close(fd);
		if (li.type == BPF_LINK_TYPE_XDP && li.xdp.ifindex)
			return mw_xdp_fail(x, -EEXIST,
					   "%s belongs to interface index %u, "
					   "not to %s (%u): another network "
					   "namespace?  detach it there first",
					   path, li.xdp.ifindex, ifname,
					   ifindex);
		unlink(path);	/* its interface went away: stale */
	}
	fd = link_create(x, ifname, ifindex, mode);
	if (fd < 0)
		return fd;
	if (bpf_obj_pin(fd, path) < 0) {
		err = -errno;
		close(fd);	/* last reference: detaches */
		return mw_xdp_fail(x, err, "cannot pin %s: %s", path,
				   strerror(-err));
	}
	close(fd);
	return 0;
}

int mw_xdp_detach(struct mw_xdp *x, const char *ifname)
{
	struct mw_xdp_iface_info info;
	char path[320];
	int fd, err;

	err = link_path(x, ifname, path, sizeof(path));
	if (err)
		return err;
	fd = x->pinned ? bpf_obj_get(path) : -1;
	if (fd >= 0) {
		bpf_link_detach(fd);	/* also if someone else holds it */
		unlink(path);
		close(fd);
	}
	err = mw_xdp_iface_query(x, ifname, &info);
	if (err)
		return fd >= 0 ? 0 : err;	/* interface gone: nothing left */
	if (info.ours)
		return mw_xdp_fail(x, -EBUSY,
				   "a meterwall program (id %u) is still "
				   "attached to %s outside our link: remove "
				   "it with ip link set dev %s xdp%s off",
				   info.prog_id, ifname, ifname,
				   info.mode == MW_XDP_MODE_SKB ? "generic" :
								  "drv");
	if (fd < 0)
		return mw_xdp_fail(x, -ENOENT, "meterwall is not attached to %s",
				   ifname);
	return 0;
}

int mw_xdp_remove_pins(struct mw_xdp *x)
{
	struct dirent *de;
	DIR *d;
	int i;

	if (!x->pinned)
		return 0;
	d = opendir(x->pin_dir);
	if (!d)
		return mw_xdp_fail(x, -errno, "cannot read %s: %s", x->pin_dir,
				   strerror(errno));
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "link_", 5)) {
			closedir(d);
			return mw_xdp_fail(x, -EBUSY,
					   "%s/%s is still attached: detach "
					   "it first", x->pin_dir, de->d_name);
		}
	closedir(d);
	for (i = 0; i < M__COUNT; i++) {
		char path[320];

		snprintf(path, sizeof(path), "%s/%s", x->pin_dir,
			 mw_xdp_map_names[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return mw_xdp_fail(x, -errno, "cannot remove %s: %s",
					   path, strerror(errno));
	}
	if (rmdir(x->pin_dir) < 0 && errno != ENOENT)
		return mw_xdp_fail(x, -errno, "cannot remove %s: %s (unknown "
				   "files in it?)", x->pin_dir,
				   strerror(errno));
	return 0;
}

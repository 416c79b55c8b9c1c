// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime state of the XDP program outside the policy: blocks, island
 * mode, the clock, status, counters, flow records and drop events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_int.h"

/* --- blocks ------------------------------------------------------------- */

static int block_map(struct mw_xdp *x, enum mw_target kind, uint32_t id,
		     int *fd)
{
	if (kind == MW_TARGET_SYSTEM && id < MW_MAX_SYSTEMS) {
		*fd = x->fd[M_SYS_BLOCKS];
		return 0;
	}
	if (kind == MW_TARGET_DEVICE && id < x->dev_capacity) {
		*fd = x->fd[M_DEV_BLOCKS];
		return 0;
	}
	if (kind != MW_TARGET_SYSTEM && kind != MW_TARGET_DEVICE)
		return mw_xdp_fail(x, -EINVAL, "unknown block target kind %d",
				   kind);
	return mw_xdp_fail(x, -ERANGE, "%s id %u is beyond the capacity",
			   kind == MW_TARGET_SYSTEM ? "system" : "device", id);
}

/*
 * Write block b of (kind, id): a system's is the value of sys_blocks, a
 * device's the block of its struct mw_xdp_devstate (its event window
 * starts afresh).
 */
static int put_block(struct mw_xdp *x, enum mw_target kind, uint32_t id,
		     const struct mw_block *b, const char *what)
{
	struct mw_xdp_devstate ds = { .block = *b };
	int fd = -1, err = block_map(x, kind, id, &fd);

	if (err)
		return err;
	if (bpf_map_update_elem(fd, &id, kind == MW_TARGET_DEVICE ?
				(const void *)&ds : (const void *)b,
				BPF_ANY) < 0)
		return mw_xdp_fail(x, -errno, "cannot %s the block: %s", what,
				   strerror(errno));
	return 0;
}

int mw_xdp_block(struct mw_xdp *x, enum mw_target kind, uint32_t id,
		 uint64_t until_ns, enum mw_block_cause cause)
{
	struct mw_block b = { .active = 1, .cause = cause, .until = until_ns };

	if ((unsigned int)cause >= __MW_BLOCK_LAST)
		return mw_xdp_fail(x, -EINVAL, "unknown block cause %d", cause);
	return put_block(x, kind, id, &b, "write");
}

int mw_xdp_unblock(struct mw_xdp *x, enum mw_target kind, uint32_t id)
{
	struct mw_block b = {};

	return put_block(x, kind, id, &b, "clear");
}

int mw_xdp_get_block(struct mw_xdp *x, enum mw_target kind, uint32_t id,
		     struct mw_block *out)
{
	struct mw_xdp_devstate ds;
	int fd = -1, err = block_map(x, kind, id, &fd);

	if (err)
		return err;
	if (bpf_map_lookup_elem(fd, &id, kind == MW_TARGET_DEVICE ?
				(void *)&ds : (void *)out) < 0)
		return mw_xdp_fail(x, -errno, "cannot read the block: %s",
				   strerror(errno));
	if (kind == MW_TARGET_DEVICE)
		*out = ds.block;
	return 0;
}

/* Walk one block array in batches (values of vsize bytes, the block at
 * their start: struct mw_block, or a device's struct mw_xdp_devstate). */
static int walk_blocks(struct mw_xdp *x, enum mw_target kind, int fd,
		       uint32_t size, size_t vsize,
		       int (*fn)(enum mw_target, uint32_t,
				 const struct mw_block *, void *), void *arg)
{
	enum { CHUNK = 4096 };
	uint32_t *keys = calloc(CHUNK, sizeof(*keys));
	char *vals = calloc(CHUNK, vsize);
	const struct mw_block *b;
	uint32_t base = 0, i;
	int ret = 0;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	/* batched: a few syscalls for a million devices (metrics count the
	 * blocks at every scrape) */
	for (base = 0; base < size && !ret;) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		uint32_t n = CHUNK, next = 0;
		int rc = bpf_map_lookup_batch(fd, base ? &base : NULL, &next,
					      keys, vals, &n, &o);

		if (rc < 0 && errno != ENOENT) {
			ret = mw_xdp_fail(x, -errno, "cannot read blocks: %s",
					  strerror(errno));
			goto out;
		}
		for (i = 0; i < n && !ret; i++) {
			b = (const struct mw_block *)(vals + i * vsize);
			if (keys[i] < size && b->active)
				ret = fn(kind, keys[i], b, arg);
		}
		if (rc < 0 || !n || next <= base)
			break;		/* ENOENT: that was the last */
		base = next;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

int mw_xdp_foreach_block(struct mw_xdp *x,
			 int (*fn)(enum mw_target kind, uint32_t id,
				   const struct mw_block *b, void *arg),
			 void *arg)
{
	int ret = walk_blocks(x, MW_TARGET_SYSTEM, x->fd[M_SYS_BLOCKS],
			      MW_MAX_SYSTEMS, sizeof(struct mw_block), fn, arg);

	if (!ret)
		ret = walk_blocks(x, MW_TARGET_DEVICE, x->fd[M_DEV_BLOCKS],
				  x->dev_capacity,
				  sizeof(struct mw_xdp_devstate), fn, arg);
	return ret;
}

/* --- mw_config fields ------------------------------------------------ */

enum cfg_field { CF_ISLAND, CF_EVENT_RATE, CF_CLOCK, CF_CLOCK_RESET };

static int set_config(struct mw_xdp *x, enum cfg_field f, int64_t val)
{
	struct mw_config cfg;
	int err = mw_xdp_lock(x);

	if (err)
		return err;
	err = mw_xdp_read_config(x, &cfg);
	if (!err) {
		switch (f) {
		case CF_ISLAND:
			cfg.island = (uint32_t)val;
			break;
		case CF_EVENT_RATE:
			cfg.event_rate = (uint32_t)val;
			break;
		case CF_CLOCK:
		case CF_CLOCK_RESET:
			mw_xdp_config_clock(&cfg, val, f == CF_CLOCK_RESET);
			break;
		}
		err = mw_xdp_write_config(x, &cfg);
	}
	mw_xdp_unlock(x);
	return err;
}

int mw_xdp_island(struct mw_xdp *x, bool on)
{
	return set_config(x, CF_ISLAND, on);
}

int mw_xdp_set_event_rate(struct mw_xdp *x, uint32_t per_second)
{
	return set_config(x, CF_EVENT_RATE, per_second);
}

int mw_xdp_set_clock(struct mw_xdp *x, int64_t boot_to_unix_ns,
		     bool reset_max)
{
	return set_config(x, reset_max ? CF_CLOCK_RESET : CF_CLOCK,
			  boot_to_unix_ns);
}

int mw_xdp_status(struct mw_xdp *x, struct mw_xdp_status *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = mw_xdp_read_config(x, &st->cfg);
	if (err)
		return err;
	if (st->cfg.generation) {
		uint32_t slot = st->cfg.slot & 1;

		if (bpf_map_lookup_elem(x->fd[M_SLOT_META], &slot,
					&st->active) < 0)
			return mw_xdp_fail(x, -errno, "cannot read slot_meta: "
					   "%s", strerror(errno));
	}
	st->dev_capacity = x->dev_capacity;
	st->conduit_capacity = x->conduit_capacity;
	st->flow_entries = x->flow_entries;
	st->pinned = x->pinned;
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", x->pin_dir);
	return 0;
}

/* --- counters ------------------------------------------------------------ */

static void counter_add(struct mw_counter *to, const struct mw_counter *c)
{
	to->pass_packets += c->pass_packets;
	to->pass_bytes += c->pass_bytes;
	to->drop_packets += c->drop_packets;
	to->drop_bytes += c->drop_bytes;
}

static int percpu_counter(struct mw_xdp *x, int fd, uint32_t key,
			  struct mw_counter *out)
{
	struct mw_counter *v = calloc(x->ncpus, sizeof(*v));
	int i;

	memset(out, 0, sizeof(*out));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v) < 0) {
		free(v);
		return mw_xdp_fail(x, -errno, "cannot read counters: %s",
				   strerror(errno));
	}
	for (i = 0; i < x->ncpus; i++)
		counter_add(out, &v[i]);
	free(v);
	return 0;
}

int mw_xdp_dev_counter(struct mw_xdp *x, uint32_t dev, struct mw_counter *out)
{
	struct mw_counter v;
	uint32_t k;
	int c;

	if (dev >= x->dev_capacity)
		return mw_xdp_fail(x, -ERANGE, "device id %u beyond capacity %u",
				   dev, x->dev_capacity);
	memset(out, 0, sizeof(*out));
	for (c = 0; c < x->ncpus; c++) {	/* row cpu * capacity + id */
		k = (uint32_t)c * x->dev_capacity + dev;
		if (bpf_map_lookup_elem(x->fd[M_DEV_COUNTERS], &k, &v) < 0)
			return mw_xdp_fail(x, -errno, "cannot read counters: "
					   "%s", strerror(errno));
		counter_add(out, &v);
	}
	return 0;
}

/*
 * Rows [from, from + n) of dev_counters added into out: BPF_MAP_LOOKUP_BATCH
 * in chunks, a few syscalls for a million devices where one lookup each
 * would take a million.
 */
static int dev_rows_add(struct mw_xdp *x, uint32_t from, uint32_t n,
			struct mw_counter *out, struct mw_counter *v,
			uint32_t *keys, uint32_t chunk)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t prev = from - 1, next, got, i;	/* a batch starts after prev */
	bool any = from != 0;
	int rc;

	for (;;) {
		got = chunk;
		rc = bpf_map_lookup_batch(x->fd[M_DEV_COUNTERS],
					  any ? &prev : NULL, &next, keys, v,
					  &got, &o);
		if (rc < 0 && errno != ENOENT)
			return mw_xdp_fail(x, -errno, "cannot read counters: %s",
					   strerror(errno));
		for (i = 0; i < got; i++)
			if (keys[i] >= from && keys[i] - from < n)
				counter_add(&out[keys[i] - from], &v[i]);
		/* ENOENT: that was the last row; next: the last one read */
		if (rc < 0 || !got || keys[got - 1] - from >= n - 1)
			break;
		prev = next;
		any = true;
	}
	return 0;
}

/*
 * Devices [0, n) at once, summed over the CPUs (each CPU's rows are one
 * range of dev_counters); the daemon's auto-block and metrics read them
 * every second.
 */
int mw_xdp_dev_counters(struct mw_xdp *x, struct mw_counter *out, uint32_t n)
{
	const uint32_t chunk = 4096;
	struct mw_counter *v;
	uint32_t *keys;
	int c, err = 0;

	if (n > x->dev_capacity)
		return mw_xdp_fail(x, -ERANGE, "%u devices beyond capacity %u",
				   n, x->dev_capacity);
	memset(out, 0, (size_t)n * sizeof(*out));
	v = calloc(chunk, sizeof(*v));
	keys = calloc(chunk, sizeof(*keys));
	if (!v || !keys)
		err = -ENOMEM;
	for (c = 0; c < x->ncpus && !err && n; c++)
		err = dev_rows_add(x, (uint32_t)c * x->dev_capacity, n, out, v,
				   keys, chunk);
	free(v);
	free(keys);
	return err;
}

int mw_xdp_conduit_counter(struct mw_xdp *x, uint32_t conduit,
			   struct mw_counter *out)
{
	if (conduit >= x->conduit_capacity)
		return mw_xdp_fail(x, -ERANGE, "conduit id %u beyond capacity "
				   "%u", conduit, x->conduit_capacity);
	return percpu_counter(x, x->fd[M_CONDUIT_COUNTERS], conduit, out);
}

int mw_xdp_reason_counters(struct mw_xdp *x,
			   struct mw_counter out[__MW_R_LAST])
{
	uint32_t r;
	int err;

	for (r = 0; r < __MW_R_LAST; r++) {
		err = percpu_counter(x, x->fd[M_REASON_COUNTERS], r, &out[r]);
		if (err)
			return err;
	}
	return 0;
}

/* --- flows ----------------------------------------------------------------- */

/* One CPU's row, for sorting by key. */
struct flow_rec {
	struct mw_flow_key key;
	struct mw_flow f;
};

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct flow_rec *)a)->key,
		      &((const struct flow_rec *)b)->key,
		      sizeof(struct mw_flow_key));
}

/* Add row r (another CPU's of the same flow) into out. */
static void merge_flow(struct mw_flow *out, const struct mw_flow *r)
{
	out->packets += r->packets;
	out->bytes += r->bytes;
	if (r->first_ns < out->first_ns)
		out->first_ns = r->first_ns;
	if (r->last_ns >= out->last_ns) {
		out->last_ns = r->last_ns;
		out->device = r->device;
		out->conduit = r->conduit;
		out->generation = r->generation;
		out->verdict = r->verdict;
		out->reason = r->reason;
	}
}

/* flow_tab mapped (BPF_F_MMAPABLE); *len for munmap. */
static struct mw_xdp_flow *map_flows(struct mw_xdp *x, int prot, size_t *len,
				     size_t *rows)
{
	void *m, *base;

	*rows = (size_t)x->ncpus << x->flow_bits;
	m = mw_xdp_map_rows(x->fd[M_FLOWS], 0, *rows,
			    sizeof(struct mw_xdp_flow), prot, &base, len);
	if (!m) {
		mw_xdp_fail(x, -errno, "cannot map the flow table: %s",
			    strerror(errno));
		return NULL;
	}
	return m;
}

uint32_t mw_xdp_flow_table_rows(const struct mw_xdp *x)
{
	return (uint32_t)x->ncpus << x->flow_bits;
}

int mw_xdp_foreach_flow_row(struct mw_xdp *x,
			    int (*fn)(const struct mw_flow_key *k, uint32_t row,
				      const struct mw_flow *f, void *arg),
			    void *arg)
{
	struct mw_xdp_flow row;
	struct mw_xdp_flow *t;
	size_t len, rows, i;
	int ret = 0;

	t = map_flows(x, PROT_READ, &len, &rows);
	if (!t)
		return -EIO;
	for (i = 0; i < rows && !ret; i++) {
		/* read once: a row the datapath rewrites now may mix two
		 * flows' fields (as any map read during updates) */
		memcpy(&row, &t[i], sizeof(row));
		if (row.f.packets)
			ret = fn(&row.key, (uint32_t)i, &row.f, arg);
	}
	munmap(t, len);
	return ret;
}

int mw_xdp_foreach_flow(struct mw_xdp *x,
			int (*fn)(const struct mw_flow_key *k,
				  const struct mw_flow *f, void *arg),
			void *arg)
{
	struct flow_rec *v = NULL, *grown;
	struct mw_xdp_flow *t;
	size_t len, rows, n = 0, cap = 0, i, k;
	struct mw_flow merged;
	int ret = 0;

	t = map_flows(x, PROT_READ, &len, &rows);
	if (!t)
		return -EIO;
	for (i = 0; i < rows; i++) {
		if (!t[i].f.packets)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			v = grown;
		}
		/* a row the datapath rewrites now may mix two flows' fields
		 * (as any map read during updates); it is read once */
		memcpy(&v[n].key, &t[i].key, sizeof(v[n].key));
		memcpy(&v[n].f, &t[i].f, sizeof(v[n].f));
		if (v[n].f.packets)
			n++;
	}
	qsort(v, n, sizeof(*v), rec_cmp);
	for (i = 0; i < n && !ret; i = k) {
		merged = v[i].f;
		for (k = i + 1; k < n && !rec_cmp(&v[i], &v[k]); k++)
			merge_flow(&merged, &v[k].f);
		ret = fn(&v[i].key, &merged, arg);
	}
out:
	munmap(t, len);
	free(v);
	return ret;
}

int mw_xdp_flush_flows(struct mw_xdp *x)
{
	struct mw_xdp_flow *t;
	size_t len, rows;

	t = map_flows(x, PROT_READ | PROT_WRITE, &len, &rows);
	if (!t)
		return -EIO;
	memset(t, 0, rows * sizeof(*t));
	munmap(t, len);
	return 0;
}

int mw_xdp_flow_evictions(struct mw_xdp *x, uint64_t *out)
{
	uint64_t *v = calloc((size_t)x->ncpus, sizeof(*v));
	uint32_t zero = 0;
	int i;

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(x->fd[M_FLOW_EVICTIONS], &zero, v) < 0) {
		free(v);
		return mw_xdp_fail(x, -errno, "cannot read flow_evictions: %s",
				   strerror(errno));
	}
	*out = 0;
	for (i = 0; i < x->ncpus; i++)
		*out += v[i];
	free(v);
	return 0;
}

/* --- events -------------------------------------------------------------- */

struct mw_xdp_events {
	struct ring_buffer *rb;
	int (*fn)(const struct mw_event *e, void *arg);
	int (*xfn)(const struct mw_flow_export *e, void *arg);
	void *arg;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct mw_xdp_events *ev = ctx;
	struct mw_flow_export x;
	struct mw_event e;

	if (ev->xfn) {
		if (size < sizeof(x))
			return 0;
		memcpy(&x, data, sizeof(x));
		return ev->xfn(&x, ev->arg);
	}
	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	return ev->fn(&e, ev->arg);
}

static int ring_open(struct mw_xdp *x, enum mw_xdp_map m,
		     struct mw_xdp_events *ev, struct mw_xdp_events **out)
{
	libbpf_print_fn_t old;

	*out = NULL;
	old = mw_xdp_quiet_begin();
	ev->rb = ring_buffer__new(x->fd[m], on_sample, ev, NULL);
	mw_xdp_quiet_end(old);
	if (!ev->rb) {
		int err = -errno;

		free(ev);
		return mw_xdp_fail(x, err, "cannot map the ring buffer %s: %s",
				   mw_xdp_map_names[m], strerror(-err));
	}
	*out = ev;
	return 0;
}

int mw_xdp_events_open(struct mw_xdp *x,
		       int (*fn)(const struct mw_event *e, void *arg),
		       void *arg, struct mw_xdp_events **out)
{
	struct mw_xdp_events *ev = calloc(1, sizeof(*ev));

	*out = NULL;
	if (!ev)
		return -ENOMEM;
	ev->fn = fn;
	ev->arg = arg;
	return ring_open(x, M_EVENTS, ev, out);
}

int mw_xdp_flow_export_open(struct mw_xdp *x,
			    int (*fn)(const struct mw_flow_export *e, void *arg),
			    void *arg, struct mw_xdp_events **out)
{
	struct mw_xdp_events *ev = calloc(1, sizeof(*ev));

	*out = NULL;
	if (!ev)
		return -ENOMEM;
	ev->xfn = fn;
	ev->arg = arg;
	return ring_open(x, M_FLOW_EXPORT, ev, out);
}

int mw_xdp_events_poll(struct mw_xdp_events *ev, int timeout_ms)
{
	return ring_buffer__poll(ev->rb, timeout_ms);
}

int mw_xdp_events_fd(const struct mw_xdp_events *ev)
{
	return ring_buffer__epoll_fd(ev->rb);
}

void mw_xdp_events_close(struct mw_xdp_events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	free(ev);
}

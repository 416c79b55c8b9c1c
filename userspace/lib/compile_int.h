/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy compiler's private interface: one compile context (struct
 * cc) passed through its steps, one file per concept:
 *   compile.c          the driver (mw_compile) and the context's lifetime
 *   compile_strtab.c   the deduplicated string table
 *   compile_ids.c      ids carried over from the image in force, by name
 *   compile_zones.c    named and anonymous zones, the zone-prefix table
 *   compile_windows.c  time windows: local spec -> UTC minute-of-week runs
 *   compile_csets.c    conduits flattened, conduit sets and their rules
 *   compile_devpfx.c   device prefixes and their overlap check
 *   compile_emit.c     records, layout, header: the image bytes
 */
#ifndef MW_COMPILE_INT_H
#define MW_COMPILE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

struct strtab {
	char *buf;
	size_t len, cap;
	uint32_t *slot;		/* open addressing: offset + 1, 0 = empty */
	size_t nslot, used;
};

struct cdt {			/* one conduit, flattened */
	const struct mw_conduit_spec *spec;
	size_t sys;		/* policy index */
	size_t dev;		/* global device index, or SIZE_MAX */
	char name[3 * MW_NAME_MAX + 4];
	uint32_t id;
	uint64_t zones;
	uint16_t window;
};

struct pfx_ent {
	struct mw_img_prefix p;
};

struct anon_zone {
	struct mw_prefix *p;
	size_t n;
};

struct cc {
	const struct mw_policy *pol;
	const struct mw_image_view *prev;
	struct mw_diag *diag;
	struct strtab st;

	uint32_t *iface_ids;
	uint32_t *sys_ids;
	size_t n_dev;
	size_t *dev_base;		/* first global device index per system */
	const struct mw_device_spec **devs;	/* global index -> spec */
	size_t *dev_sys;
	uint32_t *dev_ids;
	uint32_t *dev_cset;

	struct cdt *cdts;
	size_t n_cdts;

	struct anon_zone anon[MW_MAX_ZONES];
	size_t n_anon;
	size_t n_zones;

	struct mw_img_window win[MW_MAX_WINDOWS];
	size_t n_win;

	struct mw_img_cset *csets;
	size_t n_csets;
	uint32_t *sys_cset;

	struct mw_img_prefix *zpfx;
	size_t n_zpfx;
	struct pfx_ent *dpfx;
	size_t n_dpfx;
	struct mw_img_prefix *dp;	/* dpfx once checked: the records */

	/* records, in policy order until sorted by id */
	struct mw_img_iface *o_iface;
	struct mw_img_zone *o_zone;
	struct mw_img_system *o_sys;
	struct mw_img_device *o_dev;
	struct mw_img_conduit *o_cdt;
};

static inline const char *pol_file(const struct cc *c)
{
	return c->pol->path[0] ? c->pol->path : "<policy>";
}

#define cc_err(c, loc, ...) mw_diag_set((c)->diag, pol_file(c), (loc), __VA_ARGS__)

extern const struct mw_loc mw_no_loc;	/* "no location": the whole policy */
#define no_loc mw_no_loc

/* compile_strtab.c */
int cc_str_add(struct strtab *t, const char *s, uint32_t *off);
void cc_strtab_free(struct strtab *t);

/* compile_ids.c */
int cc_assign_iface_ids(struct cc *c);
int cc_assign_sys_ids(struct cc *c);
int cc_flatten_devices(struct cc *c);
int cc_assign_dev_ids(struct cc *c);
int cc_ids_for(struct cc *c, int kind, const char *const *names, size_t n,
	       uint32_t max, uint32_t *ids);

/* compile_zones.c */
int cc_build_zones(struct cc *c);
int cc_build_zone_prefixes(struct cc *c);
void cc_to_img_prefix(const struct mw_prefix *p, struct mw_img_prefix *o);
int cc_cmp_img_prefix(const void *a, const void *b);
void cc_mask_addr(uint8_t *addr, unsigned int plen);

/* compile_windows.c */
int cc_build_windows(struct cc *c);

/* compile_csets.c */
int cc_flatten_conduits(struct cc *c);
int cc_build_csets(struct cc *c);

/* compile_devpfx.c */
int cc_build_dev_prefixes(struct cc *c);
void cc_compact_dev_prefixes(struct cc *c);

/* compile_emit.c */
int cc_make_ifaces(struct cc *c);
int cc_make_zones(struct cc *c);
int cc_make_systems(struct cc *c);
int cc_make_devices(struct cc *c);
int cc_make_conduits(struct cc *c);
int cc_emit(struct cc *c, struct mw_image *out);

#endif /* MW_COMPILE_INT_H */

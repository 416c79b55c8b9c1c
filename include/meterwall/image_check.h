/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The image validator shared by libmw and meterwall.ko (common/
 * image_check.c): a compiled policy image checked in full, and the id
 * lookups on the view it returns.
 */
#ifndef MW_IMAGE_CHECK_H
#define MW_IMAGE_CHECK_H

#include <meterwall/freestanding.h>

/* A validated, read-only view of an image (pointers into the buffer). */
struct mw_image_view {
	const struct mw_image_hdr *hdr;
	const struct mw_img_iface *ifaces;
	size_t n_ifaces;
	const struct mw_img_zone *zones;
	size_t n_zones;
	const struct mw_img_prefix *zone_prefixes;
	size_t n_zone_prefixes;
	const struct mw_img_system *systems;
	size_t n_systems;
	const struct mw_img_device *devices;
	size_t n_devices;
	const struct mw_img_prefix *dev_prefixes;
	size_t n_dev_prefixes;
	const struct mw_img_cset *csets;
	size_t n_csets;
	const struct mw_img_conduit *conduits;
	size_t n_conduits;
	const struct mw_img_window *windows;
	size_t n_windows;
	const char *strings;
	size_t strings_len;
};

/*
 * Check magic, version, sizes, section bounds and entry sizes, ids and
 * cross references, strings, prefixes and windows -- everything but the
 * digest.  0 and *v filled, or -EBADMSG with *why set to the cause (a
 * static string).
 */
int mw_image_check(const void *data, size_t len, struct mw_image_view *v,
		   const char **why);

/*
 * Binary search over n records of stride bytes sorted by the uint32_t id
 * at id_off (unique ids; record id first tried at index id); NULL when
 * absent.
 */
const void *mw_find_id(const void *base, size_t n, size_t stride,
		       size_t id_off, uint32_t id);

/* Lookups on a view; NULL when absent.  Records are sorted by id. */
const char *mw_image_str(const struct mw_image_view *v, uint32_t off);
const struct mw_img_system *mw_image_system(const struct mw_image_view *v,
					    uint32_t id);
const struct mw_img_device *mw_image_device(const struct mw_image_view *v,
					    uint32_t id);
const struct mw_img_cset *mw_image_cset(const struct mw_image_view *v,
					uint32_t id);
const struct mw_img_conduit *mw_image_conduit(const struct mw_image_view *v,
					      uint32_t id);
const struct mw_img_window *mw_image_window(const struct mw_image_view *v,
					    uint32_t id);
const struct mw_img_iface *mw_image_iface(const struct mw_image_view *v,
					  uint32_t id);

#endif /* MW_IMAGE_CHECK_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compiled policy images: the compiler (compile.c) writes them, the reader
 * (image.c) validates and views them.  The layout is in
 * include/uapi/linux/meterwall.h.
 */
#ifndef MW_IMAGE_H
#define MW_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>

#include "policy.h"

/* An owned image buffer. */
struct mw_image {
	uint8_t *data;
	size_t len;
};

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
 * compile.c: policy -> image.  prev (may be NULL) is the image in force:
 * systems, devices and conduits that keep their names keep their ids.
 * Capacity limits are checked here; on error *diag names the element.
 * Returns 0 or -errno.
 */
int mw_compile(const struct mw_policy *pol, const struct mw_image_view *prev,
	       struct mw_image *out, struct mw_diag *diag);
void mw_image_free(struct mw_image *img);

/*
 * image.c: check magic, version, sizes, section bounds and entry sizes,
 * id ranges and cross references, string offsets, digest.  0 or -errno
 * (-EBADMSG with *why set to a human-readable cause).
 */
int mw_image_view(const void *data, size_t len, struct mw_image_view *v,
		  const char **why);
/* SHA-256 of an image with its digest and creation time read as zeros:
 * it names the content (anti-rollback: an equal serial must carry the
 * same digest). */
int mw_image_digest(const void *data, size_t len, uint8_t out[32]);
int mw_image_read_file(const char *path, struct mw_image *out);
int mw_image_write_file(const char *path, const struct mw_image *img);

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
const struct mw_img_iface *mw_image_iface_by_name(const struct mw_image_view *v,
						  const char *name);
const struct mw_img_system *mw_image_system_by_name(const struct mw_image_view *v,
						    const char *name);
/* "system/device" or a device name unique across systems. */
const struct mw_img_device *mw_image_device_by_name(const struct mw_image_view *v,
						    const char *name);

#endif /* MW_IMAGE_H */

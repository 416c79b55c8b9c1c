/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compiled policy images: the reader (image.c) validates and views them;
 * the compiler (compile.h) writes them.  Needs nothing of the YAML model.  The layout is in
 * include/uapi/linux/meterwall.h.
 */
#ifndef MW_IMAGE_H
#define MW_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>


/* An owned image buffer. */
struct mw_image {
	uint8_t *data;
	size_t len;
};

#include <meterwall/image_check.h>

/* Frees an image compiled or read into img (and empties it). */
void mw_image_free(struct mw_image *img);

/*
 * image.c: mw_image_check() (everything the datapaths rely on), then the
 * digest.  0 or -errno (-EBADMSG with *why set to a human-readable cause).
 */
int mw_image_view(const void *data, size_t len, struct mw_image_view *v,
		  const char **why);
/* SHA-256 of an image with its digest and creation time read as zeros:
 * it names the content (anti-rollback: an equal serial must carry the
 * same digest). */
int mw_image_digest(const void *data, size_t len, uint8_t out[32]);
int mw_image_read_file(const char *path, struct mw_image *out);
int mw_image_write_file(const char *path, const struct mw_image *img);

/* Lookups by name (the id lookups: meterwall/image_check.h). */
const struct mw_img_iface *mw_image_iface_by_name(const struct mw_image_view *v,
						  const char *name);
const struct mw_img_system *mw_image_system_by_name(const struct mw_image_view *v,
						    const char *name);
/* "system/device" or a device name unique across systems. */
const struct mw_img_device *mw_image_device_by_name(const struct mw_image_view *v,
						    const char *name);

#endif /* MW_IMAGE_H */

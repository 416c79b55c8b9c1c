// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the image validator (mw_image_view) and every
 * reader behind it.  The digest is recomputed over the mutated bytes
 * first, or nearly every input would stop at the digest check; what the
 * validator accepts is then walked in full and judged: a validated image
 * must never make a reader or the classifier go out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "classify.h"
#include "image.h"

static void walk(const struct mw_image_view *v)
{
	static const uint8_t frame[] = {	/* UDP 198.51.100.10 -> 10.0.0.1:3610 */
		2, 0, 0, 0, 0, 0xfe, 2, 0, 0x5e, 0x10, 0, 1, 8, 0,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0,
		198, 51, 100, 10, 10, 0, 0, 1,
		0x9c, 0x40, 0x0e, 0x1a, 0, 8, 0, 0,
	};
	struct mw_rate rate[4] = { { 0 } };
	struct mw_runtime rt = { .boot_ns = 1, .sys_rate = rate,
				 .n_sys_rate = 4 };
	uint8_t addr[16] = { 198, 51, 100, 10 };
	struct mw_result res;
	struct mw_pkt p;
	size_t i;

	for (i = 0; i < v->n_systems; i++)
		(void)mw_image_str(v, v->systems[i].name);
	for (i = 0; i < v->n_devices; i++) {
		const struct mw_img_device *d = &v->devices[i];

		(void)mw_image_system(v, d->system);
		(void)mw_image_cset(v, d->cset);
	}
	(void)mw_lookup_device(v, AF_INET, addr);
	(void)mw_lookup_zones(v, AF_INET, addr);
	mw_pkt_parse(frame, sizeof(frame), &p);
	for (i = 0; i < v->n_ifaces; i++) {
		mw_classify(v, &rt, v->ifaces[i].id, MW_DIR_INBOUND, &p, &res);
		mw_classify(v, &rt, v->ifaces[i].id, MW_DIR_OUTBOUND, &p, &res);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mw_image_hdr *h;
	struct mw_image_view v;
	const char *why = NULL;
	uint8_t *buf;

	if (len < sizeof(*h))
		return 0;
	buf = malloc(len);
	if (!buf)
		return 0;
	memcpy(buf, data, len);
	h = (struct mw_image_hdr *)buf;
	/* the digest of what is there, so the structure is what is tested */
	if (!mw_image_digest(buf, len, h->digest) &&
	    !mw_image_view(buf, len, &v, &why))
		walk(&v);
	else if (why && !*why)
		abort();		/* a refusal always says why */
	free(buf);
	return 0;
}

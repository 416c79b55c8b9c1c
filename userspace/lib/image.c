// SPDX-License-Identifier: GPL-2.0
/*
 * The image reader: a compiled policy image validated (the shared
 * validator, common/image_check.c, then the digest), file I/O, lookups by
 * name, and the digest itself.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openssl/evp.h>

#include "fileio.h"
#include "image.h"

#define BAD(why_, text) ({ *(why_) = (text); -EBADMSG; })

static int check_digest(const uint8_t *d, size_t len, const char **why)
{
	const struct mw_image_hdr *h = (const void *)d;
	uint8_t md[32];
	int err;

	err = mw_image_digest(d, len, md);
	if (err)
		return err;
	if (CRYPTO_memcmp(md, h->digest, sizeof(md)))
		return BAD(why, "digest mismatch");
	return 0;
}

int mw_image_view(const void *data, size_t len, struct mw_image_view *v,
		  const char **why)
{
	const char *dummy;
	struct mw_image_view tmp;
	int err;

	if (!why)
		why = &dummy;
	err = mw_image_check(data, len, &tmp, why);
	if (!err)
		err = check_digest(data, len, why);
	if (err)
		return err;
	*v = tmp;
	return 0;
}

void mw_image_free(struct mw_image *img)
{
	if (!img)
		return;
	free(img->data);
	img->data = NULL;
	img->len = 0;
}

/* ---------------------------------------------------------------------- */
/* Files                                                                  */

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;	/* shrank under us */
		got += (size_t)r;
	}
	return 0;
}

int mw_image_read_file(const char *path, struct mw_image *out)
{
	struct stat st;
	uint8_t *buf;
	int fd, err;

	out->data = NULL;
	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > MW_IMAGE_MAX) {
		close(fd);
		return -EFBIG;
	}
	buf = aligned_alloc(8, ((size_t)st.st_size + 7) & ~(size_t)7);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	err = read_all(fd, buf, (size_t)st.st_size);
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	out->data = buf;
	out->len = (size_t)st.st_size;
	return 0;
}

/* Atomically and durably (mw_replace_file), readable by all: an image
 * holds no secret. */
int mw_image_write_file(const char *path, const struct mw_image *img)
{
	return mw_replace_file(path, img->data, img->len, 0644);
}

/* ---------------------------------------------------------------------- */
/* Lookups                                                                */

const struct mw_img_iface *mw_image_iface_by_name(const struct mw_image_view *v,
						  const char *name)
{
	size_t i;

	for (i = 0; i < v->n_ifaces; i++)
		if (!strncmp(v->ifaces[i].name, name, MW_IFNAMSIZ))
			return &v->ifaces[i];
	return NULL;
}

const struct mw_img_system *mw_image_system_by_name(const struct mw_image_view *v,
						    const char *name)
{
	size_t i;

	for (i = 0; i < v->n_systems; i++) {
		const char *s = mw_image_str(v, v->systems[i].name);

		if (s && !strcmp(s, name))
			return &v->systems[i];
	}
	return NULL;
}

const struct mw_img_device *mw_image_device_by_name(const struct mw_image_view *v,
						    const char *name)
{
	const struct mw_img_system *sys = NULL;
	const char *slash = strchr(name, '/'), *dname = name;
	size_t i;

	if (slash) {
		char sname[MW_NAME_MAX];

		if ((size_t)(slash - name) >= sizeof(sname))
			return NULL;
		memcpy(sname, name, (size_t)(slash - name));
		sname[slash - name] = '\0';
		sys = mw_image_system_by_name(v, sname);
		if (!sys)
			return NULL;
		dname = slash + 1;
	}
	for (i = 0; i < v->n_devices; i++) {
		const char *s = mw_image_str(v, v->devices[i].name);

		if (s && !strcmp(s, dname) &&
		    (!sys || v->devices[i].system == sys->id))
			return &v->devices[i];
	}
	return NULL;
}

/*
 * SHA-256 of an image read with its digest and creation time as zeros:
 * the digest names the content, so the same policy compiled twice has one.
 */
static int hash_zeroed(const void *data, size_t len, uint8_t out[32])
{
	struct mw_image_hdr h;
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int ok;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	memset(h.digest, 0, sizeof(h.digest));
	h.created = 0;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, &h, sizeof(h)) &&
	     EVP_DigestUpdate(ctx, (const uint8_t *)data + sizeof(h),
			      len - sizeof(h)) &&
	     EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
	return ok && n == 32 ? 0 : -EIO;
}

int mw_image_digest(const void *data, size_t len, uint8_t out[32])
{
	return hash_zeroed(data, len, out);
}



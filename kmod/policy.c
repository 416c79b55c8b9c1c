// SPDX-License-Identifier: GPL-2.0
/*
 * The running policy: strict image validation (common/image_check.c, the
 * validator libmw runs too, and the digest), lookup tables built at
 * commit, the RCU swap, and the begin/chunk/commit/abort transaction that
 * feeds it.  A
 * transaction that fails or is aborted never touches the running policy.
 */
#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <crypto/sha2.h>
#include <crypto/algapi.h>
#include <asm/unaligned.h>

#include <meterwall/image_check.h>
#include <meterwall/prefix.h>

#include "compat.h"
#include "mw.h"

/* The extended ack's message: a static string (the shared validator's). */
static void mw_errmsg(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/* The digest names the content: digest and created read as zeros. */
static int check_digest(const u8 *d, u32 len, struct netlink_ext_ack *extack)
{
	const struct mw_image_hdr *h = (const void *)d;
	struct mw_image_hdr z;
	struct sha256_state st;
	u8 md[32];

	memcpy(&z, d, sizeof(z));
	z.created = 0;
	memset(z.digest, 0, sizeof(z.digest));
	sha256_init(&st);
	sha256_update(&st, (const u8 *)&z, sizeof(z));
	sha256_update(&st, d + sizeof(z), len - sizeof(z));
	sha256_final(&st, md);
	if (crypto_memneq(md, h->digest, sizeof(md)))
		return mw_errmsg(extack, "digest mismatch"), -EBADMSG;
	return 0;
}

/*
 * The shared validator (common/image_check.c: the same checks libmw runs),
 * then the digest (lib/crypto's SHA-256).
 */
static int mw_image_validate(const u8 *d, u32 len, struct mw_image_view *v,
			     struct netlink_ext_ack *extack)
{
	const char *why = NULL;
	int err;

	err = mw_image_check(d, len, v, &why);
	if (err) {
		mw_errmsg(extack, why);
		return err;
	}
	return check_digest(d, len, extack);
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                 */

static u32 *build_idx(const void *base, u32 n, size_t stride, u32 *n_idx)
{
	u32 max, i, *idx;

	if (!n) {
		*n_idx = 0;
		return NULL;
	}
	memcpy(&max, (const u8 *)base + (size_t)(n - 1) * stride, 4);
	idx = kvmalloc_array((size_t)max + 1, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return ERR_PTR(-ENOMEM);
	memset(idx, 0xff, ((size_t)max + 1) * sizeof(*idx));
	for (i = 0; i < n; i++) {
		u32 id;

		memcpy(&id, (const u8 *)base + (size_t)i * stride, 4);
		idx[id] = i;
	}
	*n_idx = max + 1;
	return idx;
}

static bool is_host(const struct mw_img_prefix *p)
{
	return p->plen == (p->family == AF_INET ? 32 : 128);
}

/*
 * Home slot of an IPv6 host address: the two halves folded and hashed by
 * multiplication (hash_64 keeps the high bits), a few instructions where
 * jhash of 16 bytes took dozens.  The policy's addresses make the table's
 * clusters; a packet only probes them.
 */
static u32 host6_home(const struct mw_host_table *t, const u8 *addr)
{
	u64 lo = get_unaligned((const u64 *)addr);
	u64 hi = get_unaligned((const u64 *)(addr + 8));

	return hash_64(lo ^ (hi * GOLDEN_RATIO_64), t->bits);
}

/* An empty table of n hosts' family (slots of size esz), or -ENOMEM. */
static int host_table(struct mw_host_table *t, u32 n, size_t esz)
{
	u32 size = roundup_pow_of_two(n * 2);

	t->slots = kvmalloc_array(size, esz, GFP_KERNEL);
	if (!t->slots)
		return -ENOMEM;
	memset(t->slots, 0xff, (size_t)size * esz);	/* all empty */
	t->mask = size - 1;
	t->bits = ilog2(size);
	return 0;
}

/* The host tables: each /32 and /128 device prefix with its device. */
static int build_hosts(struct mw_policy *pol, const struct mw_img_prefix *v,
		       u32 n)
{
	u32 i, n4 = 0, n6 = 0, h;

	for (i = 0; i < n; i++) {
		n4 += is_host(&v[i]) && v[i].family == AF_INET;
		n6 += is_host(&v[i]) && v[i].family == AF_INET6;
	}
	if ((n4 && host_table(&pol->hosts4, n4,
			      sizeof(struct mw_host4_ent))) ||
	    (n6 && host_table(&pol->hosts6, n6,
			      sizeof(struct mw_host6_ent))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* the image check: every device prefix names a device */
		const struct mw_img_device *dev = mw_pol_device(pol,
							(u32)v[i].value);

		if (!is_host(&v[i]) || !dev)
			continue;
		if (v[i].family == AF_INET) {
			struct mw_host4_ent *s = pol->hosts4.slots;
			u32 a = get_unaligned((const u32 *)v[i].addr);

			h = mw_host4_home(&pol->hosts4, a);
			while (s[h].dev.id != MW_ID_NONE)
				h = (h + 1) & pol->hosts4.mask;
			s[h].addr = a;
			mw_devkey_of(dev, &s[h].dev);
		} else if (v[i].family == AF_INET6) {
			struct mw_host6_ent *s = pol->hosts6.slots;

			h = host6_home(&pol->hosts6, v[i].addr);
			while (s[h].dev.id != MW_ID_NONE)
				h = (h + 1) & pol->hosts6.mask;
			memcpy(s[h].addr, v[i].addr, 16);
			mw_devkey_of(dev, &s[h].dev);
		}
	}
	return 0;
}

static void build_lpm(struct mw_lpm *l, const struct mw_img_prefix *v, u32 n,
		      bool skip_hosts)
{
	DECLARE_BITMAP(has4, 33) = { 0 };
	DECLARE_BITMAP(has6, 129) = { 0 };
	int plen;
	u32 i;

	l->v = v;
	l->n = n;
	for (i = 0; i < n; i++) {
		if (skip_hosts && is_host(&v[i]))
			continue;
		if (v[i].family == AF_INET)
			__set_bit(v[i].plen, has4);
		else
			__set_bit(v[i].plen, has6);
	}
	/* a packet's lookup tries these lengths only, longest first */
	for (plen = 32; plen >= 0; plen--)
		if (test_bit(plen, has4))
			l->plen4[l->n_plen4++] = plen;
	for (plen = 128; plen >= 0; plen--)
		if (test_bit(plen, has6))
			l->plen6[l->n_plen6++] = plen;
}

static const struct mw_img_prefix *pfx_find(const struct mw_lpm *l, u8 fam,
					    const u8 *key, u8 plen)
{
	u32 lo = 0, hi = l->n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int r = mw_prefix_cmp(fam, key, plen, l->v[mid].family,
				      l->v[mid].addr, l->v[mid].plen);

		if (!r)
			return &l->v[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Longest prefix containing addr, over the lengths present only. */
static const struct mw_img_prefix *lpm_lookup(const struct mw_lpm *l, u8 fam,
					      const u8 *addr)
{
	unsigned int alen, n, i, j;
	const u8 *plens;
	u8 key[16];

	if (fam == AF_INET) {
		plens = l->plen4;
		n = l->n_plen4;
		alen = 4;
	} else if (fam == AF_INET6) {
		plens = l->plen6;
		n = l->n_plen6;
		alen = 16;
	} else {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct mw_img_prefix *p;
		unsigned int plen = plens[i];

		memset(key, 0, sizeof(key));
		memcpy(key, addr, alen);
		for (j = plen / 8; j < alen; j++)
			key[j] = 0;
		if (plen % 8)
			key[plen / 8] = addr[plen / 8] & (u8)(0xff << (8 - plen % 8));
		p = pfx_find(l, fam, key, (u8)plen);
		if (p)
			return p;
	}
	return NULL;
}

/* The IPv6 host address addr's device, or NULL. */
static const struct mw_devkey *host6(const struct mw_policy *p, const u8 *addr)
{
	const struct mw_host_table *t = &p->hosts6;
	const struct mw_host6_ent *s = t->slots;
	u64 k0 = get_unaligned((const u64 *)addr);
	u64 k1 = get_unaligned((const u64 *)(addr + 8));
	u32 h;

	if (!s)
		return NULL;
	for (h = host6_home(t, addr); s[h].dev.id != MW_ID_NONE;
	     h = (h + 1) & t->mask)
		if (get_unaligned((const u64 *)s[h].addr) == k0 &&
		    get_unaligned((const u64 *)(s[h].addr + 8)) == k1)
			return &s[h].dev;
	return NULL;
}

/* A device by a prefix wider than a host, or NULL (key: zero-padded). */
static const struct mw_img_device *device_by_prefix(const struct mw_policy *p,
						    u8 family, const u8 *addr)
{
	const struct mw_img_prefix *pf;
	u8 key[16] = { 0 };

	/* constant sizes: inline copies, no calls */
	if (family == AF_INET)
		memcpy(key, addr, 4);
	else
		memcpy(key, addr, 16);
	pf = lpm_lookup(&p->dev_lpm, family, key);
	return pf ? mw_pol_device(p, (u32)pf->value) : NULL;
}

/*
 * mw_pol_find_devkey() past the IPv4 host table: the IPv6 host table, then
 * the longest prefix (buf filled from the record).
 */
const struct mw_devkey *mw_pol_devkey_slow(const struct mw_policy *p,
					   u8 family, const u8 *addr,
					   struct mw_devkey *buf)
{
	const struct mw_img_device *dev;
	const struct mw_devkey *d;

	if (family == AF_INET6) {
		d = host6(p, addr);
		if (d)
			return d;
	}
	dev = device_by_prefix(p, family, addr);
	if (!dev)
		return NULL;
	mw_devkey_of(dev, buf);
	return buf;
}

/* The device whose prefix holds addr (host table, then LPM), or NULL. */
const struct mw_img_device *mw_pol_find_device(const struct mw_policy *p,
					       u8 family, const u8 *addr)
{
	const struct mw_devkey *d = NULL;

	if (family == AF_INET)
		d = mw_pol_host4(p, addr);
	else if (family == AF_INET6)
		d = host6(p, addr);
	if (d)
		return mw_pol_device(p, d->id);
	return device_by_prefix(p, family, addr);
}

u32 mw_pol_lookup_device(const struct mw_policy *p, u8 family, const u8 *addr)
{
	const struct mw_img_device *dev = mw_pol_find_device(p, family, addr);

	return dev ? dev->id : MW_ID_NONE;
}

u64 mw_pol_lookup_zones(const struct mw_policy *p, u8 family, const u8 *addr)
{
	const struct mw_img_prefix *pf = lpm_lookup(&p->zone_lpm, family, addr);

	return pf ? pf->value : 0;
}

const struct mw_img_window *mw_pol_window(const struct mw_policy *p, u32 id)
{
	return mw_find_id(p->windows, p->n_windows, sizeof(*p->windows), 0, id);
}

void mw_policy_free(struct mw_policy *pol)
{
	if (!pol)
		return;
	mw_pol_counters_free(pol);
	mw_ifmap_free(pol);
	kvfree(pol->dev_ev);
	kvfree(pol->hosts4.slots);
	kvfree(pol->hosts6.slots);
	kvfree(pol->cset_idx);
	kvfree(pol->dev_idx);
	kvfree(pol->sys_idx);
	vfree(pol->img);
	kfree(pol);
}

static int build_tables(struct mw_policy *pol, const struct mw_image_view *v)
{
	u32 *idx, i;

	idx = build_idx(v->systems, v->n_systems, sizeof(*v->systems),
			&pol->n_sys_idx);
	if (IS_ERR(idx))
		return PTR_ERR(idx);
	pol->sys_idx = idx;
	idx = build_idx(v->devices, v->n_devices, sizeof(*v->devices),
			&pol->n_dev_idx);
	if (IS_ERR(idx))
		return PTR_ERR(idx);
	pol->dev_idx = idx;
	idx = build_idx(v->csets, v->n_csets, sizeof(*v->csets),
			&pol->n_cset_idx);
	if (IS_ERR(idx))
		return PTR_ERR(idx);
	pol->cset_idx = idx;
	if (v->n_conduits)
		pol->n_cond_ids = v->conduits[v->n_conduits - 1].id + 1;
	if (build_hosts(pol, v->dev_prefixes, v->n_dev_prefixes))
		return -ENOMEM;
	build_lpm(&pol->dev_lpm, v->dev_prefixes, v->n_dev_prefixes, true);
	build_lpm(&pol->zone_lpm, v->zone_prefixes, v->n_zone_prefixes, false);
	for (i = 0; i < v->n_ifaces; i++)
		if (v->ifaces[i].zone == MW_ZONE_EXTERNAL)
			pol->ext_ifaces |= 1ULL << i;
	if (pol->n_dev_idx) {
		pol->dev_ev = kvcalloc(pol->n_dev_idx, sizeof(*pol->dev_ev),
				       GFP_KERNEL);
		if (!pol->dev_ev)
			return -ENOMEM;
	}
	return mw_pol_counters_alloc(pol);
}

/* Validate img and build a policy that owns it (also on failure: freed). */
int mw_policy_build(void *img, u32 len, struct mw_policy **out,
		    struct netlink_ext_ack *extack)
{
	struct mw_policy *pol;
	struct mw_image_view v = { 0 };
	int err;

	err = mw_image_validate(img, len, &v, extack);
	if (err)
		goto out_free_img;
	pol = kzalloc(sizeof(*pol), GFP_KERNEL);
	if (!pol) {
		err = -ENOMEM;
		goto out_free_img;
	}
	pol->img = img;
	pol->len = len;
	pol->hdr = v.hdr;
	pol->ifaces = v.ifaces;
	pol->n_ifaces = v.n_ifaces;
	pol->systems = v.systems;
	pol->n_systems = v.n_systems;
	pol->devices = v.devices;
	pol->n_devices = v.n_devices;
	pol->csets = v.csets;
	pol->n_csets = v.n_csets;
	pol->conduits = v.conduits;
	pol->n_conduits = v.n_conduits;
	pol->windows = v.windows;
	pol->n_windows = v.n_windows;
	err = build_tables(pol, &v);
	if (err) {
		NL_SET_ERR_MSG(extack, "out of memory building policy tables");
		mw_policy_free(pol);
		return err;
	}
	*out = pol;
	return 0;

out_free_img:
	vfree(img);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Transactions                                                           */

void mw_txn_end(struct mw_txn *txn)
{
	vfree(txn->buf);
	memset(txn, 0, sizeof(*txn));
}

/*
 * The open transaction id of portid, or an error: ESRCH if id is not open,
 * EPERM if another socket began it.
 */
static struct mw_txn *txn_get(struct mw_net *mn, u32 portid, u32 id,
			      struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = &mn->txn;

	lockdep_assert_held(&mn->lock);
	if (!txn->id || txn->id != id) {
		NL_SET_ERR_MSG(extack, "no such transaction");
		return ERR_PTR(-ESRCH);
	}
	if (txn->portid != portid) {
		NL_SET_ERR_MSG(extack, "transaction of another socket");
		return ERR_PTR(-EPERM);
	}
	return txn;
}

int mw_txn_begin(struct mw_net *mn, u32 portid, u32 len, u32 *id)
{
	struct mw_txn *txn = &mn->txn;
	void *buf;

	lockdep_assert_held(&mn->lock);
	if (!len || len > mw_image_max || len > MW_IMAGE_MAX)
		return -EFBIG;
	if (txn->id && txn->portid != portid)
		return -EBUSY;		/* another socket is loading */
	mw_txn_end(txn);		/* the owner's previous one is aborted */
	buf = vmalloc(len);
	if (!buf)
		return -ENOMEM;
	if (!++mn->txn_next)
		mn->txn_next = 1;
	txn->id = mn->txn_next;
	txn->portid = portid;
	txn->len = len;
	txn->filled = 0;
	txn->buf = buf;
	*id = txn->id;
	return 0;
}

int mw_txn_chunk(struct mw_net *mn, u32 portid, u32 id, u32 off,
		 const void *data, u32 len, struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = txn_get(mn, portid, id, extack);

	if (IS_ERR(txn))
		return PTR_ERR(txn);
	if (off != txn->filled) {
		NL_SET_ERR_MSG(extack, "chunk out of order");
		return -EINVAL;
	}
	if (!len || len > txn->len - txn->filled) {
		NL_SET_ERR_MSG(extack, "chunk past the announced image length");
		return -EMSGSIZE;
	}
	memcpy((u8 *)txn->buf + off, data, len);
	txn->filled += len;
	return 0;
}

/*
 * M7c: may pol replace old?  A serial below the one in force only with
 * MW_COMMIT_F_ROLLBACK (-ESTALE), an equal serial only with the same
 * digest (-EEXIST: a reload of the same image).
 */
static int check_serial(struct mw_net *mn, const struct mw_policy *old,
			const struct mw_policy *pol, u32 flags,
			struct netlink_ext_ack *extack)
{
	u64 was, now = pol->hdr->serial;

	if (!old)
		return 0;
	was = old->hdr->serial;
	if (now < was && !(flags & MW_COMMIT_F_ROLLBACK)) {
		MW_ERRMSG_FMT(extack, mn->errmsg,
			      "serial %llu is below the serial in force (%llu): refusing a rollback",
			      now, was);
		return -ESTALE;
	}
	if (now == was && memcmp(pol->hdr->digest, old->hdr->digest,
				 sizeof(pol->hdr->digest))) {
		MW_ERRMSG_FMT(extack, mn->errmsg,
			      "serial %llu is already in force with different content",
			      now);
		return -EEXIST;
	}
	return 0;
}

int mw_txn_commit(struct mw_net *mn, u32 portid, u32 id,
		  const struct mw_commit_opts *o,
		  struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = txn_get(mn, portid, id, extack);
	struct mw_policy *pol, *old;
	void *buf;
	u32 len;
	int err;

	if (IS_ERR(txn))
		return PTR_ERR(txn);
	if (txn->filled != txn->len) {
		NL_SET_ERR_MSG(extack, "image incomplete");
		mw_txn_end(txn);
		return -EINVAL;
	}
	buf = txn->buf;
	len = txn->len;
	txn->buf = NULL;		/* the build owns it now */
	mw_txn_end(txn);
	err = mw_policy_build(buf, len, &pol, extack);
	if (err)
		return err;
	old = rcu_dereference_protected(mn->policy,
					lockdep_is_held(&mn->lock));
	err = check_serial(mn, old, pol, o->flags, extack);
	if (!err)
		err = mw_rates_prepare(mn, pol);
	if (err) {
		if (err == -ENOMEM)
			NL_SET_ERR_MSG(extack, "out of memory for rate limits");
		mw_policy_free(pol);
		return err;
	}
	if (old)
		mw_pol_counters_carry(pol, old);
	if (pol->ext_ifaces)
		mw_ifmap_refresh(mn, pol, NULL);
	if (!++mn->generation)
		mn->generation = 1;
	pol->generation = mn->generation;
	/* nothing fails from here: the clock, then the policy */
	mw_clock_set(mn, o->have_clock ? o->boot_to_unix_ns :
					 mw_clock_sample(), false);
	rcu_assign_pointer(mn->policy, pol);
	synchronize_net();
	mw_policy_free(old);
	mw_rates_prune(mn, pol);
	/* established flows the new policy would not let open end here */
	mw_ct_revoke(mn, pol);
	return 0;
}

int mw_txn_abort(struct mw_net *mn, u32 portid, u32 id,
		 struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = txn_get(mn, portid, id, extack);

	if (IS_ERR(txn))
		return PTR_ERR(txn);
	mw_txn_end(txn);
	return 0;
}

/* The socket portid is closed: its open transaction, if any, is freed. */
void mw_txn_release(struct mw_net *mn, u32 portid)
{
	/* most sockets never began one: no lock for them */
	if (!READ_ONCE(mn->txn.id) || READ_ONCE(mn->txn.portid) != portid)
		return;
	mutex_lock(&mn->lock);
	if (mn->txn.id && mn->txn.portid == portid)
		mw_txn_end(&mn->txn);
	mutex_unlock(&mn->lock);
}

/* Netns exit: the hooks are gone, nothing reads the policy any more. */
void mw_policy_teardown(struct mw_net *mn)
{
	struct mw_policy *pol;

	mutex_lock(&mn->lock);
	mw_txn_end(&mn->txn);
	pol = rcu_dereference_protected(mn->policy,
					lockdep_is_held(&mn->lock));
	RCU_INIT_POINTER(mn->policy, NULL);
	mutex_unlock(&mn->lock);
	synchronize_net();
	mw_policy_free(pol);
}

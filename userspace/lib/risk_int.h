/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of the risk assessment, shared by risk*.c (risk.h is the
 * interface; the rules are described in risk.c). */
#ifndef MW_RISK_INT_H
#define MW_RISK_INT_H

#include "classify.h"
#include "risk.h"

enum rule {
	R_ANY_ANY, R_ZONE_ANY, R_PROTO_ANY, R_WIDE_PORTS,
	R_PREFIX_HIGH, R_PREFIX_MEDIUM,
	R_CLEAR_IN, R_CLEAR_OUT,
	R_AGR_EXPIRED, R_AGR_EXPIRING, R_AGR_FUTURE,
	R_POL_EXPIRED, R_POL_EXPIRING,
	R_NO_CONTACT,
	R_DEV_OVERLAP, R_DEV_IN_ZONE,
	R_MAC_L2ADJ, R_MAC_L2ALL,
	R_NO_AUTOBLOCK, R_NO_LIMITS,
	R_REPLY_PATH, R_REPLY_WIDE,
	__R_LAST
};

#define WIDE_PORTS	1024u

/* risk.c: findings and policy lookups */
void rk_copy_str(char *dst, size_t len, const char *src);	/* may cut */
int rk_add(struct mw_findings *out, enum rule r, const char *system,
	   const char *subject, struct mw_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
const struct mw_zone_spec *rk_find_zone(const struct mw_policy *pol,
					const char *name);
const struct mw_iface_spec *rk_find_iface(const struct mw_policy *pol,
					  const char *name);
bool rk_zone_has_default(const struct mw_zone_spec *z);
bool rk_conduit_zone_any(const struct mw_policy *pol,
			 const struct mw_conduit_spec *c);
bool rk_has_ports(const struct mw_conduit_spec *c);
/* a policy's protocol by name (a compound literal as the buffer) */
#define rk_proto_name(p) mw_proto_name((p), (char[MW_PROTO_LEN]){ 0 })
const char *rk_dir_name(enum mw_direction dir);
/* A conduit's subject: its name, or "device/name" for a device's own. */
void rk_conduit_subject(char *buf, size_t len,
			const struct mw_device_spec *dev,
			const struct mw_conduit_spec *c);

/* risk_conduits.c: width, cleartext, stateless replies */
int rk_check_conduits(const struct mw_policy *pol,
		      const struct mw_system_spec *s, struct mw_findings *out);
/* risk_devices.c: prefix width, zones, overlaps, MAC binding */
int rk_check_devices(const struct mw_policy *pol,
		     const struct mw_system_spec *s, struct mw_findings *out);
int rk_check_overlaps(const struct mw_system_spec *s,
		      struct mw_findings *out);
int rk_check_macs(const struct mw_policy *pol, const struct mw_system_spec *s,
		  struct mw_findings *out);

#endif

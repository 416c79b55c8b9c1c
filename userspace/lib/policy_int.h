/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the policy parser (policy_parse.c, policy_yaml.c,
 * policy_time.c, policy_conduit.c, policy_system.c).  Not for other
 * users of libmw: use policy.h.
 *
 * Every function here returns 0 or a negative errno; on -EINVAL the
 * context's diag names file:line:col, quotes the value and says what was
 * expected.
 */
#ifndef MW_POLICY_INT_H
#define MW_POLICY_INT_H

#include <yaml.h>

#include "policy.h"

struct mwp_ctx {
	const char *file;
	struct mw_diag *diag;
	yaml_document_t *doc;
	struct mw_policy *pol;
	const char *buf;	/* the raw text, for reader errors */
	size_t len;
};

/* A name (or address) and where it was defined, for uniqueness checks. */
struct mwp_ref {
	const char *name;
	struct mw_loc loc;
};

#define MWP_QUOTE_MAX 96

struct mw_loc mwp_loc(const yaml_node_t *n);
int mwp_err_at(struct mwp_ctx *c, struct mw_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Quote a node's text as `text' for messages (truncated, escaped). */
const char *mwp_quote(const yaml_node_t *n, char buf[MWP_QUOTE_MAX]);
void mwp_quote_str(const char *s, char buf[MWP_QUOTE_MAX]);

/* Structure. */
int mwp_check_keys(struct mwp_ctx *c, yaml_node_t *map,
		   const char *const *keys, const char *what);
yaml_node_t *mwp_get(struct mwp_ctx *c, yaml_node_t *map, const char *key,
		     yaml_node_t **keynode);
int mwp_require(struct mwp_ctx *c, yaml_node_t *map, const char *key,
		const char *what, yaml_node_t **out);
int mwp_mapping(struct mwp_ctx *c, yaml_node_t *n, const char *what);
int mwp_seq(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	    size_t *len);
yaml_node_t *mwp_item(struct mwp_ctx *c, yaml_node_t *seq, size_t i);

/* Scalars.  mwp_scalar: a non-null scalar, its text in *s. */
int mwp_scalar(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	       const char *expect, const char **s);
int mwp_str(struct mwp_ctx *c, yaml_node_t *n, const char *what, char *buf,
	    size_t size);
int mwp_name(struct mwp_ctx *c, yaml_node_t *n, const char *what, char *buf,
	     size_t size);
int mwp_u64(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	    uint64_t min, uint64_t max, uint64_t *out);
int mwp_u32(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	    uint32_t *out);
int mwp_bool(struct mwp_ctx *c, yaml_node_t *n, const char *what, bool *out);
int mwp_enum(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	     const char *const *names, int *out);
int mwp_prefix(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	       struct mw_prefix *p);
/* policy_time.c */
int mwp_tz(struct mwp_ctx *c, yaml_node_t *n, int32_t *out);
int mwp_date(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	     bool end_of_day, int64_t *out);
int mwp_hhmm(struct mwp_ctx *c, yaml_node_t *n, const char *what,
	     uint16_t *out);

/* Reject recursive aliases, deep nesting and alias bombs. */
int mwp_check_expansion(struct mwp_ctx *c);

/* Error on the second of two equal names: "duplicate <what> `x'". */
int mwp_unique(struct mwp_ctx *c, struct mwp_ref *refs, size_t n,
	       const char *what);

/* policy_conduit.c */
int mwp_conduits(struct mwp_ctx *c, yaml_node_t *seq,
		 struct mw_conduit_spec **out, size_t *n);
void mwp_conduit_free(struct mw_conduit_spec *cd);

/* policy_system.c */
int mwp_systems(struct mwp_ctx *c, yaml_node_t *seq);
void mwp_system_free(struct mw_system_spec *s);

#endif /* MW_POLICY_INT_H */

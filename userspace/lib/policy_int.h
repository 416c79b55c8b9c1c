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

#include <stdint.h>
#include <yaml.h>

#include "policy.h"

/*
 * The parsed YAML, compact (policy_tree.c): libyaml's event parser feeds
 * a composer that keeps what validation needs -- kind, plain style, text,
 * children, where the node starts -- 24 bytes a node, in a few large
 * arrays instead of libyaml's document (one malloc'd node, tag and value
 * each).  Aliases are node indices, as in libyaml's document: an aliased
 * node is shared, and is located where its anchor defined it.
 */
enum mwp_type { MWP_SCALAR = 1, MWP_SEQ, MWP_MAP };

struct mwp_node {
	union {
		const char *text;	/* scalar: NUL-terminated */
		uint32_t first;		/* seq/map: first child in kids[] */
	};
	uint32_t len;		/* scalar: bytes; seq: items; map: pairs */
	int line;		/* 1-based, as struct mw_loc */
	int col;
	uint8_t type;		/* enum mwp_type */
	uint8_t plain;		/* scalar in plain style */
};

struct mwp_chunk;

struct mwp_tree {
	struct mwp_node *nodes;		/* [0] unused: 0 = no node */
	size_t n_nodes, nodes_cap;	/* *_cap: bytes mapped */
	uint32_t *kids;		/* seq: items; map: key, value, key, ... */
	size_t n_kids, kids_cap;
	uint32_t root;		/* 0: empty stream */
	uint32_t depth;		/* most collections open at once */
	bool aliased;		/* an alias was composed */
	struct mwp_chunk *chunks;	/* scalar text */
};

struct mwp_ctx {
	const char *file;
	struct mw_diag *diag;
	struct mwp_tree *tree;
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

struct mw_loc mwp_loc(const struct mwp_node *n);
int mwp_err_at(struct mwp_ctx *c, struct mw_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Quote a node's text as `text' for messages (truncated, escaped). */
const char *mwp_quote(const struct mwp_node *n, char buf[MWP_QUOTE_MAX]);
void mwp_quote_str(const char *s, char buf[MWP_QUOTE_MAX]);

/* Structure. */
int mwp_check_keys(struct mwp_ctx *c, struct mwp_node *map,
		   const char *const *keys, const char *what);
struct mwp_node *mwp_get(struct mwp_ctx *c, struct mwp_node *map, const char *key,
		     struct mwp_node **keynode);
int mwp_require(struct mwp_ctx *c, struct mwp_node *map, const char *key,
		const char *what, struct mwp_node **out);
int mwp_mapping(struct mwp_ctx *c, struct mwp_node *n, const char *what);
int mwp_seq(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	    size_t *len);
struct mwp_node *mwp_item(struct mwp_ctx *c, struct mwp_node *seq, size_t i);

/* Scalars.  mwp_scalar: a non-null scalar, its text in *s. */
int mwp_scalar(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	       const char *expect, const char **s);
int mwp_str(struct mwp_ctx *c, struct mwp_node *n, const char *what, char *buf,
	    size_t size);
int mwp_name(struct mwp_ctx *c, struct mwp_node *n, const char *what, char *buf,
	     size_t size);
int mwp_u64(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	    uint64_t min, uint64_t max, uint64_t *out);
int mwp_u32(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	    uint32_t *out);
int mwp_bool(struct mwp_ctx *c, struct mwp_node *n, const char *what, bool *out);
int mwp_enum(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	     const char *const *names, int *out);
int mwp_prefix(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	       struct mw_prefix *p);
/* policy_time.c */
int mwp_tz(struct mwp_ctx *c, struct mwp_node *n, int32_t *out);
/* One port or a range "lo-hi" (1..65535), located errors. */
int mwp_port_item(struct mwp_ctx *c, struct mwp_node *n,
		  struct mw_port_range *r);
int mwp_date(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	     bool end_of_day, int64_t *out);
int mwp_hhmm(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	     uint16_t *out);

/* policy_tree.c: 0, or 0 with the parser's error set, or -ENOMEM. */
int mwp_tree_load(yaml_parser_t *parser, struct mwp_tree *t);
void mwp_tree_free(struct mwp_tree *t);

/*
 * The composer under mwp_tree_load, for policy_scan.c: nodes in document
 * order, at 1-based line:col; a collection's children are the nodes
 * composed between its start and its end.  0 or -ENOMEM.
 */
struct mwp_composer;
struct mwp_composer *mwp_composer_new(struct mwp_tree *t);
int mwp_compose_scalar(struct mwp_composer *k, int line, int col,
		       const char *s, size_t len, bool plain);
int mwp_compose_start(struct mwp_composer *k, uint8_t type, int line,
		      int col);
int mwp_compose_end(struct mwp_composer *k);
void mwp_composer_free(struct mwp_composer *k);

/*
 * policy_scan.c: the tree of the plain block YAML most policies are
 * written in, without libyaml; -EAGAIN for anything else (the caller
 * then runs mwp_tree_load), -ENOMEM.  On 0, t is exactly what
 * mwp_tree_load makes of buf, which libyaml reads without an error and
 * with no second document.
 */
int mwp_tree_scan(const char *buf, size_t len, struct mwp_tree *t);

static inline struct mwp_node *mwp_at(const struct mwp_ctx *c, uint32_t i)
{
	return i ? &c->tree->nodes[i] : NULL;
}

/* Reject recursive aliases, deep nesting and alias bombs. */
int mwp_check_expansion(struct mwp_ctx *c);

/* Error on the second of two equal names: "duplicate <what> `x'". */
int mwp_unique(struct mwp_ctx *c, struct mwp_ref *refs, size_t n,
	       const char *what);

/* policy_conduit.c */
int mwp_conduits(struct mwp_ctx *c, struct mwp_node *seq,
		 struct mw_conduit_spec **out, size_t *n);
void mwp_conduit_free(struct mw_conduit_spec *cd);

/* policy_system.c */
int mwp_systems(struct mwp_ctx *c, struct mwp_node *seq);
/* Unique system and device names, no device address twice or overlapping
 * another system's: on the model only, after the tree is freed. */
int mwp_policy_checks(struct mwp_ctx *c);
void mwp_system_free(struct mw_system_spec *s);

#endif /* MW_POLICY_INT_H */

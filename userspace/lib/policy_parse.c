// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser: YAML file -> validated struct mw_policy.
 *
 * libyaml parses (policy_scan.c reads plain block YAML without it),
 * policy_tree.c composes a compact tree; this file reads the file, walks
 * the top level, the interfaces and the zones (systems are in
 * policy_system.c).  Top-level
 * keys are read in a fixed order, not file order, so the time zone is
 * known before any date is converted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define POLICY_MAX_BYTES (64U << 20)

static const char *const top_keys[] = {
	"meterwall", "serial", "expires", "timezone", "default",
	"flow_entries", "reply_ports", "interfaces", "zones", "systems", NULL
};

static const char *const iface_keys[] = {
	"name", "zone", "arp", "nd", "vlans", "untagged", NULL
};

static const char *const zone_keys[] = {
	"name", "prefixes", "l2_adjacent", NULL
};

static const char *const l2_modes[] = { "devices", "all", "none", NULL };

/* ---------------------------------------------------------------- */
/* Interfaces                                                       */

static int iface_vlans(struct mwp_ctx *c, struct mwp_node *n,
		       struct mw_iface_spec *ifc)
{
	char qb[MWP_QUOTE_MAX];
	size_t len, i;
	int err;

	err = mwp_seq(c, n, "vlans", &len);
	if (err)
		return err;
	if (!len)
		return mwp_err_at(c, mwp_loc(n),
				  "vlans: expected at least one VLAN id (omit the key for none)");
	for (i = 0; i < len; i++) {
		struct mwp_node *it = mwp_item(c, n, i);
		uint64_t vid;

		err = mwp_u64(c, it, "VLAN id", 1, 4094, &vid);
		if (err)
			return err;
		if (ifc->vlans[vid / 8] & (1U << (vid % 8)))
			return mwp_err_at(c, mwp_loc(it),
					  "VLAN id %s listed twice on interface `%s'",
					  mwp_quote(it, qb), ifc->name);
		ifc->vlans[vid / 8] |= (uint8_t)(1U << (vid % 8));
		ifc->n_vlans++;
	}
	return 0;
}

static int iface_l2(struct mwp_ctx *c, struct mwp_node *map, const char *key,
		    struct mw_iface_spec *ifc, enum mw_l2_mode *mode)
{
	struct mwp_node *k, *v = mwp_get(c, map, key, &k);
	int m, err;

	if (!v)
		return 0;
	if (ifc->zone != MW_ZONE_EXTERNAL)
		return mwp_err_at(c, mwp_loc(k),
				  "key `%s' is only allowed on external interfaces (`%s' is smart-meter)",
				  key, ifc->name);
	err = mwp_enum(c, v, key, l2_modes, &m);
	if (!err)
		*mode = (enum mw_l2_mode)m;
	return err;
}

static int iface_one(struct mwp_ctx *c, struct mwp_node *map,
		     struct mw_iface_spec *ifc)
{
	static const char *const zones[] = { "external", "smart-meter", NULL };
	struct mwp_node *v;
	int z, err;

	err = mwp_mapping(c, map, "interface");
	err = err ?: mwp_check_keys(c, map, iface_keys, "interface");
	err = err ?: mwp_require(c, map, "name", "interface", &v);
	err = err ?: mwp_name(c, v, "interface name", ifc->name,
			      sizeof(ifc->name));
	err = err ?: mwp_require(c, map, "zone", "interface", &v);
	err = err ?: mwp_enum(c, v, "interface zone", zones, &z);
	if (err)
		return err;
	ifc->loc = mwp_loc(mwp_get(c, map, "name", NULL));
	ifc->zone = z == 0 ? MW_ZONE_EXTERNAL : MW_ZONE_SMART_METER;
	ifc->arp = MW_L2_DEVICES;
	ifc->nd = MW_L2_DEVICES;
	err = iface_l2(c, map, "arp", ifc, &ifc->arp);
	err = err ?: iface_l2(c, map, "nd", ifc, &ifc->nd);
	if (err)
		return err;
	v = mwp_get(c, map, "vlans", NULL);
	if (v) {
		err = iface_vlans(c, v, ifc);
		if (err)
			return err;
	}
	ifc->untagged = ifc->n_vlans == 0;
	v = mwp_get(c, map, "untagged", NULL);
	return v ? mwp_bool(c, v, "untagged", &ifc->untagged) : 0;
}

static int parse_ifaces(struct mwp_ctx *c, struct mwp_node *seq)
{
	struct mw_policy *pol = c->pol;
	struct mwp_ref *refs;
	bool external = false;
	size_t len, i;
	int err;

	err = mwp_seq(c, seq, "interfaces", &len);
	if (err)
		return err;
	pol->ifaces = calloc(len ?: 1, sizeof(*pol->ifaces));
	refs = calloc(len ?: 1, sizeof(*refs));
	if (!pol->ifaces || !refs) {
		free(refs);
		return -ENOMEM;
	}
	for (i = 0; i < len && !err; i++) {
		struct mw_iface_spec *ifc = &pol->ifaces[i];
		struct mwp_node *it = mwp_item(c, seq, i);

		pol->n_ifaces++;
		err = iface_one(c, it, ifc);
		if (err)
			break;
		refs[i].name = ifc->name;
		refs[i].loc = ifc->loc;
		external |= ifc->zone == MW_ZONE_EXTERNAL;
	}
	if (!err)
		err = mwp_unique(c, refs, len, "interface");
	free(refs);
	if (!err && !external)
		err = mwp_err_at(c, mwp_loc(seq),
				 "interfaces: expected at least one interface with zone `external'");
	return err;
}

/* ---------------------------------------------------------------- */
/* Zones                                                            */

static int zone_prefixes(struct mwp_ctx *c, struct mwp_node *n,
			 struct mw_zone_spec *z)
{
	size_t len, i, j;
	int err;

	err = mwp_seq(c, n, "prefixes", &len);
	if (err)
		return err;
	if (!len)
		return mwp_err_at(c, mwp_loc(n),
				  "prefixes: zone `%s' needs at least one prefix",
				  z->name);
	z->prefixes = calloc(len, sizeof(*z->prefixes));
	if (!z->prefixes)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct mwp_node *it = mwp_item(c, n, i);
		struct mw_prefix *p = &z->prefixes[i];
		char qb[MWP_QUOTE_MAX];

		err = mwp_prefix(c, it, "zone prefix", p);
		if (err)
			return err;
		z->n_prefixes++;
		for (j = 0; j < i; j++)
			if (z->prefixes[j].plen == p->plen &&
			    z->prefixes[j].family == p->family &&
			    !memcmp(z->prefixes[j].addr, p->addr, 16))
				return mwp_err_at(c, p->loc,
						  "prefix %s listed twice in zone `%s'",
						  mwp_quote(it, qb), z->name);
	}
	return 0;
}

static int zone_one(struct mwp_ctx *c, struct mwp_node *map,
		    struct mw_zone_spec *z)
{
	struct mwp_node *v;
	int err;

	err = mwp_mapping(c, map, "zone");
	err = err ?: mwp_check_keys(c, map, zone_keys, "zone");
	err = err ?: mwp_require(c, map, "name", "zone", &v);
	err = err ?: mwp_name(c, v, "zone name", z->name, sizeof(z->name));
	if (err)
		return err;
	if (!strcmp(z->name, "any"))
		return mwp_err_at(c, mwp_loc(v),
				  "invalid zone name `any': reserved for \"anywhere\" in conduits");
	z->loc = mwp_loc(mwp_get(c, map, "name", NULL));
	err = mwp_require(c, map, "prefixes", "zone", &v);
	err = err ?: zone_prefixes(c, v, z);
	if (err)
		return err;
	v = mwp_get(c, map, "l2_adjacent", NULL);
	return v ? mwp_bool(c, v, "l2_adjacent", &z->l2_adjacent) : 0;
}

static int parse_zones(struct mwp_ctx *c, struct mwp_node *seq)
{
	struct mw_policy *pol = c->pol;
	struct mwp_ref *refs;
	size_t len, i;
	int err;

	err = mwp_seq(c, seq, "zones", &len);
	if (err)
		return err;
	pol->zones = calloc(len ?: 1, sizeof(*pol->zones));
	refs = calloc(len ?: 1, sizeof(*refs));
	if (!pol->zones || !refs) {
		free(refs);
		return -ENOMEM;
	}
	for (i = 0; i < len && !err; i++) {
		struct mw_zone_spec *z = &pol->zones[i];
		struct mwp_node *it = mwp_item(c, seq, i);

		pol->n_zones++;
		err = zone_one(c, it, z);
		if (err)
			break;
		refs[i].name = z->name;
		refs[i].loc = z->loc;
	}
	if (!err)
		err = mwp_unique(c, refs, len, "zone");
	free(refs);
	return err;
}

/* ---------------------------------------------------------------- */
/* Top level                                                        */

static int parse_header(struct mwp_ctx *c, struct mwp_node *root)
{
	static const char *const defaults[] = { "deny", NULL };
	struct mw_policy *pol = c->pol;
	char qb[MWP_QUOTE_MAX];
	uint64_t v;
	struct mwp_node *n;
	int d, err;

	err = mwp_require(c, root, "meterwall", "policy", &n);
	if (err)
		return err;
	if (n->type != MWP_SCALAR ||
	    !n->plain || strcmp(n->text, "1"))
		return mwp_err_at(c, mwp_loc(n),
				  "unsupported meterwall format version %s: expected 1",
				  mwp_quote(n, qb));
	err = mwp_require(c, root, "serial", "policy", &n);
	err = err ?: mwp_u64(c, n, "serial", 1, INT64_MAX, &pol->serial);
	if (err)
		return err;
	n = mwp_get(c, root, "timezone", NULL);
	if (n && (err = mwp_tz(c, n, &pol->tz_offset)))
		return err;
	n = mwp_get(c, root, "expires", NULL);
	if (n && (err = mwp_date(c, n, "expires", true, &pol->expires)))
		return err;
	pol->has_expires = n != NULL;
	if (n)
		pol->expires_loc = mwp_loc(n);
	n = mwp_get(c, root, "default", NULL);
	if (n && (err = mwp_enum(c, n, "default", defaults, &d)))
		return err;
	n = mwp_get(c, root, "flow_entries", NULL);
	if (n && (err = mwp_u64(c, n, "flow_entries", 1024, 16777216, &v)))
		return err;
	pol->flow_entries = n ? (uint32_t)v : 0;
	pol->reply_ports.lo = MW_REPLY_PORT_LO;
	pol->reply_ports.hi = MW_REPLY_PORT_HI;
	n = mwp_get(c, root, "reply_ports", NULL);
	if (n && n->type != MWP_SCALAR)
		return mwp_err_at(c, mwp_loc(n),
				  "reply_ports: expected one range \"lo-hi\" (the ports stateless replies may go to)");
	if (n && (err = mwp_port_item(c, n, &pol->reply_ports)))
		return err;
	return 0;
}

static int parse_root(struct mwp_ctx *c, struct mwp_node *root)
{
	struct mwp_node *n;
	int err;

	err = mwp_mapping(c, root, "policy");
	err = err ?: mwp_check_keys(c, root, top_keys, "policy");
	err = err ?: parse_header(c, root);
	err = err ?: mwp_require(c, root, "interfaces", "policy", &n);
	err = err ?: parse_ifaces(c, n);
	if (err)
		return err;
	n = mwp_get(c, root, "zones", NULL);
	if (n && (err = parse_zones(c, n)))
		return err;
	n = mwp_get(c, root, "systems", NULL);
	return n ? mwp_systems(c, n) : 0;
}

/* Line and column (in bytes) of a byte offset into the raw text. */
static struct mw_loc offset_loc(const struct mwp_ctx *c, size_t off)
{
	struct mw_loc loc = { 1, 1 };
	size_t i;

	for (i = 0; i < off && i < c->len; i++) {
		if (c->buf[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	return loc;
}

static int yaml_error(struct mwp_ctx *c, const yaml_parser_t *p)
{
	struct mw_loc loc = {
		.line = (int)p->problem_mark.line + 1,
		.col = (int)p->problem_mark.column + 1,
	};

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR)
		return mwp_err_at(c, offset_loc(c, p->problem_offset),
				  "YAML reader error: %s (byte offset %zu)",
				  p->problem ?: "unreadable input",
				  p->problem_offset);
	if (p->context)
		return mwp_err_at(c, loc, "YAML syntax error: %s %s started at line %d",
				  p->problem ?: "", p->context,
				  (int)p->context_mark.line + 1);
	return mwp_err_at(c, loc, "YAML syntax error: %s",
			  p->problem ?: "unknown problem");
}

/* Exactly one, non-empty document. */
static int load_doc(struct mwp_ctx *c, yaml_parser_t *parser)
{
	yaml_document_t extra;
	yaml_node_t *n;
	int err;

	/* most policies: without libyaml, the same tree (policy_scan.c) */
	err = mwp_tree_scan(c->buf, c->len, c->tree);
	if (err != -EAGAIN)
		return err;
	err = mwp_tree_load(parser, c->tree);
	if (err == -EINVAL)
		return yaml_error(c, parser);
	if (err)
		return err;
	if (!c->tree->root) {
		mwp_tree_free(c->tree);
		return mwp_err_at(c, (struct mw_loc){ 1, 1 },
				  "empty policy: expected a mapping with meterwall, serial, interfaces, ...");
	}
	/* What follows it: libyaml's loader (nothing, or an error anyway). */
	if (!yaml_parser_load(parser, &extra)) {
		err = yaml_error(c, parser);
		mwp_tree_free(c->tree);
		return err;
	}
	n = yaml_document_get_root_node(&extra);
	if (n)
		err = mwp_err_at(c, (struct mw_loc){
					 (int)n->start_mark.line + 1,
					 (int)n->start_mark.column + 1 },
				 "unexpected second YAML document: a policy file holds exactly one");
	yaml_document_delete(&extra);
	if (err)
		mwp_tree_free(c->tree);
	return err;
}

/*
 * owned: buf when it is ours to free (mw_policy_load_file), freed as soon
 * as the tree holds the document; the tree goes before the policy-wide
 * checks, which need only the model: peak memory is the larger of text +
 * tree and tree + model, not all three.
 */
static int load(const char *name, const char *buf, size_t len, char *owned,
		struct mw_policy **out, struct mw_diag *diag)
{
	struct mwp_ctx c = {
		.file = name ?: "<policy>", .diag = diag, .buf = buf, .len = len
	};
	yaml_parser_t parser;
	struct mwp_tree tree;
	int err;

	*out = NULL;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	c.pol = calloc(1, sizeof(*c.pol));
	if (!c.pol) {
		free(owned);
		return -ENOMEM;
	}
	snprintf(c.pol->path, sizeof(c.pol->path), "%s", c.file);
	if (!yaml_parser_initialize(&parser)) {
		free(c.pol);
		free(owned);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	c.tree = &tree;
	err = load_doc(&c, &parser);
	yaml_parser_delete(&parser);
	free(owned);
	c.buf = NULL;
	c.len = 0;
	if (!err) {
		err = mwp_check_expansion(&c);
		err = err ?: parse_root(&c, mwp_at(&c, tree.root));
		mwp_tree_free(&tree);
		err = err ?: mwp_policy_checks(&c);
	}
	if (err) {
		mw_policy_free(c.pol);
		return err;
	}
	*out = c.pol;
	return 0;
}

int mw_policy_load_buf(const char *name, const char *buf, size_t len,
		       struct mw_policy **out, struct mw_diag *diag)
{
	return load(name, buf, len, NULL, out, diag);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = NULL, *nb;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	for (;;) {
		nb = realloc(b, cap);
		if (!nb) {
			err = -ENOMEM;
			break;
		}
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (ferror(f)) {
			err = -EIO;
			break;
		}
		if (n < cap)
			break;
		if (cap >= POLICY_MAX_BYTES) {
			err = -EFBIG;
			break;
		}
		cap *= 2;
	}
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

int mw_policy_load_file(const char *path, struct mw_policy **out,
			struct mw_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	err = read_file(path, &buf, &len);
	if (err) {
		mw_diag_set(diag, path, (struct mw_loc){ 0, 0 },
			    "cannot read policy: %s", strerror(-err));
		return err;
	}
	return load(path, buf, len, buf, out, diag);
}

void mw_policy_free(struct mw_policy *pol)
{
	size_t i;

	if (!pol)
		return;
	for (i = 0; i < pol->n_zones; i++)
		free(pol->zones[i].prefixes);
	for (i = 0; i < pol->n_systems; i++)
		mwp_system_free(&pol->systems[i]);
	free(pol->ifaces);
	free(pol->zones);
	free(pol->systems);
	free(pol);
}

const struct mw_zone_spec *mw_policy_zone(const struct mw_policy *pol,
					  const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_zones; i++)
		if (!strcmp(pol->zones[i].name, name))
			return &pol->zones[i];
	return NULL;
}

int mw_policy_iface_index(const struct mw_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_ifaces; i++)
		if (!strcmp(pol->ifaces[i].name, name))
			return (int)i;
	return -1;
}

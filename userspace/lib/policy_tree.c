// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser: the YAML composer.  libyaml's event parser
 * (yaml_parser_parse) feeds a compact tree (struct mwp_tree, see
 * policy_int.h) instead of libyaml's document, which for a policy of a
 * million devices held several million separately allocated nodes, tags
 * and values -- over a gigabyte next to the model built from it.
 *
 * The tree has what libyaml's document loader gives the validator, with
 * the same semantics: node kinds, plain style, scalar text and length,
 * start positions, children in order; an alias is the index of its
 * anchored node (registered when the node starts, so a collection may
 * alias itself: mwp_check_expansion rejects that); a duplicate anchor and
 * an undefined alias fail with libyaml's composer errors, reported
 * through the parser's error fields like any other YAML error.
 *
 * Memory: nodes, children and the pending-children stack are arrays
 * mapped on their own (grown with mremap, no copy, returned whole when
 * the tree is freed); scalar text lives in mapped chunks, and mapping
 * keys (the same few names over and over) are stored once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "policy_int.h"

struct mwp_chunk {
	struct mwp_chunk *next;
	size_t size;		/* bytes mapped, this header included */
	size_t used;
	char data[];
};

#define CHUNK_MIN	(64U << 10)
#define CHUNK_MAX	(4U << 20)
#define ARRAY_MIN	(64U << 10)
#define KEY_SLOTS	1024	/* power of two */
#define KEY_MAX_LEN	64

struct anchor {
	char *name;
	uint32_t node;
	yaml_mark_t mark;
};

struct frame {
	uint32_t node;
	size_t base;		/* its children: pending[base..n_pending) */
};

struct mwp_composer {
	yaml_parser_t *parser;
	struct mwp_tree *t;
	uint32_t *pending;	/* children of the open collections */
	size_t n_pending, pending_cap;
	struct frame *frames;
	size_t n_frames, frames_cap;
	struct anchor *anchors;
	size_t n_anchors, anchors_cap;
	struct { const char *text; uint32_t len; } keys[KEY_SLOTS];
	size_t n_keys;
};

/*
 * Transparent huge pages for a mapping of 2 MiB or more, where the kernel
 * allows them for the asking: a million devices fill some 200 MB of these
 * arrays, and at 4 KiB a page the faults were a quarter of the read (a
 * refusal is no error: small pages, as before).
 */
static void huge_pages(void *p, size_t len)
{
	if (len >= (2U << 20))
		(void)madvise(p, len, MADV_HUGEPAGE);
}

/* Grow a mapped array to at least need bytes; NULL (p kept) on failure. */
static void *map_grow(void *p, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : ARRAY_MIN;
	void *np;

	if (need <= *cap)
		return p;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return NULL;
		ncap *= 2;
	}
	if (p)
		np = mremap(p, *cap, ncap, MREMAP_MAYMOVE);
	else
		np = mmap(NULL, ncap, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (np == MAP_FAILED)
		return NULL;
	huge_pages(np, ncap);
	*cap = ncap;
	return np;
}

static int grow(void **p, size_t *cap, size_t need)
{
	void *np;

	if (need <= *cap)
		return 0;	/* most calls: no call */
	np = map_grow(*p, cap, need);
	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

void mwp_tree_free(struct mwp_tree *t)
{
	struct mwp_chunk *ch, *next;

	if (t->nodes)
		munmap(t->nodes, t->nodes_cap);
	if (t->kids)
		munmap(t->kids, t->kids_cap);
	for (ch = t->chunks; ch; ch = next) {
		next = ch->next;
		munmap(ch, ch->size);
	}
	memset(t, 0, sizeof(*t));
}

static const char *text_add(struct mwp_tree *t, const unsigned char *s,
			    size_t len)
{
	struct mwp_chunk *ch = t->chunks;
	char *p;

	if (!ch || ch->size - ch->used < len + 1) {
		size_t size = ch ? ch->size * 2 : CHUNK_MIN;

		if (size > CHUNK_MAX)
			size = CHUNK_MAX;
		if (size - sizeof(*ch) < len + 1) {
			if (len > SIZE_MAX - sizeof(*ch) - 4096)
				return NULL;
			size = (sizeof(*ch) + len + 1 + 4095) & ~(size_t)4095;
		}
		ch = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ch == MAP_FAILED)
			return NULL;
		huge_pages(ch, size);
		ch->size = size;
		ch->used = sizeof(*ch);
		ch->next = t->chunks;
		t->chunks = ch;
	}
	p = (char *)ch + ch->used;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	ch->used += len + 1;
	return p;
}

/* A mapping key's text, stored once for all keys alike. */
static const char *key_text(struct mwp_composer *k, const unsigned char *s,
			    size_t len)
{
	uint32_t h = 2166136261u;
	size_t i, slot;
	const char *p;

	if (len > KEY_MAX_LEN)
		return text_add(k->t, s, len);
	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	for (slot = h & (KEY_SLOTS - 1); k->keys[slot].text;
	     slot = (slot + 1) & (KEY_SLOTS - 1))
		if (k->keys[slot].len == len &&
		    !memcmp(k->keys[slot].text, s, len))
			return k->keys[slot].text;
	p = text_add(k->t, s, len);
	if (p && k->n_keys < KEY_SLOTS / 2) {
		k->keys[slot].text = p;
		k->keys[slot].len = (uint32_t)len;
		k->n_keys++;
	}
	return p;
}

/* A node starting at line:col (1-based). */
static int node_add(struct mwp_composer *k, int line, int col, uint8_t type,
		    uint32_t *idx)
{
	struct mwp_tree *t = k->t;
	struct mwp_node *n;
	size_t i = t->n_nodes ?: 1;	/* index 0 stays unused */

	if (i >= UINT32_MAX ||
	    grow((void **)&t->nodes, &t->nodes_cap, (i + 1) * sizeof(*n)))
		return -ENOMEM;
	n = &t->nodes[i];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = line;
	n->col = col;
	t->n_nodes = i + 1;
	*idx = (uint32_t)i;
	return 0;
}

static int composer_error(struct mwp_composer *k, const char *context,
			  yaml_mark_t context_mark, const char *problem,
			  yaml_mark_t problem_mark)
{
	k->parser->error = YAML_COMPOSER_ERROR;
	k->parser->context = context;
	k->parser->context_mark = context_mark;
	k->parser->problem = problem;
	k->parser->problem_mark = problem_mark;
	return -EINVAL;
}

/* As libyaml's loader: an anchor names the node it starts. */
static int anchor_add(struct mwp_composer *k, const unsigned char *name,
		      uint32_t node, yaml_mark_t mark)
{
	size_t i;

	if (!name)
		return 0;
	for (i = 0; i < k->n_anchors; i++)
		if (!strcmp(k->anchors[i].name, (const char *)name))
			return composer_error(k,
					      "found duplicate anchor; first occurrence",
					      k->anchors[i].mark,
					      "second occurrence", mark);
	if (k->n_anchors == k->anchors_cap) {
		size_t cap = k->anchors_cap ? k->anchors_cap * 2 : 16;
		struct anchor *a = realloc(k->anchors, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		k->anchors = a;
		k->anchors_cap = cap;
	}
	k->anchors[k->n_anchors].name = strdup((const char *)name);
	if (!k->anchors[k->n_anchors].name)
		return -ENOMEM;
	k->anchors[k->n_anchors].node = node;
	k->anchors[k->n_anchors++].mark = mark;
	return 0;
}

/* A complete node: the root, or the next child of the open collection. */
static int attach(struct mwp_composer *k, uint32_t idx)
{
	if (!k->n_frames) {
		k->t->root = idx;
		return 0;
	}
	if (grow((void **)&k->pending, &k->pending_cap,
		 (k->n_pending + 1) * sizeof(*k->pending)))
		return -ENOMEM;
	k->pending[k->n_pending++] = idx;
	return 0;
}

static bool at_key(const struct mwp_composer *k)
{
	const struct frame *f = &k->frames[k->n_frames - 1];

	return k->t->nodes[f->node].type == MWP_MAP &&
	       (k->n_pending - f->base) % 2 == 0;
}

static int scalar_add(struct mwp_composer *k, int line, int col,
		      const unsigned char *v, size_t len, bool plain,
		      uint32_t *idx)
{
	struct mwp_node *n;
	const char *text;
	int err;

	if (len >= UINT32_MAX)
		return -ENOMEM;
	err = node_add(k, line, col, MWP_SCALAR, idx);
	if (err)
		return err;
	text = k->n_frames && at_key(k) ? key_text(k, v, len) :
					  text_add(k->t, v, len);
	if (!text)
		return -ENOMEM;
	n = &k->t->nodes[*idx];
	n->text = text;
	n->len = (uint32_t)len;
	n->plain = plain;
	return 0;
}

int mwp_compose_scalar(struct mwp_composer *k, int line, int col,
		       const char *s, size_t len, bool plain)
{
	uint32_t idx;
	int err;

	err = scalar_add(k, line, col, (const unsigned char *)s, len, plain,
			 &idx);
	return err ?: attach(k, idx);
}

static int on_scalar(struct mwp_composer *k, const yaml_event_t *e)
{
	uint32_t idx;
	int err;

	err = scalar_add(k, (int)e->start_mark.line + 1,
			 (int)e->start_mark.column + 1, e->data.scalar.value,
			 e->data.scalar.length,
			 e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, &idx);
	err = err ?: anchor_add(k, e->data.scalar.anchor, idx, e->start_mark);
	return err ?: attach(k, idx);
}

/* A collection opens: its node, and a frame collecting its children. */
static int open_node(struct mwp_composer *k, uint32_t idx)
{
	if (k->n_frames == k->frames_cap) {
		size_t cap = k->frames_cap ? k->frames_cap * 2 : 32;
		struct frame *f = realloc(k->frames, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		k->frames = f;
		k->frames_cap = cap;
	}
	k->frames[k->n_frames].node = idx;
	k->frames[k->n_frames++].base = k->n_pending;
	if (k->n_frames > k->t->depth)
		k->t->depth = (uint32_t)k->n_frames;
	return 0;
}

int mwp_compose_start(struct mwp_composer *k, uint8_t type, int line,
		      int col)
{
	uint32_t idx;

	return node_add(k, line, col, type, &idx) ?: open_node(k, idx);
}

static int on_start(struct mwp_composer *k, const yaml_event_t *e,
		    uint8_t type, const unsigned char *anchor)
{
	uint32_t idx;
	int err;

	err = node_add(k, (int)e->start_mark.line + 1,
		       (int)e->start_mark.column + 1, type, &idx);
	err = err ?: anchor_add(k, anchor, idx, e->start_mark);
	return err ?: open_node(k, idx);
}

/* The open collection is complete: its children move to kids[]. */
int mwp_compose_end(struct mwp_composer *k)
{
	struct frame f = k->frames[--k->n_frames];
	struct mwp_tree *t = k->t;
	size_t n = k->n_pending - f.base;
	struct mwp_node *node = &t->nodes[f.node];

	if (t->n_kids + n >= UINT32_MAX ||
	    grow((void **)&t->kids, &t->kids_cap,
		 (t->n_kids + n) * sizeof(*t->kids) ?: 1))
		return -ENOMEM;
	if (n)
		memcpy(t->kids + t->n_kids, k->pending + f.base,
		       n * sizeof(*t->kids));
	node->first = (uint32_t)t->n_kids;
	node->len = (uint32_t)(node->type == MWP_MAP ? n / 2 : n);
	t->n_kids += n;
	k->n_pending = f.base;
	return attach(k, f.node);
}

static int on_alias(struct mwp_composer *k, const yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	size_t i;

	k->t->aliased = true;
	for (i = 0; i < k->n_anchors; i++)
		if (!strcmp(k->anchors[i].name, name))
			return attach(k, k->anchors[i].node);
	return composer_error(k, NULL, (yaml_mark_t){ 0, 0, 0 },
			      "found undefined alias", e->start_mark);
}

static int on_event(struct mwp_composer *k, const yaml_event_t *e, bool *done)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(k, e);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(k, e, MWP_SEQ, e->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return on_start(k, e, MWP_MAP, e->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return mwp_compose_end(k);
	case YAML_ALIAS_EVENT:
		return on_alias(k, e);
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	default:		/* stream and document start */
		return 0;
	}
}

/*
 * The first document of the stream (as yaml_parser_load would load it:
 * the parser stops after its end, ready for the next one); t->root 0 when
 * the stream has none.  -EINVAL: the parser's error fields say why.
 */
struct mwp_composer *mwp_composer_new(struct mwp_tree *t)
{
	struct mwp_composer *k = calloc(1, sizeof(*k));

	memset(t, 0, sizeof(*t));
	if (k)
		k->t = t;
	return k;
}

void mwp_composer_free(struct mwp_composer *k)
{
	size_t i;

	for (i = 0; i < k->n_anchors; i++)
		free(k->anchors[i].name);
	free(k->anchors);
	free(k->frames);
	if (k->pending)
		munmap(k->pending, k->pending_cap);
	free(k);
}

int mwp_tree_load(yaml_parser_t *parser, struct mwp_tree *t)
{
	struct mwp_composer *k = mwp_composer_new(t);
	bool done = false;
	yaml_event_t e;
	int err = 0;

	if (!k)
		return -ENOMEM;
	k->parser = parser;
	while (!done && !err) {
		if (!yaml_parser_parse(parser, &e)) {
			err = parser->error == YAML_MEMORY_ERROR ? -ENOMEM :
								   -EINVAL;
			break;
		}
		err = on_event(k, &e, &done);
		yaml_event_delete(&e);
	}
	mwp_composer_free(k);
	if (err)
		mwp_tree_free(t);
	return err;
}

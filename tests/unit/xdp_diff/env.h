/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP differential test's environment (test_xdp_diff.c describes the
 * test): a private network namespace with two veth pairs, examples/
 * gateway.yaml loaded through the loader library into a private pin
 * directory, and one frame judged by the program (BPF_PROG_TEST_RUN) and
 * by the reference classifier with the same state (env.c).  The tests are
 * split by concern: the corpus and reason coverage (test_xdp_diff.c),
 * runtime state (state.c), accounting and flows (flows.c), the loader's
 * and program's internals (internals.c).
 */
#ifndef MW_TEST_XDP_DIFF_ENV_H
#define MW_TEST_XDP_DIFF_ENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "classify.h"
#include "compile.h"
#include "image.h"
#include "policy.h"
#include "xdp.h"
#include "xdp_int.h"
#include "frames.h"
#include "bare_drop.skel.h"
#include "attacks.h"
#include "policy_gen.h"

#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define MW_NSEC_PER_SEC_ 1000000000ULL

enum { IF_EXT0, IF_EXT1, IF_SM0, IF_LO, IF_N };

/* A source: one address of a device (or an unknown one). */
struct src {
	uint32_t dev;			/* MW_ID_NONE: unknown source */
	int family;
	char addr[INET6_ADDRSTRLEN];
	uint8_t mac[6];
};

struct env {
	bool ok;
	char why[512];
	char pin_dir[128];
	struct mw_xdp *x;
	struct mw_policy *pol;
	struct mw_image img;
	struct mw_image_view v;
	unsigned int ifindex[IF_N];
	uint32_t iface_id[IF_N];
	struct mw_block *sys_blocks;	/* mirrors of what the maps hold */
	struct mw_block *dev_blocks;
	uint32_t dev_capacity;
	bool island;
	struct src srcs[64];
	size_t n_srcs;
	/* rate limit state for the classifier, by system id: the datapath's
	 * (sys_rate), copied before each frame; rate_fresh: zeroed on both
	 * sides before each frame instead (the corpus: every pass within) */
	struct mw_rate *sys_rate;
	bool rate_fresh;
	/* differential results */
	size_t corpus, agree, shown;
	size_t by_reason[__MW_R_LAST];	/* corpus by the oracle's reason */
	size_t covered[__MW_R_LAST];	/* agreeing frames of every test */
};
extern struct env E;

struct judged {
	int verdict;		/* enum mw_verdict */
	int reason;		/* enum mw_reason, -1: not exactly one counted */
};


/* Protocol variants of the product: every conduit, its replies, misses. */
struct variant {
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags, type4, type6;
};


extern const char *const if_policy[IF_N];
extern const char *const if_host[IF_N];
extern int64_t t_normal;	/* Wed 2027-03-03 10:30 JST: all valid */
extern const struct mw_xdp_load_opts load_opts;
extern const char *const dst4[];
extern const char *const dst6[];
extern const struct variant variants[];
extern const size_t n_variants;

/* env.c */
int64_t unix_ns(int y, int mo, int d, int h, int mi);
int64_t boot_ns(void);
void set_now(struct mw_xdp *x, int64_t when);
void set_wall(struct mw_xdp *x, int64_t when);
unsigned int resolve(const char *name, void *arg);
int env_fail(const char *fmt, ...);
int load_policy(struct mw_xdp *x, const struct mw_image_view *v,
		struct mw_xdp_load_result *res);
void collect_sources(void);
int group_setup(void **state);
int group_teardown(void **state);
void need_env(void);
int bpf_judge(struct mw_xdp *x, unsigned int ifindex,
	      const uint8_t *frame, size_t len, struct judged *out);
void rate_sync(struct mw_xdp *x, const struct mw_image_view *v);
void ref_judge(const struct mw_config *cfg,
	       const struct mw_image_view *v, uint32_t iface_id,
	       int64_t boot, const uint8_t *frame, size_t len,
	       struct judged *out);
uint32_t iface_in(const struct mw_image_view *v, int ifs);
int diff_on(struct mw_xdp *x, const struct mw_image_view *v, int ifs,
	    const uint8_t *frame, size_t len, const char *label);
void diff(int ifs, const uint8_t *frame, size_t len, const char *label);
size_t build_variant(const struct src *s, const char *dst,
		     const struct variant *va, uint8_t *buf);
void product(const int *ifs, size_t n_ifs, size_t max_srcs,
	     const char *tag);
void truncations(int ifs, const uint8_t *frame, size_t len,
		 const char *name);
const struct src *src_of(const char *addr);
struct mw_iface_spec *policy_iface(const char *name);
size_t attack_sources(struct attack_src *as, size_t max);
uint32_t dev_id(const char *name);
uint32_t sys_id(const char *name);
void clear_blocks(void);
void block(enum mw_target kind, uint32_t id, uint64_t until);
int judge_one(const uint8_t *frame, size_t len, int ifs);
size_t hems_ports(uint8_t *buf, uint16_t sport, uint16_t dport);
size_t hems_udp(uint8_t *buf);
int expect_on(struct mw_xdp *x, const struct mw_image_view *v, int ifs,
	      const uint8_t *frame, size_t len, int want,
	      const char *label);
int expect(int ifs, const uint8_t *frame, size_t len, int want,
	   const char *label);
size_t frame_of(const char *src, const char *dst, uint8_t proto,
		uint16_t dport, uint8_t *buf);
void clock_of(struct mw_xdp *x, int64_t *cur, int64_t *max);

/* flows.c: run on one CPU (restored from old later), wait for a new
 * jiffy of the accounting clock */
void pin_cpu(int cpu, cpu_set_t *old);
void next_tick(void);

/* the tests, by file */
void test_diff_corpus(void **state);
void test_diff_random(void **state);
void test_every_reason(void **state);
void test_block_survives_reload(void **state);
void test_swap_atomic(void **state);
void test_reopen_pins(void **state);
void test_island(void **state);
void test_clock_offsets(void **state);
void test_policy_expired(void **state);
void test_rate_limit(void **state);
void test_vlan_8021ad(void **state);
void test_accounting(void **state);
void test_flow_table_lru(void **state);
void test_flow_two_cpus(void **state);
void test_flow_zone_cache(void **state);
void test_torn_config(void **state);
void test_sink_variant(void **state);
void test_attach_detach(void **state);
void test_bench(void **state);
void test_h4_probe_bound(void **state);
void test_h4_spill_path(void **state);
void test_pins_before_mmap(void **state);
void test_verifier_budget(void **state);

#endif

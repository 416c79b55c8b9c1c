// SPDX-License-Identifier: GPL-2.0
/*
 * Block and reconnect (control 2.1.3) in the controller library: the
 * blocks file's lines (who, why, the request; older lines; encoding),
 * blocks.history (written and read back, recorded once on expiry),
 * policy.attrs (two_person beside the image, fail closed when it belongs
 * to another image), and, with real XDP maps in a private bpffs pin
 * directory (root), the state machine: block -> request -> approve,
 * two_person refusing the same person, approve without a request, the
 * one-step unblock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "compile.h"
#include "ctl_int.h"
#include "policy.h"

#define BPF_FS_MAGIC_ 0xcafe4a11

static char pins[96];
static char last_msg[1200];
static int n_msgs;

static void report(enum mw_ctl_level level, const char *subject,
		   const char *text, void *arg)
{
	(void)level, (void)arg;
	snprintf(last_msg, sizeof(last_msg), "%s: %s", subject ? subject : "",
		 text);
	n_msgs++;
}

static struct mw_ctl *open_as(const char *dir, const char *user)
{
	struct mw_ctl_opts o = {
		.state_dir = path_in(dir),
		.log_dir = path_in("log"),
		.pin_dir = pins,
		.claimed_user = user,
		.report = report,
	};
	struct mw_ctl *c;

	assert_int_equal(mw_ctl_open(&o, &c), 0);
	n_msgs = 0;
	return c;
}

static int setup(void **state)
{
	(void)state;
	tmpdir_make("blocks");
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/meterwall-test-blocks-%d",
		 (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", root, pins);
	return system(cmd);
}

/* --- the blocks file ------------------------------------------------------ */

static void test_line_round_trip(void **state)
{
	struct mw_ctl *c = open_as("rt", "alice");
	struct ctl_block_line b = { 0 }, got;
	char *text;

	(void)state;
	assert_int_equal(mw_ctl_lock(c), 0);
	b.i.kind = MW_TARGET_DEVICE;
	strcpy(b.i.name, "gw-1");
	b.i.cause = MW_BLOCK_THRESHOLD;
	b.i.since_unix_ns = 1796000000000000000ULL;
	b.i.uid = 0;
	strcpy(b.i.user, "alice");
	strcpy(b.i.by, "duty officer");
	strcpy(b.i.reason, "100% of \"drops\"\tand\nmore, \xe6\x97\xa5\xe6\x9c\xac");
	b.i.requested = true;
	strcpy(b.i.req_ref, "REQ-1 a=b");
	strcpy(b.i.req_by, "Sato");
	strcpy(b.i.req_contact, "+81 22 555 0147");
	b.i.req_uid = 1000;
	b.i.req_unix_ns = 1796000001000000000ULL;
	assert_int_equal(ctl_blocks_put(c, &b), 0);
	text = slurp(path_in("rt/blocks"));
	assert_string_equal(text,
		"device gw-1 0 1 since=1796000000000000000 uid=0 user=alice by=duty%20officer "
		"reason=100%25%20of%20\"drops\"%09and%0Amore,%20%E6%97%A5%E6%9C%AC "
		"req=REQ-1%20a=b req_by=Sato req_contact=+81%2022%20555%200147 "
		"req_uid=1000 req_ns=1796000001000000000\n");
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_DEVICE, "gw-1", &got), 0);
	assert_memory_equal(&got.i, &b.i, sizeof(b.i));
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "gw-1", &got),
			 -ENOENT);
	assert_int_equal(n_msgs, 0);
	mw_ctl_unlock(c);
	mw_ctl_close(c);
}

static void test_older_and_newer_lines(void **state)
{
	struct mw_ctl *c = open_as("old", "alice");
	struct ctl_block_line got;
	char line[300];

	(void)state;
	assert_int_equal(mw_ctl_lock(c), 0);
	snprintf(line, sizeof(line),
		 "system a 0 0\n"
		 "device b 1700000000000000000 1 5000 %s\n"
		 "system c 0 0 since=5 future=key%%20ignored reason=r\n"
		 "system d 0 0 reason=%%zz\n"
		 "system e 0 0 reason=%%00\n",
		 ctl_boot_id(c));
	write_file(path_in("old/blocks"), line);
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "a", &got), 0);
	assert_int_equal(got.i.uid, -1);
	assert_int_equal(got.i.since_unix_ns, 0);
	assert_false(got.i.requested);
	assert_string_equal(got.i.reason, "");
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_DEVICE, "b", &got), 0);
	assert_int_equal(got.until_boot, 5000);
	assert_int_equal(got.i.cause, MW_BLOCK_THRESHOLD);
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "c", &got), 0);
	assert_int_equal(got.i.since_unix_ns, 5);
	assert_string_equal(got.i.reason, "r");
	/* a field that cannot be read: reported with file:line, left out;
	 * the block holds */
	n_msgs = 0;
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "d", &got), 0);
	assert_int_equal(n_msgs, 1);
	assert_non_null(strstr(last_msg, "/old/blocks:4: warning: a KEY=VALUE field that cannot be read: `system d 0 0 reason=%zz'; the block holds"));
	assert_string_equal(got.i.reason, "");
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "e", &got), 0);
	assert_int_equal(ctl_blocks_forget(c, MW_TARGET_SYSTEM, "a"), 0);
	assert_non_null(strstr(slurp(path_in("old/blocks")),
			       "system d 0 0\nsystem e 0 0\n"));
	/* a value longer than the field is cut, not refused */
	memset(line, 'r', 290);
	memcpy(line, "system f 0 0 by=", 16);
	line[290] = '\0';
	write_file(path_in("old/blocks"), line);
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "f", &got), 0);
	assert_int_equal(strlen(got.i.by), MW_CTL_TEXT_MAX - 1);
	mw_ctl_unlock(c);
	mw_ctl_close(c);
}

/* --- history, expiry ------------------------------------------------------ */

struct seen {
	int n;
	char event[64], reason[4096];
	int64_t until;
};

static int collect(const struct mw_ctl_field *f, size_t n, void *arg)
{
	struct seen *s = arg;
	size_t i;

	s->n++;
	for (i = 0; i < n; i++) {
		if (!strcmp(f[i].key, "event"))
			snprintf(s->event, sizeof(s->event), "%s", f[i].str);
		if (!strcmp(f[i].key, "reason"))
			snprintf(s->reason, sizeof(s->reason), "%s", f[i].str);
		if (!strcmp(f[i].key, "until_ns") && f[i].is_num)
			s->until = f[i].num;
	}
	return 0;
}

static void test_history(void **state)
{
	struct mw_ctl *c = open_as("hist", "bob");
	const char *odd = "a \"quoted\" \\ back\x01slash \xe6\x97\xa5 \xff";
	struct mw_ctl_field f[] = {
		{ .key = "reason", .str = odd },
		{ .key = "until_ns", .num = 42, .is_num = true },
	};
	struct seen s = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(ctl_history_add(c, "blocked", MW_TARGET_SYSTEM, "x",
					 "x", f, 2), 0);
	assert_int_equal(stat(path_in("hist/blocks.history"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	{
		FILE *h = fopen(path_in("hist/blocks.history"), "a");

		fputs("not json\n", h);
		fclose(h);
	}
	assert_int_equal(mw_ctl_blocks_history(c, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.event, "blocked");
	assert_int_equal(s.until, 42);
	/* what jp_write_string made of it: \x01 escaped, \xff U+FFFD */
	assert_string_equal(s.reason,
			    "a \"quoted\" \\ back\x01slash \xe6\x97\xa5 \xef\xbf\xbd");
	assert_non_null(strstr(last_msg, "/hist/blocks.history:2: warning: not a history record"));
	/* never through a symbolic link */
	assert_int_equal(rename(path_in("hist/blocks.history"), path_in("hist/h2")), 0);
	assert_int_equal(symlink(path_in("hist/h2"), path_in("hist/blocks.history")), 0);
	assert_int_equal(ctl_history_add(c, "blocked", MW_TARGET_SYSTEM, "x",
					 "x", f, 2), -ELOOP);
	assert_non_null(strstr(last_msg, "it is a symbolic link"));
	mw_ctl_close(c);
}

static int n_expired;

static int count_expired(const struct mw_ctl_block_info *b, void *arg)
{
	assert_string_equal(b->reason, "timed");
	++*(int *)arg;
	return 0;
}

static void test_expiry_recorded_once(void **state)
{
	struct mw_ctl *c = open_as("exp", "alice");
	uint64_t now = (uint64_t)mw_now_unix_ns();
	struct seen s = { 0 };
	char text[400];

	(void)state;
	/* ended a second ago (another boot: by unix time), one ending in an
	 * hour, one until reconnected */
	snprintf(text, sizeof(text),
		 "device old 1000 0 since=1 reason=timed\n"
		 "device ended %llu 0 reason=timed\n"
		 "device later %llu 0\n"
		 "system forever 0 0\n",
		 (unsigned long long)(now - 1000000000ULL),
		 (unsigned long long)(now + 3600000000000ULL));
	assert_int_equal(mw_ctl_lock(c), 0);	/* creates the directory */
	mw_ctl_unlock(c);
	write_file(path_in("exp/blocks"), text);
	assert_int_equal(mw_ctl_blocks_expire(c, count_expired, &n_expired), 2);
	assert_int_equal(n_expired, 2);
	assert_int_equal(mw_ctl_blocks_expire(c, count_expired, &n_expired), 0);
	assert_int_equal(n_expired, 2);
	assert_int_equal(mw_ctl_blocks_history(c, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.event, "expired");
	assert_string_equal(s.reason, "timed");
	assert_int_equal(count(slurp(path_in("log/audit.log")),
			       "\"action\":\"block-expired\""), 2);
	assert_string_equal(slurp(path_in("exp/blocks")),
			    strstr(text, "device later"));
	mw_ctl_close(c);
}

/* --- policy.attrs ----------------------------------------------------------- */

static const char *policy_yaml =
	"meterwall: 1\n"
	"serial: 3\n"
	"timezone: \"+09:00\"\n"
	"interfaces:\n"
	"  - { name: ext0, zone: external }\n"
	"zones:\n"
	"  - { name: head-end, prefixes: [192.0.2.10] }\n"
	"systems:\n"
	"  - name: careful\n"
	"    entity: E\n"
	"    contact: c@example\n"
	"    agreement: A-1\n"
	"    interface: ext0\n"
	"    two_person: true\n"
	"    devices:\n"
	"      - { name: careful-1, addresses: [198.51.100.10] }\n"
	"    conduits:\n"
	"      - { direction: inbound, zone: head-end, proto: tcp, ports: [443] }\n"
	"  - name: plain\n"
	"    entity: F\n"
	"    contact: f@example\n"
	"    agreement: A-2\n"
	"    interface: ext0\n"
	"    devices:\n"
	"      - { name: plain-1, addresses: [198.51.100.11] }\n"
	"    conduits:\n"
	"      - { direction: inbound, zone: head-end, proto: tcp, ports: [443] }\n";

static void test_two_person_attrs(void **state)
{
	struct mw_ctl *c = open_as("attrs", "alice");
	struct mw_diag diag = { 0 };
	struct mw_policy *pol = NULL;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	const char *why;
	char *body;
	bool on;

	(void)state;
	write_file(path_in("p.yaml"), policy_yaml);
	assert_int_equal(mw_policy_load_file(path_in("p.yaml"), &pol, &diag), 0);
	assert_int_equal(mw_compile(pol, NULL, &img, &diag), 0);
	assert_int_equal(ctl_attrs_body(pol, &body), 0);
	assert_string_equal(body, "two_person careful\n");
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	/* no file (a policy loaded before two_person existed): nobody */
	assert_int_equal(mw_ctl_two_person(c, &v, MW_TARGET_SYSTEM, "careful",
					   &on), 0);
	assert_false(on);
	assert_int_equal(ctl_attrs_save(c, &v, body), 0);
	assert_int_equal(mw_ctl_two_person(c, &v, MW_TARGET_SYSTEM, "careful",
					   &on), 0);
	assert_true(on);
	assert_int_equal(mw_ctl_two_person(c, &v, MW_TARGET_DEVICE, "careful-1",
					   &on), 0);
	assert_true(on);
	assert_int_equal(mw_ctl_two_person(c, &v, MW_TARGET_DEVICE, "plain-1",
					   &on), 0);
	assert_false(on);
	assert_int_equal(n_msgs, 0);
	/* the file of another image: everyone needs two people */
	write_file(path_in("attrs/policy.attrs"), "image 00\n");
	assert_int_equal(mw_ctl_two_person(c, &v, MW_TARGET_SYSTEM, "plain",
					   &on), 0);
	assert_true(on);
	assert_non_null(strstr(last_msg, "does not belong to the policy in force"));
	free(body);
	mw_policy_free(pol);
	mw_image_free(&img);
	mw_ctl_close(c);
}

/* --- the state machine, on real XDP maps ------------------------------------ */

static bool have_bpffs(void)
{
	struct statfs fs;

	return geteuid() == 0 && !statfs("/sys/fs/bpf", &fs) &&
	       (unsigned long)fs.f_type == BPF_FS_MAGIC_;
}

static struct mw_ctl *loaded(const char *user)
{
	struct mw_ctl *c = open_as("sm", user);

	write_file(path_in("p.yaml"), policy_yaml);
	assert_int_equal(mw_ctl_load(c, path_in("p.yaml"), NULL, NULL), 0);
	return c;
}

static void block(struct mw_ctl *c, const char *target)
{
	struct mw_ctl_block_req req = { .reason = "risk", .by = "alice" };
	struct mw_ctl_block_result r;

	assert_int_equal(mw_ctl_block(c, target, &req, &r), 0);
	assert_true(r.in_force && r.recorded);
}

static void test_request_approve(void **state)
{
	struct mw_ctl_request rq = { .ref = "REQ-1", .by = "Sato" };
	struct mw_ctl_block_info done;
	struct mw_ctl *c;
	enum mw_target kind;
	struct seen s = { 0 };

	(void)state;
	if (!have_bpffs())
		skip();
	c = loaded("alice");
	block(c, "plain");
	/* approve needs a request, even without two_person */
	assert_int_equal(mw_ctl_reconnect_approve(c, "plain", "carol", NULL),
			 -EPERM);
	assert_non_null(strstr(last_msg, "no reconnect request of system `plain'"));
	assert_int_equal(mw_ctl_reconnect_request(c, "plain", &rq, &kind), 0);
	assert_int_equal(kind, MW_TARGET_SYSTEM);
	/* without two_person the one who asked may approve */
	assert_int_equal(mw_ctl_reconnect_approve(c, "plain", "Sato", &done), 0);
	assert_string_equal(done.req_ref, "REQ-1");
	assert_string_equal(done.req_contact, "f@example");	/* the policy's */
	assert_int_equal(mw_ctl_reconnect_approve(c, "plain", "Sato", NULL),
			 -ENOENT);
	assert_int_equal(mw_ctl_reconnect_request(c, "plain", &rq, NULL),
			 -ENOENT);
	assert_int_equal(mw_ctl_blocks_history(c, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.event, "reconnected");
	mw_ctl_close(c);
}

/* A daemon's reason (its evidence) is never refused for its length: cut
 * in the blocks file at a character boundary, whole in the history. */
static void test_long_reason(void **state)
{
	struct mw_ctl_block_req req = { .cause = MW_BLOCK_THRESHOLD,
					.by = "meterwalld" };
	static char reason[3000];
	struct mw_ctl_block_result r;
	struct ctl_block_line b;
	struct seen s = { 0 };
	struct mw_ctl *c;
	size_t i;

	(void)state;
	if (!have_bpffs())
		skip();
	/* "x" and 3-byte characters: 1023 would cut one */
	reason[0] = 'x';
	for (i = 1; i + 3 < sizeof(reason); i += 3)
		memcpy(reason + i, "\xe6\x97\xa5", 3);
	reason[i] = '\0';
	req.reason = reason;
	c = loaded("meterwalld");
	assert_int_equal(mw_ctl_block(c, "plain", &req, &r), 0);
	assert_true(r.recorded);
	assert_non_null(strstr(last_msg, "note: the reason is cut to 1021 bytes"));
	assert_int_equal(mw_ctl_lock(c), 0);
	assert_int_equal(ctl_blocks_get(c, MW_TARGET_SYSTEM, "plain", &b), 0);
	mw_ctl_unlock(c);
	assert_int_equal(strlen(b.i.reason), 1021);	/* x + 340 characters */
	assert_memory_equal(b.i.reason, reason, 1021);
	assert_string_equal(b.i.by, "meterwalld");
	assert_int_equal(mw_ctl_blocks_history(c, collect, &s), 0);
	assert_string_equal(s.reason, reason);
	assert_int_equal(mw_ctl_unblock(c, "plain", "R", "x", NULL), 0);
	mw_ctl_close(c);
}

static void test_two_person(void **state)
{
	struct mw_ctl_request rq = { .ref = "REQ-2", .by = "Sato",
				     .contact = "phone +81-22-555-0147" };
	struct mw_ctl *alice, *bob;
	struct mw_ctl_block_info done;

	(void)state;
	if (!have_bpffs())
		skip();
	alice = loaded("alice");
	bob = open_as("sm", "bob");
	block(alice, "careful-1");
	/* one step: refused, the block stays */
	assert_int_equal(mw_ctl_unblock(alice, "careful-1", "REQ-2", "carol",
					NULL), -EPERM);
	assert_non_null(strstr(last_msg, "needs two people"));
	assert_int_equal(mw_ctl_reconnect_approve(alice, "careful-1", "carol",
						  NULL), -EPERM);
	assert_int_equal(mw_ctl_reconnect_request(alice, "careful-1", &rq,
						  NULL), 0);
	/* who asked, or who recorded it, cannot approve */
	assert_int_equal(mw_ctl_reconnect_approve(bob, "careful-1", "sato",
						  NULL), -EPERM);
	assert_int_equal(mw_ctl_reconnect_approve(bob, "careful-1", "Alice",
						  NULL), -EPERM);
	assert_int_equal(mw_ctl_reconnect_approve(alice, "careful-1", "carol",
						  NULL), -EPERM);
	assert_non_null(strstr(last_msg, "(user `alice') cannot approve it"));
	/* another person can */
	assert_int_equal(mw_ctl_reconnect_approve(bob, "careful-1", "carol",
						  &done), 0);
	assert_string_equal(done.req_contact, "phone +81-22-555-0147");
	assert_string_equal(done.req_user, "alice");
	/* and the one-step unblock still works where two_person is not set */
	block(alice, "plain-1");
	assert_int_equal(mw_ctl_unblock(alice, "plain-1", "REQ-3", "alice",
					NULL), 0);
	assert_int_equal(count(slurp(path_in("sm/blocks.history")),
			       "\"event\":\"reconnected\""), 3);
	assert_string_equal(slurp(path_in("sm/blocks")), "");
	mw_ctl_close(bob);
	mw_ctl_close(alice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_round_trip),
		cmocka_unit_test(test_older_and_newer_lines),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_expiry_recorded_once),
		cmocka_unit_test(test_two_person_attrs),
		cmocka_unit_test(test_request_approve),
		cmocka_unit_test(test_two_person),
		cmocka_unit_test(test_long_reason),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

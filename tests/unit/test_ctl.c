// SPDX-License-Identifier: GPL-2.0
/*
 * The controller library (userspace/lib/ctl*.c) without an enforcement
 * point: directories refused or created, the state lock, the blocks file,
 * the image in force, target names, durations, the audit record, and that
 * every message reaches the report callback with its subject and nothing
 * is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "compile.h"
#include "ctl_int.h"
#include "policy.h"


struct msg {
	enum mw_ctl_level level;
	char subject[600];
	char text[1100];
};

static struct msg msgs[16];
static int n_msgs;

static void report(enum mw_ctl_level level, const char *subject,
		   const char *text, void *arg)
{
	(void)arg;
	if (n_msgs == 16)
		return;
	msgs[n_msgs].level = level;
	snprintf(msgs[n_msgs].subject, sizeof(msgs[0].subject), "%s",
		 subject ? subject : "");
	snprintf(msgs[n_msgs].text, sizeof(msgs[0].text), "%s", text);
	n_msgs++;
}

static struct mw_ctl *open_ctl(const char *state, const char *log)
{
	struct mw_ctl_opts o = {
		.state_dir = path_in(state),
		.log_dir = path_in(log),
		.pin_dir = path_in("pins"),
		.claimed_user = "alice",
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
	tmpdir_make("ctl");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_dirs(void **state)
{
	struct mw_ctl *c;
	char buf[300];
	struct stat st;

	(void)state;
	/* created 0750 on first use, nothing before */
	c = open_ctl("a/state", "a/log");
	assert_int_equal(stat(path_in("a"), &st), -1);
	assert_int_equal(ctl_state_path(c, buf, sizeof(buf), "blocks"), 0);
	assert_string_equal(buf, path_in("a/state/blocks"));
	assert_int_equal(stat(path_in("a/state"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(n_msgs, 0);
	mw_ctl_close(c);

	/* group-writable: refused, the variable and the remedy named */
	assert_int_equal(mkdir(path_in("gw"), 0770), 0);
	assert_int_equal(chmod(path_in("gw"), 0770), 0);
	c = open_ctl("gw", "a/log");
	assert_int_equal(ctl_state_path(c, buf, sizeof(buf), "x"), -EPERM);
	assert_int_equal(n_msgs, 1);
	assert_int_equal(msgs[0].level, MW_CTL_ERROR);
	assert_string_equal(msgs[0].subject, "");
	assert_non_null(strstr(msgs[0].text, "refusing"));
	assert_non_null(strstr(msgs[0].text, "(MW_STATE_DIR): it is writable by group or others (uid 0, mode 0770)"));
	assert_string_equal(mw_ctl_errmsg(c), msgs[0].text);
	/* refused once, refused again without another check */
	assert_int_equal(mw_ctl_lock(c), -EPERM);
	mw_ctl_close(c);

	/* a symbolic link is never followed */
	assert_int_equal(symlink(path_in("a/state"), path_in("link")), 0);
	c = open_ctl("link", "a/log");
	assert_int_equal(mw_ctl_lock(c), -EPERM);
	assert_non_null(strstr(mw_ctl_errmsg(c), "(MW_STATE_DIR): it is a symbolic link"));
	mw_ctl_close(c);
}

static void test_lock(void **state)
{
	struct mw_ctl *c = open_ctl("lk", "lk-log");
	int fd;

	(void)state;
	assert_int_equal(mw_ctl_lock(c), 0);
	assert_int_equal(mw_ctl_lock(c), 0);	/* nests */
	fd = open(path_in("lk/lock"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	mw_ctl_unlock(c);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);	/* still held */
	mw_ctl_unlock(c);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);	/* released */
	flock(fd, LOCK_UN);
	close(fd);
	mw_ctl_unlock(c);	/* not held: no effect */
	assert_int_equal(n_msgs, 0);
	mw_ctl_close(c);
}

static void test_blocks_file(void **state)
{
	struct mw_ctl *c = open_ctl("bl", "bl-log");
	char *text, line[200], bad[300];

	(void)state;
	assert_int_equal(mw_ctl_lock(c), 0);
	assert_int_equal(ctl_blocks_record(c, MW_TARGET_SYSTEM, "gw", 0, 0,
					   MW_BLOCK_OPERATOR), 0);
	assert_int_equal(ctl_blocks_record(c, MW_TARGET_DEVICE, "gw", 5000,
					   1700000000000000000ULL,
					   MW_BLOCK_OPERATOR), 0);
	text = slurp(path_in("bl/blocks"));
	snprintf(line, sizeof(line), "device gw 1700000000000000000 %d 5000 %s\n",
		 MW_BLOCK_OPERATOR, ctl_boot_id(c));
	assert_int_equal(strlen(ctl_boot_id(c)), MW_CTL_BOOT_ID_LEN);
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "system gw 0 %d\n", MW_BLOCK_OPERATOR);
	assert_non_null(strstr(text, line));

	/* a line that is not a block: reported as file:line, kept */
	assert_true(snprintf(bad, sizeof(bad), "garbage here\n%s", text) <
		    (int)sizeof(bad));
	write_file(path_in("bl/blocks"), bad);
	n_msgs = 0;
	assert_int_equal(ctl_blocks_forget(c, MW_TARGET_SYSTEM, "gw"), 0);
	assert_int_equal(n_msgs, 1);
	assert_int_equal(msgs[0].level, MW_CTL_WARNING);
	snprintf(line, sizeof(line), "%s:1", path_in("bl/blocks"));
	assert_string_equal(msgs[0].subject, line);
	assert_non_null(strstr(msgs[0].text, "`garbage here'; kept, and skipped"));
	text = slurp(path_in("bl/blocks"));
	assert_non_null(strstr(text, "garbage here\n"));
	assert_null(strstr(text, "system gw"));
	assert_non_null(strstr(text, "device gw 1700000000000000000"));
	/* recording again replaces, never duplicates */
	assert_int_equal(ctl_blocks_record(c, MW_TARGET_DEVICE, "gw", 0, 0,
					   MW_BLOCK_OPERATOR), 0);
	text = slurp(path_in("bl/blocks"));
	assert_null(strstr(text, "1700000000000000000"));
	assert_non_null(strstr(text, "device gw 0"));
	/* a name the file cannot hold whole is refused, not cut */
	memset(bad, 'n', MW_NAME_MAX);
	bad[MW_NAME_MAX] = '\0';
	assert_int_equal(ctl_blocks_record(c, MW_TARGET_DEVICE, bad, 0, 0,
					   MW_BLOCK_OPERATOR), -ENAMETOOLONG);
	/* a symbolic link in place of the file: refused */
	assert_int_equal(rename(path_in("bl/blocks"), path_in("bl/b2")), 0);
	assert_int_equal(symlink(path_in("bl/b2"), path_in("bl/blocks")), 0);
	assert_int_equal(ctl_blocks_forget(c, MW_TARGET_DEVICE, "gw"), -ELOOP);
	assert_non_null(strstr(mw_ctl_errmsg(c), "it is a symbolic link"));
	mw_ctl_unlock(c);
	mw_ctl_close(c);
}

static const char *policy_yaml =
	"meterwall: 1\n"
	"serial: 3\n"
	"interfaces:\n"
	"  - name: ext0\n"
	"    zone: external\n"
	"zones:\n"
	"  - name: head-end\n"
	"    prefixes: [192.0.2.10]\n"
	"systems:\n"
	"  - name: twin\n"
	"    entity: E\n"
	"    contact: c@example\n"
	"    agreement: A-1\n"
	"    interface: ext0\n"
	"    devices:\n"
	"      - name: twin\n"
	"        addresses: [198.51.100.10]\n"
	"      - name: meter-gw\n"
	"        addresses: [198.51.100.11]\n"
	"    conduits:\n"
	"      - direction: inbound\n"
	"        zone: head-end\n"
	"        proto: tcp\n"
	"        ports: [443]\n";

static void compile_into(struct mw_ctl *c, struct mw_image *img)
{
	struct mw_diag diag = { 0 };
	struct mw_policy *pol = NULL;

	write_file(path_in("p.yaml"), policy_yaml);
	assert_int_equal(mw_policy_load_file(path_in("p.yaml"), &pol, &diag), 0);
	assert_int_equal(mw_compile(pol, NULL, img, &diag), 0);
	mw_policy_free(pol);
	assert_int_equal(ctl_save_image(c, img), 0);
}

static void test_image_and_names(void **state)
{
	struct mw_ctl *c = open_ctl("img", "img-log");
	struct mw_image img = { 0 }, in = { 0 };
	struct mw_image_view v;
	enum mw_target kind;
	uint32_t id;
	struct stat st;

	(void)state;
	/* none yet: -ENOENT and no message (not an error for callers) */
	assert_int_equal(mw_ctl_active_image(c, &in, &v), -ENOENT);
	assert_int_equal(n_msgs, 0);
	compile_into(c, &img);
	assert_int_equal(stat(path_in("img/policy.img"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(mw_ctl_active_image(c, &in, &v), 0);
	assert_int_equal(v.hdr->serial, 3);

	assert_int_equal(mw_ctl_resolve(c, &v, "twin", &kind, &id), -EINVAL);
	assert_string_equal(mw_ctl_errmsg(c),
			    "`twin' names a system and a device: say system:twin or device:twin");
	assert_int_equal(mw_ctl_resolve(c, &v, "system:twin", &kind, &id), 0);
	assert_int_equal(kind, MW_TARGET_SYSTEM);
	assert_int_equal(mw_ctl_resolve(c, &v, "device:twin", &kind, &id), 0);
	assert_int_equal(kind, MW_TARGET_DEVICE);
	assert_int_equal(id, mw_image_device_by_name(&v, "twin")->id);
	assert_int_equal(mw_ctl_resolve(c, &v, "meter-gw", &kind, &id), 0);
	assert_int_equal(kind, MW_TARGET_DEVICE);
	assert_int_equal(mw_ctl_resolve(c, &v, "system:meter-gw", &kind, &id),
			 -ENOENT);
	assert_string_equal(mw_ctl_errmsg(c),
			    "no system or device named `system:meter-gw' in the policy in force");
	assert_string_equal(mw_ctl_bare_name("device:x"), "x");
	assert_string_equal(mw_ctl_bare_name("x"), "x");
	mw_image_free(&in);

	/* a corrupt image in force is named, not taken */
	write_file(path_in("img/policy.img"), "not an image at all, too short");
	n_msgs = 0;
	assert_true(mw_ctl_active_image(c, &in, &v) < 0);
	assert_int_equal(n_msgs, 1);
	assert_non_null(strstr(msgs[0].text, path_in("img/policy.img")));
	/* nor through a symbolic link */
	unlink(path_in("img/policy.img"));
	assert_int_equal(symlink(path_in("p.yaml"), path_in("img/policy.img")), 0);
	assert_int_equal(mw_ctl_active_image(c, &in, &v), -ELOOP);
	mw_image_free(&img);
	mw_ctl_close(c);
}

static void test_durations(void **state)
{
	uint64_t s, until;

	(void)state;
	assert_int_equal(mw_parse_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(mw_parse_duration("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(mw_parse_duration("2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(mw_parse_duration("7d", &s), 0);
	assert_int_equal(s, 604800);
	assert_int_equal(mw_parse_duration("0s", &s), -EINVAL);
	assert_int_equal(mw_parse_duration("-5s", &s), -EINVAL);
	assert_int_equal(mw_parse_duration("3x", &s), -EINVAL);
	assert_int_equal(mw_parse_duration("99999999999999999999999s", &s),
			 -ERANGE);
	assert_int_equal(mw_parse_duration("300000000000000d", &s), -ERANGE);
	assert_int_equal(mw_block_until(60, &until), 0);
	assert_true(until > (uint64_t)mw_now_boot_ns());
	assert_true(until <= (uint64_t)mw_now_boot_ns() + 60000000000ULL);
	/* a deadline past the boot clock's end is refused, never wrapped */
	assert_int_equal(mw_block_until((mw_block_max_days() + 1) * 86400,
					&until), -ERANGE);
	assert_int_equal(mw_block_until(mw_block_max_days() * 86400, &until), 0);
	assert_int_equal(mw_block_unix_time(0), 0);
}

static void test_audit(void **state)
{
	struct mw_ctl *c = open_ctl("au", "au-log");
	struct stat st;
	char *text;

	(void)state;
	assert_int_equal(mw_ctl_audit(c, "block", "system:gw", "r", "ok",
				      "target", "gw\n\"x\"", NULL), 0);
	/* a chain started without `mwctl audit init' says so */
	assert_int_equal(n_msgs, 1);
	assert_int_equal(msgs[0].level, MW_CTL_WARNING);
	assert_non_null(strstr(msgs[0].text, "audit.key0"));
	text = slurp(path_in("au-log/audit.log"));
	assert_non_null(strstr(text, "{\"seq\":0,\"time\":\""));
	assert_non_null(strstr(text, "Z\",\"ts_ns\":"));
	assert_non_null(strstr(text, ",\"claimed\":\"alice\",\"action\":\"block\",\"object\":\"system:gw\",\"reason\":\"r\",\"result\":\"ok\""));
	assert_non_null(strstr(text, "\"target\":\"gw\\u000a\\\"x\\\"\",\"mac\":\""));
	assert_int_equal(stat(path_in("au-log/audit.log"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(path_in("au/audit.key"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(path_in("au-log"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* never through a symbolic link; an alert says the record is lost */
	n_msgs = 0;
	assert_int_equal(rename(path_in("au-log/audit.log"), path_in("au-log/a2")), 0);
	assert_int_equal(symlink(path_in("au-log/a2"), path_in("au-log/audit.log")), 0);
	assert_int_equal(mw_ctl_audit(c, "x", "y", "", "ok", NULL), -ELOOP);
	assert_int_equal(n_msgs, 1);
	assert_int_equal(msgs[0].level, MW_CTL_WARNING);
	assert_non_null(strstr(msgs[0].text, "alert: x y (ok): its audit record could not be written"));
	mw_ctl_close(c);
}

/* What opens traffic is refused when its record cannot be written first;
 * a refused attempt is recorded with its reason (no datapath needed: both
 * happen before one is opened). */
static void test_audit_refusals(void **state)
{
	static const char pol[] =
		"meterwall: 1\nserial: 1\ninterfaces:\n"
		"  - { name: ext0, zone: external }\n"
		"  - { name: sm0, zone: smart-meter }\n"
		"zones:\n  - { name: head-end, prefixes: [192.0.2.10] }\n"
		"systems:\n  - name: partner\n    entity: E\n    contact: c@e.example\n"
		"    agreement: A-1\n    interface: ext0\n"
		"    devices: [ { name: gw, addresses: [198.51.100.10] } ]\n"
		"    conduits: [ { direction: inbound, zone: head-end, proto: tcp, ports: [443] } ]\n";
	struct mw_ctl_load_result r;
	struct mw_ctl *c;
	struct stat st;
	char *text;

	(void)state;
	write_file(path_in("ref-pol.yaml"), pol);
	/* the log directory is a file: nothing can be recorded */
	write_file(path_in("ref-log"), "");
	c = open_ctl("ref", "ref-log");
	assert_int_not_equal(mw_ctl_load(c, path_in("ref-pol.yaml"), NULL, &r), 0);
	assert_non_null(strstr(mw_ctl_errmsg(c),
			       "refusing to load the policy: its audit record cannot be written first"));
	assert_int_equal(r.generation, 0);
	assert_int_equal(stat(path_in("ref/policy.img"), &st), -1);
	mw_ctl_close(c);
	/* a refused block: recorded, with its reason */
	c = open_ctl("ref2", "ref2-log");
	assert_int_equal(mw_ctl_block(c, "gw", &(struct mw_ctl_block_req){
				.reason = "r", .cause = MW_BLOCK_OPERATOR },
				NULL), -ENOENT);
	text = slurp(path_in("ref2-log/audit.log"));
	assert_non_null(strstr(text, "\"action\":\"block\",\"object\":\"gw\",\"reason\":\"no policy in force (load one first)\",\"result\":\"refused\""));
	/* a policy the compiler rejects: recorded as refused */
	write_file(path_in("ref-bad.yaml"), "meterwall: 1\nserial: x\n");
	assert_int_equal(mw_ctl_load(c, path_in("ref-bad.yaml"), NULL, &r),
			 -EINVAL);
	text = strstr(slurp(path_in("ref2-log/audit.log")),
		      "\"action\":\"policy-load\"");
	assert_non_null(text);
	assert_non_null(strstr(text, "\"result\":\"refused\",\"mac\":\""));
	mw_ctl_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_blocks_file),
		cmocka_unit_test(test_image_and_names),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_audit_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Evidence bundles (controls 2.1.1, 2.1.4) from a temporary state and log
 * directory with fixtures, no XDP: what each member holds (the system's
 * records only, the window exact at both ends, lines byte for byte), the
 * manifest, the audit record that anchors the bundle; verify on the
 * bundle as written and on bundles with a member changed, removed, added,
 * doubled, or the manifest edited; refusals (an existing file, a
 * symbolic link).  The JSON reader on its own.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <archive.h>
#include <archive_entry.h>

#include "compile.h"
#include "ctl_int.h"
#include "evidence.h"
#include "jsonread.h"
#include "policy.h"
#include "timefmt.h"

#define S	1000000000LL

static char last_msg[1200];
static int64_t T, U;		/* the window */

static void report(enum mw_ctl_level level, const char *subject,
		   const char *text, void *arg)
{
	(void)level, (void)arg;
	snprintf(last_msg, sizeof(last_msg), "%s: %s", subject ? subject : "",
		 text);
}

static struct mw_ctl *open_ctl(void)
{
	struct mw_ctl_opts o = {
		.state_dir = path_in("st"),
		.log_dir = path_in("log"),
		.pin_dir = path_in("no-pins"),
		.claimed_user = "alice",
		.report = report,
	};
	struct mw_ctl *c;

	assert_int_equal(mw_ctl_open(&o, &c), 0);
	return c;
}

static const char *policy_yaml =
	"meterwall: 1\n"
	"serial: 7\n"
	"timezone: \"+09:00\"\n"
	"interfaces:\n"
	"  - { name: ext0, zone: external }\n"
	"  - { name: ext1, zone: external }\n"
	"zones:\n"
	"  - { name: head-end, prefixes: [192.0.2.10] }\n"
	"systems:\n"
	"  - name: alpha\n"
	"    entity: Alpha K.K.\n"
	"    contact: soc@alpha.example\n"
	"    agreement: A-1\n"
	"    interface: ext1\n"
	"    devices:\n"
	"      - { name: alpha-1, addresses: [198.51.100.10, 2001:db8::10/126] }\n"
	"    conduits:\n"
	"      - { name: tls, direction: inbound, zone: head-end, proto: tcp, ports: [443] }\n"
	"  - name: beta\n"
	"    entity: Beta Ltd.\n"
	"    contact: noc@beta.example\n"
	"    agreement: B-2\n"
	"    interface: ext0\n"
	"    devices:\n"
	"      - { name: beta-1, addresses: [198.51.100.11] }\n"
	"    conduits:\n"
	"      - { direction: inbound, zone: head-end, proto: tcp, ports: [443] }\n";

/* --- fixtures ---------------------------------------------------------------- */

static char hist[4096], flows_old[4096], flows_new[4096], events[4096];
static char want_hist[4096], want_flows[4096], want_events[4096];

/* line into file's text, and into want's when it belongs */
static void put(char *file, char *want, bool in, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *file, char *want, bool in, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	strcat(file, line);
	if (in)
		strcat(want, line);
}

static void history_fixture(void)
{
	static const char *f = "{\"ts_ns\":%lld,\"time\":\"x\",\"event\":\"blocked\",\"kind\":\"%s\",\"target\":\"%s\",\"system\":\"%s\",\"uid\":0,\"user\":\"\"}\n";

	put(hist, want_hist, false, f, (long long)(T - 1), "system", "alpha", "alpha");
	put(hist, want_hist, true, f, (long long)T, "device", "alpha-1", "alpha");
	put(hist, want_hist, false, f, (long long)T, "device", "beta-1", "beta");
	put(hist, want_hist, true, f, (long long)U, "system", "alpha", "alpha");
	put(hist, want_hist, false, f, (long long)(U + 1), "system", "alpha", "alpha");
}

static void flows_fixture(void)
{
	static const char *f = "{\"time\":\"x\",\"end\":\"idle\",\"first_ns\":%lld,\"last_ns\":%lld,\"iface\":\"ext1\",\"demarcation\":\"ext1\",\"system\":\"%s\",\"device\":\"%s-1\",\"packets\":1}\n";

	put(flows_old, want_flows, true, f, (long long)(T - 50 * S),
	    (long long)(T + S), "alpha", "alpha");
	put(flows_old, want_flows, false, f, (long long)(T - 50 * S),
	    (long long)(T - 1), "alpha", "alpha");
	put(flows_new, want_flows, true, f, (long long)(T - 5 * S),
	    (long long)T, "alpha", "alpha");
	put(flows_new, want_flows, false, f, (long long)T, (long long)U,
	    "beta", "beta");
	put(flows_new, want_flows, true, f, (long long)U, (long long)(U + 9 * S),
	    "alpha", "alpha");
	put(flows_new, want_flows, false, f, (long long)(U + 1),
	    (long long)(U + 9 * S), "alpha", "alpha");
	strcat(flows_new, "not json\n");
	/* a line being written (no newline yet) */
	strcat(flows_new, "{\"system\":\"alpha\",\"first_ns\":");
}

static const char *t9(int64_t ns)
{
	static char buf[4][MW_TIME_LEN];
	static int i;

	i = (i + 1) % 4;
	return mw_time_format(ns, 0, 9, buf[i], sizeof(buf[i]));
}

static void events_fixture(void)
{
	static const char *sys = "{\"time\":\"%s\",\"event\":\"drop\",\"reason\":\"NO_CONDUIT\",\"device\":\"%s\",\"system\":\"%s\",\"entity\":\"E\",\"contact\":\"C\",\"demarcation\":\"ext1\"}\n";
	static const char *host = "{\"time\":\"%s\",\"event\":\"start\",\"text\":\"meterwalld started\"}\n";

	put(events, want_events, false, sys, t9(T - 1), "alpha-1", "alpha");
	put(events, want_events, true, sys, t9(T), "alpha-1", "alpha");
	put(events, want_events, true, host, t9(T + S));
	put(events, want_events, false, sys, t9(T + S), "beta-1", "beta");
	put(events, want_events, false, sys, t9(T + S), "", "");
	put(events, want_events, true, sys, t9(U), "alpha-1", "alpha");
	/* mwctl's audit records as meterwalld passes them on */
	put(events, want_events, true, "{\"time\":\"%s\",\"event\":\"unblock\",\"object\":\"device:alpha-1\",\"kind\":\"device\",\"target\":\"alpha-1\"}\n", t9(T + S));
	put(events, want_events, false, "{\"time\":\"%s\",\"event\":\"block\",\"object\":\"system:beta\",\"kind\":\"system\",\"target\":\"beta\"}\n", t9(T + S));
	put(events, want_events, true, "{\"time\":\"%s\",\"event\":\"seal\",\"object\":\"audit.log\"}\n", t9(T + S));
	put(events, want_events, false, host, t9(U + 1));
}

/* The audit chain (its initial key in k0) with records of both systems
 * and the host's; blocks of both. */
static void audit_fixture(void)
{
	struct mw_ctl *c = open_ctl();
	uint8_t key[32];
	bool exported;

	assert_int_equal(mw_ctl_audit_init(c, false, path_in("k0"), key,
					   &exported), 0);
	assert_int_equal(mw_ctl_audit(c, "block", "system:alpha", "r", "ok",
				      "kind", "system", "target", "alpha",
				      NULL), 0);
	assert_int_equal(mw_ctl_audit(c, "block", "device:beta-1", "r", "ok",
				      "kind", "device", "target", "beta-1",
				      NULL), 0);
	assert_int_equal(mw_ctl_audit(c, "unblock", "device:alpha-1", "r",
				      "ok", "kind", "device", "target",
				      "alpha-1", NULL), 0);
	assert_int_equal(mw_ctl_audit(c, "island", "external interfaces", "",
				      "ok", "state", "on", NULL), 0);
	assert_int_equal(mw_ctl_audit(c, "auto-block", "meterwalld", "r",
				      "ok", "system", "beta", NULL), 0);
	assert_int_equal(mw_ctl_audit(c, "auto-block", "meterwalld", "r",
				      "ok", "system", "alpha", NULL), 0);
	assert_int_equal(mw_ctl_lock(c), 0);
	assert_int_equal(ctl_blocks_record(c, MW_TARGET_DEVICE, "alpha-1", 0,
					   0, MW_BLOCK_OPERATOR), 0);
	assert_int_equal(ctl_blocks_record(c, MW_TARGET_SYSTEM, "beta", 0, 0,
					   MW_BLOCK_OPERATOR), 0);
	mw_ctl_unlock(c);
	mw_ctl_close(c);
}

static int setup(void **state)
{
	struct mw_diag diag = { 0 };
	struct mw_policy *pol = NULL;
	struct mw_image img = { 0 };
	int64_t now = mw_now_unix_ns();

	(void)state;
	tmpdir_make("evidence");
	assert_int_equal(mkdir(path_in("st"), 0750), 0);
	assert_int_equal(mkdir(path_in("log"), 0750), 0);
	/* the audit records written now fall inside */
	T = now - 5000 * S;
	U = now + 5000 * S;
	write_file(path_in("p.yaml"), policy_yaml);
	assert_int_equal(mw_policy_load_file(path_in("p.yaml"), &pol, &diag), 0);
	assert_int_equal(mw_compile(pol, NULL, &img, &diag), 0);
	assert_int_equal(mw_image_write_file(path_in("st/policy.img"), &img), 0);
	mw_image_free(&img);
	mw_policy_free(pol);
	history_fixture();
	flows_fixture();
	events_fixture();
	write_file(path_in("st/blocks.history"), hist);
	write_file(path_in("log/flows.jsonl.1"), flows_old);
	write_file(path_in("log/flows.jsonl"), flows_new);
	write_file(path_in("log/events.jsonl"), events);
	audit_fixture();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

/* --- reading and rewriting bundles ------------------------------------------ */

/* The member name of bundle, malloc'ed and NUL-terminated; NULL: none. */
static char *member(const char *bundle, const char *name)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *buf = NULL;
	la_int64_t size;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, bundle, 65536),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(e), name))
			continue;
		size = archive_entry_size(e);
		buf = calloc(1, (size_t)size + 1);
		assert_non_null(buf);
		assert_int_equal(archive_read_data(a, buf, (size_t)size), size);
		break;
	}
	archive_read_free(a);
	return buf;
}

static void add_entry(struct archive *a, const char *name, const char *data,
		      size_t len)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

enum edit { CHANGE, REMOVE, ADD, DOUBLE, MANIFEST };

/*
 * src rewritten into dst with one edit of member name: a byte appended
 * (CHANGE), left out (REMOVE), a new member of that name (ADD), twice
 * (DOUBLE), or the manifest with text replaced by with (MANIFEST).
 */
static void rewrite(const char *src, const char *dst, enum edit how,
		    const char *name, const char *text, const char *with)
{
	static const char *const names[] = {
		"manifest.json", "policy-entry.json", "audit.jsonl",
		"blocks.json", "blocks-history.jsonl", "flows.jsonl",
		"events.jsonl", "counters.json",
	};
	struct archive *a = archive_write_new();
	char *data, *edited, *at;
	size_t i, len;

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, dst), ARCHIVE_OK);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		data = member(src, names[i]);
		assert_non_null(data);
		len = strlen(data);
		if (!strcmp(names[i], name) && how == MANIFEST) {
			at = strstr(data, text);
			assert_non_null(at);
			edited = calloc(1, len + strlen(with) + 1);
			memcpy(edited, data, (size_t)(at - data));
			strcat(edited, with);
			strcat(edited, at + strlen(text));
			add_entry(a, names[i], edited, strlen(edited));
			free(edited);
		} else if (!strcmp(names[i], name) && how == CHANGE) {
			data = realloc(data, len + 2);
			strcpy(data + len, "x");
			add_entry(a, names[i], data, len + 1);
		} else if (strcmp(names[i], name) || how != REMOVE) {
			add_entry(a, names[i], data, len);
			if (!strcmp(names[i], name) && how == DOUBLE)
				add_entry(a, names[i], data, len);
		}
		free(data);
	}
	if (how == ADD)
		add_entry(a, name, "added\n", 6);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* --- tests ------------------------------------------------------------------- */

static struct mw_evidence_result make(const char *system, const char *out,
				      bool force, int want)
{
	struct mw_evidence_opts o = {
		.system = system, .since_ns = T, .until_ns = U, .out = out,
		.force = force, .key = path_in("k0"),
	};
	struct mw_evidence_result r = { 0 };
	struct mw_ctl *c = open_ctl();

	assert_int_equal(mw_evidence_create(c, &o, &r), want);
	mw_ctl_close(c);
	return r;
}

static char problems[2048];

static void on_problem(const char *m, const char *what, void *arg)
{
	(void)arg;
	snprintf(problems + strlen(problems), sizeof(problems) - strlen(problems),
		 "%s: %s\n", m, what);
}

static int verify(const char *path, struct mw_evidence_check *k)
{
	problems[0] = '\0';
	return mw_evidence_verify(path, on_problem, NULL, k);
}

static void test_json_reader(void **state)
{
	static const char *text =
		" {\"a\":[1,-2,3.5,\"x\\u00e9\\n\",true,false,null,{}],"
		"\"b\":{\"c\":9223372036854775807},\"d\":\"\\ud800\"} ";
	const struct mw_json *a, *e;
	struct mw_json *doc;
	const char *why;
	int64_t n;

	(void)state;
	assert_int_equal(mw_json_parse(text, strlen(text), &doc, &why, NULL), 0);
	a = mw_json_get(doc, "a");
	assert_non_null(a);
	assert_int_equal(a->type, MW_JSON_ARR);
	e = a->child;
	assert_true(e->is_int && e->num == 1);
	e = e->next;
	assert_true(e->is_int && e->num == -2);
	e = e->next;
	assert_false(e->is_int);
	assert_string_equal(e->str, "3.5");
	e = e->next;
	assert_string_equal(e->str, "x\xc3\xa9\n");
	assert_true(e->next->b && !e->next->next->b);
	assert_int_equal(e->next->next->next->type, MW_JSON_NULL);
	assert_int_equal(e->next->next->next->next->type, MW_JSON_OBJ);
	assert_int_equal(mw_json_int(mw_json_get(doc, "b"), "c", &n), 0);
	assert_true(n == INT64_MAX);
	assert_string_equal(mw_json_str(doc, "d"), "\xef\xbf\xbd");
	assert_int_equal(mw_json_int(doc, "a", &n), -ENOENT);
	mw_json_free(doc);
	assert_int_equal(mw_json_parse("{\"a\":1,}", 8, &doc, &why, NULL),
			 -EINVAL);
	assert_int_equal(mw_json_parse("{\"a\":1} 2", 10, &doc, &why, NULL),
			 -EINVAL);
	assert_int_equal(mw_json_parse("\"a\\u0000\"", 10, &doc, &why, NULL),
			 -EINVAL);
	assert_int_equal(mw_json_parse("[01]", 4, &doc, &why, NULL), -EINVAL);
	assert_int_equal(mw_json_parse("{\"a\"}", 5, &doc, &why, NULL), -EINVAL);
	assert_int_equal(mw_json_parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
				       66, &doc, &why, NULL), -EINVAL);
	assert_string_equal(why, "nested too deep");
}

static void test_round_trip(void **state)
{
	struct mw_evidence_result r = make("alpha", path_in("a.tgz"), false, 0);
	struct mw_evidence_check k;
	struct mw_json *doc;
	const struct mw_json *m;
	char *text, *line, *log, *save = NULL;
	struct stat st;
	uint64_t seq;
	int64_t n;

	(void)state;
	assert_int_equal(stat(path_in("a.tgz"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(r.members, 8);
	assert_true(r.in_policy);
	assert_false(r.counters);
	assert_string_equal(r.audit_check, "chain");
	/* the window exact at both ends, the system's own records only */
	text = member(path_in("a.tgz"), "blocks-history.jsonl");
	assert_string_equal(text, want_hist);
	free(text);
	assert_int_equal(r.history, 2);
	text = member(path_in("a.tgz"), "flows.jsonl");
	assert_string_equal(text, want_flows);
	free(text);
	assert_int_equal(r.flows, 3);
	text = member(path_in("a.tgz"), "events.jsonl");
	assert_string_equal(text, want_events);
	free(text);
	assert_int_equal(r.events, 5);
	/* audit: alpha's, alpha-1's and the host's, as written */
	text = member(path_in("a.tgz"), "audit.jsonl");
	log = slurp(path_in("log/audit.log"));
	assert_int_equal(count(text, "\n"), (int)r.audit);
	assert_int_equal(r.audit, 5 + (uint64_t)count(text, "\"action\":\"evidence\""));
	assert_int_equal(count(text, "beta"), 0);
	assert_int_equal(count(text, "\"action\":\"audit-init\""), 1);
	assert_int_equal(count(text, "\"object\":\"device:alpha-1\""), 1);
	assert_int_equal(count(text, "\"action\":\"island\""), 1);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		assert_non_null(strstr(log, line));
	free(text);
	/* blocks in force: alpha-1's, named with its owner */
	assert_int_equal(r.blocks, 1);
	text = member(path_in("a.tgz"), "blocks.json");
	assert_non_null(strstr(text, "\"target\":\"alpha-1\",\"system\":\"alpha\",\"entity\":\"Alpha K.K.\",\"contact\":\"soc@alpha.example\",\"demarcation\":\"ext1\""));
	assert_null(strstr(text, "beta"));
	free(text);
	text = member(path_in("a.tgz"), "policy-entry.json");
	assert_non_null(strstr(text, "\"name\":\"alpha\",\"entity\":\"Alpha K.K.\",\"contact\":\"soc@alpha.example\",\"agreement\":\"A-1\",\"demarcation\":\"ext1\""));
	assert_non_null(strstr(text, "\"addresses\":[\"198.51.100.10\",\"2001:db8::10/126\"]"));
	assert_non_null(strstr(text, "\"name\":\"alpha/tls\",\"direction\":\"inbound\",\"proto\":\"tcp\",\"device\":\"\",\"time_window\":false,\"rules\":[{\"zones\":[\"head-end\"],\"ports\":\"443-443\"}]"));
	assert_null(strstr(text, "beta"));
	free(text);
	text = member(path_in("a.tgz"), "counters.json");
	assert_non_null(strstr(text, "\"available\":false"));
	free(text);
	/* the manifest */
	text = member(path_in("a.tgz"), "manifest.json");
	assert_int_equal(mw_json_parse(text, strlen(text), &doc, NULL, NULL), 0);
	assert_string_equal(mw_json_str(doc, "format"), MW_EVIDENCE_FORMAT);
	assert_string_equal(mw_json_str(doc, "system"), "alpha");
	assert_string_equal(mw_json_str(doc, "demarcation"), "ext1");
	assert_string_equal(mw_json_str(doc, "user"), "alice");
	assert_int_equal(mw_json_int(doc, "since_ns", &n), 0);
	assert_true(n == T);
	assert_int_equal(mw_json_int(doc, "until_ns", &n), 0);
	assert_true(n == U);
	m = mw_json_get(doc, "audit");
	assert_string_equal(mw_json_str(m, "check"), "chain");
	assert_string_equal(mw_json_str(m, "initial_key"), "given");
	m = mw_json_get(doc, "members");
	assert_non_null(m);
	for (n = 0, m = m->child; m; m = m->next)
		n++;
	assert_int_equal(n, 7);
	m = mw_json_get(doc, "members")->child->next->next->next->next->next;
	assert_string_equal(mw_json_str(m, "name"), "events.jsonl");
	assert_int_equal(mw_json_int(m, "records", &n), 0);
	assert_int_equal(n, 5);
	m = mw_json_get(doc, "members")->child->next->next->next->next;
	assert_string_equal(mw_json_str(m, "name"), "flows.jsonl");
	assert_int_equal(mw_json_int(m, "unreadable_lines", &n), 0);
	assert_int_equal(n, 2);
	mw_json_free(doc);
	free(text);
	/* verify: every member as listed; anchored in the audit log */
	assert_int_equal(verify(path_in("a.tgz"), &k), 0);
	assert_string_equal(problems, "");
	assert_int_equal(k.members, 7);
	assert_int_equal(k.good, 7);
	assert_string_equal(k.system, "alpha");
	assert_true(k.since_ns == T && k.until_ns == U);
	assert_string_equal(k.manifest_sha256, r.manifest_sha256);
	assert_int_equal(mw_evidence_anchor(path_in("log/audit.log"),
					    r.manifest_sha256, &seq), 0);
	assert_non_null(strstr(slurp(path_in("log/audit.log")),
			       "\"action\":\"evidence\",\"object\":\"system:alpha\""));
}

static void test_tampered(void **state)
{
	struct mw_evidence_check k;
	uint64_t seq;

	(void)state;
	make("alpha", path_in("t.tgz"), true, 0);
	rewrite(path_in("t.tgz"), path_in("same.tgz"), CHANGE, "", NULL, NULL);
	assert_int_equal(verify(path_in("same.tgz"), &k), 0);
	rewrite(path_in("t.tgz"), path_in("x.tgz"), CHANGE, "flows.jsonl",
		NULL, NULL);
	assert_int_equal(verify(path_in("x.tgz"), &k), -EBADMSG);
	assert_non_null(strstr(problems, "flows.jsonl: changed: "));
	assert_int_equal(k.problems, 1);
	assert_int_equal(k.good, 6);
	rewrite(path_in("t.tgz"), path_in("x.tgz"), REMOVE, "audit.jsonl",
		NULL, NULL);
	assert_int_equal(verify(path_in("x.tgz"), &k), -EBADMSG);
	assert_string_equal(problems,
			    "audit.jsonl: missing: the manifest lists it, the bundle lacks it\n");
	rewrite(path_in("t.tgz"), path_in("x.tgz"), ADD, "notes.txt", NULL,
		NULL);
	assert_int_equal(verify(path_in("x.tgz"), &k), -EBADMSG);
	assert_string_equal(problems,
			    "notes.txt: added: in the bundle, not in the manifest\n");
	rewrite(path_in("t.tgz"), path_in("x.tgz"), DOUBLE, "events.jsonl",
		NULL, NULL);
	assert_int_equal(verify(path_in("x.tgz"), &k), -EBADMSG);
	assert_string_equal(problems, "events.jsonl: in the bundle 2 times\n");
	/* a member's hash in the manifest changed: that member named */
	rewrite(path_in("t.tgz"), path_in("x.tgz"), MANIFEST, "manifest.json",
		"\"name\":\"counters.json\",\"size\":",
		"\"name\":\"counters.json\",\"size\":1");
	assert_int_equal(verify(path_in("x.tgz"), &k), -EBADMSG);
	assert_non_null(strstr(problems, "counters.json: changed: "));
	assert_int_equal(k.problems, 1);
	/* a manifest rewritten whole checks out on its own: its hash is
	 * not the one the audit log anchored */
	rewrite(path_in("t.tgz"), path_in("x.tgz"), MANIFEST, "manifest.json",
		"\"system\":\"alpha\"", "\"system\":\"gamma\"");
	assert_int_equal(verify(path_in("x.tgz"), &k), 0);
	assert_string_equal(k.system, "gamma");
	assert_int_equal(mw_evidence_anchor(path_in("log/audit.log"),
					    k.manifest_sha256, &seq), -ENOENT);
	assert_int_equal(verify(path_in("t.tgz"), &k), 0);
	assert_int_equal(mw_evidence_anchor(path_in("log/audit.log"),
					    k.manifest_sha256, &seq), 0);
	/* no manifest; not a bundle */
	rewrite(path_in("t.tgz"), path_in("x.tgz"), REMOVE, "manifest.json",
		NULL, NULL);
	assert_int_equal(verify(path_in("x.tgz"), &k), -EBADMSG);
	assert_string_equal(k.why, "no manifest.json in it");
	assert_int_equal(verify(path_in("p.yaml"), &k), -EBADMSG);
	assert_non_null(strstr(k.why, "not a bundle"));
	assert_int_equal(verify(path_in("nothing"), &k), -ENOENT);
}

static void test_refusals(void **state)
{
	struct mw_evidence_opts o = { .system = "alpha", .since_ns = U,
				      .until_ns = T, .out = path_in("r.tgz") };
	struct mw_evidence_result r;
	struct mw_ctl *c = open_ctl();
	struct mw_evidence_check k;
	char *text, cmd[160];

	(void)state;
	assert_int_equal(mw_evidence_create(c, &o, &r), -EINVAL);
	mw_ctl_close(c);
	write_file(path_in("r.tgz"), "keep me\n");
	make("alpha", path_in("r.tgz"), false, -EEXIST);
	assert_non_null(strstr(last_msg, "it exists (--force replaces it)"));
	assert_string_equal(slurp(path_in("r.tgz")), "keep me\n");
	assert_int_equal(symlink(path_in("r.tgz"), path_in("link.tgz")), 0);
	make("alpha", path_in("link.tgz"), true, -ELOOP);
	assert_string_equal(slurp(path_in("r.tgz")), "keep me\n");
	make("alpha", path_in("r.tgz"), true, 0);
	assert_int_equal(verify(path_in("r.tgz"), &k), 0);
	assert_int_equal(verify(path_in("link.tgz"), &k), -ELOOP);
	/* a system the policy in force does not have: what records name */
	r = make("gone", path_in("g.tgz"), false, 0);
	assert_false(r.in_policy);
	assert_true(r.flows == 0 && r.history == 0 && r.blocks == 0);
	text = member(path_in("g.tgz"), "policy-entry.json");
	assert_non_null(strstr(text, "the policy in force has no system `gone'"));
	free(text);
	/* nothing beside the bundles is left behind */
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls %s/*.tgz.* 2>/dev/null)\"",
		 root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_reader),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

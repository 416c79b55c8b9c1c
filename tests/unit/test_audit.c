// SPDX-License-Identifier: GPL-2.0
/*
 * The audit chain (userspace/lib/audit*.c) on its own: a sample log of
 * 24 records with two seals, then every way to damage it systematically,
 * each of which the verifier must name at or before the damage: every
 * bit of every byte flipped and every byte replaced by a newline, every
 * record deleted, every adjacent pair swapped, the log cut at every byte
 * (at record boundaries found through the key state on the host, and
 * through the seals off it).  Then the writer: a record written whose key
 * state was not saved is taken over, a key state that does not fit the
 * log is noted, seals come every 64 records, no symbolic link is followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#include "audit.h"

#define N_RECORDS	24


/* the sample: its bytes, each record's offset, K_0, the final state */
static char *sample;
static size_t sample_len;
static size_t rec_off[N_RECORDS + 1];
static uint8_t key0[MW_AUDIT_KEY_LEN];
static struct mw_audit_state final;
static struct mw_audit_seal *seals;
static int n_seals;

static char *slurp_len(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A chain in dir: K_0 new, state at record 0. */
static void chain_start(const char *dir, struct mw_audit_files *f,
			struct mw_audit_state *st)
{
	static char log[4][300], state[4][300];
	static int i;

	i = (i + 1) % 4;
	mkdir(path_in(dir), 0700);
	snprintf(log[i], sizeof(log[i]), "%s/%s/audit.log", root, dir);
	snprintf(state[i], sizeof(state[i]), "%s/%s/audit.key", root, dir);
	f->log = log[i];
	f->state = state[i];
	memset(st, 0, sizeof(*st));
	assert_int_equal(mw_audit_new_key(st->key), 0);
}

static void append(const struct mw_audit_files *f, struct mw_audit_state *st,
		   const char *action, const char *object, const char *reason)
{
	static const char *const kv[] = { "target", "gw\n\"x\"", "n", "7",
					  NULL };
	struct mw_audit_rec r = {
		.action = action, .object = object, .reason = reason,
		.result = "ok", .uid = 0, .kv = kv,
		.claimed = strcmp(action, "block") ? NULL : "meterwalld",
	};
	char note[512];

	assert_int_equal(mw_audit_append(f, st, &r, NULL, note, sizeof(note)),
			 0);
	assert_string_equal(note, "");
}

static int setup(void **state)
{
	static const char *const actions[] = {
		"policy-load", "block", "unblock", "island", "attach",
		"detach", "clock-sync", "daemon-start",
	};
	struct mw_audit_files f;
	struct mw_audit_state st;
	size_t i, n;
	char *p;

	(void)state;
	tmpdir_make("audit");
	chain_start("sample", &f, &st);
	memcpy(key0, st.key, sizeof(key0));
	for (i = 0; i < N_RECORDS; i++) {
		if (i == 9 || i == N_RECORDS - 1)	/* a seal last too */
			append(&f, &st, "seal", "audit.log", "daemon-stop");
		else
			append(&f, &st, actions[i % 8], "system:partner",
			       "a reason, with \"quotes\" and ünïcode");
	}
	final = st;
	sample = slurp_len(f.log, &sample_len);
	for (i = 0, p = sample; i < N_RECORDS; i++) {
		rec_off[i] = (size_t)(p - sample);
		p = strchr(p, '\n') + 1;
	}
	rec_off[N_RECORDS] = sample_len;
	/* the seals as they left the host: the log's seal lines */
	n = 0;
	n_seals = mw_audit_seals_parse(sample, sample_len, &seals);
	assert_int_equal(n_seals, N_RECORDS);	/* every line has seq, mac */
	for (i = 0; i < (size_t)n_seals; i++)
		if (seals[i].seq == 9 || seals[i].seq == N_RECORDS - 1)
			seals[n++] = seals[i];
	n_seals = (int)n;
	assert_int_equal(n_seals, 2);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(sample);
	free(seals);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

enum check { HOST, OFF_HOST, CHAIN_ONLY };

static int verify(const char *log, size_t len, enum check how,
		  struct mw_audit_verify *v)
{
	memset(v, 0, sizeof(*v));
	v->key0 = key0;
	v->state = how == HOST ? &final : NULL;
	v->seals = how == OFF_HOST ? seals : NULL;
	v->n_seals = how == OFF_HOST ? (size_t)n_seals : 0;
	return mw_audit_verify_log(log, len, v);
}

/* The 1-based line of the record holding byte off. */
static long line_of(size_t off)
{
	long i;

	for (i = 0; i < N_RECORDS; i++)
		if (off < rec_off[i + 1])
			return i + 1;
	return N_RECORDS;
}

static void test_valid(void **state)
{
	struct mw_audit_verify v;

	(void)state;
	assert_int_equal(verify(sample, sample_len, HOST, &v), 0);
	assert_int_equal(v.records, N_RECORDS);
	assert_int_equal(verify(sample, sample_len, OFF_HOST, &v), 0);
	assert_int_equal(v.seals_matched, 2);
	assert_int_equal(verify(sample, sample_len, CHAIN_ONLY, &v), 0);
	assert_int_equal(v.bad_line, 0);
	/* the record's form */
	assert_memory_equal(sample, "{\"seq\":0,\"time\":\"", 17);
	assert_non_null(strstr(sample, "Z\",\"ts_ns\":"));
	assert_non_null(strstr(sample, ",\"uid\":0,\"user\":\"root\",\"action\":\"policy-load\",\"object\":\"system:partner\",\"reason\":\"a reason, with \\\"quotes\\\" and ünïcode\",\"result\":\"ok\",\"target\":\"gw\\u000a\\\"x\\\"\",\"n\":\"7\",\"mac\":\""));
	assert_non_null(strstr(sample, "\"claimed\":\"meterwalld\",\"action\":\"block\""));
	assert_null(strstr(sample, "\"claimed\":\"\""));
}

/* Each single-bit flip of each byte, and each byte made a newline: the
 * damage is found, at or before its record, by the chain alone. */
static void test_flip_every_byte(void **state)
{
	char *copy = malloc(sample_len);
	struct mw_audit_verify v;
	size_t i, tried = 0;
	int bit;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, sample, sample_len);
	for (i = 0; i < sample_len; i++) {
		for (bit = 0; bit <= 8; bit++) {
			char was = copy[i];

			copy[i] = bit < 8 ? (char)(was ^ (1 << bit)) : '\n';
			if (copy[i] == was)
				continue;
			if (verify(copy, sample_len, CHAIN_ONLY, &v) != -EBADMSG ||
			    v.bad_line < 1 || v.bad_line > line_of(i))
				fail_msg("byte %zu ('%c' -> 0x%02x): %s (line %ld)",
					 i, was, (unsigned char)copy[i],
					 v.why, v.bad_line);
			copy[i] = was;
			tried++;
		}
	}
	assert_true(tried > 8 * sample_len);
	print_message("%zu single-byte changes over %zu bytes of %d records, each found\n",
		      tried, sample_len, N_RECORDS);
	free(copy);
}

static void test_delete_each_record(void **state)
{
	char *copy = malloc(sample_len);
	struct mw_audit_verify v;
	size_t j, n;

	(void)state;
	assert_non_null(copy);
	for (j = 0; j < N_RECORDS; j++) {
		memcpy(copy, sample, rec_off[j]);
		n = rec_off[j];
		memcpy(copy + n, sample + rec_off[j + 1],
		       sample_len - rec_off[j + 1]);
		n += sample_len - rec_off[j + 1];
		assert_int_equal(verify(copy, n, HOST, &v), -EBADMSG);
		assert_int_equal(verify(copy, n, OFF_HOST, &v), -EBADMSG);
		if (j == N_RECORDS - 1) {	/* the last: a cut */
			assert_int_equal(v.bad_line, 0);
			continue;
		}
		assert_int_equal(verify(copy, n, CHAIN_ONLY, &v), -EBADMSG);
		assert_int_equal(v.bad_line, (long)j + 1);
		assert_non_null(strstr(v.why, "removed, added or moved"));
	}
	free(copy);
}

static void test_swap_adjacent(void **state)
{
	char *copy = malloc(sample_len);
	struct mw_audit_verify v;
	size_t j, a, b;

	(void)state;
	assert_non_null(copy);
	for (j = 0; j + 1 < N_RECORDS; j++) {
		a = rec_off[j + 1] - rec_off[j];
		b = rec_off[j + 2] - rec_off[j + 1];
		memcpy(copy, sample, sample_len);
		memcpy(copy + rec_off[j], sample + rec_off[j + 1], b);
		memcpy(copy + rec_off[j] + b, sample + rec_off[j], a);
		assert_int_equal(verify(copy, sample_len, CHAIN_ONLY, &v),
				 -EBADMSG);
		assert_int_equal(v.bad_line, (long)j + 1);
	}
	free(copy);
}

/* A cut inside a record leaves a torn line; a cut at a boundary looks
 * whole to the chain alone, but not to the key state or the seals. */
static void test_truncate_everywhere(void **state)
{
	struct mw_audit_verify v;
	size_t cut, j = 0;
	long boundaries = 0;

	(void)state;
	for (cut = 0; cut < sample_len; cut++) {
		bool boundary = cut == rec_off[j];

		if (boundary) {
			j++;
			boundaries++;
		}
		assert_int_equal(verify(sample, cut, HOST, &v), -EBADMSG);
		assert_int_equal(verify(sample, cut, OFF_HOST, &v), -EBADMSG);
		if (boundary) {
			assert_int_equal(v.bad_line, 0);
			assert_non_null(strstr(v.why, cut ? "cut off" : "seal"));
			continue;
		}
		assert_int_equal(verify(sample, cut, CHAIN_ONLY, &v), -EBADMSG);
		assert_int_equal(v.bad_line, (long)j);
	}
	assert_int_equal(boundaries, N_RECORDS);
}

/* The key state must be the chain's own, at its end. */
static void test_key_state(void **state)
{
	struct mw_audit_state saved = final;
	struct mw_audit_verify v;

	(void)state;
	final.seq++;			/* a record appended after the copy */
	assert_int_equal(verify(sample, sample_len, HOST, &v), -EBADMSG);
	final = saved;
	final.seq--;			/* an old copy of the key state */
	assert_int_equal(verify(sample, sample_len, HOST, &v), -EBADMSG);
	assert_non_null(strstr(v.why, "key state is old"));
	final = saved;
	final.key[0] ^= 1;		/* another key: a state forged */
	assert_int_equal(verify(sample, sample_len, HOST, &v), -EBADMSG);
	assert_non_null(strstr(v.why, "replaced"));
	final = saved;
	final.mac[31] ^= 1;
	assert_int_equal(verify(sample, sample_len, HOST, &v), -EBADMSG);
	final = saved;
	/* another initial key names the first record */
	key0[5] ^= 1;
	assert_int_equal(verify(sample, sample_len, CHAIN_ONLY, &v), -EBADMSG);
	assert_int_equal(v.bad_line, 1);
	key0[5] ^= 1;
	/* an unknown seal, or one that does not match */
	seals[0].mac[0] ^= 1;
	assert_int_equal(verify(sample, sample_len, OFF_HOST, &v), -EBADMSG);
	assert_int_equal(v.bad_line, (long)seals[0].seq + 1);
	seals[0].mac[0] ^= 1;
}

/* Without the initial key (an evidence bundle made on the host): the
 * records' form and order, the seals and the key state's seq and mac;
 * a changed record body is only found with the key. */
static void test_structure_only(void **state)
{
	struct mw_audit_verify v = { .state = &final };
	struct mw_audit_state saved = final;
	char *copy = malloc(sample_len);
	size_t n;

	(void)state;
	assert_non_null(copy);
	assert_int_equal(mw_audit_verify_log(sample, sample_len, &v), 0);
	assert_int_equal(v.records, N_RECORDS);
	/* a record removed: its seq missing */
	memcpy(copy, sample, rec_off[3]);
	n = rec_off[3] + sample_len - rec_off[4];
	memcpy(copy + rec_off[3], sample + rec_off[4], sample_len - rec_off[4]);
	assert_int_equal(mw_audit_verify_log(copy, n, &v), -EBADMSG);
	assert_int_equal(v.bad_line, 4);
	/* the last record cut off: the key state says where it ends */
	assert_int_equal(mw_audit_verify_log(sample, rec_off[N_RECORDS - 1], &v),
			 -EBADMSG);
	assert_int_equal(v.bad_line, 0);
	/* the key state's mac is checked, its key cannot be */
	final.mac[0] ^= 1;
	assert_int_equal(mw_audit_verify_log(sample, sample_len, &v), -EBADMSG);
	final = saved;
	final.key[0] ^= 1;
	assert_int_equal(mw_audit_verify_log(sample, sample_len, &v), 0);
	final = saved;
	/* a changed reason keeps the form: the key is needed for it */
	memcpy(copy, sample, sample_len);
	*strstr(copy, "a reason") = 'A';
	assert_int_equal(mw_audit_verify_log(copy, sample_len, &v), 0);
	v.key0 = key0;
	assert_int_equal(mw_audit_verify_log(copy, sample_len, &v), -EBADMSG);
	free(copy);
}

/* A record written whose key state was not saved (a crash between the
 * two) is taken over; a state that does not fit the log is noted. */
static void test_writer_takeover(void **state)
{
	struct mw_audit_rec r = { "block", "system:x", "why", "ok" };
	struct mw_audit_state st, k0, old;
	struct mw_audit_verify v = { 0 };
	struct mw_audit_files f;
	char note[512], *log;
	uint64_t seq;
	size_t len;

	(void)state;
	chain_start("takeover", &f, &st);
	k0 = st;
	append(&f, &st, "policy-load", "a.yaml", "");
	old = st;
	append(&f, &st, "policy-load", "b.yaml", "");
	/* the state of before the last append, as after a crash */
	assert_int_equal(mw_audit_state_write(f.state, &old), 0);
	assert_int_equal(mw_audit_state_read(f.state, &st), 0);
	assert_int_equal(mw_audit_append(&f, &st, &r, &seq, note, sizeof(note)), 0);
	assert_string_equal(note, "");
	assert_int_equal(seq, 2);
	assert_int_equal(mw_audit_state_read(f.state, &st), 0);
	log = slurp_len(f.log, &len);
	v.key0 = k0.key;
	v.state = &st;
	assert_int_equal(mw_audit_verify_log(log, len, &v), 0);
	assert_int_equal(v.records, 3);
	free(log);
	/* three records whose state was not saved (a disk with room for a
	 * line, not for a new state file): all taken over */
	old = st;
	append(&f, &st, "attach", "ext0", "");
	append(&f, &st, "attach", "ext1", "");
	append(&f, &st, "attach", "ext2", "");
	assert_int_equal(mw_audit_state_write(f.state, &old), 0);
	assert_int_equal(mw_audit_state_read(f.state, &st), 0);
	assert_int_equal(mw_audit_append(&f, &st, &r, &seq, note, sizeof(note)), 0);
	assert_string_equal(note, "");
	assert_int_equal(seq, 6);
	log = slurp_len(f.log, &len);
	assert_int_equal(mw_audit_verify_log(log, len, &v), 0);
	assert_int_equal(v.records, 7);
	free(log);
	/* the log's last record removed: noted, the chain goes on from the
	 * key state, verify names the gap */
	chain_start("cut", &f, &st);
	k0 = st;
	append(&f, &st, "policy-load", "a.yaml", "");
	append(&f, &st, "policy-load", "b.yaml", "");
	append(&f, &st, "block", "system:x", "");
	log = slurp_len(f.log, &len);
	*(strchr(strchr(log, '\n') + 1, '\n') + 1) = '\0';
	unlink(f.log);
	{
		FILE *w = fopen(f.log, "w");

		assert_non_null(w);
		fputs(log, w);
		fclose(w);
	}
	free(log);
	assert_int_equal(mw_audit_append(&f, &st, &r, &seq, note, sizeof(note)), 0);
	assert_non_null(strstr(note, "does not end with record 2"));
	assert_int_equal(seq, 3);
	log = slurp_len(f.log, &len);
	v.key0 = k0.key;
	v.state = NULL;
	assert_int_equal(mw_audit_verify_log(log, len, &v), -EBADMSG);
	assert_int_equal(v.bad_line, 3);
	free(log);
	/* a torn last line: the next record still gets a line of its own */
	chain_start("torn", &f, &st);
	k0 = st;
	append(&f, &st, "attach", "ext0", "");
	{
		int fd = open(f.log, O_WRONLY | O_APPEND);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "{\"seq\":1,", 9), 9);
		close(fd);
	}
	assert_int_equal(mw_audit_append(&f, &st, &r, &seq, note, sizeof(note)), 0);
	assert_non_null(strstr(note, "torn"));
	log = slurp_len(f.log, &len);
	assert_non_null(strstr(log, "\n{\"seq\":1,\n{\"seq\":1,\"time\""));
	v.key0 = k0.key;
	v.state = NULL;
	assert_int_equal(mw_audit_verify_log(log, len, &v), -EBADMSG);
	assert_int_equal(v.bad_line, 2);
	free(log);
}

static void test_periodic_seal(void **state)
{
	struct mw_audit_state st;
	struct mw_audit_files f;
	struct mw_audit_seal *s;
	char *log, *line;
	size_t len;
	int i;

	(void)state;
	chain_start("seals", &f, &st);
	for (i = 0; i < MW_AUDIT_SEAL_EVERY - 1; i++)
		append(&f, &st, "attach", "ext0", "");
	/* record 63 is a seal, after record 62 */
	assert_int_equal(st.seq, MW_AUDIT_SEAL_EVERY);
	log = slurp_len(f.log, &len);
	line = strstr(log, "{\"seq\":63,");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"action\":\"seal\",\"object\":\"audit.log\",\"reason\":\"every 64 records\""));
	free(log);
	/* seals in the forms they leave the host in */
	log = "<29>1 2026-12-02T14:05:03.123Z gw meterwalld 42 seal [meterwall@32473 seq=\"63\" uid=\"0\" mac=\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"] seal\n"
	      "{\"time\":\"x\",\"event\":\"seal\",\"seq\":\"7\",\"mac\":\"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\"}\n"
	      "a line without a seal\n"
	      "{\"seq\":8,\"mac\":\"0011\"}\n";
	assert_int_equal(mw_audit_seals_parse(log, strlen(log), &s), 2);
	assert_int_equal(s[0].seq, 63);
	assert_int_equal(s[0].mac[1], 0x11);
	assert_int_equal(s[1].seq, 7);
	assert_int_equal(s[1].mac[0], 0xff);
	free(s);
}

/* Files 0600; never through a symbolic link. */
static void test_files(void **state)
{
	struct mw_audit_rec r = { "block", "system:x", "why", "ok" };
	struct mw_audit_state st;
	struct mw_audit_files f;
	struct stat sb;

	(void)state;
	chain_start("files", &f, &st);
	append(&f, &st, "attach", "ext0", "");
	assert_int_equal(mw_audit_state_write(f.state, &st), 0);
	assert_int_equal(stat(f.log, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(f.state, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(rename(f.log, path_in("files/elsewhere")), 0);
	assert_int_equal(symlink(path_in("files/elsewhere"), f.log), 0);
	assert_int_equal(mw_audit_append(&f, &st, &r, NULL, NULL, 0), -ELOOP);
	assert_int_equal(rename(f.state, path_in("files/key2")), 0);
	assert_int_equal(symlink(path_in("files/key2"), f.state), 0);
	assert_int_equal(mw_audit_state_read(f.state, &st), -ELOOP);
	/* a record too long for the log is refused, not cut */
	unlink(f.log);
	{
		char *big = malloc(MW_AUDIT_LINE_MAX);

		assert_non_null(big);
		memset(big, 'a', MW_AUDIT_LINE_MAX - 1);
		big[MW_AUDIT_LINE_MAX - 1] = '\0';
		r.reason = big;
		assert_int_equal(mw_audit_append(&f, &st, &r, NULL, NULL, 0),
				 -E2BIG);
		free(big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_delete_each_record),
		cmocka_unit_test(test_swap_adjacent),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_key_state),
		cmocka_unit_test(test_structure_only),
		cmocka_unit_test(test_writer_takeover),
		cmocka_unit_test(test_periodic_seal),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

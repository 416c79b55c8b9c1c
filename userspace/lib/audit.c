// SPDX-License-Identifier: GPL-2.0
/*
 * The audit log's writer and its key state (audit.h); the chain's two
 * primitives (mac, evolve) are shared with the verifier, audit_verify.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "audit.h"
#include "audit_int.h"
#include "fileio.h"
#include "json.h"
#include "timefmt.h"

#define EVOLVE_LABEL	"meterwall audit key evolve v1"
#define STATE_MAGIC	"meterwall-audit-state 1"
#define STR_(x)		#x
#define STR(x)		STR_(x)

/* --- the chain's primitives ---------------------------------------------- */

int audit_mac(const uint8_t key[MW_AUDIT_KEY_LEN],
	      const uint8_t prev[MW_AUDIT_MAC_LEN], const char *body,
	      size_t len, uint8_t mac[MW_AUDIT_MAC_LEN])
{
	uint8_t *buf = malloc(MW_AUDIT_MAC_LEN + len);
	unsigned int n = 0;
	bool ok;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, prev, MW_AUDIT_MAC_LEN);
	memcpy(buf + MW_AUDIT_MAC_LEN, body, len);
	ok = HMAC(EVP_sha256(), key, MW_AUDIT_KEY_LEN, buf,
		  MW_AUDIT_MAC_LEN + len, mac, &n) && n == MW_AUDIT_MAC_LEN;
	free(buf);
	return ok ? 0 : -EIO;
}

/* K_i+1 = SHA-256(label || K_i) in place; K_i is gone. */
int audit_evolve(uint8_t key[MW_AUDIT_KEY_LEN])
{
	uint8_t buf[sizeof(EVOLVE_LABEL) - 1 + MW_AUDIT_KEY_LEN];
	unsigned int n = 0;
	int ok;

	memcpy(buf, EVOLVE_LABEL, sizeof(EVOLVE_LABEL) - 1);
	memcpy(buf + sizeof(EVOLVE_LABEL) - 1, key, MW_AUDIT_KEY_LEN);
	ok = EVP_Digest(buf, sizeof(buf), key, &n, EVP_sha256(), NULL);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ok && n == MW_AUDIT_KEY_LEN ? 0 : -EIO;
}

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;		/* upper case too: one spelling only */
}

int audit_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = unhex((unsigned char)s[2 * i]);
		int lo = hi < 0 ? -1 : unhex((unsigned char)s[2 * i + 1]);

		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void audit_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* --- keys and the key state ---------------------------------------------- */

int mw_audit_new_key(uint8_t key[MW_AUDIT_KEY_LEN])
{
	return RAND_bytes(key, MW_AUDIT_KEY_LEN) == 1 ? 0 : -EIO;
}

int mw_audit_key_parse(const char *s, uint8_t key[MW_AUDIT_KEY_LEN])
{
	while (isspace((unsigned char)*s))
		s++;
	if (strspn(s, "0123456789abcdef") != 2 * MW_AUDIT_KEY_LEN)
		return -EINVAL;
	if (audit_unhex(s, key, MW_AUDIT_KEY_LEN))
		return -EINVAL;
	for (s += 2 * MW_AUDIT_KEY_LEN; isspace((unsigned char)*s); s++)
		;
	return *s ? -EINVAL : 0;
}

void mw_audit_key_hex(const uint8_t key[MW_AUDIT_KEY_LEN], char hex[65])
{
	audit_hex(key, MW_AUDIT_KEY_LEN, hex);
}

int mw_audit_key_read(const char *path, uint8_t key[MW_AUDIT_KEY_LEN])
{
	char buf[256];
	size_t len;
	int err;

	err = audit_read_small(path, buf, sizeof(buf), &len);
	if (!err)
		err = mw_audit_key_parse(buf, key);
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

void mw_audit_state_wipe(struct mw_audit_state *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}

/* A small file whole: a regular file, not through a symbolic link. */
int audit_read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((size_t)st.st_size >= cap)
		err = -EFBIG;
	n = err ? 0 : read(fd, buf, cap - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/*
 *   meterwall-audit-state 1
 *   seq N
 *   key HEX
 *   mac HEX
 */
int mw_audit_state_read(const char *path, struct mw_audit_state *st)
{
	char buf[512], key[65], mac[65];
	unsigned long long seq;
	size_t len;
	int err;

	err = audit_read_small(path, buf, sizeof(buf), &len);
	if (err)
		return err;
	if (sscanf(buf, STATE_MAGIC "\nseq %llu\nkey %64s\nmac %64s\n", &seq,
		   key, mac) != 3 || strlen(key) != 64 || strlen(mac) != 64 ||
	    audit_unhex(key, st->key, sizeof(st->key)) ||
	    audit_unhex(mac, st->mac, sizeof(st->mac)))
		err = -EBADMSG;
	st->seq = seq;
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

int mw_audit_state_write(const char *path, const struct mw_audit_state *st)
{
	char buf[512], key[65], mac[65];
	int n, err;

	audit_hex(st->key, sizeof(st->key), key);
	audit_hex(st->mac, sizeof(st->mac), mac);
	n = snprintf(buf, sizeof(buf), STATE_MAGIC "\nseq %" PRIu64
		     "\nkey %s\nmac %s\n", st->seq, key, mac);
	err = mw_replace_file(path, buf, (size_t)n, 0600);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

/* --- records ---------------------------------------------------------------- */

static void field(FILE *m, const char *k, const char *v)
{
	fputc(',', m);
	jp_write_string(m, k);
	fputc(':', m);
	jp_write_string(m, v ? v : "");
}

/* The record's bytes before its mac: {"seq":N, ... (no closing brace). */
static int record_body(const struct mw_audit_rec *r, uint64_t seq,
		       char **body, size_t *len)
{
	int64_t now = r->now_ns;
	char t[MW_TIME_LEN], pwbuf[1024];
	struct passwd pw, *p = NULL;
	const char *const *kv;
	FILE *m;

	if (!now) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	m = open_memstream(body, len);
	if (!m)
		return -errno;
	getpwuid_r(r->uid, &pw, pwbuf, sizeof(pwbuf), &p);
	mw_time_format(now, 0, 3, t, sizeof(t));
	fprintf(m, "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"ts_ns\":%" PRId64
		",\"uid\":%u", seq, t, now, (unsigned int)r->uid);
	field(m, "user", p ? p->pw_name : "");
	if (r->claimed && *r->claimed)
		field(m, "claimed", r->claimed);
	field(m, "action", r->action);
	field(m, "object", r->object);
	field(m, "reason", r->reason);
	field(m, "result", r->result);
	for (kv = r->kv; kv && kv[0]; kv += 2)
		field(m, kv[0], kv[1]);
	if (fclose(m))
		return -errno;
	if (*len + MW_AUDIT_MAC_SUFFIX_LEN > MW_AUDIT_LINE_MAX) {
		free(*body);
		*body = NULL;
		return -E2BIG;
	}
	return 0;
}

/* Record st->seq on fd (O_APPEND), then st advances (in memory). */
static int append_one(int fd, struct mw_audit_state *st,
		      const struct mw_audit_rec *r)
{
	char *line = NULL, hex[2 * MW_AUDIT_MAC_LEN + 1];
	uint8_t mac[MW_AUDIT_MAC_LEN];
	size_t len = 0;
	int err;

	err = record_body(r, st->seq, &line, &len);
	if (!err)
		err = audit_mac(st->key, st->mac, line, len, mac);
	if (!err) {
		char *l = realloc(line, len + MW_AUDIT_MAC_SUFFIX_LEN + 1);

		err = l ? 0 : -ENOMEM;
		line = l ? l : line;
	}
	if (!err) {
		audit_hex(mac, sizeof(mac), hex);
		len += (size_t)sprintf(line + len, ",\"mac\":\"%s\"}\n", hex);
		/* the record whole or not at all (a full disk), then on disk */
		err = mw_append_record(fd, line, len);
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (!err)
		err = audit_evolve(st->key);
	if (!err) {
		memcpy(st->mac, mac, sizeof(mac));
		st->seq++;
	}
	free(line);
	return err;
}

/* The log's last line (without its newline) into buf: 0, or -ENOENT when
 * the log is empty, -EBADMSG when it does not end in a newline. */
static int last_line(int fd, char *buf, size_t cap, size_t *len)
{
	struct stat st;
	off_t from;
	ssize_t n;
	char *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!st.st_size)
		return -ENOENT;
	from = st.st_size > (off_t)cap - 1 ? st.st_size - (off_t)(cap - 1) : 0;
	n = pread(fd, buf, (size_t)(st.st_size - from), from);
	if (n < 0)
		return -errno;
	if (n == 0 || buf[n - 1] != '\n')
		return -EBADMSG;
	buf[--n] = '\0';
	p = memrchr(buf, '\n', (size_t)n);
	if (!p && from)
		return -EBADMSG;	/* longer than any record */
	p = p ? p + 1 : buf;
	*len = (size_t)(buf + n - p);
	memmove(buf, p, *len + 1);
	return 0;
}

/*
 * Records written whose key state was not saved (a crash between the two,
 * or a disk with room for a line but not for a new state file): from the
 * record st->seq on, each one made with st's key is taken over.
 */
static void take_over(int fd, struct mw_audit_state *st)
{
	uint8_t mac[MW_AUDIT_MAC_LEN];
	char *line = NULL;
	size_t cap = 0;
	uint64_t seq;
	ssize_t n;
	FILE *f;
	int dfd;

	dfd = dup(fd);
	f = dfd < 0 ? NULL : fdopen(dfd, "r");
	if (!f) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n' ||
		    audit_line_check(line, (size_t)n - 1, &seq, NULL, NULL, mac,
				     NULL) || seq != st->seq)
			continue;
		if (audit_line_check(line, (size_t)n - 1, &seq, st->key,
				     st->mac, mac, NULL) ||
		    audit_evolve(st->key))
			break;
		memcpy(st->mac, mac, sizeof(mac));
		st->seq++;
	}
	free(line);
	fclose(f);
}

/*
 * Does the log end where st says: with record st->seq - 1 and st->mac (or
 * nothing, st->seq being 0)?  Records after it made with st's keys are
 * taken over (take_over); anything else is described in note.
 */
static void check_tail(int fd, const char *log, struct mw_audit_state *st,
		       char *note, size_t nlen)
{
	char buf[MW_AUDIT_LINE_MAX + 2];
	uint8_t mac[MW_AUDIT_MAC_LEN];
	uint64_t seq = 0;
	size_t len = 0;
	int err, i;

	for (i = 0; i < 2; i++) {
		err = last_line(fd, buf, sizeof(buf), &len);
		if (err == -ENOENT && !st->seq)
			return;
		if (err || audit_line_check(buf, len, &seq, NULL, NULL, mac,
					    NULL))
			break;
		if (seq + 1 == st->seq &&
		    !CRYPTO_memcmp(mac, st->mac, sizeof(mac)))
			return;
		if (i || seq < st->seq)
			break;
		take_over(fd, st);
	}
	if (note)
		snprintf(note, nlen,
			 "%s does not end with record %" PRIu64 " of the key state (%s): records were removed or changed; the chain goes on from the key state, `mwctl audit verify' names the damage",
			 log, st->seq ? st->seq - 1 : 0,
			 err == -ENOENT ? "the log is empty" :
			 err ? "its last line is torn" : "another record is last");
}

static bool torn(int fd)
{
	struct stat st;
	char c;

	return !fstat(fd, &st) && st.st_size &&
	       pread(fd, &c, 1, st.st_size - 1) == 1 && c != '\n';
}

static int open_log(const char *path)
{
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int mw_audit_append(const struct mw_audit_files *f, struct mw_audit_state *st,
		    const struct mw_audit_rec *r, uint64_t *seq, char *note,
		    size_t len)
{
	static const char every[] = "every " STR(MW_AUDIT_SEAL_EVERY) " records";
	struct mw_audit_rec seal = {
		.action = "seal", .object = "audit.log", .reason = every,
		.result = "ok", .uid = r->uid, .claimed = r->claimed,
		.now_ns = r->now_ns,
	};
	uint64_t before = st->seq;
	int fd, err, serr = 0;

	if (note && len)
		*note = '\0';
	fd = open_log(f->log);
	if (fd < 0)
		return fd;
	check_tail(fd, f->log, st, note, len);
	/* a torn last line (a crash mid-write) stays what it is, but the
	 * record starts a line of its own */
	if (torn(fd) && mw_append_record(fd, "\n", 1) < 0) {
		close(fd);
		return -EIO;
	}
	if (seq)
		*seq = st->seq;
	err = append_one(fd, st, r);
	if (!err && st->seq % MW_AUDIT_SEAL_EVERY == MW_AUDIT_SEAL_EVERY - 1 &&
	    strcmp(r->action, "seal"))
		serr = append_one(fd, st, &seal);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (serr && note && len && !*note)
		snprintf(note, len, "the periodic seal after record %" PRIu64 " could not be written (%s)",
			 st->seq - 1, strerror(-serr));
	/* a record on disk whose state is not saved is taken over next time,
	 * but until then the host still holds its key: an error */
	if (st->seq != before)
		err = mw_audit_state_write(f->state, st) ?: err;
	return err;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit log: one record per state change, one JSON object per line,
 * in a forward-secure HMAC chain (the systemd journal's Forward Secure
 * Sealing, RFC 5848's signature blocks):
 *
 *   {"seq":N,"time":"2026-12-02T14:05:03.123Z","ts_ns":...,"uid":0,
 *    "user":"root","claimed":"alice","action":"block","object":"system:gw",
 *    "reason":"...","result":"ok",<the operation's fields>,"mac":"<hex>"}
 *
 * ("claimed" only when an identity is claimed, e.g. sudo's SUDO_USER.)
 * mac_N = HMAC-SHA-256(K_N, mac_N-1 || the line's bytes before ,"mac":),
 * mac_-1 being 32 zero bytes; after each record the key evolves one way,
 * K_N+1 = SHA-256("meterwall audit key evolve v1" || K_N), and K_N is
 * wiped.  The host keeps only the current key, in the key state file
 * (seq, key, last mac; replaced atomically after each append): whoever
 * takes the host can write new records but cannot change, remove or
 * reorder one written before.  K_0 is exported once and kept elsewhere;
 * the verifier recomputes every key from it.
 *
 * A seal is a record (action "seal") written every MW_AUDIT_SEAL_EVERY
 * records and when asked (daemon start and stop); shipped off the host
 * (syslog), its seq and mac let a verifier detect a log cut short before
 * it.  On the host the key state does the same for any cut.
 *
 * Files are created 0600 and never followed through a symbolic link.
 * Functions return 0 or -errno and never print; a message for people
 * goes into the caller's buffer (why).
 */
#ifndef MW_AUDIT_H
#define MW_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MW_AUDIT_KEY_LEN	32
#define MW_AUDIT_MAC_LEN	32
#define MW_AUDIT_SEAL_EVERY	64
/* a longer record is refused (-E2BIG) */
#define MW_AUDIT_LINE_MAX	8192

/* The key state file's contents. */
struct mw_audit_state {
	uint64_t seq;				/* the next record's */
	uint8_t key[MW_AUDIT_KEY_LEN];		/* K_seq */
	uint8_t mac[MW_AUDIT_MAC_LEN];		/* mac_seq-1 */
};

struct mw_audit_rec {
	const char *action;
	const char *object;
	const char *reason;
	const char *result;
	uid_t uid;
	const char *claimed;		/* NULL or "": none */
	const char *const *kv;		/* key, value, ..., NULL; or NULL */
	int64_t now_ns;			/* 0: the clock now */
};

struct mw_audit_files {
	const char *log;		/* audit.log */
	const char *state;		/* the key state */
};

/* K_0 from the system's random generator. */
int mw_audit_new_key(uint8_t key[MW_AUDIT_KEY_LEN]);
/* Hex (64 digits, lowercase; surrounding white space allowed) <-> key. */
int mw_audit_key_parse(const char *s, uint8_t key[MW_AUDIT_KEY_LEN]);
void mw_audit_key_hex(const uint8_t key[MW_AUDIT_KEY_LEN], char hex[65]);
/* A key file (its hex, as `mwctl audit init' writes it). */
int mw_audit_key_read(const char *path, uint8_t key[MW_AUDIT_KEY_LEN]);

int mw_audit_state_read(const char *path, struct mw_audit_state *st);
int mw_audit_state_write(const char *path, const struct mw_audit_state *st);
/* Wipe it (keys never stay in freed memory). */
void mw_audit_state_wipe(struct mw_audit_state *st);

/*
 * Append r as record st->seq (and a seal when one is due), then advance
 * and save st.  The key state is checked against the log's last record
 * first: records written whose state was not saved (a crash between the
 * two, a disk with room for a line but not for a new state file) are
 * taken over; any other mismatch is reported in note (NULL: not wanted)
 * and the chain goes on from the state, the verifier naming the damage.  seq, if not NULL, gets the record's number.  On error nothing
 * was appended, or the record is on disk but the state not saved (the
 * next append takes it over).
 */
int mw_audit_append(const struct mw_audit_files *f, struct mw_audit_state *st,
		    const struct mw_audit_rec *r, uint64_t *seq, char *note,
		    size_t len);

/* A seal that came off the host: the record seq's mac. */
struct mw_audit_seal {
	uint64_t seq;
	uint8_t mac[MW_AUDIT_MAC_LEN];
};

/*
 * Seal records in text lines of any form that carries a seal's fields: the
 * audit log's own lines, meterwalld's events (JSON) or its syslog
 * messages (seq="N" ... mac="HEX").  *out is malloc'ed; the count or
 * -errno.
 */
int mw_audit_seals_parse(const char *text, size_t len,
			 struct mw_audit_seal **out);

struct mw_audit_verify {
	const uint8_t *key0;			/* K_0; NULL: the structure only */
	const struct mw_audit_state *state;	/* NULL: no host check */
	const struct mw_audit_seal *seals;	/* sorted or not */
	size_t n_seals;
	/* results */
	uint64_t records;			/* good ones */
	uint64_t seals_matched;
	long bad_line;				/* 1-based; 0: none */
	char why[256];
};

/*
 * Check a whole log (len bytes at log) from K_0: every record's seq and
 * mac in order, every seal that came off the host against its record,
 * and (v->state) that the log ends where the key state says, with the
 * key and mac it holds.  Without K_0 (v->key0 NULL) only what needs no
 * key: every record's form and seq in order, the seals' macs, and the
 * key state's seq and last mac.  0: all good; -EBADMSG: v->bad_line (0 when
 * the log as a whole is cut short) and v->why say what is wrong first.
 */
int mw_audit_verify_log(const char *log, size_t len, struct mw_audit_verify *v);

#endif

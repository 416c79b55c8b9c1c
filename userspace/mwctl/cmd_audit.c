// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl audit init [-o FILE] [--force]
 * mwctl audit verify [--key FILE] [--seals FILE] [--state FILE] [LOG]
 * Controls 2.1.3 and 3.1.3: the audit log's chain (audit.h) started with
 * an initial key kept off the host, and checked whole with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "mwctl.h"

static void audit_usage(FILE *f)
{
	fprintf(f, "Usage: %s audit init [-o FILE] [--force]\n"
		"       %s audit verify [--key FILE] [--seals FILE] [--state FILE] [LOG]\n\n"
		"init starts the audit log's chain and gives its initial key once\n"
		"(to FILE, else on stdout): keep it off this host.  A chain already\n"
		"started without it has its key exported and removed from the host.\n"
		"--force starts a new chain; the old log is kept aside.\n\n"
		"verify checks every record of LOG (default: this host's audit log\n"
		"with its key state) from the initial key, and names the first bad\n"
		"record.  --seals FILE: the seal records that left the host (syslog\n"
		"or meterwalld's events), to find a log cut short elsewhere.\n",
		prog_name, prog_name);
}

/* A whole file, not through a symbolic link; *buf NUL-terminated. */
static int slurp(const char *path, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = malloc(cap), *t;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !b) {
		r = fd < 0 ? -errno : -ENOMEM;
		free(b);
		if (fd >= 0)
			close(fd);
		return (int)r;
	}
	while ((r = read(fd, b + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 < cap)
			continue;
		t = realloc(b, cap *= 2);
		if (!t) {
			errno = ENOMEM;
			r = -1;
			break;
		}
		b = t;
	}
	if (r < 0) {
		r = -errno;
		free(b);
		close(fd);
		return (int)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int init_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint8_t key[MW_AUDIT_KEY_LEN];
	const char *out = NULL;
	char hex[65];
	bool force = false, exported;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case 'h': audit_usage(stdout); return 0;
		default: audit_usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		audit_usage(stderr);
		return 1;
	}
	if (mw_ctl_audit_init(ctl, force, out, key, &exported))
		return 1;
	if (!out) {
		mw_audit_key_hex(key, hex);
		printf("%s\n", hex);
		OPENSSL_cleanse(hex, sizeof(hex));
	}
	OPENSSL_cleanse(key, sizeof(key));
	fprintf(stderr, "%s: the audit log's initial key%s %s%s: keep it off this host (`%s audit verify --key FILE' needs it); this host no longer has it\n",
		prog_name, exported ? " (of the chain already started)" : "",
		out ? "is in " : "is above", out ? out : "", prog_name);
	return 0;
}

struct verify_args {
	const char *key, *seals, *state, *log;
	bool host;		/* LOG not given: this host's */
	char paths[3][600];
};

/* The defaults on this host: its log, its key state, and the initial
 * key while it is still there. */
static int verify_defaults(struct verify_args *a)
{
	if (!a->host)
		return 0;
	snprintf(a->paths[0], sizeof(a->paths[0]), "%s/audit.log",
		 mw_ctl_log_dir(ctl));
	a->log = a->paths[0];
	snprintf(a->paths[1], sizeof(a->paths[1]), "%s/audit.key",
		 mw_ctl_state_dir(ctl));
	if (!a->state)
		a->state = a->paths[1];
	snprintf(a->paths[2], sizeof(a->paths[2]), "%s/audit.key0",
		 mw_ctl_state_dir(ctl));
	if (!a->key && !access(a->paths[2], F_OK)) {
		a->key = a->paths[2];
		fprintf(stderr, "%s: warning: the initial key is still on this host (%s): `%s audit init' takes it off; a verification with it proves little\n",
			prog_name, a->key, prog_name);
	}
	if (!a->key) {
		fprintf(stderr, "%s audit verify: --key FILE (the initial key) is required\n",
			prog_name);
		return -EINVAL;
	}
	return 0;
}

/* Key, key state and seals as v wants them. */
static int verify_inputs(const struct verify_args *a, uint8_t *key,
			 struct mw_audit_state *st, struct mw_audit_verify *v)
{
	struct mw_audit_seal *seals = NULL;
	char *text = NULL;
	size_t len;
	int err, n;

	err = mw_audit_key_read(a->key, key);
	if (err) {
		fprintf(stderr, "%s: %s: not a key (%s)\n", prog_name, a->key,
			strerror(-err));
		return err;
	}
	v->key0 = key;
	err = a->state ? mw_audit_state_read(a->state, st) : 0;
	if (err) {
		fprintf(stderr, "%s: %s: the key state cannot be read (%s)\n",
			prog_name, a->state, strerror(-err));
		return err;
	}
	v->state = a->state ? st : NULL;
	if (!a->seals)
		return 0;
	err = slurp(a->seals, &text, &len);
	n = err ? err : mw_audit_seals_parse(text, len, &seals);
	free(text);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, a->seals,
			strerror(-n));
		return n;
	}
	v->seals = seals;
	v->n_seals = (size_t)n;
	return 0;
}

static int verify_run(struct verify_args *a)
{
	struct mw_audit_verify v = { 0 };
	uint8_t key[MW_AUDIT_KEY_LEN];
	struct mw_audit_state st;
	char *log = NULL;
	size_t len = 0;
	int err;

	err = verify_inputs(a, key, &st, &v);
	if (!err && (err = slurp(a->log, &log, &len)))
		fprintf(stderr, "%s: %s: %s\n", prog_name, a->log,
			strerror(-err));
	if (!err)
		err = mw_audit_verify_log(log, len, &v);
	OPENSSL_cleanse(key, sizeof(key));
	mw_audit_state_wipe(&st);
	free((void *)v.seals);
	free(log);
	if (err && err != -EBADMSG)
		return 1;
	jp_open_obj(NULL);
	jp_str("log", a->log);
	jp_bool("ok", !err);
	jp_u64("records", v.records);
	jp_u64("seals", v.seals_matched);
	if (err) {
		jp_u64("line", (uint64_t)v.bad_line);
		jp_str("error", v.why);
	}
	jp_close_obj();
	jp_finish();
	if (err && v.bad_line)
		fprintf(stderr, "%s:%ld: %s\n", a->log, v.bad_line, v.why);
	else if (err)
		fprintf(stderr, "%s: %s\n", a->log, v.why);
	else if (!a->state && !a->seals)
		fprintf(stderr, "%s: note: without --state or --seals a log cut short at a record boundary looks whole\n",
			prog_name);
	return err ? 1 : 0;
}

static int verify_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "seals", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct verify_args a = { 0 };
	int c, ret;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': a.key = optarg; break;
		case 's': a.seals = optarg; break;
		case 't': a.state = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': audit_usage(stdout); return 0;
		default: audit_usage(stderr); return 1;
		}
	}
	if (optind < argc - 1) {
		audit_usage(stderr);
		return 1;
	}
	a.log = optind < argc ? argv[optind] : NULL;
	a.host = !a.log;
	if (verify_defaults(&a))
		return 1;
	if (!a.key) {
		fprintf(stderr, "%s audit verify: --key FILE (the initial key) is required\n",
			prog_name);
		return 1;
	}
	/* this host's log: not while a record is being appended */
	if (a.host && mw_ctl_lock(ctl))
		return 1;
	ret = verify_run(&a);
	if (a.host)
		mw_ctl_unlock(ctl);
	return ret;
}

int audit_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		audit_usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (!strcmp(argv[1], "init"))
		return init_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return verify_main(argc - 1, argv + 1);
	fprintf(stderr, "%s audit: unknown subcommand `%s'\n", prog_name, argv[1]);
	audit_usage(stderr);
	return 1;
}

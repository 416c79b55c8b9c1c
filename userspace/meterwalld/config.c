// SPDX-License-Identifier: GPL-2.0
/*
 * /etc/meterwall/meterwalld.yaml: one mapping of scalars.
 *
 *   state_dir: /var/lib/meterwall
 *   log_dir: /var/log/meterwall
 *   pin_dir: /sys/fs/bpf/meterwall
 *   attach_mode: native            # or generic
 *   flow_idle: 15                  # flow records: seconds without a packet
 *   flow_active: 300               # ... and every so many while active
 *   flow_log_max_mb: 64            # flows.jsonl rotated to .1 past it
 *   flow_log_max_age: 86400        # ... or that many seconds after its start
 *   syslog_udp: 127.0.0.1:514      # events also to this RFC 5424 collector
 *   metrics_listen: 127.0.0.1:9377 # Prometheus /metrics; "off": none
 *   log_min_free_mb: 100           # alert when log_dir has less free
 *   notify_command: "mail -s meterwall soc@example"  # each event on stdin
 *   notify_severity: 4             # syslog severity it takes and above
 *
 * Every error names file:line:col and the value at fault; an unknown key
 * is an error (a misspelt key must not be a silent default).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "meterwalld.h"

struct reader {
	const char *path;
	yaml_parser_t p;
	yaml_event_t ev;
	bool have_ev;
};

static int bad(struct reader *r, const yaml_mark_t *m, const char *fmt,
	       const char *val)
{
	fprintf(stderr, "%s:%zu:%zu: error: ", r->path, m->line + 1,
		m->column + 1);
	fprintf(stderr, fmt, val);
	fputc('\n', stderr);
	return -EINVAL;
}

static int next(struct reader *r)
{
	if (r->have_ev)
		yaml_event_delete(&r->ev);
	r->have_ev = false;
	if (!yaml_parser_parse(&r->p, &r->ev)) {
		fprintf(stderr, "%s:%zu:%zu: error: %s\n", r->path,
			r->p.problem_mark.line + 1,
			r->p.problem_mark.column + 1,
			r->p.problem ? r->p.problem : "not YAML");
		return -EINVAL;
	}
	r->have_ev = true;
	return 0;
}

static int set_dir(struct reader *r, char *dst, size_t len, const char *val)
{
	if (val[0] != '/')
		return bad(r, &r->ev.start_mark,
			   "`%s': an absolute path is required", val);
	if (strlen(val) >= len)
		return bad(r, &r->ev.start_mark, "`%s': path too long", val);
	strcpy(dst, val);
	return 0;
}

/* A whole number of at least lo and at most hi. */
static int set_u64(struct reader *r, uint64_t *dst, const char *key,
		   const char *val, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "%s:%zu:%zu: error: %s `%s': a whole number from %llu to %llu\n",
			r->path, r->ev.start_mark.line + 1,
			r->ev.start_mark.column + 1, key, val,
			(unsigned long long)lo, (unsigned long long)hi);
		return -EINVAL;
	}
	*dst = v;
	return 0;
}

static int pair(struct reader *r, const char *key, struct mwd_config *cfg)
{
	const char *val;

	if (next(r))
		return -EINVAL;
	if (r->ev.type != YAML_SCALAR_EVENT)
		return bad(r, &r->ev.start_mark,
			   "`%s' takes one value, not a list or mapping", key);
	val = (const char *)r->ev.data.scalar.value;
	if (!strcmp(key, "state_dir"))
		return set_dir(r, cfg->state_dir, sizeof(cfg->state_dir), val);
	if (!strcmp(key, "log_dir"))
		return set_dir(r, cfg->log_dir, sizeof(cfg->log_dir), val);
	if (!strcmp(key, "pin_dir"))
		return set_dir(r, cfg->pin_dir, sizeof(cfg->pin_dir), val);
	if (!strcmp(key, "flow_idle"))
		return set_u64(r, &cfg->flow_idle, key, val, 1, 3600);
	if (!strcmp(key, "flow_active"))
		return set_u64(r, &cfg->flow_active, key, val, 1, 86400);
	if (!strcmp(key, "log_min_free_mb"))
		return set_u64(r, &cfg->log_min_free_mb, key, val, 0, 1 << 20);
	if (!strcmp(key, "flow_log_max_age"))
		return set_u64(r, &cfg->flow_log_max_age, key, val, 0,
			       366ULL * 86400);
	if (!strcmp(key, "flow_log_max_mb"))
		return set_u64(r, &cfg->flow_log_max_mb, key, val, 1, 1 << 20);
	if (!strcmp(key, "metrics_listen")) {
		if (!strcmp(val, "off")) {
			cfg->metrics_listen[0] = '\0';
			return 0;
		}
		if (!strchr(val, ':') ||
		    strlen(val) >= sizeof(cfg->metrics_listen))
			return bad(r, &r->ev.start_mark,
				   "metrics_listen `%s': ADDR:PORT or off", val);
		strcpy(cfg->metrics_listen, val);
		return 0;
	}
	if (!strcmp(key, "notify_severity"))
		return set_u64(r, &cfg->notify_severity, key, val, 0, 7);
	if (!strcmp(key, "notify_command")) {
		if (!*val || strlen(val) >= sizeof(cfg->notify_command))
			return bad(r, &r->ev.start_mark,
				   "notify_command `%s': a shell command of at most 1023 bytes",
				   val);
		strcpy(cfg->notify_command, val);
		return 0;
	}
	if (!strcmp(key, "syslog_udp")) {
		if (!strchr(val, ':') || strlen(val) >= sizeof(cfg->syslog_udp))
			return bad(r, &r->ev.start_mark,
				   "syslog_udp `%s': HOST:PORT", val);
		strcpy(cfg->syslog_udp, val);
		return 0;
	}
	if (!strcmp(key, "attach_mode")) {
		if (!strcmp(val, "native"))
			cfg->mode = MW_XDP_MODE_NATIVE;
		else if (!strcmp(val, "generic"))
			cfg->mode = MW_XDP_MODE_SKB;
		else
			return bad(r, &r->ev.start_mark,
				   "attach_mode `%s': native or generic", val);
		return 0;
	}
	return -ENOENT;
}

static int read_mapping(struct reader *r, struct mwd_config *cfg)
{
	yaml_mark_t at;
	char key[64];
	int err;

	do {
		if (next(r))
			return -EINVAL;
	} while (r->ev.type == YAML_STREAM_START_EVENT ||
		 r->ev.type == YAML_DOCUMENT_START_EVENT);
	if (r->ev.type == YAML_STREAM_END_EVENT ||
	    r->ev.type == YAML_DOCUMENT_END_EVENT)
		return 0;		/* empty: the defaults */
	if (r->ev.type != YAML_MAPPING_START_EVENT)
		return bad(r, &r->ev.start_mark, "%s", "a mapping of settings is expected");
	for (;;) {
		if (next(r))
			return -EINVAL;
		if (r->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (r->ev.type != YAML_SCALAR_EVENT)
			return bad(r, &r->ev.start_mark, "%s", "a key is expected");
		snprintf(key, sizeof(key), "%s",
			 (const char *)r->ev.data.scalar.value);
		at = r->ev.start_mark;
		err = pair(r, key, cfg);
		if (err == -ENOENT)
			return bad(r, &at,
				   "unknown key `%s' (state_dir, log_dir, pin_dir, attach_mode, flow_idle, flow_active, flow_log_max_mb, flow_log_max_age, syslog_udp, metrics_listen, log_min_free_mb, notify_command, notify_severity)",
				   key);
		if (err)
			return err;
	}
}

int mwd_config_read(const char *path, bool missing_ok, struct mwd_config *cfg)
{
	struct reader r = { .path = path };
	FILE *f;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = MW_XDP_MODE_NATIVE;
	cfg->flow_idle = 15;
	cfg->flow_active = 300;
	cfg->flow_log_max_mb = 64;
	cfg->flow_log_max_age = 86400;
	strcpy(cfg->metrics_listen, "127.0.0.1:9377");
	cfg->log_min_free_mb = 100;
	cfg->notify_severity = 4;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		if (err == -ENOENT && missing_ok)
			return 0;
		fprintf(stderr, "%s: error: %s\n", path, strerror(-err));
		return err;
	}
	if (!yaml_parser_initialize(&r.p)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&r.p, f);
	err = read_mapping(&r, cfg);
	if (r.have_ev)
		yaml_event_delete(&r.ev);
	yaml_parser_delete(&r.p);
	fclose(f);
	return err;
}

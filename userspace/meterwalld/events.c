// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's events (control 1.1.5): start and stop, restores, links
 * attached, clock steps, automatic blocks.  Each is one JSON line in the
 * log directory's events.jsonl and, when `syslog_udp: HOST:PORT` is set,
 * one RFC 5424 message over UDP (RFC 5426) to a collector such as rsyslog:
 *
 *   <PRI>1 TIME HOST meterwalld PID MSGID [meterwall@32473 k="v" ...] TEXT
 *
 * facility daemon; TIME RFC 3339 UTC with ms; 32473 is the enterprise
 * number RFC 5612 reserves for examples, until meterwall has its own.
 * SD values escape '"', '\' and ']' (RFC 5424 6.3.3).  A failing write or
 * send is counted, never waited for; a line is written whole or not at all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "json.h"
#include "meterwalld.h"
#include "timefmt.h"

#define SD_ID	"meterwall@32473"

struct mwd_events {
	int fd;				/* events.jsonl, O_APPEND */
	int sock;			/* -1: no syslog */
	char host[256];
	uint64_t lost;
	struct mwd_notify *notify;
};

uint64_t mwd_events_lost(const struct mwd_events *e)
{
	return e ? e->lost : 0;
}

void mwd_events_set_notify(struct mwd_events *e, struct mwd_notify *n)
{
	if (e)
		e->notify = n;
}

static int syslog_open(const char *target, int *sock)
{
	char host[256], *port;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	int fd;

	if ((size_t)snprintf(host, sizeof(host), "%s", target) >= sizeof(host))
		return -ENAMETOOLONG;
	port = strrchr(host, ':');
	if (!port)
		return -EINVAL;
	*port++ = '\0';
	if (getaddrinfo(host, port, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return -errno;
	*sock = fd;
	return 0;
}

int mwd_events_open(const char *path, const char *syslog_udp,
		    struct mwd_events **out)
{
	struct mwd_events *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	e->sock = -1;
	if (gethostname(e->host, sizeof(e->host)) || !e->host[0])
		snprintf(e->host, sizeof(e->host), "-");
	e->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		     O_CLOEXEC, 0640);
	if (e->fd < 0) {
		err = -errno;
		free(e);
		return err;
	}
	if (syslog_udp && *syslog_udp &&
	    (err = syslog_open(syslog_udp, &e->sock))) {
		close(e->fd);
		free(e);
		return err;
	}
	*out = e;
	return 0;
}

void mwd_events_close(struct mwd_events *e)
{
	if (!e)
		return;
	if (e->sock >= 0)
		close(e->sock);
	close(e->fd);
	free(e);
}

static void sd_escape(char *dst, size_t len, const char *v)
{
	size_t n = 0;

	for (; *v && n + 2 < len; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			dst[n++] = '\\';
		dst[n++] = *v;
	}
	dst[n] = '\0';
}

static void send_syslog(struct mwd_events *e, int severity, const char *t,
			const char *msgid, const char *const *kv,
			const char *text)
{
	char msg[2048], v[512];
	size_t n;
	int i;

	n = (size_t)snprintf(msg, sizeof(msg), "<%d>1 %s %s meterwalld %d %s %s",
			     3 * 8 + severity, t, e->host, (int)getpid(), msgid,
			     kv[0] ? "[" SD_ID : "-");	/* NILVALUE: no data */
	for (i = 0; kv[i] && kv[i + 1] && n < sizeof(msg); i += 2) {
		sd_escape(v, sizeof(v), kv[i + 1]);
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, " %s=\"%s\"",
				      kv[i], v);
	}
	if (n < sizeof(msg))
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s %s",
				      kv[0] ? "]" : "", text);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (send(e->sock, msg, n, 0) < 0)
		e->lost++;
}

void mwd_event(struct mwd_events *e, int severity, const char *msgid,
	       const char *const *kv, const char *fmt, ...)
{
	char text[512], t[MW_TIME_LEN], *line = NULL;
	size_t len = 0;
	FILE *m;
	va_list ap;
	int i;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	mw_time_format(mw_now_unix_ns(), 0, 3, t, sizeof(t));
	m = open_memstream(&line, &len);
	if (m) {
		jp_init(m, true);
		jp_open_obj(NULL);
		jp_str("time", t);
		jp_str("event", msgid);
		for (i = 0; kv[i] && kv[i + 1]; i += 2)
			jp_str(kv[i], kv[i + 1]);
		jp_str("text", text);
		jp_close_obj();
		jp_finish();
		fclose(m);
	}
	/* the line whole or not at all (a full disk) */
	if (!m || !line || mw_append_record(e->fd, line, len))
		e->lost++;
	if (m && line)
		mwd_notify_event(e->notify, severity, msgid, line, len);
	free(line);
	if (e->sock >= 0)
		send_syslog(e, severity, t, msgid, kv, text);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Notification (controls 2.1.1, 4): each event at notify_severity or
 * above (syslog's numbers: 4 = warning, the default, takes auto-blocks,
 * storage alerts and agreement warnings) is given to notify_command (run
 * by /bin/sh -c, so a pipeline to mail or a ticket tool works) as its
 * JSON line on stdin, with MW_EVENT set to the event's id.
 *
 * One command runs at a time, from a queue of at most QUEUE events (the
 * oldest dropped beyond, counted).  A command that exits non-zero, dies,
 * or runs longer than TIMEOUT_S is killed if need be and retried after
 * 1, 2, 4 ... 60 s, ATTEMPTS times in all; then the event is given up and
 * a "notify-failed" event says so (never notified itself).  Everything
 * here is non-blocking: the daemon's loop calls mwd_notify_run() each
 * time round, and enforcement never waits for a notification.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "meterwalld.h"

#define QUEUE		256
#define ATTEMPTS	5
#define TIMEOUT_S	30

struct note {
	char *json;
	char id[32];
	unsigned int tries;
};

struct mwd_notify {
	char cmd[1024];
	int min_severity;
	struct note q[QUEUE];
	size_t head, n;
	pid_t child;		/* 0: none running */
	int64_t started_ms, next_ms;	/* CLOCK_MONOTONIC */
	struct mwd_notify_stats st;
	struct mwd_events *ev;	/* for notify-failed */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mwd_notify_open(const char *cmd, int min_severity, struct mwd_notify **out)
{
	struct mwd_notify *n;

	if (strlen(cmd) >= sizeof(n->cmd))
		return -ENAMETOOLONG;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	strcpy(n->cmd, cmd);
	n->min_severity = min_severity;
	*out = n;
	return 0;
}

void mwd_notify_set_events(struct mwd_notify *n, struct mwd_events *ev)
{
	if (n)
		n->ev = ev;
}

static void pop(struct mwd_notify *n)
{
	free(n->q[n->head].json);
	n->q[n->head].json = NULL;
	n->head = (n->head + 1) % QUEUE;
	n->n--;
}

void mwd_notify_close(struct mwd_notify *n)
{
	if (!n)
		return;
	if (n->child > 0) {
		kill(n->child, SIGKILL);
		waitpid(n->child, NULL, 0);
	}
	while (n->n)
		pop(n);
	free(n);
}

const struct mwd_notify_stats *mwd_notify_stats(const struct mwd_notify *n)
{
	static const struct mwd_notify_stats none;

	return n ? &n->st : &none;
}

void mwd_notify_event(struct mwd_notify *n, int severity, const char *id,
		      const char *json, size_t len)
{
	struct note *e;

	if (!n || severity > n->min_severity || !strcmp(id, "notify-failed"))
		return;
	if (n->n == QUEUE) {		/* the oldest goes */
		if (n->child > 0) {	/* (not the one being sent) */
			n->st.dropped++;
			return;
		}
		pop(n);
		n->st.dropped++;
	}
	e = &n->q[(n->head + n->n) % QUEUE];
	e->json = strndup(json, len);
	if (!e->json) {
		n->st.dropped++;
		return;
	}
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->tries = 0;
	n->n++;
	mwd_notify_run(n);
}

/* The command for the head of the queue; its stdin the event. */
static void spawn(struct mwd_notify *n)
{
	struct note *e = &n->q[n->head];
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(p[0], 0);
		setenv("MW_EVENT", e->id, 1);
		execl("/bin/sh", "sh", "-c", n->cmd, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	if (pid > 0) {
		/* a pipe holds 64 KiB: an event line never blocks here */
		(void)!write(p[1], e->json, strlen(e->json));
		n->child = pid;
		n->started_ms = mono_ms();
		e->tries++;
		n->st.runs++;
	}
	close(p[1]);
}

static void failed(struct mwd_notify *n)
{
	struct note *e = &n->q[n->head];
	char tries[16];
	const char *kv[] = { "event_id", e->id, "attempts", tries, NULL };

	n->st.failures++;
	if (e->tries < ATTEMPTS) {
		int64_t backoff = 1000LL << (e->tries - 1);

		n->next_ms = mono_ms() + (backoff > 60000 ? 60000 : backoff);
		return;
	}
	snprintf(tries, sizeof(tries), "%u", e->tries);
	n->st.given_up++;
	fprintf(stderr, "meterwalld: notify_command failed %u times for a %s event: given up\n",
		e->tries, e->id);
	pop(n);
	mwd_event(n->ev, 3, "notify-failed", kv,
		  "notify_command failed %s times for a %s event: given up",
		  tries, kv[1]);
}

void mwd_notify_run(struct mwd_notify *n)
{
	int status;
	pid_t r;

	if (!n)
		return;
	if (n->child > 0) {
		r = waitpid(n->child, &status, WNOHANG);
		if (r == 0 && mono_ms() - n->started_ms < TIMEOUT_S * 1000)
			return;			/* still running */
		if (r == 0) {			/* too long: killed */
			kill(n->child, SIGKILL);
			waitpid(n->child, &status, 0);
			status = -1;
		}
		n->child = 0;
		if (r > 0 && WIFEXITED(status) && !WEXITSTATUS(status)) {
			n->st.delivered++;
			pop(n);
			n->next_ms = 0;
		} else {
			failed(n);
		}
	}
	if (n->n && !n->child && mono_ms() >= n->next_ms)
		spawn(n);
}

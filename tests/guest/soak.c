// SPDX-License-Identifier: GPL-2.0
/*
 * soak: the CPU soaker of the receive-cost benchmark
 * (tests/vm/guest/kmod-bench.sh).  Pinned to one CPU at SCHED_IDLE, it
 * spins and counts, and writes its count as text at the start of FILE
 * every 2^16 turns.  What the packets took of that CPU is what the count
 * did not gain against its rate without packets; and the CPU never idles,
 * so no condition pays for waking it (under TCG waking a halted vCPU costs
 * more than receiving a packet, and a cheaper filter would idle and wake
 * more often).  Every other task, and every softirq, comes first.
 *
 *   soak CPU FILE
 *
 * Without arguments (tests/run.sh on the host): a cmocka suite of the
 * soaker itself: it counts, in fixed width, on its CPU at SCHED_IDLE, and
 * gives the CPU up to a task of normal priority.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TURNS	65536U

static int soak(int cpu, const char *path)
{
	struct sched_param sp = { .sched_priority = 0 };
	unsigned long long n = 0;
	char buf[32];
	cpu_set_t set;
	int fd, len;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    sched_setscheduler(0, SCHED_IDLE, &sp)) {
		perror("soak: CPU or policy");
		return 1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	for (;;) {
		volatile unsigned int i;

		for (i = 0; i < TURNS; i++)
			;
		n++;
		/* fixed width: a reader never sees a shorter number's tail */
		len = snprintf(buf, sizeof(buf), "%020llu\n", n);
		if (pwrite(fd, buf, len, 0) != len) {
			perror("soak: write");
			return 1;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Host suite                                                             */

static char g_file[64];

static pid_t start(int cpu)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(soak(cpu, g_file));
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(g_file);
}

/* The count in FILE (exactly 20 digits and a newline), -1 if none yet. */
static long long count(void)
{
	char buf[32] = "";
	ssize_t n;
	int fd = open(g_file, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	assert_int_equal(n, 21);
	assert_int_equal(strspn(buf, "0123456789"), 20);
	assert_int_equal(buf[20], '\n');
	return atoll(buf);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Counts per second, over max_secs or until it counted at least min more
 * (a window long enough to see it count on a busy machine). */
static double rate(long long min, double max_secs)
{
	long long c0 = count(), c;
	double t0 = now(), t;

	do {
		usleep(10000);
		c = count();
		t = now();
	} while (c - c0 < min && t - t0 < max_secs);
	return (c - c0) / (t - t0);
}

static void wait_first(void)
{
	int i;

	for (i = 0; i < 500 && count() < 1; i++)
		usleep(10000);
	assert_true(count() >= 1);
}

static void t_counts_idle_on_its_cpu(void **state)
{
	cpu_set_t set;
	pid_t pid;

	(void)state;
	pid = start(0);
	wait_first();
	assert_int_equal(sched_getscheduler(pid), SCHED_IDLE);
	assert_int_equal(sched_getaffinity(pid, sizeof(set), &set), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_true(CPU_ISSET(0, &set));
	assert_true(rate(20, 10) > 0);
	stop(pid);
}

/* A task of normal priority on the same CPU takes nearly all of it. */
static void t_gives_way(void **state)
{
	double free_rate, busy_rate;
	pid_t pid, hog;

	(void)state;
	pid = start(0);
	wait_first();
	free_rate = rate(20, 10);
	hog = fork();
	assert_true(hog >= 0);
	if (!hog) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			_exit(1);
		for (;;)
			;
	}
	usleep(50000);
	busy_rate = rate(LLONG_MAX, 0.3);
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	stop(pid);
	print_message("soak: %.0f counts/s alone, %.0f beside a task\n",
		      free_rate, busy_rate);
	assert_true(free_rate > 0);
	assert_true(busy_rate < free_rate / 5);
}

static void t_usage(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char *argv[] = { "soak", "x", NULL };

		execv("/proc/self/exe", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
}

static int host_suite(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_counts_idle_on_its_cpu),
		cmocka_unit_test(t_gives_way),
		cmocka_unit_test(t_usage),
	};

	snprintf(g_file, sizeof(g_file), "/tmp/mw-soak-%d", (int)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return host_suite();
	if (argc != 3) {
		fprintf(stderr, "usage: soak CPU FILE\n");
		return 2;
	}
	return soak(atoi(argv[1]), argv[2]);
}

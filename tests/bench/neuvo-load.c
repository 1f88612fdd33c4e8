/*
 * neuvo-load.c - the load generator of tests/bench/run.sh: many residents
 * and advisors speaking neuvo's WebSocket protocol (CONTRACT.md section 4)
 * to a server on loopback, at a paced message rate, for a bounded time.
 *
 * It drives three servers the same way: neuvo itself, the Node relay
 * (tests/bench/node-relay) and the raw lws echo server (lws-echo.c), so
 * that their figures can stand side by side in docs/capacity.md.
 *
 * Modes:
 *   chat  residents say hello, wait to be assigned, then send `rate`
 *         messages a second each; advisors log in (password), take chats
 *         (or mark themselves available for auto_assign) and write into
 *         their chats at `advisor-rate` a second. Measured: echo latency
 *         (send -> own echo) and relay latency (send -> the other side).
 *   echo  residents send messages from the moment they connect and count
 *         every frame that comes back as an echo (lws-echo.c has no queue).
 *   idle  residents say hello and sit in the queue; the figure is the
 *         server's memory per queued resident.
 *
 * Time is planned, not negotiated: after the advisors have logged in, the
 * parent process hands every worker one start time and each worker walks
 * the same timeline (ramp, warm-up, measured window, drain, teardown) for
 * each step of the ladder. Latency runs from the moment a message is
 * handed to lws_write; how late that moment was against the message's
 * schedule is kept apart as "lag" (a server that stops reading makes it
 * grow through TCP backpressure, and so does a generator short of CPU).
 * Keeping them apart lets a sub-millisecond echo be seen at all, as the
 * pacing timers have millisecond resolution. Each message carries its
 * write time inside its text as 16 letters ("ref abcd..."), which survive
 * redaction and echo servers alike, so no per-message table is needed
 * and a message sent by one worker can be timed by another.
 *
 * Processes: a file descriptor limit (20,000 here) caps one process, and a
 * source address has ~28,000 ephemeral ports, so --procs forks workers
 * (each with its own lws context on its own libuv loop) and every resident
 * binds its own address in 127.0.0.0/8 (--per-address to share). Workers
 * send their figures to the parent through a pipe, as fixed-size structs.
 *
 * Files: this one (options, the workers' processes, the parent's view of
 * the server), load_plan.c (the timeline), load_client.c (a worker),
 * load_report.c (table and CSV), bench_hist.c and bench_json.c.
 *
 * Not a test: it prints figures, writes CSV and never judges them. It
 * stops by itself: the plan is finite, and an alarm ends any process still
 * running 60 s after the plan should have finished.
 */
#define _GNU_SOURCE             /* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

struct opts load_opt = {
	.host = "127.0.0.1",
	.port = 8080,
	.mode = MODE_CHAT,
	.rate = 9,
	.chats_per_advisor = 60,
	.advisor_rate = 4,
	.user_prefix = "bench",
	.warm_s = 2,
	.dur_s = 10,
	.drain_s = 2,
	.gap_s = 1,
	.connect_rate = 1000,
	.login_timeout_s = 180,
	.per_address = 1,
	.procs = 1,
	.label = "server",
	.text_len = 80,
	.pii_every = 10,
	.max_msgs = 50000000,
};

/* -------------------------------------------------------------- parent */

/* utime + stime of pid in seconds (all its threads), or -1. */
static double
proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');  /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS of pid in KiB, or -1. */
static long
proc_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The one CPU pid is pinned to (taskset -c N), or -1 when it may run on
 * more than one. */
static int
pinned_cpu(int pid)
{
	cpu_set_t set;
	int i, found = -1;

	if (pid < 0 || sched_getaffinity(pid, sizeof(set), &set))
		return -1;
	if (CPU_COUNT(&set) != 1)
		return -1;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			found = i;
	return found;
}

/* Seconds CPU `cpu` has been busy (user, nice, system, irq, softirq,
 * steal) since boot, from /proc/stat; -1 when unknown. */
static double
cpu_busy_s(int cpu)
{
	unsigned long long v[8];
	char line[512], name[16];
	double busy = -1;
	FILE *f;

	if (cpu < 0)
		return -1;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)))
			continue;
		if (sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu "
			   "%llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
			   &v[5], &v[6], &v[7]) == 8)
			busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
			       (double)sysconf(_SC_CLK_TCK);
		break;
	}
	fclose(f);
	return busy;
}

static void
sleep_until(int64_t t)
{
	struct timespec ts;

	ts.tv_sec = t / 1000000;
	ts.tv_nsec = (t % 1000000) * 1000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static int
read_wire(int fd, struct wire *m)
{
	char *p = (char *)m;
	size_t left = sizeof(*m);

	while (left) {
		ssize_t n = read(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* Read one step's struct from every worker and add them up. */
static int
gather(int *up, int kind, struct step_stats *sum)
{
	struct wire m;
	int w;

	memset(sum, 0, sizeof(*sum));
	for (w = 0; w < load_opt.procs; w++) {
		if (read_wire(up[w], &m) || m.kind != kind)
			return -1;
		load_merge(sum, &m.s);
	}
	return 0;
}

static int
parent_main(int *up, int *down)
{
	struct step_stats sum;
	struct phase_times t;
	struct server_side srv;
	FILE *csv = NULL;
	int64_t t0;
	long rss_idle;
	int srv_cpu;
	int w, k;

	if (gather(up, MSG_READY, &sum)) {
		fprintf(stderr, "neuvo-load: a worker failed before the start\n");
		return 2;
	}
	if (load_opt.mode == MODE_CHAT) {
		char codes[512], closes[256];

		load_codes_text(&sum, codes, sizeof(codes));
		load_closes_text(&sum, closes, sizeof(closes));
		printf("# %llu of %d advisors logged in", (unsigned long long)
		       sum.advisors_ready, load_opt.advisors);
		if (sum.advisors_ready < (uint64_t)load_opt.advisors)
			printf(" (refused %llu, http %d, errors %s, closes %s)",
			       (unsigned long long)(sum.refused_tcp +
						    sum.refused_http),
			       sum.last_http_status, codes, closes);
		printf("\n");
	}
	if (load_opt.csv) {
		bool fresh = access(load_opt.csv, F_OK) != 0;

		csv = fopen(load_opt.csv, "a");
		if (!csv) {
			fprintf(stderr, "neuvo-load: cannot write %s\n", load_opt.csv);
			return 2;
		}
		if (fresh)
			fputs(load_csv_header, csv);
	}
	load_print_header();
	rss_idle = proc_rss_kib(load_opt.server_pid);
	srv_cpu = pinned_cpu(load_opt.server_pid);
	t0 = load_now_us() + 200000;
	for (w = 0; w < load_opt.procs; w++)
		if (write(down[w], &t0, sizeof(t0)) != (ssize_t)sizeof(t0))
			return 2;
	for (k = 0; k < load_opt.n_steps; k++) {
		double c0, c1, b0, b1;

		load_plan_step(t0, k, &t);
		sleep_until(t.window);
		c0 = proc_cpu_s(load_opt.server_pid);
		b0 = cpu_busy_s(srv_cpu);
		srv.rss_before = rss_idle;
		srv.rss_window = proc_rss_kib(load_opt.server_pid);
		sleep_until(t.end);
		c1 = proc_cpu_s(load_opt.server_pid);
		b1 = cpu_busy_s(srv_cpu);
		srv.cpu_s = c0 >= 0 && c1 >= 0 ? c1 - c0 : -1;
		/* Whatever else ran on the server's CPU meanwhile: on a shared
		 * machine the figures of a busy window mean less. */
		srv.others_pct = b0 >= 0 && b1 >= 0 && srv.cpu_s >= 0 ?
				 (b1 - b0 - srv.cpu_s) / load_opt.dur_s * 100 : -1;
		if (gather(up, MSG_STEP, &sum)) {
			fprintf(stderr, "neuvo-load: a worker died in step %d\n",
				k + 1);
			return 2;
		}
		load_print_row(csv, k, &sum, &srv);
	}
	if (csv)
		fclose(csv);
	return 0;
}

/* ------------------------------------------------------------- options */

static void
usage(void)
{
	fputs("usage: neuvo-load [--mode chat|echo|idle] [--host A] [--port P]\n"
	      "  [--residents N | --ladder N1,N2,...] [--rate R]\n"
	      "  [--advisors M] [--chats-per-advisor C] [--advisor-rate R]\n"
	      "  [--take] [--user-prefix bench] [--password-file F]\n"
	      "  [--ramp S] [--warm S] [--duration S] [--drain S] [--gap S]\n"
	      "  [--connect-rate R] [--login-timeout S] [--per-address K]\n"
	      "  [--procs P] [--server-pid PID] [--csv FILE] [--label L]\n"
	      "  [--text-len N] [--pii-every N] [--max-msgs N] [--origin O]\n"
	      "  [--churn S]   (a chat ends every S s so that a waiting\n"
	      "                resident is taken: residents beyond the\n"
	      "                advisors' capacity wait in the queue)\n"
	      "The advisor password comes from --password-file or the\n"
	      "environment variable NEUVO_LOAD_PASSWORD.\n", stderr);
}

static int
parse_ladder(const char *s)
{
	char *end;

	load_opt.n_steps = 0;
	while (*s) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 1 || v > 10000000 || load_opt.n_steps >= MAX_STEPS)
			return -1;
		load_opt.steps[load_opt.n_steps++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return load_opt.n_steps ? 0 : -1;
}

static char *
read_password(const char *path)
{
	static char buf[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return buf;
}

static int
parse_mode(const char *s)
{
	if (!strcmp(s, "chat"))
		load_opt.mode = MODE_CHAT;
	else if (!strcmp(s, "echo"))
		load_opt.mode = MODE_ECHO;
	else if (!strcmp(s, "idle"))
		load_opt.mode = MODE_IDLE;
	else
		return -1;
	return 0;
}

enum {
	O_MODE = 256, O_HOST, O_PORT, O_RESIDENTS, O_LADDER, O_RATE,
	O_ADVISORS, O_CPA, O_ARATE, O_TAKE, O_USER, O_PWFILE, O_RAMP, O_WARM,
	O_DUR, O_DRAIN, O_GAP, O_CRATE, O_LOGIN, O_PERADDR, O_PROCS, O_PID,
	O_CSV, O_LABEL, O_TEXTLEN, O_PII, O_MAXMSGS, O_ORIGIN, O_CHURN
};

static const struct option long_opts[] = {
	{ "mode", 1, NULL, O_MODE }, { "host", 1, NULL, O_HOST },
	{ "port", 1, NULL, O_PORT }, { "residents", 1, NULL, O_RESIDENTS },
	{ "ladder", 1, NULL, O_LADDER }, { "rate", 1, NULL, O_RATE },
	{ "advisors", 1, NULL, O_ADVISORS },
	{ "chats-per-advisor", 1, NULL, O_CPA },
	{ "advisor-rate", 1, NULL, O_ARATE }, { "take", 0, NULL, O_TAKE },
	{ "user-prefix", 1, NULL, O_USER },
	{ "password-file", 1, NULL, O_PWFILE }, { "ramp", 1, NULL, O_RAMP },
	{ "warm", 1, NULL, O_WARM }, { "duration", 1, NULL, O_DUR },
	{ "drain", 1, NULL, O_DRAIN }, { "gap", 1, NULL, O_GAP },
	{ "connect-rate", 1, NULL, O_CRATE },
	{ "login-timeout", 1, NULL, O_LOGIN },
	{ "per-address", 1, NULL, O_PERADDR }, { "procs", 1, NULL, O_PROCS },
	{ "server-pid", 1, NULL, O_PID }, { "csv", 1, NULL, O_CSV },
	{ "label", 1, NULL, O_LABEL }, { "text-len", 1, NULL, O_TEXTLEN },
	{ "pii-every", 1, NULL, O_PII }, { "max-msgs", 1, NULL, O_MAXMSGS },
	{ "origin", 1, NULL, O_ORIGIN }, { "churn", 1, NULL, O_CHURN },
	{ "help", 0, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
parse_one(int o, const char *a)
{
	switch (o) {
	case O_MODE: return parse_mode(a);
	case O_HOST: load_opt.host = a; break;
	case O_PORT: load_opt.port = atoi(a); break;
	case O_RESIDENTS: /* fall through: one step */
	case O_LADDER: return parse_ladder(a);
	case O_RATE: load_opt.rate = atof(a); break;
	case O_ADVISORS: load_opt.advisors = atoi(a); break;
	case O_CPA: load_opt.chats_per_advisor = atoi(a); break;
	case O_ARATE: load_opt.advisor_rate = atof(a); break;
	case O_TAKE: load_opt.take = true; break;
	case O_USER: load_opt.user_prefix = a; break;
	case O_PWFILE: load_opt.password = read_password(a);
		return load_opt.password ? 0 : -1;
	case O_RAMP: load_opt.ramp_s = atof(a); break;
	case O_WARM: load_opt.warm_s = atof(a); break;
	case O_DUR: load_opt.dur_s = atof(a); break;
	case O_DRAIN: load_opt.drain_s = atof(a); break;
	case O_GAP: load_opt.gap_s = atof(a); break;
	case O_CRATE: load_opt.connect_rate = atof(a); break;
	case O_LOGIN: load_opt.login_timeout_s = atof(a); break;
	case O_PERADDR: load_opt.per_address = atoi(a); break;
	case O_PROCS: load_opt.procs = atoi(a); break;
	case O_PID: load_opt.server_pid = atoi(a); break;
	case O_CSV: load_opt.csv = a; break;
	case O_LABEL: load_opt.label = a; break;
	case O_TEXTLEN: load_opt.text_len = atoi(a); break;
	case O_PII: load_opt.pii_every = atoi(a); break;
	case O_MAXMSGS: load_opt.max_msgs = strtoull(a, NULL, 10); break;
	case O_ORIGIN: load_opt.origin = a; break;
	case O_CHURN: load_opt.churn_s = atof(a); break;
	default: return -1;
	}
	return 0;
}

/* Names and passwords go into JSON as they are: no quotes, backslashes
 * or control characters. */
static bool
json_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

static int
check_opts(void)
{
	static char origin[128];

	if (!load_opt.n_steps)
		load_opt.steps[load_opt.n_steps++] = 100;
	if (load_opt.port < 1 || load_opt.port > 65535 || load_opt.rate <= 0 ||
	    load_opt.rate > 1000 || load_opt.dur_s <= 0 || load_opt.procs < 1 ||
	    load_opt.procs > MAX_PROCS || load_opt.per_address < 1 ||
	    load_opt.connect_rate <= 0 || load_opt.text_len < 30 ||
	    load_opt.text_len > TX_MAX - FRAME_RESERVE - 1 ||
	    load_opt.chats_per_advisor < 1 || load_opt.chats_per_advisor > MAX_CHATS ||
	    load_opt.advisor_rate < 0 || load_opt.advisor_rate > 8 ||
	    strlen(load_opt.user_prefix) > 200 || !json_safe(load_opt.user_prefix))
		return -1;
	if (load_opt.mode == MODE_CHAT && !load_opt.advisors)
		load_opt.advisors = (load_largest_step() + load_opt.chats_per_advisor - 1) /
			       load_opt.chats_per_advisor;
	if (load_opt.mode == MODE_CHAT && !load_opt.password)
		load_opt.password = getenv("NEUVO_LOAD_PASSWORD");
	if (load_opt.mode == MODE_CHAT && (!load_opt.password ||
				      !json_safe(load_opt.password))) {
		fputs("neuvo-load: chat mode needs an advisor password "
		      "(no quotes or backslashes)\n", stderr);
		return -1;
	}
	if (!load_opt.origin) {
		snprintf(origin, sizeof(origin), "http://%s:%d", load_opt.host,
			 load_opt.port);
		load_opt.origin = origin;
	}
	return 0;
}

/* Descriptors: as many as the hard limit allows; each worker needs one per
 * connection and a few for itself. */
static int
check_fd_limit(void)
{
	struct rlimit rl;
	long need = load_share_of(load_largest_step(), 0) +
		    load_share_of(load_opt.mode == MODE_CHAT ? load_opt.advisors : 0, 0) + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if ((rlim_t)need > rl.rlim_cur) {
		fprintf(stderr, "neuvo-load: a worker needs %ld descriptors, the "
			"limit is %llu: use more --procs\n", need,
			(unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int up[MAX_PROCS], down[MAX_PROCS], o, w, rc, status;
	pid_t pids[MAX_PROCS];

	while ((o = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (o == 'h' || parse_one(o, optarg)) {
			usage();
			return o == 'h' ? 0 : 1;
		}
	}
	if (optind < argc || check_opts()) {
		usage();
		return 1;
	}
	if (check_fd_limit())
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* The plan is finite; past it by a minute, something hangs. */
	alarm((unsigned)(load_opt.login_timeout_s + load_plan_length_s() + 60));
	for (w = 0; w < load_opt.procs; w++) {
		int a[2], b[2];

		if (pipe(a) || pipe(b))
			return 2;
		pids[w] = fork();
		if (pids[w] < 0)
			return 2;
		if (pids[w] == 0) {
			/* A worker outlives no parent (killed, or ^C). */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			close(a[0]);
			close(b[1]);
			_exit(load_worker_main(w, a[1], b[0]));
		}
		close(a[1]);
		close(b[0]);
		up[w] = a[0];
		down[w] = b[1];
	}
	rc = parent_main(up, down);
	for (w = 0; w < load_opt.procs; w++) {
		close(down[w]);
		if (rc)
			kill(pids[w], SIGTERM);
		waitpid(pids[w], &status, 0);
	}
	return rc;
}

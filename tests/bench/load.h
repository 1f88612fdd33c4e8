/*
 * load.h - what the parts of the load generator share (neuvo-load.c is the
 * program; load_plan.c its timeline, load_client.c the workers' lws
 * clients, load_report.c the table and CSV).
 *
 * load_opt is set once by main() before the workers are forked and read
 * only afterwards; everything else here is plain data.
 */
#ifndef NEUVO_BENCH_LOAD_H
#define NEUVO_BENCH_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_hist.h"

#define MAX_STEPS 32
#define MAX_PROCS 16
#define MAX_CHATS 100           /* max_chats_per_advisor's upper bound */
#define ADVISOR_TICK_MS 120     /* one frame per tick: under 10 frames/s */
#define TX_MAX 8192             /* longest frame the generator writes */
#define FRAME_RESERVE 256       /* JSON around a message's text */

enum mode { MODE_CHAT, MODE_ECHO, MODE_IDLE };

struct opts {
	const char *host;
	int port;
	const char *origin;             /* Origin header; default http://host:port */
	enum mode mode;
	int steps[MAX_STEPS];           /* residents in each step */
	int n_steps;
	double rate;                    /* messages a second per resident */
	int advisors;                   /* 0 = enough for the largest step */
	int chats_per_advisor;
	double advisor_rate;            /* messages a second per advisor */
	bool take;                      /* advisors send take (auto_assign = no) */
	const char *user_prefix;        /* advisor usernames: prefix1, prefix2... */
	const char *password;
	double ramp_s, warm_s, dur_s, drain_s, gap_s;
	double connect_rate;            /* new residents a second, all workers */
	double login_timeout_s;
	int per_address;                /* residents sharing one source address */
	int procs;
	int server_pid;                 /* 0 = no CPU or memory figures */
	const char *csv;
	const char *label;              /* first CSV column, e.g. "neuvo" */
	int text_len;
	int pii_every;                  /* every n-th message carries a phone number */
	uint64_t max_msgs;              /* per step, all workers together */
	double churn_s;                 /* a chat ends every churn_s (worker 0) */
};

extern struct opts load_opt;

/* H_POS: a `position` frame's arrival after the latest take this worker
 * caused (--churn), so bounded by the churn interval when pushes run late. */
enum { H_ECHO_R, H_ECHO_A, H_RELAY_R2A, H_RELAY_A2R, H_LAG, H_POS, H_N };

/* Error codes counted one by one (CONTRACT.md section 4 and 7); the last,
 * "other", takes the rest. */
#define N_ERRORS 14
extern const char *const load_error_codes[N_ERRORS];

/* Close codes counted one by one; the last, 0, takes the rest. */
#define N_CLOSES 8
extern const int load_close_codes[N_CLOSES];

/* What one worker saw in one step. Plain data: it travels through a pipe
 * to the parent, which adds the workers' structs up. */
struct step_stats {
	int step;
	uint64_t advisors_ready;        /* login_ok seen (sent with READY) */
	uint64_t connected, refused_tcp, refused_http;
	int last_http_status;           /* of a refused handshake */
	uint64_t queued, assigned, positions;
	uint64_t live_at_window;        /* residents chatting (queued in idle) */
	uint64_t adv_live_at_window;    /* advisors holding a chat */
	uint64_t waiting_at_window;     /* residents queued, not chatting */
	uint64_t churned;               /* chats ended to make a take happen */
	uint64_t advisors_up;           /* logged in when the window opened */
	uint64_t advisors_relogged;     /* closed by the server, logged in again */
	uint64_t sent_r, sent_a;        /* messages written, whole step */
	uint64_t echoed_r, echoed_a;    /* own echoes, whole step */
	uint64_t relayed_r2a, relayed_a2r;
	uint64_t win_echoes;            /* echoes received inside the window */
	uint64_t turned_away;           /* queue_full, closed, blocked */
	uint64_t closed_by_server;
	uint64_t errors[N_ERRORS];
	uint64_t closes[N_CLOSES];
	uint64_t stale_slots;           /* still open from the step before */
	double gen_cpu_s;               /* this worker's CPU in the window */
	struct bench_hist h[H_N];
};

/* A message from worker to parent. */
enum { MSG_READY = 1, MSG_STEP = 2 };
struct wire {
	int kind;
	struct step_stats s;
};

/* Figures the parent measured itself for one step. */
struct server_side {
	double cpu_s;                   /* server CPU in the window, -1 unknown */
	long rss_before, rss_window;    /* KiB */
	double others_pct;              /* other work on the server's CPU */
};

/* Absolute times (monotonic microseconds) of one step's phases. */
struct phase_times {
	int64_t ramp, warm, window, end, drained, next;
};

/* load_plan.c */

/* CLOCK_MONOTONIC in microseconds. */
int64_t load_now_us(void);

/* Phase times of step k when the plan starts at t0. Every process computes
 * the same numbers from the same options. */
void load_plan_step(int64_t t0, int k, struct phase_times *t);

/* Seconds from the plan's start to the end of its last step. */
double load_plan_length_s(void);

/* Residents in the largest step. */
int load_largest_step(void);

/* How many of `total` connections worker w drives (global index
 * g = w + procs * j). */
int load_share_of(int total, int w);

/* load_client.c */

/*
 * Run worker `id`: connect its advisors, report MSG_READY on up_fd, wait
 * for the start time (an int64_t) on down_fd, walk the plan and report
 * MSG_STEP after each step. Never returns on success (the process exits at
 * the end of the plan); returns 2 when it cannot start.
 */
int load_worker_main(int id, int up_fd, int down_fd);

/* load_report.c */

extern const char *const load_csv_header;

/* Add every count of s into `into`. */
void load_merge(struct step_stats *into, const struct step_stats *s);

/* "code=n;code=n" of the errors, and of the close codes, into out. */
void load_codes_text(const struct step_stats *s, char *out, size_t cap);
void load_closes_text(const struct step_stats *s, char *out, size_t cap);

/* The table's header, then one row per step (and one CSV line when csv is
 * not NULL). */
void load_print_header(void);
void load_print_row(FILE *csv, int k, const struct step_stats *s,
		    const struct server_side *srv);

#endif

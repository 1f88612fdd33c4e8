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
 * Not a test: it prints figures, writes CSV and never judges them. It
 * stops by itself: the plan is finite, and an alarm ends any process still
 * running 60 s after the plan should have finished.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <uv.h>

#include "bench_hist.h"
#include "bench_json.h"

#define MAX_STEPS 32
#define MAX_PROCS 16
#define MAX_CHATS 100           /* max_chats_per_advisor's upper bound */
#define ADVISOR_TICK_MS 120     /* one frame per tick: under 10 frames/s */
#define RAMP_TICK_MS 10
#define RX_CAP 65536            /* longer frames are read from a prefix */
#define TX_MAX 8192
#define FRAME_RESERVE 256       /* JSON around a message's text */
#define LOGINS_AT_ONCE 3        /* neuvo checks 4 passwords at once and */
#define LOGIN_TRIES 5           /* turns further logins away meanwhile */

/* ------------------------------------------------------------- options */

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

static struct opts opt = {
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

/* ---------------------------------------------------------- the figures */

enum { H_ECHO_R, H_ECHO_A, H_RELAY_R2A, H_RELAY_A2R, H_LAG, H_N };

static const char *const error_codes[] = {
	"rate_limited", "bad_json", "bad_type", "bad_field", "too_long",
	"not_allowed", "auth_failed", "queue_empty", "too_many_chats",
	"unknown_chat", "unavailable", "wait_for_advisor", "chat_full",
	"other"
};
#define N_ERRORS (sizeof(error_codes) / sizeof(error_codes[0]))

static const int close_codes[] = { 1000, 1001, 1006, 1008, 1009, 1011, 1012, 0 };
#define N_CLOSES (sizeof(close_codes) / sizeof(close_codes[0]))

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

/* ------------------------------------------------------------ the plan */

/* Absolute times (monotonic microseconds) of one step's phases. */
struct phase_times {
	int64_t ramp, warm, window, end, drained, next;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double
ramp_of(int residents)
{
	double connect = (double)residents / opt.connect_rate;
	double take = 0;

	if (opt.ramp_s > 0)
		return opt.ramp_s;
	/* Taking is paced at one frame a tick per advisor. */
	if (opt.mode == MODE_CHAT && opt.take && opt.advisors)
		take = (double)residents / opt.advisors * ADVISOR_TICK_MS / 1e3;
	return (connect > take ? connect : take) + 2.0;
}

/* Phase times of step k when the plan starts at t0. Every process
 * computes the same numbers from the same options. */
static void
plan_step(int64_t t0, int k, struct phase_times *t)
{
	int64_t at = t0;
	int i;

	for (i = 0; i <= k; i++) {
		t->ramp = at;
		t->warm = t->ramp + (int64_t)(ramp_of(opt.steps[i]) * 1e6);
		t->window = t->warm + (int64_t)(opt.warm_s * 1e6);
		t->end = t->window + (int64_t)(opt.dur_s * 1e6);
		t->drained = t->end + (int64_t)(opt.drain_s * 1e6);
		t->next = t->drained + (int64_t)(opt.gap_s * 1e6);
		at = t->next;
	}
}

static double
plan_length_s(void)
{
	struct phase_times t;

	plan_step(0, opt.n_steps - 1, &t);
	return (double)t.next / 1e6;
}

static int
largest_step(void)
{
	int i, m = 0;

	for (i = 0; i < opt.n_steps; i++)
		if (opt.steps[i] > m)
			m = opt.steps[i];
	return m;
}

/* Residents of step k that worker w drives (global index g = w + procs*j). */
static int
share_of(int total, int w)
{
	return total > w ? (total - w + opt.procs - 1) / opt.procs : 0;
}

/* --------------------------------------------------------- connections */

enum role { ROLE_RESIDENT, ROLE_ADVISOR };
enum cstate { C_FREE, C_CONNECTING, C_OPEN, C_CLOSED };

/* One client connection. Lives in the worker's arrays for the whole run
 * (slots are reused step after step); touched only on the worker's loop
 * thread. Its timer lives in a separate array so that a slot can be wiped
 * while the loop still knows the timer; timers are never closed, as the
 * process ends with _exit. */
struct conn {
	struct lws *wsi;
	enum role role;
	enum cstate state;
	int index;                      /* global resident or advisor number */
	char addr[20];                  /* source address bound */
	uv_timer_t *timer;              /* in the worker's timer array */
	bool closing;                   /* we asked for the close */
	/* resident */
	bool hello_sent, queued, chatting, want_end, end_sent;
	int64_t next_send;              /* due time of the next message */
	/* advisor */
	bool login_sent, logged_in, status_sent, frame_due;
	int64_t chats[MAX_CHATS];
	int n_chats, rr, takes_out;
	int tries;                      /* logins attempted */
	int64_t queue_len;
	double credit;                  /* messages owed at advisor_rate */
	int64_t frame_due_at;
	/* both */
	uint64_t seq;
	char *rx;                       /* reassembly, owned; NULL until needed */
	size_t rx_len;
	bool rx_cut;                    /* frame longer than RX_CAP */
};

enum phase { PH_LOGIN, PH_WAIT, PH_RAMP, PH_WARM, PH_WINDOW, PH_DRAIN,
	     PH_TEARDOWN, PH_DONE };

/* The worker: one per process, touched only on its loop thread. */
struct worker {
	int id;
	int up_fd, down_fd;             /* to and from the parent */
	uv_loop_t loop;
	uv_timer_t phase_timer, ramp_timer, churn_timer;
	int churn_next;                 /* where the churn looks next */
	uv_poll_t down_poll;
	struct lws_context *ctx;
	struct conn *res;               /* residents, n_res_max of them */
	int n_res_max, n_res, n_started;
	struct conn *adv;
	int n_adv;
	uv_timer_t *timers;             /* one per connection slot */
	int64_t t0;
	int step;
	enum phase phase;
	struct phase_times t;
	int64_t ramp_started;
	uint64_t sent_cap;              /* this worker's share of max_msgs */
	double cpu_at_window;
	struct step_stats st;
	unsigned char tx[LWS_PRE + TX_MAX];
	char pad[4096];                 /* filler text for messages */
};

static struct worker W;

static bool
in_window(int64_t t)
{
	return W.phase == PH_WINDOW && t >= W.t.window && t < W.t.end;
}

static bool
sending_phase(void)
{
	return W.phase == PH_RAMP || W.phase == PH_WARM || W.phase == PH_WINDOW;
}

/* ------------------------------------------------------ message content */

/* "ref " and 16 letters a..p: the write time, a nibble a letter. Letters
 * only, so no redaction rule can touch it. */
static void
put_marker(char *out, int64_t due)
{
	uint64_t v = (uint64_t)due;
	int i;

	memcpy(out, "ref ", 4);
	for (i = 0; i < 16; i++)
		out[4 + i] = (char)('a' + ((v >> (60 - 4 * i)) & 15));
}

/* The write time from a text holding a marker; -1 when there is none. */
static int64_t
read_marker(const struct bench_span *text)
{
	const char *p = text->p, *end = text->p + text->len;
	uint64_t v = 0;
	int i;

	for (; p + 20 <= end; p++) {
		if (memcmp(p, "ref ", 4))
			continue;
		for (i = 0; i < 16; i++) {
			char c = p[4 + i];

			if (c < 'a' || c > 'p')
				break;
			v = (v << 4) | (uint64_t)(c - 'a');
		}
		if (i == 16)
			return (int64_t)v;
		v = 0;
	}
	return -1;
}

/* The text of message `seq` (written at `due`) into out; returns its length.
 * Every pii_every-th one carries a phone number for the redactor. */
static int
message_text(char *out, size_t cap, uint64_t seq, int64_t due)
{
	int n, want = opt.text_len;
	bool pii = opt.pii_every > 0 && seq % (uint64_t)opt.pii_every == 0;

	n = snprintf(out, cap, "Hei, kysyisin asumistuesta %s", pii ?
		     "soita 040 123 4567 " : "");
	if (n < 0 || (size_t)n + 21 >= cap)
		return -1;
	put_marker(out + n, due);
	n += 20;
	while (n < want && (size_t)n + 1 < cap) {
		int room = want - n;
		int chunk = room < (int)sizeof(W.pad) ? room : (int)sizeof(W.pad);

		if ((size_t)(n + chunk) >= cap)
			chunk = (int)(cap - (size_t)n - 1);
		memcpy(out + n, W.pad, (size_t)chunk);
		n += chunk;
	}
	out[n] = '\0';
	return n;
}

/* --------------------------------------------------------- bookkeeping */

static void
count_error(const struct bench_span *code)
{
	size_t i;

	for (i = 0; i + 1 < N_ERRORS; i++)
		if (bench_span_is(code, error_codes[i]))
			break;
	W.st.errors[i]++;
}

static void
count_close(int code)
{
	size_t i;

	for (i = 0; i + 1 < N_CLOSES; i++)
		if (close_codes[i] == code)
			break;
	W.st.closes[i]++;
}

static void
record(int hist, int64_t due, int64_t now)
{
	if (due < 0 || !in_window(now))
		return;
	bench_hist_add(&W.st.h[hist], now - due);
}

static double
cpu_self_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------- writing */

/* Write one text frame of len bytes from W.tx + LWS_PRE. Returns 0, or -1
 * when lws refused it (the connection is then closing). */
static int
send_frame(struct conn *c, int len)
{
	if (len <= 0 || len > TX_MAX)
		return -1;
	if (lws_write(c->wsi, W.tx + LWS_PRE, (size_t)len, LWS_WRITE_TEXT) < len)
		return -1;
	return 0;
}

static int
send_literal(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	memcpy(W.tx + LWS_PRE, s, n);
	return send_frame(c, (int)n);
}

/* A message from c, due at `due`, into its chat (advisors) or its own
 * (residents). */
static int
send_message(struct conn *c, int64_t chat, int64_t due)
{
	char text[TX_MAX - FRAME_RESERVE];
	char *out = (char *)W.tx + LWS_PRE;
	int n;

	if (message_text(text, sizeof(text), c->seq, due) < 0)
		return -1;
	if (c->role == ROLE_ADVISOR)
		n = snprintf(out, TX_MAX, "{\"type\":\"msg\",\"chat\":%lld,"
			     "\"text\":\"%s\",\"cid\":\"a%ds%llu\"}",
			     (long long)chat, text, c->index,
			     (unsigned long long)c->seq);
	else
		n = snprintf(out, TX_MAX, "{\"type\":\"msg\",\"text\":\"%s\","
			     "\"cid\":\"r%ds%llu\"}", text, c->index,
			     (unsigned long long)c->seq);
	c->seq++;
	if (n < 0 || n >= TX_MAX)
		return -1;
	return send_frame(c, n);
}

static void
resident_schedule(struct conn *c);

/* The resident's next write: hello, then messages as they fall due, then
 * end. Returns -1 to have lws close the connection. */
static int
resident_writable(struct conn *c)
{
	int64_t now = now_us();

	if (c->want_end) {
		/* A queued resident that only hung up would wait out its
		 * resume grace in the queue and be served in the next step. */
		if ((c->chatting || c->queued) && opt.mode != MODE_ECHO &&
		    !c->end_sent) {
			c->end_sent = true;
			if (send_literal(c, "{\"type\":\"end\"}"))
				return -1;
			lws_callback_on_writable(c->wsi);
			return 0;
		}
		c->closing = true;
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	if (opt.mode != MODE_ECHO && !c->hello_sent) {
		c->hello_sent = true;
		return send_literal(c, "{\"type\":\"hello\",\"lang\":\"fi\"}");
	}
	if (!sending_phase() || (opt.mode == MODE_CHAT && !c->chatting))
		return 0;
	if (c->next_send > now) {
		/* libuv's cached loop time lets a timer fire a little early */
		resident_schedule(c);
		return 0;
	}
	if (W.st.sent_r + W.st.sent_a >= W.sent_cap)
		return 0;
	if (in_window(now))
		bench_hist_add(&W.st.h[H_LAG], now - c->next_send);
	if (send_message(c, 0, now))
		return -1;
	W.st.sent_r++;
	c->next_send += (int64_t)(1e6 / opt.rate);
	resident_schedule(c);
	return 0;
}

static void
on_resident_timer(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->state == C_OPEN)
		lws_callback_on_writable(c->wsi);
}

/* Wake for the next due message: at once when behind, else by timer. */
static void
resident_schedule(struct conn *c)
{
	int64_t now = now_us(), wait;

	if (c->state != C_OPEN || !sending_phase())
		return;
	wait = c->next_send - now;
	if (wait <= 0) {
		lws_callback_on_writable(c->wsi);
		return;
	}
	uv_timer_start(c->timer, on_resident_timer,
		       (uint64_t)((wait + 999) / 1000), 0);
}

/* Start sending at a random phase within one period, so that thousands of
 * residents do not write in lockstep. */
static void
resident_start(struct conn *c)
{
	int64_t period = (int64_t)(1e6 / opt.rate);

	c->next_send = now_us() + (int64_t)(drand48() * (double)period);
	resident_schedule(c);
}

static int
advisor_pick_chat(struct conn *c, int64_t *chat)
{
	if (!c->n_chats)
		return -1;
	c->rr = (c->rr + 1) % c->n_chats;
	*chat = c->chats[c->rr];
	return 0;
}

/* One advisor frame per tick: login, availability, a take, or a message. */
static int
advisor_writable(struct conn *c)
{
	char buf[512];
	int64_t chat;
	int n;

	if (!c->login_sent) {
		c->login_sent = true;
		n = snprintf(buf, sizeof(buf), "%s%d", opt.user_prefix,
			     c->index + 1);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return -1;
		n = snprintf((char *)W.tx + LWS_PRE, TX_MAX,
			     "{\"type\":\"login\",\"username\":\"%s\","
			     "\"password\":\"%s\"}", buf, opt.password);
		return send_frame(c, n);
	}
	if (!c->logged_in || !c->frame_due)
		return 0;
	c->frame_due = false;
	if (!opt.take && !c->status_sent) {
		c->status_sent = true;
		return send_literal(c, "{\"type\":\"status\",\"available\":true}");
	}
	if (opt.take && c->queue_len > 0 && c->takes_out == 0 &&
	    c->n_chats < opt.chats_per_advisor) {
		c->takes_out++;
		c->queue_len--;
		return send_literal(c, "{\"type\":\"take\"}");
	}
	if (!sending_phase() || c->credit < 1 || advisor_pick_chat(c, &chat))
		return 0;
	if (W.st.sent_r + W.st.sent_a >= W.sent_cap)
		return 0;
	c->credit -= 1;
	if (in_window(now_us()))
		bench_hist_add(&W.st.h[H_LAG], now_us() - c->frame_due_at);
	if (send_message(c, chat, now_us()))
		return -1;
	W.st.sent_a++;
	return 0;
}

static void
on_advisor_tick(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->state != C_OPEN || !c->logged_in)
		return;
	if (sending_phase() && c->n_chats) {
		c->credit += opt.advisor_rate * ADVISOR_TICK_MS / 1000.0;
		if (c->credit > 2)
			c->credit = 2;
	}
	c->frame_due = true;
	c->frame_due_at = now_us();
	lws_callback_on_writable(c->wsi);
}

/* ------------------------------------------------------------- reading */

enum { F_TYPE, F_FROM, F_TEXT, F_CHAT, F_CODE, F_LENGTH, F_N };

static void
resident_frame(struct conn *c, struct bench_json_field *f, int64_t now)
{
	const struct bench_span *type = &f[F_TYPE].val;

	if (bench_span_is(type, "msg")) {
		int64_t due = f[F_TEXT].found ? read_marker(&f[F_TEXT].val) : -1;

		if (f[F_FROM].found && bench_span_is(&f[F_FROM].val, "advisor")) {
			W.st.relayed_a2r++;
			record(H_RELAY_A2R, due, now);
			return;
		}
		W.st.echoed_r++;
		if (in_window(now) && due >= 0)
			W.st.win_echoes++;
		record(H_ECHO_R, due, now);
	} else if (bench_span_is(type, "position")) {
		W.st.positions++;
	} else if (bench_span_is(type, "queued")) {
		c->queued = true;
		W.st.queued++;
	} else if (bench_span_is(type, "assigned")) {
		if (!c->chatting) {
			W.st.assigned++;
			c->chatting = true;
			resident_start(c);
		}
	} else if (bench_span_is(type, "ended")) {
		c->chatting = false;
	} else if (bench_span_is(type, "error")) {
		if (f[F_CODE].found)
			count_error(&f[F_CODE].val);
	} else if (bench_span_is(type, "queue_full") ||
		   bench_span_is(type, "closed") ||
		   bench_span_is(type, "blocked")) {
		W.st.turned_away++;
	}
}

static void
advisor_add_chat(struct conn *c, int64_t chat)
{
	int i;

	for (i = 0; i < c->n_chats; i++)
		if (c->chats[i] == chat)
			return;
	if (c->n_chats < MAX_CHATS)
		c->chats[c->n_chats++] = chat;
}

static void
advisor_drop_chat(struct conn *c, int64_t chat)
{
	int i;

	for (i = 0; i < c->n_chats; i++) {
		if (c->chats[i] != chat)
			continue;
		c->chats[i] = c->chats[--c->n_chats];
		return;
	}
}

static void
advisor_frame(struct conn *c, struct bench_json_field *f, int64_t now)
{
	const struct bench_span *type = &f[F_TYPE].val;
	int64_t v;

	if (bench_span_is(type, "msg")) {
		int64_t due = f[F_TEXT].found ? read_marker(&f[F_TEXT].val) : -1;

		if (f[F_FROM].found && bench_span_is(&f[F_FROM].val, "resident")) {
			W.st.relayed_r2a++;
			record(H_RELAY_R2A, due, now);
			return;
		}
		W.st.echoed_a++;
		if (in_window(now) && due >= 0)
			W.st.win_echoes++;
		record(H_ECHO_A, due, now);
	} else if (bench_span_is(type, "queue")) {
		if (f[F_LENGTH].found && !bench_span_int(&f[F_LENGTH].val, &v))
			c->queue_len = v;
	} else if (bench_span_is(type, "chat")) {
		if (f[F_CHAT].found && !bench_span_int(&f[F_CHAT].val, &v))
			advisor_add_chat(c, v);
		if (c->takes_out > 0)
			c->takes_out--;
	} else if (bench_span_is(type, "ended")) {
		if (f[F_CHAT].found && !bench_span_int(&f[F_CHAT].val, &v))
			advisor_drop_chat(c, v);
	} else if (bench_span_is(type, "login_ok")) {
		c->logged_in = true;
		W.st.advisors_ready++;
	} else if (bench_span_is(type, "error")) {
		if (f[F_CODE].found)
			count_error(&f[F_CODE].val);
		if (c->takes_out > 0 && f[F_CODE].found &&
		    (bench_span_is(&f[F_CODE].val, "queue_empty") ||
		     bench_span_is(&f[F_CODE].val, "too_many_chats"))) {
			c->takes_out--;
			if (bench_span_is(&f[F_CODE].val, "queue_empty"))
				c->queue_len = 0;
		}
	}
}

static void
handle_frame(struct conn *c, const char *buf, size_t len)
{
	struct bench_json_field f[F_N] = {
		[F_TYPE] = { .key = "type" }, [F_FROM] = { .key = "from" },
		[F_TEXT] = { .key = "text" }, [F_CHAT] = { .key = "chat" },
		[F_CODE] = { .key = "code" }, [F_LENGTH] = { .key = "length" },
	};
	int64_t now = now_us();

	if (bench_json_scan(buf, len, f, F_N) || !f[F_TYPE].found)
		return;
	if (c->role == ROLE_ADVISOR)
		advisor_frame(c, f, now);
	else
		resident_frame(c, f, now);
}

/* A piece of a message: whole ones are read in place, pieces gathered. */
static void
on_receive(struct conn *c, struct lws *wsi, const char *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi);
	bool done = lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi);

	if (first && done) {
		handle_frame(c, in, len);
		return;
	}
	if (first) {
		c->rx_len = 0;
		c->rx_cut = false;
	}
	if (!c->rx) {
		c->rx = malloc(RX_CAP);
		if (!c->rx)
			return;
	}
	if (c->rx_len + len > RX_CAP) {
		len = RX_CAP - c->rx_len;
		c->rx_cut = true;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (done)
		handle_frame(c, c->rx, c->rx_len);
}

/* ---------------------------------------------------- lws glue (client) */

static void
conn_gone(struct conn *c)
{
	if (c->state == C_OPEN && !c->closing)
		W.st.closed_by_server++;
	c->state = C_CLOSED;
	c->wsi = NULL;
	c->chatting = false;
	c->logged_in = false;
	uv_timer_stop(c->timer);
}

static int
on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user,
       void *in, size_t len)
{
	struct conn *c = user;

	if (!c)
		return 0;       /* context-level callbacks: nothing of ours */
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (lws_http_client_http_response(wsi)) {
			W.st.refused_http++;
			W.st.last_http_status =
				(int)lws_http_client_http_response(wsi);
		} else {
			W.st.refused_tcp++;
		}
		c->state = C_CLOSED;
		c->wsi = NULL;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->state = C_OPEN;
		W.st.connected++;
		if (c->role == ROLE_ADVISOR) {
			uv_timer_start(c->timer, on_advisor_tick,
				       ADVISOR_TICK_MS, ADVISOR_TICK_MS);
		} else if (opt.mode == MODE_ECHO) {
			c->chatting = true;
			resident_start(c);
		}
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c->role == ROLE_ADVISOR)
			return advisor_writable(c);
		return resident_writable(c);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;

			count_close(b[0] << 8 | b[1]);
		} else {
			count_close(1005);
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		conn_gone(c);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "neuvo-load", on_lws, 0, 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Source address number n as 127.x.y.z, z in 1..254; residents from
 * 127.1.0.1 upwards, advisors from 127.255.0.1. */
static void
address_of(int n, bool advisor, char *out, size_t cap)
{
	unsigned char z = (unsigned char)(1 + n % 254);
	unsigned char y = (unsigned char)((n / 254) % 256);
	unsigned char x = (unsigned char)(1 + (n / (254 * 256)) % 254);

	if (advisor)
		x = 255;
	snprintf(out, cap, "127.%u.%u.%u", x, y, z);
}

static int
conn_open(struct conn *c)
{
	struct lws_client_connect_info ci;
	char host[64];

	snprintf(host, sizeof(host), "%s:%d", opt.host, opt.port);
	memset(&ci, 0, sizeof(ci));
	ci.context = W.ctx;
	ci.address = opt.host;
	ci.port = opt.port;
	ci.path = "/ws";
	ci.host = host;
	ci.origin = opt.origin;
	ci.protocol = c->role == ROLE_ADVISOR ? "neuvo.advisor.v1"
					      : "neuvo.resident.v1";
	ci.local_protocol_name = "neuvo-load";
	ci.userdata = c;
	ci.iface = c->addr;
	ci.pwsi = &c->wsi;
	c->state = C_CONNECTING;
	c->closing = false;
	if (!lws_client_connect_via_info(&ci)) {
		/* The error callback may already have counted it. */
		if (c->state == C_CONNECTING) {
			W.st.refused_tcp++;
			c->state = C_CLOSED;
		}
		return -1;
	}
	return 0;
}

static void
conn_reset(struct conn *c, enum role role, int index)
{
	char *rx = c->rx;
	uv_timer_t *timer = c->timer;

	uv_timer_stop(timer);
	memset(c, 0, sizeof(*c));
	c->rx = rx;
	c->timer = timer;
	c->role = role;
	c->index = index;
	c->state = C_FREE;
	address_of(role == ROLE_ADVISOR ? index : index / opt.per_address,
		   role == ROLE_ADVISOR, c->addr, sizeof(c->addr));
}

/* --------------------------------------------------------- the timeline */

static void
report_up(int kind)
{
	struct wire m;
	const char *p = (const char *)&m;
	size_t left = sizeof(m);

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.s = W.st;
	m.s.step = W.step;
	while (left) {
		ssize_t n = write(W.up_fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		p += n;
		left -= (size_t)n;
	}
}

static void
reset_stats(void)
{
	memset(&W.st, 0, sizeof(W.st));
}

static void
on_ramp_tick(uv_timer_t *t)
{
	double per_worker = opt.connect_rate / opt.procs;
	int64_t due = (int64_t)((double)(now_us() - W.ramp_started) / 1e6 *
				per_worker) + 1;

	(void)t;
	while (W.n_started < W.n_res && W.n_started < due) {
		int j = W.n_started++;
		struct conn *c = &W.res[j];

		if (c->state == C_OPEN || c->state == C_CONNECTING) {
			W.st.stale_slots++;
			continue;
		}
		conn_reset(c, ROLE_RESIDENT, W.id + opt.procs * j);
		conn_open(c);
	}
	if (W.n_started >= W.n_res)
		uv_timer_stop(&W.ramp_timer);
}

static void
start_ramp(void)
{
	W.n_res = share_of(opt.steps[W.step], W.id);
	if (W.n_res > W.n_res_max)
		W.n_res = W.n_res_max;
	W.n_started = 0;
	W.ramp_started = now_us();
	uv_timer_start(&W.ramp_timer, on_ramp_tick, 0, RAMP_TICK_MS);
}

static uint64_t
count_waiting(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < W.n_res; i++)
		if (W.res[i].state == C_OPEN && W.res[i].queued &&
		    !W.res[i].chatting)
			n++;
	return n;
}

/* --churn: one chatting resident ends its chat, so that the server hands
 * the first waiting one to the freed advisor (a take while many wait:
 * every waiting resident's position changes). */
static void
on_churn(uv_timer_t *t)
{
	int i;

	(void)t;
	for (i = 0; i < W.n_res; i++) {
		struct conn *c = &W.res[(W.churn_next + i) % W.n_res];

		if (c->state != C_OPEN || !c->chatting || c->want_end)
			continue;
		W.churn_next = (W.churn_next + i + 1) % W.n_res;
		uv_timer_stop(c->timer);
		c->want_end = true;
		W.st.churned++;
		lws_callback_on_writable(c->wsi);
		return;
	}
}

static uint64_t
count_live(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < W.n_res; i++) {
		struct conn *c = &W.res[i];

		if (c->state != C_OPEN)
			continue;
		if (opt.mode == MODE_IDLE ? c->queued : c->chatting)
			n++;
	}
	return n;
}

/* End of the step: every resident says end and closes. Newest first, so
 * that residents leave from the back of the queue and nobody's position
 * changes (a storm of position pushes is not what a step measures). */
static void
teardown(void)
{
	int i;

	for (i = W.n_res - 1; i >= 0; i--) {
		struct conn *c = &W.res[i];

		uv_timer_stop(c->timer);
		if (c->state != C_OPEN)
			continue;
		c->want_end = true;
		lws_callback_on_writable(c->wsi);
	}
}

static void schedule_phase(void);

static void
enter_phase(enum phase p)
{
	int i;

	W.phase = p;
	switch (p) {
	case PH_RAMP:
		start_ramp();
		break;
	case PH_WARM:
		if (opt.churn_s > 0 && W.id == 0 && W.n_res)
			uv_timer_start(&W.churn_timer, on_churn,
				       (uint64_t)(opt.churn_s * 1000),
				       (uint64_t)(opt.churn_s * 1000));
		break;
	case PH_WINDOW:
		W.st.live_at_window = count_live();
		W.st.waiting_at_window = count_waiting();
		for (i = 0; i < W.n_adv; i++)
			if (W.adv[i].state == C_OPEN && W.adv[i].n_chats)
				W.st.adv_live_at_window++;
		W.cpu_at_window = cpu_self_s();
		break;
	case PH_DRAIN:
		uv_timer_stop(&W.churn_timer);
		W.st.gen_cpu_s = cpu_self_s() - W.cpu_at_window;
		break;
	case PH_TEARDOWN:
		report_up(MSG_STEP);
		reset_stats();
		teardown();
		break;
	case PH_DONE:
		/* lws 4.1 cannot destroy a context on a foreign loop cleanly,
		 * and the kernel closes every socket at exit. */
		_exit(0);
	default:
		break;
	}
	if (p == PH_RAMP || p == PH_WARM) {
		for (i = 0; i < W.n_adv; i++)
			W.adv[i].credit = 0;
	}
	schedule_phase();
}

static void
on_phase_timer(uv_timer_t *t)
{
	(void)t;
	switch (W.phase) {
	case PH_RAMP: enter_phase(PH_WARM); return;
	case PH_WARM: enter_phase(PH_WINDOW); return;
	case PH_WINDOW: enter_phase(PH_DRAIN); return;
	case PH_DRAIN: enter_phase(PH_TEARDOWN); return;
	case PH_WAIT:
	case PH_TEARDOWN:
		if (++W.step >= opt.n_steps) {
			enter_phase(PH_DONE);
			return;
		}
		plan_step(W.t0, W.step, &W.t);
		enter_phase(PH_RAMP);
		return;
	default:
		return;
	}
}

/* Arm the phase timer for the end of the current phase. */
static void
schedule_phase(void)
{
	int64_t at, wait;

	switch (W.phase) {
	case PH_WAIT: at = W.t0; break;
	case PH_RAMP: at = W.t.warm; break;
	case PH_WARM: at = W.t.window; break;
	case PH_WINDOW: at = W.t.end; break;
	case PH_DRAIN: at = W.t.drained; break;
	case PH_TEARDOWN: at = W.t.next; break;
	default: return;
	}
	wait = at - now_us();
	uv_timer_start(&W.phase_timer, on_phase_timer,
		       wait > 0 ? (uint64_t)((wait + 999) / 1000) : 0, 0);
}

/* The parent's start time arrived: walk the plan. */
static void
on_down(uv_poll_t *h, int status, int events)
{
	int64_t t0;
	ssize_t n;

	(void)status;
	(void)events;
	n = read(W.down_fd, &t0, sizeof(t0));
	if (n != (ssize_t)sizeof(t0))
		_exit(n == 0 ? 0 : 4);
	uv_poll_stop(h);
	W.t0 = t0;
	W.step = -1;            /* the phase timer moves on to step 0 */
	W.phase = PH_WAIT;
	reset_stats();
	schedule_phase();
}

static bool
logging_in(const struct conn *c)
{
	return c->state == C_CONNECTING || (c->state == C_OPEN && !c->logged_in);
}

/* Keep a few advisors logging in at a time (a password check costs the
 * server half a CPU-second); one turned away tries again, LOGIN_TRIES
 * times in all. Returns true when every advisor is in or out of tries. */
static bool
pace_logins(void)
{
	int i, busy = 0, limit = LOGINS_AT_ONCE / opt.procs;
	bool settled = true;

	if (limit < 1)
		limit = 1;
	for (i = 0; i < W.n_adv; i++)
		busy += logging_in(&W.adv[i]);
	for (i = 0; i < W.n_adv; i++) {
		struct conn *c = &W.adv[i];
		int tries = c->tries;

		if (c->state == C_OPEN && c->logged_in)
			continue;
		if (logging_in(c)) {
			settled = false;
			continue;
		}
		if (tries >= LOGIN_TRIES)
			continue;
		settled = false;
		if (busy >= limit)
			continue;
		conn_reset(c, ROLE_ADVISOR, c->index);
		c->tries = tries + 1;
		conn_open(c);
		busy++;
	}
	return settled;
}

/* During login: report READY once every advisor is in (or out of tries),
 * or when the login time is up. */
static void
on_login_check(uv_timer_t *t)
{
	static int64_t started;

	if (!started)
		started = now_us();
	if (!pace_logins() &&
	    now_us() - started < (int64_t)(opt.login_timeout_s * 1e6))
		return;
	uv_timer_stop(t);
	report_up(MSG_READY);
	reset_stats();
	W.phase = PH_WAIT;
	uv_poll_start(&W.down_poll, UV_READABLE, on_down);
}

static int
worker_setup(void)
{
	struct lws_context_creation_info info;
	void *loops[1];
	int i, n_adv_total;

	if (uv_loop_init(&W.loop) || uv_timer_init(&W.loop, &W.phase_timer) ||
	    uv_timer_init(&W.loop, &W.ramp_timer) ||
	    uv_timer_init(&W.loop, &W.churn_timer) ||
	    uv_poll_init(&W.loop, &W.down_poll, W.down_fd))
		return -1;
	memset(&info, 0, sizeof(info));
	loops[0] = &W.loop;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	/* RAW_ORIGIN: send --origin as given (lws would prefix "http://"). */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6 |
		       LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
	info.foreign_loops = loops;
	info.timeout_secs = 60;
	info.connect_timeout_secs = 60;
	W.ctx = lws_create_context(&info);
	if (!W.ctx)
		return -1;
	W.n_res_max = share_of(largest_step(), W.id);
	W.res = calloc((size_t)W.n_res_max + 1, sizeof(*W.res));
	n_adv_total = opt.mode == MODE_CHAT ? opt.advisors : 0;
	W.n_adv = share_of(n_adv_total, W.id);
	W.adv = calloc((size_t)W.n_adv + 1, sizeof(*W.adv));
	if (!W.res || !W.adv)
		return -1;
	W.timers = calloc((size_t)(W.n_res_max + W.n_adv) + 1,
			  sizeof(*W.timers));
	if (!W.timers)
		return -1;
	for (i = 0; i < W.n_res_max + W.n_adv; i++) {
		struct conn *c = i < W.n_res_max ? &W.res[i]
						 : &W.adv[i - W.n_res_max];

		if (uv_timer_init(&W.loop, &W.timers[i]))
			return -1;
		W.timers[i].data = c;
		c->timer = &W.timers[i];
	}
	for (i = 0; i < W.n_adv; i++)
		conn_reset(&W.adv[i], ROLE_ADVISOR, W.id + opt.procs * i);
	for (i = 0; i < (int)sizeof(W.pad); i++)
		W.pad[i] = " lorem ipsum vuokra tuki kela"[i % 29];
	W.sent_cap = opt.max_msgs / (uint64_t)opt.procs + 1;
	return 0;
}

static int
worker_main(int id, int up_fd, int down_fd)
{
	static uv_timer_t login_check;

	memset(&W, 0, sizeof(W));
	W.id = id;
	W.up_fd = up_fd;
	W.down_fd = down_fd;
	srand48((long)getpid());
	alarm((unsigned)(opt.login_timeout_s + plan_length_s() + 60));
	/* NEUVO_LOAD_LWS_LOG=15 shows lws's warnings and notices too. */
	lws_set_log_level(getenv("NEUVO_LOAD_LWS_LOG") ?
			  atoi(getenv("NEUVO_LOAD_LWS_LOG")) : LLL_ERR, NULL);
	if (worker_setup()) {
		fprintf(stderr, "neuvo-load: worker %d cannot start\n", id);
		return 2;
	}
	W.phase = PH_LOGIN;
	uv_timer_init(&W.loop, &login_check);
	uv_timer_start(&login_check, on_login_check, 100, 100);
	uv_run(&W.loop, UV_RUN_DEFAULT);
	return 0;
}

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

static void
merge(struct step_stats *into, const struct step_stats *s)
{
	size_t i;

	into->advisors_ready += s->advisors_ready;
	into->connected += s->connected;
	into->refused_tcp += s->refused_tcp;
	into->refused_http += s->refused_http;
	if (s->last_http_status)
		into->last_http_status = s->last_http_status;
	into->queued += s->queued;
	into->assigned += s->assigned;
	into->positions += s->positions;
	into->live_at_window += s->live_at_window;
	into->adv_live_at_window += s->adv_live_at_window;
	into->waiting_at_window += s->waiting_at_window;
	into->churned += s->churned;
	into->sent_r += s->sent_r;
	into->sent_a += s->sent_a;
	into->echoed_r += s->echoed_r;
	into->echoed_a += s->echoed_a;
	into->relayed_r2a += s->relayed_r2a;
	into->relayed_a2r += s->relayed_a2r;
	into->win_echoes += s->win_echoes;
	into->turned_away += s->turned_away;
	into->closed_by_server += s->closed_by_server;
	into->stale_slots += s->stale_slots;
	into->gen_cpu_s += s->gen_cpu_s;
	for (i = 0; i < N_ERRORS; i++)
		into->errors[i] += s->errors[i];
	for (i = 0; i < N_CLOSES; i++)
		into->closes[i] += s->closes[i];
	for (i = 0; i < H_N; i++)
		bench_hist_merge(&into->h[i], &s->h[i]);
}

/* Figures the parent measured itself for one step. */
struct server_side {
	double cpu_s;                   /* server CPU in the window, -1 unknown */
	long rss_before, rss_window;    /* KiB */
};

static const char *const csv_header =
	"label,mode,step,residents,advisors,rate,offered_msgs_s,window_s,"
	"connected,queued,assigned,live_at_window,echoed_msgs_s,echo_p50_ms,echo_p90_ms,"
	"echo_p99_ms,echo_max_ms,relay_p50_ms,relay_p90_ms,relay_p99_ms,"
	"relay_max_ms,a2r_p50_ms,a2r_p99_ms,adv_echo_p50_ms,adv_echo_p99_ms,"
	"sent,echoed,unechoed,errors,rate_limited,error_codes,refused,"
	"turned_away,closed_by_server,close_codes,server_cpu_s,"
	"msgs_per_cpu_s,server_rss_kib,rss_per_resident_kib,gen_cpu_pct,"
	"lag_p99_ms,waiting_at_window,churned\n";

static double
ms(const struct bench_hist *h, double p)
{
	return bench_hist_pct(h, p) / 1000.0;
}

static uint64_t
total_errors(const struct step_stats *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < N_ERRORS; i++)
		n += s->errors[i];
	return n;
}

static void
codes_text(const struct step_stats *s, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < N_ERRORS && used < cap; i++) {
		int n;

		if (!s->errors[i])
			continue;
		n = snprintf(out + used, cap - used, "%s%s=%llu",
			     used ? ";" : "", error_codes[i],
			     (unsigned long long)s->errors[i]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

static void
closes_text(const struct step_stats *s, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < N_CLOSES && used < cap; i++) {
		int n;

		if (!s->closes[i])
			continue;
		n = snprintf(out + used, cap - used, "%s%d=%llu",
			     used ? ";" : "", close_codes[i],
			     (unsigned long long)s->closes[i]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

static const char *
mode_name(void)
{
	return opt.mode == MODE_CHAT ? "chat" : opt.mode == MODE_ECHO ? "echo"
								    : "idle";
}

/* Messages a second the script asks for: every resident that the
 * advisors have room for at `rate` (the rest wait in the queue), and every
 * advisor that holds a chat at `advisor-rate`. */
static double
offered_of(int residents, const struct step_stats *s)
{
	long room = (long)opt.advisors * opt.chats_per_advisor;

	if (opt.mode == MODE_IDLE)
		return 0;
	if (opt.mode == MODE_ECHO)
		return residents * opt.rate;
	return (double)(residents < room ? residents : room) * opt.rate +
	       (double)s->adv_live_at_window * opt.advisor_rate;
}

static void
print_row(FILE *csv, int k, const struct step_stats *s,
	  const struct server_side *srv)
{
	char codes[512], closes[256];
	double echoed_s = (double)s->win_echoes / opt.dur_s;
	uint64_t sent = s->sent_r + s->sent_a, echoed = s->echoed_r + s->echoed_a;
	uint64_t unechoed = sent > echoed ? sent - echoed : 0;
	double per_cpu = srv->cpu_s > 0 ? (double)s->win_echoes / srv->cpu_s : 0;
	double rss_per = -1;
	long live = (long)s->live_at_window;

	if (srv->rss_window > 0 && srv->rss_before > 0 && live > 0)
		rss_per = (double)(srv->rss_window - srv->rss_before) / live;
	codes_text(s, codes, sizeof(codes));
	closes_text(s, closes, sizeof(closes));
	if (opt.mode == MODE_IDLE)
		printf("%-8s %7d residents: %llu queued, %llu refused, %llu "
		       "turned away; server RSS %.1f -> %.1f MiB, %.2f KiB "
		       "per queued resident\n", opt.label, opt.steps[k],
		       (unsigned long long)s->live_at_window,
		       (unsigned long long)(s->refused_tcp + s->refused_http),
		       (unsigned long long)s->turned_away,
		       srv->rss_before / 1024.0, srv->rss_window / 1024.0,
		       rss_per);
	else
		printf("%-8s %6d %6llu %9.0f %9.0f  %7.2f %7.2f %7.2f %8.2f  "
		       "%7.2f %7.2f %6.1f  %8llu %6llu %7.2f %9.0f  %3.0f%% %s\n",
		       opt.label, opt.steps[k],
		       (unsigned long long)s->live_at_window,
		       offered_of(opt.steps[k], s), echoed_s,
		       ms(&s->h[H_ECHO_R], 50), ms(&s->h[H_ECHO_R], 90),
		       ms(&s->h[H_ECHO_R], 99), ms(&s->h[H_ECHO_R], 100),
		       ms(&s->h[H_RELAY_R2A], 50), ms(&s->h[H_RELAY_R2A], 99),
		       ms(&s->h[H_LAG], 99), (unsigned long long)total_errors(s),
		       (unsigned long long)(s->refused_tcp + s->refused_http),
		       srv->cpu_s, per_cpu, s->gen_cpu_s / opt.dur_s * 100,
		       codes);
	if (opt.mode == MODE_CHAT && (s->waiting_at_window || s->churned))
		printf("%-8s   %llu waiting in the queue; %llu chats ended to "
		       "make takes happen\n", "", (unsigned long long)
		       s->waiting_at_window, (unsigned long long)s->churned);
	fflush(stdout);
	if (!csv)
		return;
	fprintf(csv, "%s,%s,%d,%d,%d,%.2f,%.0f,%.2f,%llu,%llu,%llu,%llu,%.1f,"
		"%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
		"%llu,%llu,%llu,%llu,%llu,%s,%llu,%llu,%llu,%s,%.3f,%.0f,%ld,"
		"%.2f,%.0f,%.3f,%llu,%llu\n",
		opt.label, mode_name(), k + 1, opt.steps[k],
		opt.mode == MODE_CHAT ? opt.advisors : 0, opt.rate,
		offered_of(opt.steps[k], s), opt.dur_s,
		(unsigned long long)s->connected,
		(unsigned long long)s->queued, (unsigned long long)s->assigned,
		(unsigned long long)s->live_at_window, echoed_s,
		ms(&s->h[H_ECHO_R], 50), ms(&s->h[H_ECHO_R], 90),
		ms(&s->h[H_ECHO_R], 99), ms(&s->h[H_ECHO_R], 100),
		ms(&s->h[H_RELAY_R2A], 50), ms(&s->h[H_RELAY_R2A], 90),
		ms(&s->h[H_RELAY_R2A], 99), ms(&s->h[H_RELAY_R2A], 100),
		ms(&s->h[H_RELAY_A2R], 50), ms(&s->h[H_RELAY_A2R], 99),
		ms(&s->h[H_ECHO_A], 50), ms(&s->h[H_ECHO_A], 99),
		(unsigned long long)sent, (unsigned long long)echoed,
		(unsigned long long)unechoed,
		(unsigned long long)total_errors(s),
		(unsigned long long)s->errors[0], codes,
		(unsigned long long)(s->refused_tcp + s->refused_http),
		(unsigned long long)s->turned_away,
		(unsigned long long)s->closed_by_server, closes, srv->cpu_s,
		per_cpu, srv->rss_window, rss_per,
		s->gen_cpu_s / opt.dur_s * 100, ms(&s->h[H_LAG], 99),
		(unsigned long long)s->waiting_at_window,
		(unsigned long long)s->churned);
	fflush(csv);
}

static void
print_header(void)
{
	printf("# %s mode against %s:%d, %d step(s), %d worker(s), "
	       "%.0f s window each\n", mode_name(), opt.host, opt.port,
	       opt.n_steps, opt.procs, opt.dur_s);
	if (opt.mode == MODE_IDLE)
		return;
	printf("%-8s %6s %6s %9s %9s  %7s %7s %7s %8s  %7s %7s %6s  %8s %6s "
	       "%7s %9s  %4s %s\n", "server", "resid", "live", "offered/s",
	       "echoed/s", "echo50", "echo90", "echo99", "echomax", "rel50",
	       "rel99", "lag99", "errors", "refus", "srvCPU", "msgs/CPUs",
	       "gen", "codes");
	printf("(latencies in ms; live = residents chatting when the window "
	       "opened; lag99 = how late the generator wrote, p99)\n");
}

/* Read one step's struct from every worker and add them up. */
static int
gather(int *up, int kind, struct step_stats *sum)
{
	struct wire m;
	int w;

	memset(sum, 0, sizeof(*sum));
	for (w = 0; w < opt.procs; w++) {
		if (read_wire(up[w], &m) || m.kind != kind)
			return -1;
		merge(sum, &m.s);
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
	int w, k;

	if (gather(up, MSG_READY, &sum)) {
		fprintf(stderr, "neuvo-load: a worker failed before the start\n");
		return 2;
	}
	if (opt.mode == MODE_CHAT) {
		char codes[512], closes[256];

		codes_text(&sum, codes, sizeof(codes));
		closes_text(&sum, closes, sizeof(closes));
		printf("# %llu of %d advisors logged in", (unsigned long long)
		       sum.advisors_ready, opt.advisors);
		if (sum.advisors_ready < (uint64_t)opt.advisors)
			printf(" (refused %llu, http %d, errors %s, closes %s)",
			       (unsigned long long)(sum.refused_tcp +
						    sum.refused_http),
			       sum.last_http_status, codes, closes);
		printf("\n");
	}
	if (opt.csv) {
		bool fresh = access(opt.csv, F_OK) != 0;

		csv = fopen(opt.csv, "a");
		if (!csv) {
			fprintf(stderr, "neuvo-load: cannot write %s\n", opt.csv);
			return 2;
		}
		if (fresh)
			fputs(csv_header, csv);
	}
	print_header();
	rss_idle = proc_rss_kib(opt.server_pid);
	t0 = now_us() + 200000;
	for (w = 0; w < opt.procs; w++)
		if (write(down[w], &t0, sizeof(t0)) != (ssize_t)sizeof(t0))
			return 2;
	for (k = 0; k < opt.n_steps; k++) {
		double c0, c1;

		plan_step(t0, k, &t);
		sleep_until(t.window);
		c0 = proc_cpu_s(opt.server_pid);
		srv.rss_before = rss_idle;
		srv.rss_window = proc_rss_kib(opt.server_pid);
		sleep_until(t.end);
		c1 = proc_cpu_s(opt.server_pid);
		srv.cpu_s = c0 >= 0 && c1 >= 0 ? c1 - c0 : -1;
		if (gather(up, MSG_STEP, &sum)) {
			fprintf(stderr, "neuvo-load: a worker died in step %d\n",
				k + 1);
			return 2;
		}
		print_row(csv, k, &sum, &srv);
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

	opt.n_steps = 0;
	while (*s) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 1 || v > 10000000 || opt.n_steps >= MAX_STEPS)
			return -1;
		opt.steps[opt.n_steps++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return opt.n_steps ? 0 : -1;
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
		opt.mode = MODE_CHAT;
	else if (!strcmp(s, "echo"))
		opt.mode = MODE_ECHO;
	else if (!strcmp(s, "idle"))
		opt.mode = MODE_IDLE;
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
	case O_HOST: opt.host = a; break;
	case O_PORT: opt.port = atoi(a); break;
	case O_RESIDENTS: /* fall through: one step */
	case O_LADDER: return parse_ladder(a);
	case O_RATE: opt.rate = atof(a); break;
	case O_ADVISORS: opt.advisors = atoi(a); break;
	case O_CPA: opt.chats_per_advisor = atoi(a); break;
	case O_ARATE: opt.advisor_rate = atof(a); break;
	case O_TAKE: opt.take = true; break;
	case O_USER: opt.user_prefix = a; break;
	case O_PWFILE: opt.password = read_password(a);
		return opt.password ? 0 : -1;
	case O_RAMP: opt.ramp_s = atof(a); break;
	case O_WARM: opt.warm_s = atof(a); break;
	case O_DUR: opt.dur_s = atof(a); break;
	case O_DRAIN: opt.drain_s = atof(a); break;
	case O_GAP: opt.gap_s = atof(a); break;
	case O_CRATE: opt.connect_rate = atof(a); break;
	case O_LOGIN: opt.login_timeout_s = atof(a); break;
	case O_PERADDR: opt.per_address = atoi(a); break;
	case O_PROCS: opt.procs = atoi(a); break;
	case O_PID: opt.server_pid = atoi(a); break;
	case O_CSV: opt.csv = a; break;
	case O_LABEL: opt.label = a; break;
	case O_TEXTLEN: opt.text_len = atoi(a); break;
	case O_PII: opt.pii_every = atoi(a); break;
	case O_MAXMSGS: opt.max_msgs = strtoull(a, NULL, 10); break;
	case O_ORIGIN: opt.origin = a; break;
	case O_CHURN: opt.churn_s = atof(a); break;
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

	if (!opt.n_steps)
		opt.steps[opt.n_steps++] = 100;
	if (opt.port < 1 || opt.port > 65535 || opt.rate <= 0 ||
	    opt.rate > 1000 || opt.dur_s <= 0 || opt.procs < 1 ||
	    opt.procs > MAX_PROCS || opt.per_address < 1 ||
	    opt.connect_rate <= 0 || opt.text_len < 30 ||
	    opt.text_len > TX_MAX - FRAME_RESERVE - 1 ||
	    opt.chats_per_advisor < 1 || opt.chats_per_advisor > MAX_CHATS ||
	    opt.advisor_rate < 0 || opt.advisor_rate > 8 ||
	    strlen(opt.user_prefix) > 200 || !json_safe(opt.user_prefix))
		return -1;
	if (opt.mode == MODE_CHAT && !opt.advisors)
		opt.advisors = (largest_step() + opt.chats_per_advisor - 1) /
			       opt.chats_per_advisor;
	if (opt.mode == MODE_CHAT && !opt.password)
		opt.password = getenv("NEUVO_LOAD_PASSWORD");
	if (opt.mode == MODE_CHAT && (!opt.password ||
				      !json_safe(opt.password))) {
		fputs("neuvo-load: chat mode needs an advisor password "
		      "(no quotes or backslashes)\n", stderr);
		return -1;
	}
	if (!opt.origin) {
		snprintf(origin, sizeof(origin), "http://%s:%d", opt.host,
			 opt.port);
		opt.origin = origin;
	}
	return 0;
}

/* Descriptors: as many as the hard limit allows; each worker needs one per
 * connection and a few for itself. */
static int
check_fd_limit(void)
{
	struct rlimit rl;
	long need = share_of(largest_step(), 0) +
		    share_of(opt.mode == MODE_CHAT ? opt.advisors : 0, 0) + 64;

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
	alarm((unsigned)(opt.login_timeout_s + plan_length_s() + 60));
	for (w = 0; w < opt.procs; w++) {
		int a[2], b[2];

		if (pipe(a) || pipe(b))
			return 2;
		pids[w] = fork();
		if (pids[w] < 0)
			return 2;
		if (pids[w] == 0) {
			close(a[0]);
			close(b[1]);
			_exit(worker_main(w, a[1], b[0]));
		}
		close(a[1]);
		close(b[0]);
		up[w] = a[0];
		down[w] = b[1];
	}
	rc = parent_main(up, down);
	for (w = 0; w < opt.procs; w++) {
		close(down[w]);
		if (rc)
			kill(pids[w], SIGTERM);
		waitpid(pids[w], &status, 0);
	}
	return rc;
}

/*
 * load_client.c - one worker of the load generator (load.h): residents and
 * advisors as lws clients on a libuv loop, paced by uv timers, walking the
 * plan of load_plan.c and sending its figures to the parent after each
 * step. One worker per process; all its state is in W and touched only on
 * its loop thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <uv.h>

#include "bench_json.h"
#include "load.h"

#define RAMP_TICK_MS 10
#define RX_CAP 65536            /* longer frames are read from a prefix */
#define LOGINS_AT_ONCE 3        /* neuvo checks 4 passwords at once and */
#define LOGIN_TRIES 5           /* turns further logins away meanwhile */

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
	uv_timer_t phase_timer, ramp_timer, churn_timer, relogin_timer;
	int churn_next;                 /* where the churn looks next */
	int64_t churned_at;             /* the latest churn's end, 0: none */
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
	int n, want = load_opt.text_len;
	bool pii = load_opt.pii_every > 0 && seq % (uint64_t)load_opt.pii_every == 0;

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
		if (bench_span_is(code, load_error_codes[i]))
			break;
	W.st.errors[i]++;
}

static void
count_close(int code)
{
	size_t i;

	for (i = 0; i + 1 < N_CLOSES; i++)
		if (load_close_codes[i] == code)
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
	int64_t now = load_now_us();

	if (c->want_end) {
		/* A queued resident that only hung up would wait out its
		 * resume grace in the queue and be served in the next step. */
		if ((c->chatting || c->queued) && load_opt.mode != MODE_ECHO &&
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
	if (load_opt.mode != MODE_ECHO && !c->hello_sent) {
		c->hello_sent = true;
		return send_literal(c, "{\"type\":\"hello\",\"lang\":\"fi\"}");
	}
	/* idle: say hello and nothing more (the memory figure is of queued
	 * residents, not of their messages) */
	if (!sending_phase() || load_opt.mode == MODE_IDLE ||
	    (load_opt.mode == MODE_CHAT && !c->chatting))
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
	c->next_send += (int64_t)(1e6 / load_opt.rate);
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
	int64_t now = load_now_us(), wait;

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
	int64_t period = (int64_t)(1e6 / load_opt.rate);

	c->next_send = load_now_us() + (int64_t)(drand48() * (double)period);
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
		n = snprintf(buf, sizeof(buf), "%s%d", load_opt.user_prefix,
			     c->index + 1);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return -1;
		n = snprintf((char *)W.tx + LWS_PRE, TX_MAX,
			     "{\"type\":\"login\",\"username\":\"%s\","
			     "\"password\":\"%s\"}", buf, load_opt.password);
		return send_frame(c, n);
	}
	if (!c->logged_in || !c->frame_due)
		return 0;
	c->frame_due = false;
	if (!load_opt.take && !c->status_sent) {
		c->status_sent = true;
		return send_literal(c, "{\"type\":\"status\",\"available\":true}");
	}
	if (load_opt.take && c->queue_len > 0 && c->takes_out == 0 &&
	    c->n_chats < load_opt.chats_per_advisor) {
		c->takes_out++;
		c->queue_len--;
		return send_literal(c, "{\"type\":\"take\"}");
	}
	if (!sending_phase() || c->credit < 1 || advisor_pick_chat(c, &chat))
		return 0;
	if (W.st.sent_r + W.st.sent_a >= W.sent_cap)
		return 0;
	c->credit -= 1;
	if (in_window(load_now_us()))
		bench_hist_add(&W.st.h[H_LAG], load_now_us() - c->frame_due_at);
	if (send_message(c, chat, load_now_us()))
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
		c->credit += load_opt.advisor_rate * ADVISOR_TICK_MS / 1000.0;
		if (c->credit > 2)
			c->credit = 2;
	}
	c->frame_due = true;
	c->frame_due_at = load_now_us();
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
		if (in_window(now))
			W.st.positions++;
		record(H_POS, W.churned_at ? W.churned_at : -1, now);
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
	int64_t now = load_now_us();

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
		} else if (load_opt.mode == MODE_ECHO) {
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

	snprintf(host, sizeof(host), "%s:%d", load_opt.host, load_opt.port);
	memset(&ci, 0, sizeof(ci));
	ci.context = W.ctx;
	ci.address = load_opt.host;
	ci.port = load_opt.port;
	ci.path = "/ws";
	ci.host = host;
	ci.origin = load_opt.origin;
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
	address_of(role == ROLE_ADVISOR ? index : index / load_opt.per_address,
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
	double per_worker = load_opt.connect_rate / load_opt.procs;
	int64_t due = (int64_t)((double)(load_now_us() - W.ramp_started) / 1e6 *
				per_worker) + 1;

	(void)t;
	while (W.n_started < W.n_res && W.n_started < due) {
		int j = W.n_started++;
		struct conn *c = &W.res[j];

		if (c->state == C_OPEN || c->state == C_CONNECTING) {
			W.st.stale_slots++;
			continue;
		}
		conn_reset(c, ROLE_RESIDENT, W.id + load_opt.procs * j);
		conn_open(c);
	}
	if (W.n_started >= W.n_res)
		uv_timer_stop(&W.ramp_timer);
}

static void
start_ramp(void)
{
	W.n_res = load_share_of(load_opt.steps[W.step], W.id);
	if (W.n_res > W.n_res_max)
		W.n_res = W.n_res_max;
	W.n_started = 0;
	W.ramp_started = load_now_us();
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
		W.churned_at = load_now_us();
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
		if (load_opt.mode == MODE_IDLE ? c->queued : c->chatting)
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
static bool pace_logins(void);

/* Between steps: advisors the server closed (after 20 errors, say) log in
 * again, paced like the first time. */
static void
on_relogin(uv_timer_t *t)
{
	if (pace_logins())
		uv_timer_stop(t);
}

static void
relogin_advisors(void)
{
	int i, down = 0;

	for (i = 0; i < W.n_adv; i++) {
		struct conn *c = &W.adv[i];

		if (c->state == C_OPEN && c->logged_in)
			continue;
		if (c->state == C_CLOSED || c->state == C_FREE) {
			c->tries = 0;
			down++;
		}
	}
	W.st.advisors_relogged = (uint64_t)down;
	if (down)
		uv_timer_start(&W.relogin_timer, on_relogin, 0, 100);
}

static void
enter_phase(enum phase p)
{
	int i;

	W.phase = p;
	switch (p) {
	case PH_RAMP:
		relogin_advisors();
		start_ramp();
		break;
	case PH_WARM:
		if (load_opt.churn_s > 0 && W.id == 0 && W.n_res)
			uv_timer_start(&W.churn_timer, on_churn,
				       (uint64_t)(load_opt.churn_s * 1000),
				       (uint64_t)(load_opt.churn_s * 1000));
		break;
	case PH_WINDOW:
		for (i = 0; i < W.n_adv; i++)
			W.st.advisors_up += W.adv[i].state == C_OPEN &&
					    W.adv[i].logged_in;
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
		if (++W.step >= load_opt.n_steps) {
			enter_phase(PH_DONE);
			return;
		}
		load_plan_step(W.t0, W.step, &W.t);
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
	wait = at - load_now_us();
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
	int i, busy = 0, limit = LOGINS_AT_ONCE / load_opt.procs;
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
		started = load_now_us();
	if (!pace_logins() &&
	    load_now_us() - started < (int64_t)(load_opt.login_timeout_s * 1e6))
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
	    uv_timer_init(&W.loop, &W.relogin_timer) ||
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
	W.n_res_max = load_share_of(load_largest_step(), W.id);
	W.res = calloc((size_t)W.n_res_max + 1, sizeof(*W.res));
	n_adv_total = load_opt.mode == MODE_CHAT ? load_opt.advisors : 0;
	W.n_adv = load_share_of(n_adv_total, W.id);
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
		conn_reset(&W.adv[i], ROLE_ADVISOR, W.id + load_opt.procs * i);
	for (i = 0; i < (int)sizeof(W.pad); i++)
		W.pad[i] = " lorem ipsum vuokra tuki kela"[i % 29];
	W.sent_cap = load_opt.max_msgs / (uint64_t)load_opt.procs + 1;
	return 0;
}

int
load_worker_main(int id, int up_fd, int down_fd)
{
	static uv_timer_t login_check;

	memset(&W, 0, sizeof(W));
	W.id = id;
	W.up_fd = up_fd;
	W.down_fd = down_fd;
	srand48((long)getpid());
	alarm((unsigned)(load_opt.login_timeout_s + load_plan_length_s() + 60));
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

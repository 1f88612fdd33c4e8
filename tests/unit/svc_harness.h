/*
 * svc_harness.h - the service driven with no socket, for the unit groups
 * that test the chat service through service.h (test_chat.c, test_desk.c).
 *
 * Included by a group's .c file, once: everything here is static, so each
 * group gets a world of its own (a store, a libuv loop, a clock and the
 * stand-in for net.c below), and nothing is a global symbol of the test
 * binary. The harness:
 *
 * The service gets a real store (SQLite in memory; a few cases a file) and a
 * real libuv loop (password checks run on its thread pool), but its
 * struct svc_io is ours: a connection is a struct net_conn below that,
 * like net.c, holds the frames of a turn until svc_end_turn releases them,
 * and the clocks are variables the cases move. No case waits for time.
 *
 * The clock starts on Wednesday 2026-11-25 at 10:00 in Helsinki (+02:00);
 * the default hours keep Wednesday open 09:00-11:00, Thursday 09:00-11:00
 * and 13:00-15:00, the weekend closed. open_world adds the advisors anna
 * and bertta, and svc_harness_extra (if the group sets it) is called there
 * to add more before the service starts.
 */
#ifndef NEUVO_SVC_HARNESS_H
#define NEUVO_SVC_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <uv.h>

#include "auth.h"
#include "base64.h"
#include "config.h"
#include "hours.h"
#include "net.h"
#include "service.h"
#include "store.h"
#include "unit.h"

/* A group uses only part of the harness. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

#define T0 ((int64_t)1795593600)        /* Wed 2026-11-25 10:00 +02:00 */
#define PASSWORD "correct horse battery"
#define HELD_MAX 64
#define GOT_MAX 256

/* ------------------------------------------------------------ the harness */

/* Our stand-in for net.c's connection. Frames sent in a turn wait in
 * `held` until io_release parses them into `got`; the case reads `got` in
 * order (`n_read`). */
struct net_conn {
	struct net_conn *next;
	void *user;
	char *held[HELD_MAX];
	int n_held;
	json_t *got[GOT_MAX];
	int n_got, n_read;
	int close_code;                 /* 0: the service has not closed it */
	char close_reason[64];
	bool gone;                      /* svc_on_close has been called */
	int queue_drops;                /* io_drop_queue calls */
	char token[64];                 /* the last token it was given */
	char addr[64];                  /* client address; "" = 192.0.2.1 */
};

/* Set by a group that wants more in the store of each world than anna and
 * bertta (called by open_world before the service starts). */
static int (*svc_harness_extra)(struct store *st);

static struct net_conn *conns;
static int64_t clk;
static uint64_t clk_ms;
static bool freeze_ms;                  /* keep clk_ms still (rate limit) */
static struct net_stats nstats;
static char cheap_phc[AUTH_PHC_MAX];

static struct config *cfg;
static struct store *st;
static uv_loop_t loop;
static struct svc *svc;
static char tmpdir[64];                 /* a file store's directory, or "" */
/* Set by a group that checks each frame as the service makes it, before
 * the turn's release (test_positions.c); NULL: none. */
static void (*svc_harness_on_send)(struct net_conn *c, const char *text);

static int
io_send(struct net_conn *c, char *text)
{
	if (c->close_code || c->gone) {
		free(text);
		return 0;
	}
	if (c->n_held == HELD_MAX) {
		free(text);
		return -1;
	}
	if (svc_harness_on_send)
		svc_harness_on_send(c, text);
	c->held[c->n_held++] = text;
	return 0;
}

static void
io_close(struct net_conn *c, int code, const char *reason)
{
	if (c->close_code)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
}

static void
io_release(void)
{
	struct net_conn *c;
	int i;

	for (c = conns; c; c = c->next) {
		for (i = 0; i < c->n_held; i++) {
			json_t *o = json_loads(c->held[i], 0, NULL);
			json_t *tok;

			assert_non_null(o);
			assert_true(c->n_got < GOT_MAX);
			tok = json_object_get(o, "token");
			if (json_is_string(tok))
				snprintf(c->token, sizeof(c->token), "%s",
					 json_string_value(tok));
			c->got[c->n_got++] = o;
			free(c->held[i]);
		}
		c->n_held = 0;
	}
}

static void
io_discard(void)
{
	struct net_conn *c;
	int i;

	for (c = conns; c; c = c->next) {
		for (i = 0; i < c->n_held; i++)
			free(c->held[i]);
		c->n_held = 0;
	}
}

/* net_drop_queue: what is held for c goes, unseen. */
static void
io_drop_queue(struct net_conn *c)
{
	int i;

	for (i = 0; i < c->n_held; i++)
		free(c->held[i]);
	c->n_held = 0;
	c->queue_drops++;
}

static void
io_set_user(struct net_conn *c, void *user)
{
	c->user = user;
}

static void *
io_user(const struct net_conn *c)
{
	return c->user;
}

static const struct net_stats *
io_stats(void)
{
	return &nstats;
}

static int64_t
io_now(void)
{
	return clk;
}

static uint64_t
io_now_ms(void)
{
	return clk_ms;
}

static const char *
io_address(const struct net_conn *c)
{
	return c->addr[0] ? c->addr : "192.0.2.1";
}

/* The loop's idle total (svc_io.idle_us): moved by the tests that drive
 * the overload rules (test_chat.c's loop_turn). */
static uint64_t clk_idle_us;

static uint64_t
io_idle_us(struct uv_loop_s *l)
{
	(void)l;
	return clk_idle_us;
}

static const struct svc_io test_io = {
	io_send, io_close, io_release, io_discard, io_set_user, io_user,
	io_stats, io_now, io_now_ms, io_address, NULL, io_drop_queue,
	io_idle_us
};

/* A scrypt PHC of PASSWORD at the lowest cost auth.c accepts (it reads the
 * cost from the hash), so a login takes a millisecond, not 128 MiB. */
static int
make_cheap_phc(void)
{
	unsigned char salt[16], hash[32];
	char salt64[48], hash64[48];

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    !EVP_PBE_scrypt(PASSWORD, strlen(PASSWORD), salt, sizeof(salt),
			    1024, 1, 1, 8u << 20, hash, sizeof(hash)))
		return -1;
	b64_encode(salt, sizeof(salt), salt64, B64_NOPAD);
	b64_encode(hash, sizeof(hash), hash64, B64_NOPAD);
	snprintf(cheap_phc, sizeof(cheap_phc), "$scrypt$ln=10,r=1,p=1$%s$%s",
		 salt64, hash64);
	return 0;
}

static int
group_setup(void **state)
{
	if (unit_setup_helsinki(state))
		return -1;
	return make_cheap_phc();
}

/* A fresh world: defaults, a store (file when `path` is set) with two
 * advisors, the clock at T0, and the service. */
static int
open_world(const char *path)
{
	clk = T0;
	clk_ms = 1000000;
	clk_idle_us = 0;
	freeze_ms = false;
	memset(&nstats, 0, sizeof(nstats));
	conns = NULL;
	cfg = config_defaults();
	if (!cfg || store_open(path, 0, &st))
		return -1;
	if (store_advisor_add(st, "anna", "Anna", cheap_phc, T0) ||
	    store_advisor_add(st, "bertta", "Bertta", cheap_phc, T0) ||
	    (svc_harness_extra && svc_harness_extra(st)) ||
	    store_commit(st))
		return -1;
	if (uv_loop_init(&loop))
		return -1;
	svc = svc_new(&loop, cfg, st, &test_io);
	return svc ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	tmpdir[0] = '\0';
	return open_world(":memory:");
}

static int
setup_file(void **state)
{
	char path[128];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/neuvo-chat-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/neuvo.db", tmpdir);
	return open_world(path);
}

static void
free_conn(struct net_conn *c)
{
	int i;

	for (i = 0; i < c->n_held; i++)
		free(c->held[i]);
	for (i = 0; i < c->n_got; i++)
		json_decref(c->got[i]);
	free(c);
}

static int
teardown(void **state)
{
	struct net_conn *c;
	char path[128];

	(void)state;
	for (c = conns; c; c = c->next)
		if (!c->gone) {
			svc_on_close(svc, c);
			c->gone = true;
		}
	uv_run(&loop, UV_RUN_DEFAULT);  /* password checks still running */
	svc_free(svc);
	(void)uv_loop_close(&loop);
	store_close(st);
	config_free(cfg);
	while (conns) {
		c = conns;
		conns = c->next;
		free_conn(c);
	}
	if (tmpdir[0]) {
		static const char *const files[] = { "neuvo.db", "neuvo.db-wal",
						     "neuvo.db-shm" };
		size_t i;

		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
			(void)unlink(path);
		}
		(void)rmdir(tmpdir);
	}
	return 0;
}

/* -------------------------------------------------------- driving the service */

static struct net_conn *
open_conn(enum proto_role role)
{
	struct net_conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->next = conns;
	conns = c;
	svc_on_open(svc, c, role);
	return c;
}

/* One frame from c, as text; the monotonic clock moves 200 ms so that no
 * case but the rate-limit one comes near 10 a second. */
static void
say(struct net_conn *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	if (!freeze_ms)
		clk_ms += 200;
	svc_on_frame(svc, c, buf, (size_t)n);
}

/* The end of a loop turn: commit, then release. */
static void
turn(void)
{
	svc_end_turn(svc);
}

/* The 250 ms timer: coalesced pushes, and the sweeps when the second has
 * changed since the last tick. Ends the turn. */
static void
tick(void)
{
	svc_tick(svc);
	turn();
}

/* Move the wall clock and let the timers run. */
static void
later(int64_t seconds)
{
	clk += seconds;
	clk_ms += (uint64_t)seconds * 1000;
	tick();
}

/* Make the next commit fail for real: no file may grow (the WAL is empty
 * after the last turn's checkpoint), as on a full disk. */
static void
commit_failing(void)
{
	struct rlimit rl = { 0, RLIM_INFINITY };

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = 0;
	signal(SIGXFSZ, SIG_IGN);
	/* Nothing of ours may be written meanwhile (stdout may be a file). */
	fflush(stdout);
	fflush(stderr);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	turn();
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	signal(SIGXFSZ, SIG_DFL);
}

/* The connection drops (net.c's svc_on_close). */
static void
drop(struct net_conn *c)
{
	svc_on_close(svc, c);
	c->gone = true;
}

static const char *
type_of(const json_t *o)
{
	return json_string_value(json_object_get(o, "type"));
}

/* The next frame c got, which must be of `type`. */
static json_t *
expect(struct net_conn *c, const char *type)
{
	json_t *o;

	if (c->n_read >= c->n_got)
		fail_msg("expected '%s', got nothing", type);
	o = c->got[c->n_read++];
	if (!type_of(o) || strcmp(type_of(o), type))
		fail_msg("expected '%s', got %s", type,
			 json_dumps(o, JSON_COMPACT));
	return o;
}

/* The next frame of `type`, skipping pushes of others (queue views). */
static json_t *
next_of(struct net_conn *c, const char *type)
{
	while (c->n_read < c->n_got) {
		json_t *o = c->got[c->n_read++];

		if (type_of(o) && !strcmp(type_of(o), type))
			return o;
	}
	fail_msg("no '%s' frame", type);
	return NULL;
}

static void
expect_error(struct net_conn *c, const char *code)
{
	json_t *o = expect(c, "error");

	assert_string_equal(json_string_value(json_object_get(o, "code")),
			    code);
}

static void
expect_nothing(struct net_conn *c)
{
	if (c->n_read < c->n_got)
		fail_msg("unexpected %s",
			 json_dumps(c->got[c->n_read], JSON_COMPACT));
}

/* Nothing of `type` among the unread frames (which are then read). */
static void
expect_none_of(struct net_conn *c, const char *type)
{
	while (c->n_read < c->n_got) {
		json_t *o = c->got[c->n_read++];

		if (type_of(o) && !strcmp(type_of(o), type))
			fail_msg("unexpected %s", json_dumps(o, JSON_COMPACT));
	}
}

static void
skip_all(struct net_conn *c)
{
	c->n_read = c->n_got;
}

static json_int_t
jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static bool
jnull(const json_t *o, const char *key)
{
	return json_is_null(json_object_get(o, key));
}

/* A resident who says hello and is queued; returns its chat id. */
static int64_t
queue_resident(struct net_conn **out)
{
	struct net_conn *c = open_conn(PROTO_RESIDENT);
	json_t *o;

	say(c, "{\"type\":\"hello\"}");
	turn();
	o = expect(c, "queued");
	*out = c;
	return jint(o, "chat");
}

/* An advisor logged in by password (the check runs on the loop's pool). */
static struct net_conn *
login(const char *user)
{
	struct net_conn *c = open_conn(PROTO_ADVISOR);

	say(c, "{\"type\":\"login\",\"username\":\"%s\",\"password\":\"%s\"}",
	    user, PASSWORD);
	uv_run(&loop, UV_RUN_DEFAULT);
	turn();
	assert_string_equal(jstr(expect(c, "login_ok"), "token"), c->token);
	expect(c, "queue");
	return c;
}

/* The advisor takes the first waiting chat; returns its id. */
static int64_t
take(struct net_conn *a)
{
	say(a, "{\"type\":\"take\"}");
	turn();
	return jint(next_of(a, "chat"), "chat");
}

/* A body from status.c, parsed. */
static json_t *
status(void)
{
	char *text = svc_status_json(svc);
	json_t *o;

	assert_non_null(text);
	o = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(o);
	return o;
}

static json_int_t
status_int(const char *key)
{
	json_t *o = status();
	json_int_t v = jint(o, key);

	json_decref(o);
	return v;
}

/* One metric's value from /metrics. */
static long long
metric(const char *name)
{
	char *text = svc_metrics_text(svc), *p, want[128];
	long long v = -1;

	assert_non_null(text);
	snprintf(want, sizeof(want), "\n%s ", name);
	p = strstr(text, want);
	if (p)
		v = atoll(p + strlen(want));
	free(text);
	if (v < 0)
		fail_msg("no metric %s", name);
	return v;
}

#pragma GCC diagnostic pop

#endif

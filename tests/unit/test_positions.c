/*
 * test_positions.c - the rounds of `position` pushes (positions.c) under
 * seeded random runs of hellos, ends, takes, drops, resumes, advisors
 * coming and going, config reloads and clock ticks, with turns between.
 *
 * White-box: each frame is checked as the service makes it
 * (svc_harness_on_send) against the service's own queue (svc_internal.h),
 * so "the position it carried was the resident's real one then" needs no
 * model of the queue. Also: no `position` repeats what its resident was
 * last told, and once the pushes settle every connected waiting resident
 * was last told its real position (CONTRACT.md: pushed whenever it
 * changes).
 */
#include "svc_harness.h"
#include "../../server/svc_internal.h"

#define RES_MAX 400

/* What one resident connection was last told, from the frames made. */
struct told {
	struct net_conn *c;
	bool valid;                     /* queued/resumed/position, no end */
	json_int_t pos;
	long wait;
	bool late;
	char token[64];
};

static struct told told[RES_MAX];
static int n_told;
static int frames_checked;

static struct told *
told_of(struct net_conn *c)
{
	int i;

	for (i = 0; i < n_told; i++)
		if (told[i].c == c)
			return &told[i];
	return NULL;
}

static long
wait_of(const json_t *o)
{
	const json_t *v = json_object_get(o, "estimated_wait_s");

	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* The real position of c's chat now (0: none or not queued). */
static size_t
real_position(struct net_conn *c)
{
	struct peer *p = c->user;

	if (!p || !p->chat || p->chat->state != CHAT_QUEUED)
		return 0;
	return queue_position(&svc->queue, &p->chat->qnode);
}

/* svc_harness_on_send: a frame to a resident that tells a place in the
 * queue tells its real place then (and estimate, for `position`). */
static void
on_send(struct net_conn *c, const char *text)
{
	json_t *o;
	const char *type;

	if (!told_of(c))
		return;
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	type = type_of(o);
	if (!strcmp(type, "position") || !strcmp(type, "queued") ||
	    (!strcmp(type, "resumed") && !strcmp(jstr(o, "state"), "queued"))) {
		size_t real = real_position(c);

		frames_checked++;
		if ((size_t)jint(o, "position") != real)
			fail_msg("%s at %lld made, real %zu", type,
				 (long long)jint(o, "position"), real);
		if (!strcmp(type, "position") &&
		    wait_of(o) != chat_estimate(svc, real))
			fail_msg("wait %ld made, real %ld", wait_of(o),
				 chat_estimate(svc, real));
	}
	json_decref(o);
}

/* One frame t's resident got: what it was told last. A `position` that
 * repeats it is a push too many (unless a failed turn withheld frames,
 * `repeats_ok`). */
static bool repeats_ok;

static void
got_frame(struct told *t, const json_t *o)
{
	const char *type = type_of(o);
	bool late = json_is_true(json_object_get(o, "may_not_be_served"));

	if (!strcmp(type, "position")) {
		if (!repeats_ok && t->valid && t->pos == jint(o, "position") &&
		    t->wait == wait_of(o) && t->late == late)
			fail_msg("position %lld told twice",
				 (long long)t->pos);
	} else if (!strcmp(type, "queued")) {
		snprintf(t->token, sizeof(t->token), "%s", jstr(o, "token"));
	} else if (!strcmp(type, "resumed") &&
		   !strcmp(jstr(o, "state"), "queued")) {
		late = false;           /* `resumed` does not carry the flag */
	} else {
		if (!strcmp(type, "resumed") || !strcmp(type, "assigned") ||
		    !strcmp(type, "ended"))
			t->valid = false;
		return;
	}
	t->valid = true;
	t->pos = jint(o, "position");
	t->wait = wait_of(o);
	t->late = late;
}

/* Read and forget every frame released so far (GOT_MAX is per connection). */
static void
forget_frames(void)
{
	struct net_conn *c;
	int i;

	for (c = conns; c; c = c->next) {
		struct told *t = told_of(c);

		for (i = 0; i < c->n_got; i++) {
			if (t)
				got_frame(t, c->got[i]);
			json_decref(c->got[i]);
		}
		c->n_got = c->n_read = 0;
	}
}

/* Every connected waiting resident was last told its real position (and,
 * when `wait_too`, its real estimate and may_not_be_served). */
static void
check_all_told(bool wait_too)
{
	int i;

	for (i = 0; i < n_told; i++) {
		struct told *t = &told[i];
		size_t real;

		if (t->c->gone || t->c->close_code)
			continue;
		real = real_position(t->c);
		if (!real)
			continue;
		if (!t->valid || t->pos != (json_int_t)real)
			fail_msg("resident %d last told %lld, real %zu", i,
				 t->valid ? (long long)t->pos : -1LL, real);
		if (!wait_too)
			continue;
		if (t->wait != chat_estimate(svc, real))
			fail_msg("resident %d last told wait %ld, real %ld", i,
				 t->wait, chat_estimate(svc, real));
		/* chat_late's side effect (told_late) is done by now when
		 * the flag was pushed. */
		if (t->late != chat_late(svc, ((struct peer *)t->c->user)->chat,
					 real, t->wait, NULL))
			fail_msg("resident %d last told late %d at %zu", i,
				 t->late, real);
	}
}

/* Turns until the pushes left over are out, then forget what came. */
static void
drain(void)
{
	int i;

	for (i = 0; i < 100000 && svc_pushing(svc); i++)
		turn();
	assert_false(svc_pushing(svc));
	forget_frames();
}

/* The queue's changes are pushed at the next tick; the estimate's alone
 * (a running chat ends: a new mean) at the next second's. */
static void
settle(void)
{
	tick();
	drain();
	check_all_told(false);
	later(1);
	drain();
	check_all_told(true);
	repeats_ok = false;
}

/* The runs' own generator: the same seed, the same run, everywhere. */
static unsigned
rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/* A resident connection, followed from now on. */
static struct net_conn *
new_resident(void)
{
	struct net_conn *c = open_conn(PROTO_RESIDENT);

	assert_true(n_told < RES_MAX);
	told[n_told++] = (struct told){ c, false, 0, -1, false, { 0 } };
	return c;
}

/* A random resident connection still open, or NULL. */
static struct told *
some_connected(unsigned *seed)
{
	int i, tries;

	for (tries = 0; tries < 8 && n_told; tries++) {
		i = (int)(rnd(seed) % (unsigned)n_told);
		if (!told[i].c->gone && !told[i].c->close_code)
			return &told[i];
	}
	return NULL;
}

/* A random resident whose connection dropped with a token to resume. */
static struct told *
some_dropped(unsigned *seed)
{
	int i, tries;

	for (tries = 0; tries < 8 && n_told; tries++) {
		i = (int)(rnd(seed) % (unsigned)n_told);
		if (told[i].c->gone && told[i].token[0])
			return &told[i];
	}
	return NULL;
}

/* The hostile ones: the chat where a round cut short goes on leaves (or
 * the one just before it, or the back, moving the sweep past the back). */
static void
end_at_the_sweep(unsigned which)
{
	struct queue_node *n = svc->queue.sweep;
	struct chat *c;

	if (!n)
		return;
	if (which == 1 && n->prev != &svc->queue.head)
		n = n->prev;
	c = chat_of(n);
	if (c->resident)
		say(c->resident->conn, "{\"type\":\"end\"}");
	if (which == 1 && (n = svc->queue.head.prev) != &svc->queue.head &&
	    chat_of(n)->resident)
		say(chat_of(n)->resident->conn, "{\"type\":\"end\"}");
}

struct adv {
	const char *name;
	struct net_conn *c;             /* NULL: logged out or dropped */
	bool available;
};

/* One random thing a resident, an advisor, the admin or the clock does. */
static void
one_step(unsigned *seed, struct adv *adv)
{
	unsigned r = rnd(seed) % 100;
	struct adv *a = &adv[rnd(seed) % 2];
	struct told *t;

	if (r < 22) {
		if (n_told < RES_MAX - 1)
			say(new_resident(), "{\"type\":\"hello\"}");
	} else if (r < 32) {
		if ((t = some_connected(seed)))
			say(t->c, "{\"type\":\"end\"}");
	} else if (r < 46) {
		if (a->c)
			say(a->c, "{\"type\":\"take\"}");
	} else if (r < 52) {
		if ((t = some_connected(seed))) {
			drop(t->c);
			t->valid = false;
		}
	} else if (r < 58) {
		if ((t = some_dropped(seed)) && n_told < RES_MAX - 1) {
			struct net_conn *c = new_resident();
			struct told *nt = told_of(c);

			snprintf(nt->token, sizeof(nt->token), "%s", t->token);
			t->token[0] = '\0';
			say(c, "{\"type\":\"resume\",\"token\":\"%s\"}",
			    nt->token);
		}
	} else if (r < 62) {
		if (a->c) {
			a->available = !a->available;
			say(a->c, "{\"type\":\"status\",\"available\":%s}",
			    a->available ? "true" : "false");
		}
	} else if (r < 64) {
		if (a->c) {
			drop(a->c);
			a->c = NULL;
		}
	} else if (r < 66) {
		if (!a->c && !svc->store_down) {  /* a login writes */
			turn();
			a->c = login(a->name);
			a->available = true;
			say(a->c, "{\"type\":\"status\",\"available\":true}");
		}
	} else if (r < 67 && tmpdir[0]) {
		repeats_ok = true;      /* withheld frames are pushed again */
		commit_failing();
	} else if (r < 68) {
		cfg->max_chats_per_advisor = 2 + (int)(rnd(seed) % 3);
		svc_set_config(svc, cfg);
	} else if (r < 74) {
		end_at_the_sweep(rnd(seed) % 2);
	} else if (r < 88) {
		turn();
	} else if (r < 95) {
		tick();
	} else if (r < 99) {
		later(1);
	} else {
		later(121);             /* past the graces: drops end, requeue */
	}
	forget_frames();
}

/* Anna and bertta logged in, `waiting` residents queued. */
static void
start_run(struct adv *adv, int waiting)
{
	int i;

	n_told = 0;
	svc_harness_on_send = on_send;
	cfg->max_length = RES_MAX;
	cfg->max_queued_per_address = RES_MAX;
	cfg->max_new_chats_per_address_per_hour = 100000;
	adv[0].c = login("anna");
	adv[1].c = login("bertta");
	for (i = 0; i < waiting; i++)
		say(new_resident(), "{\"type\":\"hello\"}");
	turn();
	forget_frames();
}

/* `steps` random steps, the pushes settled and checked every 50. */
static void
one_run(unsigned seed, int steps)
{
	struct adv adv[2] = { { "anna", NULL, false },
			      { "bertta", NULL, false } };
	int i;

	/* Enough waiting that one change makes more than a turn's share. */
	start_run(adv, 150);
	for (i = 0; i < steps; i++) {
		one_step(&seed, adv);
		if (i % 50 == 49)
			settle();
	}
	settle();
	svc_harness_on_send = NULL;
}

/* A round cut short goes on at the sweep; everyone from there to the back
 * leaves, so the sweep moves past the back. The round ends there, and the
 * one that follows tells those in front nothing new: they did not move. */
static void
a_round_whose_rest_all_leave_ends_and_tells_nobody_twice(void **state)
{
	struct adv adv[2] = { { "anna", NULL, false },
			      { "bertta", NULL, false } };
	struct queue_node *n;
	int i, left = 0;

	(void)state;
	start_run(adv, 200);
	say(told[0].c, "{\"type\":\"end\"}");
	tick();
	forget_frames();
	assert_true(svc_pushing(svc));
	assert_non_null(svc->queue.sweep);
	while ((n = svc->queue.sweep)) {
		say(chat_of(n)->resident->conn, "{\"type\":\"end\"}");
		left++;
	}
	assert_true(left > 0 && left < 199);
	turn();
	assert_false(svc->pcur.active);
	settle();
	for (i = 1; i < n_told; i++)
		assert_true(told[i].valid == (i < 200 - left));
	svc_harness_on_send = NULL;
}

/* POSITIONS_PER_TURN bounds the pushes of one loop turn (issue 14: a
 * turn that pushes thousands holds up every running chat). In main, the
 * 250 ms timer (svc_tick) and the check handle (svc_end_turn) run in the
 * same loop turn, as in tick() here; a tick at a new second with the queue
 * moved calls chat_push_positions three times, each with a share of its
 * own. */
static void
a_loop_turn_pushes_at_most_a_turns_share(void **state)
{
	struct adv adv[2] = { { "anna", NULL, false },
			      { "bertta", NULL, false } };
	int i, pushed = 0;

	(void)state;
	start_run(adv, 300);
	say(told[0].c, "{\"type\":\"end\"}");
	turn();
	later(1);
	for (i = 1; i < n_told; i++)
		while (told[i].c->n_read < told[i].c->n_got)
			pushed += !strcmp(type_of(told[i].c->got[
					  told[i].c->n_read++]), "position");
	assert_true(svc_pushing(svc));
	svc_harness_on_send = NULL;
	if (pushed > 64)
		fail_msg("%d position frames in one loop turn", pushed);
}

/* seeds first..last, each in a world of its own (a file store: one
 * where commits can be made to fail). */
static void
runs(void **state, unsigned first, unsigned last, bool file)
{
	unsigned seed;

	frames_checked = 0;
	for (seed = first; seed <= last; seed++) {
		if (seed > first) {
			assert_int_equal(teardown(state), 0);
			assert_int_equal(file ? setup_file(state) : setup(state),
					 0);
		}
		one_run(seed, 400);
	}
	assert_true(frames_checked > 1000);
}

static void
random_runs_tell_every_waiting_resident_its_real_position(void **state)
{
	runs(state, 1, 24, false);
}

static void
random_runs_with_failed_commits_tell_the_real_position_too(void **state)
{
	runs(state, 101, 108, true);
}

int
test_positions_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			random_runs_tell_every_waiting_resident_its_real_position,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_round_whose_rest_all_leave_ends_and_tells_nobody_twice,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_loop_turn_pushes_at_most_a_turns_share,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			random_runs_with_failed_commits_tell_the_real_position_too,
			setup_file, teardown),
	};

	return cmocka_run_group_tests_name("positions", tests, group_setup,
					   NULL);
}

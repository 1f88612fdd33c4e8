/* test_overload.c - the loop's backlog and utilisation and the rate limit
 * that allows for the backlog (overload.h), driven by made-up times: a
 * burst after a quiet moment is limited, frames read during a backlog are
 * not, the refill stays the rate over a long run, an honest client is
 * never limited however the loop reads it, one stall turns nobody away,
 * sustained saturation does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "overload.h"
#include "unit.h"

#define RATE 10
#define T0_MS 5000000ull        /* any instant; the module has no clock */
#define MS 1000ull              /* microseconds */
#define CAP_MS 30000            /* the backlog allowed at most (service.c) */

static struct overload_gauge g;
static uint64_t now_ms, idle_us;

static int
setup(void **state)
{
	(void)state;
	now_ms = T0_MS;
	idle_us = 0;
	overload_init(&g, now_ms * MS, idle_us);
	return 0;
}

/* One loop turn as main drives it: the sample just before the poll, the
 * poll waiting `idle` ms (it waits only if nothing was ready at the
 * sample), then work until `len` ms have gone by. Frames read after it
 * are read in that turn. */
static void
loop_turn(uint64_t len, uint64_t idle)
{
	overload_sample(&g, now_ms * MS, idle_us);
	idle_us += idle * MS;
	now_ms += len;
}

/* The sample before the next poll, alone. */
static void
prepare(void)
{
	overload_sample(&g, now_ms * MS, idle_us);
}

static uint64_t
backlog(void)
{
	return overload_backlog_ms(&g, now_ms, idle_us);
}

static bool
saturated(void)
{
	return overload_saturated(&g, now_ms, idle_us);
}

/* n frames read at once now; how many pass. */
static uint64_t
lag(void)
{
	uint64_t l = backlog();

	return l < CAP_MS ? l : CAP_MS;
}

static int
burst(struct overload_bucket *b, int n)
{
	int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += overload_bucket_take(b, RATE, now_ms, lag());
	return ok;
}

static void
a_fresh_bucket_holds_one_second(void **state)
{
	struct overload_bucket b;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	assert_int_equal(burst(&b, 11), 10);
}

static void
a_burst_after_a_quiet_moment_is_limited(void **state)
{
	struct overload_bucket b;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	loop_turn(5000, 0);                 /* a long backlog ... */
	loop_turn(10, 1);                   /* ... read dry 9 ms ago */
	assert_int_equal(backlog(), 9);
	assert_int_equal(burst(&b, 60), 10);
}

static void
a_poll_that_waits_counts_before_the_next_sample(void **state)
{
	struct overload_bucket b;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	loop_turn(3000, 0);
	prepare();
	/* The poll has not waited (yet): still the backlog of 3 s. */
	assert_int_equal(backlog(), 3000);
	/* It waits 200 ms, then hands out frames: nothing was ready until
	 * its wait ended, so what it reads was sent just now, and a burst
	 * gets no more than a second's worth. (Counting from the sample, the
	 * start of the wait, gave it 12.) */
	idle_us += 200 * MS;
	now_ms += 200;
	assert_int_equal(backlog(), 0);
	assert_int_equal(burst(&b, 30), 10);
	/* 50 ms of work later, frames read then count those 50 ms. */
	now_ms += 50;
	assert_int_equal(backlog(), 50);
}

/* A wait no timer allows: the process was stopped in it (a paused VM,
 * SIGSTOP). A client that wrote 9 a second meanwhile sees its frames read
 * in one burst when the process runs again, and none is refused. */
static void
a_wait_too_long_for_a_poll_counts_from_its_start(void **state)
{
	struct overload_bucket b;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	loop_turn(100, 50);
	prepare();
	idle_us += 2500 * MS;               /* stopped 2.5 s in the poll */
	now_ms += 2500;
	assert_int_equal(backlog(), 2500);
	assert_int_equal(burst(&b, 23), 23);  /* 2.5 s at 9 a second */
	/* Sampled before the next poll, it stays the last quiet moment. */
	now_ms += 10;
	prepare();
	assert_int_equal(backlog(), 2510);
	/* Right at the limit, a wait still counts from its end. */
	idle_us += OVERLOAD_WAIT_MAX_MS * MS;
	now_ms += OVERLOAD_WAIT_MAX_MS;
	assert_int_equal(backlog(), 0);
}

/* Just over the limit, a wait counts from its start, both while the poll
 * hands out its frames and after the sample that follows it. */
static void
a_wait_just_over_the_limit_counts_from_its_start(void **state)
{
	(void)state;
	loop_turn(100, 50);
	prepare();
	idle_us += (OVERLOAD_WAIT_MAX_MS + 1) * MS;
	now_ms += OVERLOAD_WAIT_MAX_MS + 1;
	assert_int_equal(backlog(), OVERLOAD_WAIT_MAX_MS + 1);
	prepare();
	assert_int_equal(backlog(), OVERLOAD_WAIT_MAX_MS + 1);
}

/* A loop busy 97 % of the time but reading everything, stopped 2.5 s in
 * a poll (a paused VM): the hellos that poll reads were written while it
 * was stopped, and the loop is not short of time. Nobody is turned away,
 * as before the wait counted from its start. */
static void
a_pause_in_a_poll_of_a_busy_loop_turns_nobody_away(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		loop_turn(30, 1);
	prepare();
	assert_false(saturated());
	idle_us += 2500 * MS;
	now_ms += 2500;
	assert_false(saturated());
	now_ms += 5;
	prepare();
	assert_false(saturated());
}

static void
frames_read_during_a_long_backlog_are_not_limited(void **state)
{
	struct overload_bucket b;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	loop_turn(10, 5);
	loop_turn(4000, 0);
	/* 4 s unread: 40 frames sent at 10/s plus the 10 of one burst. */
	assert_int_equal(backlog(), 4005);
	assert_int_equal(burst(&b, 55), 50);
}

static void
the_refill_stays_ten_a_second_over_a_long_run(void **state)
{
	struct overload_bucket b;
	int i, ok = 0;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	/* The loop never reads everything (a hostile client keeps its
	 * socket full, say), so the backlog grows; the client asks for 50
	 * a second for 1000 s and its bucket may be as deep as the cap. */
	for (i = 0; i < 10000; i++) {
		loop_turn(100, 0);
		ok += burst(&b, 5);
	}
	/* 1000 s at 10 a second, and the first second's 10. */
	assert_true(ok >= 10000 && ok <= 10010);
}

static void
a_silent_client_saves_up_no_more_than_the_cap(void **state)
{
	struct overload_bucket b;

	(void)state;
	overload_bucket_init(&b, RATE, now_ms);
	loop_turn(3600 * 1000, 0);          /* an hour, nothing read dry */
	assert_int_equal(burst(&b, 1000), RATE * (1 + CAP_MS / 1000));
}

static uint32_t lcg = 12345;

static uint32_t
rnd(uint32_t n)
{
	lcg = lcg * 1103515245u + 12345u;
	return (lcg >> 8) % n;
}

/* An honest client (10 a second, or 10 at once then a second's pause)
 * read by a loop whose turns work 1 ms to 3 s: at each sample the poll
 * waits only if every frame sent by then has been read (till the next
 * one comes), and it reads what was sent before it returned. Never a
 * frame limited. */
static void
honest_client(bool bursts)
{
	struct overload_bucket b;
	uint64_t next_send = now_ms + 1;
	int n_sent = 0, i, limited = 0, read = 0, k;

	overload_bucket_init(&b, RATE, now_ms);
	for (k = 0; k < 20000; k++) {
		prepare();
		if (n_sent == 0) {          /* nothing ready: it waits */
			idle_us += (next_send - now_ms) * MS;
			now_ms = next_send;
		}
		while (next_send <= now_ms) {
			n_sent += bursts ? RATE : 1;
			next_send += bursts ? 1000 : 1000 / RATE;
		}
		for (i = 0; i < n_sent; i++) {
			limited += !overload_bucket_take(&b, RATE, now_ms,
							 lag());
			read++;
		}
		n_sent = 0;
		now_ms += rnd(4) ? 1 + rnd(40) : 1 + rnd(3000);
		while (next_send <= now_ms) {
			n_sent += bursts ? RATE : 1;
			next_send += bursts ? 1000 : 1000 / RATE;
		}
	}
	assert_true(read > 10000);
	assert_int_equal(limited, 0);
}

static void
an_honest_client_at_ten_a_second_is_never_limited(void **state)
{
	(void)state;
	honest_client(false);
}

static void
an_honest_client_in_bursts_of_ten_is_never_limited(void **state)
{
	(void)state;
	honest_client(true);
}

static void
utilisation_follows_the_share_of_busy_time(void **state)
{
	int i;

	(void)state;
	assert_int_equal(overload_utilisation_permille(&g), 0);
	for (i = 0; i < 1000; i++)
		loop_turn(10, 5);
	assert_in_range(overload_utilisation_permille(&g), 490, 510);
	for (i = 0; i < 1000; i++)
		loop_turn(10, 0);
	assert_in_range(overload_utilisation_permille(&g), 990, 1000);
	/* Tiny turns move it too (parts per million, not permille). */
	for (i = 0; i < 200000; i++)
		loop_turn(1, 1);
	assert_in_range(overload_utilisation_permille(&g), 0, 10);
}

static void
busy_ms_is_the_last_turn_less_its_wait(void **state)
{
	(void)state;
	loop_turn(250, 40);
	prepare();
	assert_int_equal(overload_busy_ms(&g), 210);
}

static void
one_stall_turns_nobody_away(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		loop_turn(10, 3);           /* 70 % busy, keeping up */
	loop_turn(10000, 0);                /* ten seconds stalled */
	prepare();
	assert_true(backlog() >= OVERLOAD_BACKLOG_MS);
	assert_false(saturated());
	/* It catches up within a few turns and reads everything. */
	loop_turn(50, 0);
	loop_turn(50, 1);
	assert_false(saturated());
}

static void
sustained_saturation_turns_new_residents_away(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		loop_turn(10, 3);
	/* Turns of 30 ms, never waiting, never reading everything: within
	 * a second and a half or so. */
	for (i = 0; i < 50 && !saturated(); i++)
		loop_turn(30, 0);
	assert_true(saturated());
	assert_true(i > 10);
	/* One poll that waits ends it at once. */
	loop_turn(30, 1);
	assert_false(saturated());
}

static void
a_busy_loop_that_reads_everything_is_not_saturated(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		loop_turn(30, 1);           /* 97 % busy, keeping up */
	assert_true(overload_utilisation_permille(&g) >= 950);
	assert_false(saturated());
}

static void
a_turn_of_a_year_keeps_the_arithmetic_in_range(void **state)
{
	(void)state;
	loop_turn(365ull * 24 * 3600 * 1000, 0);
	prepare();
	assert_int_equal(overload_busy_ms(&g), 365ull * 24 * 3600 * 1000);
	assert_in_range(overload_utilisation_permille(&g), 160, 170);
	loop_turn(365ull * 24 * 3600 * 1000, 365ull * 24 * 3600 * 1000);
	prepare();
	assert_int_equal(overload_busy_ms(&g), 0);
	assert_in_range(overload_utilisation_permille(&g), 130, 145);
}

static void
a_clock_going_back_is_no_time(void **state)
{
	struct overload_bucket b;

	(void)state;
	loop_turn(100, 5);                  /* quiet until T0 + 5 ms */
	prepare();
	/* Both the clock and the idle total go back: no time, no idle. */
	overload_sample(&g, (now_ms - 50) * MS, idle_us - 1);
	assert_int_equal(overload_busy_ms(&g), 0);
	assert_int_equal(backlog(), 95);
	assert_int_equal(overload_backlog_ms(&g, now_ms - 200, idle_us), 0);
	overload_bucket_init(&b, RATE, now_ms);
	now_ms -= 5000;
	assert_int_equal(burst(&b, 20), 10);
}

int
test_overload_run(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, setup)
		T(a_fresh_bucket_holds_one_second),
		T(a_burst_after_a_quiet_moment_is_limited),
		T(a_poll_that_waits_counts_before_the_next_sample),
		T(a_wait_too_long_for_a_poll_counts_from_its_start),
		T(a_wait_just_over_the_limit_counts_from_its_start),
		T(a_pause_in_a_poll_of_a_busy_loop_turns_nobody_away),
		T(frames_read_during_a_long_backlog_are_not_limited),
		T(the_refill_stays_ten_a_second_over_a_long_run),
		T(a_silent_client_saves_up_no_more_than_the_cap),
		T(an_honest_client_at_ten_a_second_is_never_limited),
		T(an_honest_client_in_bursts_of_ten_is_never_limited),
		T(utilisation_follows_the_share_of_busy_time),
		T(busy_ms_is_the_last_turn_less_its_wait),
		T(one_stall_turns_nobody_away),
		T(sustained_saturation_turns_new_residents_away),
		T(a_busy_loop_that_reads_everything_is_not_saturated),
		T(a_turn_of_a_year_keeps_the_arithmetic_in_range),
		T(a_clock_going_back_is_no_time),
#undef T
	};

	return cmocka_run_group_tests_name("overload", tests, NULL, NULL);
}

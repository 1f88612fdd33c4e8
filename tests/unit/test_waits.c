/* test_waits.c - the queue-wait p90 gauge (waits.h): nearest-rank like the
 * daily figures, over the last 15 minutes' takes and everyone still
 * waiting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "queue.h"
#include "waits.h"
#include "unit.h"

#define NOW 1800000000

static struct waits w;          /* big; one for the group, zeroed per case */

static int
reset(void **state)
{
	(void)state;
	memset(&w, 0, sizeof(w));
	return 0;
}

static void
nothing_waited_is_zero(void **state)
{
	struct queue q;

	(void)state;
	queue_init(&q);
	assert_int_equal(waits_p90(&w, &q, NOW), 0);
}

static void
p90_of_ten_takes_is_the_ninth(void **state)
{
	struct queue q;
	int i;

	(void)state;
	queue_init(&q);
	for (i = 10; i >= 1; i--)               /* out of order on purpose */
		waits_add(&w, NOW - i, i * 10);
	assert_int_equal(waits_p90(&w, &q, NOW), 90);
}

static void
p90_of_two_is_the_larger(void **state)
{
	struct queue q;

	(void)state;
	queue_init(&q);
	waits_add(&w, NOW, 10);
	waits_add(&w, NOW, 20);
	assert_int_equal(waits_p90(&w, &q, NOW), 20);
}

static void
takes_older_than_the_window_drop_out(void **state)
{
	struct queue q;

	(void)state;
	queue_init(&q);
	waits_add(&w, NOW - WAITS_WINDOW_S, 3000);      /* just outside */
	waits_add(&w, NOW - WAITS_WINDOW_S + 1, 40);    /* just inside */
	assert_int_equal(waits_p90(&w, &q, NOW), 40);
	assert_int_equal(waits_p90(&w, &q, NOW + WAITS_WINDOW_S), 0);
}

static void
residents_still_waiting_count_with_their_wait_so_far(void **state)
{
	struct queue q;
	struct queue_node a, b;

	(void)state;
	queue_init(&q);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	queue_push_back(&q, &a, NOW - 700);
	queue_push_back(&q, &b, NOW - 650);
	/* Nobody taken at all: the gauge still shows the wait. */
	assert_int_equal(waits_p90(&w, &q, NOW), 700);
	assert_int_equal(waits_p90(&w, &q, NOW + 100), 800);
}

static void
a_long_wait_among_many_short_ones_is_outvoted(void **state)
{
	struct queue q;
	int i;

	(void)state;
	queue_init(&q);
	for (i = 0; i < 19; i++)
		waits_add(&w, NOW - 60, 30);
	waits_add(&w, NOW - 60, 1200);
	assert_int_equal(waits_p90(&w, &q, NOW), 30);  /* 18th of 20 */
	waits_add(&w, NOW - 60, 1200);
	waits_add(&w, NOW - 60, 1200);
	assert_int_equal(waits_p90(&w, &q, NOW), 1200); /* 20th of 22 */
}

static void
the_ring_keeps_the_newest_takes(void **state)
{
	struct queue q;
	int i;

	(void)state;
	queue_init(&q);
	for (i = 0; i < WAITS_MAX; i++)
		waits_add(&w, NOW - 10, 5000);
	for (i = 0; i < WAITS_MAX; i++)
		waits_add(&w, NOW - 5, 60);
	assert_int_equal(w.n, WAITS_MAX);
	assert_int_equal(waits_p90(&w, &q, NOW), 60);
}

static void
a_negative_wait_counts_as_zero(void **state)
{
	struct queue q;

	(void)state;
	queue_init(&q);
	waits_add(&w, NOW, -5);
	assert_int_equal(waits_p90(&w, &q, NOW), 0);
	assert_int_equal(w.n, 1);
}

int
test_waits_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(nothing_waited_is_zero, reset),
		cmocka_unit_test_setup(p90_of_ten_takes_is_the_ninth, reset),
		cmocka_unit_test_setup(p90_of_two_is_the_larger, reset),
		cmocka_unit_test_setup(takes_older_than_the_window_drop_out,
				       reset),
		cmocka_unit_test_setup(
			residents_still_waiting_count_with_their_wait_so_far,
			reset),
		cmocka_unit_test_setup(
			a_long_wait_among_many_short_ones_is_outvoted, reset),
		cmocka_unit_test_setup(the_ring_keeps_the_newest_takes, reset),
		cmocka_unit_test_setup(a_negative_wait_counts_as_zero, reset),
	};

	return cmocka_run_group_tests_name("waits", tests, NULL, NULL);
}

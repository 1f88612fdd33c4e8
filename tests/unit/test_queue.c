/* test_queue.c - the waiting FIFO and the wait estimate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "queue.h"
#include "unit.h"

static void
empty_queue_has_no_first(void **state)
{
	struct queue q;

	(void)state;
	queue_init(&q);
	assert_null(queue_first(&q));
	assert_int_equal(q.length, 0);
}

static void
positions_follow_arrival_order(void **state)
{
	struct queue q;
	struct queue_node a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 10);
	queue_push_back(&q, &b, 11);
	queue_push_back(&q, &c, 12);
	assert_int_equal(queue_position(&q, &a), 1);
	assert_int_equal(queue_position(&q, &b), 2);
	assert_int_equal(queue_position(&q, &c), 3);
	assert_int_equal(b.enqueued_at, 11);
}

static void
removing_the_front_moves_everyone_up(void **state)
{
	struct queue q;
	struct queue_node a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 1);
	queue_push_back(&q, &b, 2);
	queue_push_back(&q, &c, 3);
	queue_remove(&q, &a);
	assert_false(queue_is_queued(&a));
	assert_int_equal(queue_position(&q, &a), 0);
	assert_int_equal(queue_position(&q, &b), 1);
	assert_int_equal(queue_position(&q, &c), 2);
	assert_int_equal(q.length, 2);
}

static void
only_an_append_at_the_back_leaves_the_shifts_alone(void **state)
{
	struct queue q;
	struct queue_node a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	uint64_t was;

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 1);
	queue_insert_before(&q, NULL, &b);
	assert_int_equal(q.shifts, 0);
	queue_push_front(&q, &c);               /* c a b */
	assert_int_equal(q.shifts, 1);
	queue_insert_before(&q, &b, &d);        /* c a d b */
	assert_int_equal(q.shifts, 2);
	queue_remove(&q, &b);                   /* the back moves nobody else, */
	assert_int_equal(q.shifts, 3);          /* but b is no longer where it was */
	was = q.shifts;
	queue_remove(&q, &b);                   /* not queued: nothing moved */
	assert_int_equal(q.shifts, was);
	assert_int_equal(queue_position(&q, &d), 3);
}

static void
removing_the_sweep_moves_it_on_and_past_the_back(void **state)
{
	struct queue q;
	struct queue_node a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 1);
	queue_push_back(&q, &b, 1);
	queue_push_back(&q, &c, 1);
	q.sweep = &b;
	queue_remove(&q, &a);                   /* not the sweep: it stays */
	assert_ptr_equal(q.sweep, &b);
	queue_remove(&q, &b);
	assert_ptr_equal(q.sweep, &c);
	queue_push_front(&q, &b);               /* b c: the sweep stays at c */
	assert_ptr_equal(q.sweep, &c);
	queue_remove(&q, &c);                   /* the back: nothing after */
	assert_null(q.sweep);
	queue_remove(&q, &b);
	assert_null(q.sweep);
	assert_int_equal(q.length, 0);
}

static void
removing_twice_is_harmless(void **state)
{
	struct queue q;
	struct queue_node a = { 0 };

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 1);
	queue_remove(&q, &a);
	queue_remove(&q, &a);
	assert_int_equal(q.length, 0);
	assert_null(queue_first(&q));
}

static void
push_front_keeps_enqueue_time(void **state)
{
	struct queue q;
	struct queue_node a = { 0 }, b = { 0 };

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 5);
	queue_push_back(&q, &b, 6);
	queue_remove(&q, &b);
	queue_push_front(&q, &b);
	assert_ptr_equal(queue_first(&q), &b);
	assert_int_equal(b.enqueued_at, 6);
	assert_ptr_equal(queue_next(&q, &b), &a);
	assert_null(queue_next(&q, &a));
}

static void
insert_before_places_and_keeps_enqueue_time(void **state)
{
	struct queue q;
	struct queue_node a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	queue_init(&q);
	queue_push_back(&q, &a, 5);
	c.enqueued_at = 3;
	queue_insert_before(&q, NULL, &c);      /* NULL: at the back */
	b.enqueued_at = 9;
	queue_insert_before(&q, &c, &b);
	assert_int_equal(q.length, 3);
	assert_ptr_equal(queue_first(&q), &a);
	assert_ptr_equal(queue_next(&q, &a), &b);
	assert_ptr_equal(queue_next(&q, &b), &c);
	assert_int_equal(queue_position(&q, &c), 3);
	assert_int_equal(b.enqueued_at, 9);
	assert_int_equal(c.enqueued_at, 3);
}

static void
estimate_is_null_without_advisors(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 600);
	assert_int_equal(queue_estimate_wait(&e, 1, 0, 3, 0), -1);
}

static void
estimate_with_a_free_slot_is_pickup_time(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 600);
	assert_int_equal(queue_estimate_wait(&e, 1, 1, 3, 2), QUEUE_PICKUP_S);
	assert_int_equal(queue_estimate_wait(&e, 2, 1, 3, 2), QUEUE_PICKUP_S);
}

static void
estimate_grows_with_position(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 600);
	/* 2 advisors x 3 chats, all busy: one chat ends every 100 s. */
	assert_int_equal(queue_estimate_wait(&e, 1, 2, 3, 0),
			 QUEUE_PICKUP_S + 100);
	assert_int_equal(queue_estimate_wait(&e, 6, 2, 3, 0),
			 QUEUE_PICKUP_S + 600);
}

static void
estimate_counts_only_positions_beyond_free_slots(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 300);
	assert_int_equal(queue_estimate_wait(&e, 3, 1, 1, 1),
			 QUEUE_PICKUP_S + 600);
}

static void
first_sample_replaces_the_default(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 600);
	queue_estimator_add(&e, 120);
	assert_true(e.handle_s > 119.9 && e.handle_s < 120.1);
}

static void
early_samples_average(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 600);
	queue_estimator_add(&e, 100);
	queue_estimator_add(&e, 300);
	assert_true(e.handle_s > 199.9 && e.handle_s < 200.1);
}

static void
later_samples_move_by_a_fifth(void **state)
{
	struct queue_estimator e;
	int i;

	(void)state;
	queue_estimator_init(&e, 600);
	for (i = 0; i < 5; i++)
		queue_estimator_add(&e, 100);
	queue_estimator_add(&e, 600);
	assert_true(e.handle_s > 199.9 && e.handle_s < 200.1);
}

static void
negative_samples_are_ignored(void **state)
{
	struct queue_estimator e;

	(void)state;
	queue_estimator_init(&e, 600);
	queue_estimator_add(&e, -5);
	assert_int_equal(e.samples, 0);
	assert_true(e.handle_s > 599.9 && e.handle_s < 600.1);
}

int
test_queue_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_queue_has_no_first),
		cmocka_unit_test(positions_follow_arrival_order),
		cmocka_unit_test(removing_the_front_moves_everyone_up),
		cmocka_unit_test(only_an_append_at_the_back_leaves_the_shifts_alone),
		cmocka_unit_test(removing_the_sweep_moves_it_on_and_past_the_back),
		cmocka_unit_test(removing_twice_is_harmless),
		cmocka_unit_test(push_front_keeps_enqueue_time),
		cmocka_unit_test(insert_before_places_and_keeps_enqueue_time),
		cmocka_unit_test(estimate_is_null_without_advisors),
		cmocka_unit_test(estimate_with_a_free_slot_is_pickup_time),
		cmocka_unit_test(estimate_grows_with_position),
		cmocka_unit_test(estimate_counts_only_positions_beyond_free_slots),
		cmocka_unit_test(first_sample_replaces_the_default),
		cmocka_unit_test(early_samples_average),
		cmocka_unit_test(later_samples_move_by_a_fifth),
		cmocka_unit_test(negative_samples_are_ignored),
	};

	return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}

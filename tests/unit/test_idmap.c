/* test_idmap.c - the chat index: every key put is found until it is
 * deleted, deleting never hides another key (the run invariant of
 * idmap.c, checked against a plain array through many random puts and
 * deletes, wrap-around included), and a reserve makes the next puts
 * allocation-free. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>

#include "idmap.h"
#include "unit.h"

/* Distinct non-NULL values without allocating: addresses in one array. */
static char vals[4096];

static void
empty_map_has_nothing(void **state)
{
	struct idmap m;

	(void)state;
	idmap_init(&m);
	assert_null(idmap_get(&m, 1));
	assert_null(idmap_del(&m, 1));
	assert_null(m.slots);
	idmap_free(&m);
}

static void
put_then_get_and_replace(void **state)
{
	struct idmap m;

	(void)state;
	idmap_init(&m);
	assert_int_equal(idmap_put(&m, 42, &vals[1]), 0);
	assert_ptr_equal(idmap_get(&m, 42), &vals[1]);
	assert_int_equal(idmap_put(&m, 42, &vals[2]), 0);
	assert_ptr_equal(idmap_get(&m, 42), &vals[2]);
	assert_int_equal(m.n, 1);
	assert_null(idmap_get(&m, 43));
	idmap_free(&m);
}

static void
null_value_is_refused(void **state)
{
	struct idmap m;

	(void)state;
	idmap_init(&m);
	assert_int_equal(idmap_put(&m, 7, NULL), -1);
	assert_int_equal(m.n, 0);
	idmap_free(&m);
}

static void
many_sequential_ids_survive_growth(void **state)
{
	struct idmap m;
	int64_t k;

	(void)state;
	idmap_init(&m);
	for (k = 1; k <= 20000; k++)
		assert_int_equal(idmap_put(&m, k, &vals[k % 4096]), 0);
	assert_int_equal(m.n, 20000);
	assert_true(m.cap >= 40000);
	for (k = 1; k <= 20000; k++)
		assert_ptr_equal(idmap_get(&m, k), &vals[k % 4096]);
	assert_null(idmap_get(&m, 0));
	assert_null(idmap_get(&m, 20001));
	idmap_free(&m);
}

static void
negative_and_extreme_keys_work(void **state)
{
	struct idmap m;

	(void)state;
	idmap_init(&m);
	assert_int_equal(idmap_put(&m, -1, &vals[1]), 0);
	assert_int_equal(idmap_put(&m, INT64_MIN, &vals[2]), 0);
	assert_int_equal(idmap_put(&m, INT64_MAX, &vals[3]), 0);
	assert_int_equal(idmap_put(&m, 0, &vals[4]), 0);
	assert_ptr_equal(idmap_get(&m, -1), &vals[1]);
	assert_ptr_equal(idmap_get(&m, INT64_MIN), &vals[2]);
	assert_ptr_equal(idmap_get(&m, INT64_MAX), &vals[3]);
	assert_ptr_equal(idmap_get(&m, 0), &vals[4]);
	assert_ptr_equal(idmap_del(&m, INT64_MIN), &vals[2]);
	assert_null(idmap_get(&m, INT64_MIN));
	assert_ptr_equal(idmap_get(&m, INT64_MAX), &vals[3]);
	idmap_free(&m);
}

/* xorshift64: the same sequence every run. */
static uint64_t
next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random puts and deletes over a small key space, so that runs form and
 * are cut by deletes through the table's growth (runs that wrap around its
 * end: the case after this one); the map agrees with a plain array on
 * every key. */
static void
random_puts_and_deletes_agree_with_an_array(void **state)
{
	enum { KEYS = 300, STEPS = 30000 };
	void *ref[KEYS] = { 0 };
	struct idmap m;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	size_t n = 0;
	int step, k;

	(void)state;
	idmap_init(&m);
	for (step = 0; step < STEPS; step++) {
		k = (int)(next_rand(&x) % KEYS);
		if (next_rand(&x) % 3) {
			n += ref[k] == NULL;
			ref[k] = &vals[step % 4096];
			assert_int_equal(idmap_put(&m, k - KEYS / 2, ref[k]), 0);
		} else {
			n -= ref[k] != NULL;
			assert_ptr_equal(idmap_del(&m, k - KEYS / 2), ref[k]);
			ref[k] = NULL;
		}
		assert_int_equal(m.n, n);
		if (step % 97)
			continue;
		for (k = 0; k < KEYS; k++)
			assert_ptr_equal(idmap_get(&m, k - KEYS / 2), ref[k]);
	}
	idmap_free(&m);
}

/* In a table of 16, keys 8 and 21 have their home in the last slot and
 * 13 in the first: 21's run wraps past the end. Deleting 8 must move 21
 * back across the end but leave 13 at home. */
static void
delete_shifts_back_across_the_tables_end(void **state)
{
	struct idmap m;

	(void)state;
	idmap_init(&m);
	assert_int_equal(idmap_put(&m, 8, &vals[8]), 0);
	assert_int_equal(idmap_put(&m, 13, &vals[13]), 0);
	assert_int_equal(idmap_put(&m, 21, &vals[21]), 0);
	assert_int_equal(m.cap, 16);
	assert_ptr_equal(m.slots[15].val, &vals[8]);
	assert_ptr_equal(m.slots[0].val, &vals[13]);
	assert_ptr_equal(m.slots[1].val, &vals[21]);
	assert_ptr_equal(idmap_del(&m, 8), &vals[8]);
	assert_ptr_equal(idmap_get(&m, 13), &vals[13]);
	assert_ptr_equal(idmap_get(&m, 21), &vals[21]);
	assert_ptr_equal(m.slots[15].val, &vals[21]);
	assert_ptr_equal(m.slots[0].val, &vals[13]);
	assert_null(m.slots[1].val);
	idmap_free(&m);
}

/* Random puts and deletes of seven keys whose homes are the last two and
 * the first slot of a table of 16 (it never grows past 8 keys): every run
 * wraps, and every delete shifts across the end or must not. */
static void
random_wrapping_runs_agree_with_an_array(void **state)
{
	/* homes 15, 15, 0, 14, 0, 14, 15 at 16 slots */
	static const int64_t keys[] = { 8, 21, 13, 16, 34, 29, 42 };
	enum { KEYS = sizeof(keys) / sizeof(keys[0]) };
	void *ref[KEYS] = { 0 };
	struct idmap m;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int step, k;

	(void)state;
	idmap_init(&m);
	for (step = 0; step < 20000; step++) {
		k = (int)(next_rand(&x) % KEYS);
		if (next_rand(&x) % 2) {
			ref[k] = &vals[step % 4096];
			assert_int_equal(idmap_put(&m, keys[k], ref[k]), 0);
		} else {
			assert_ptr_equal(idmap_del(&m, keys[k]), ref[k]);
			ref[k] = NULL;
		}
		assert_true(m.cap == 0 || m.cap == 16);
		for (k = 0; k < KEYS; k++)
			assert_ptr_equal(idmap_get(&m, keys[k]), ref[k]);
	}
	idmap_free(&m);
}

static void
deleting_everything_leaves_an_empty_table(void **state)
{
	struct idmap m;
	size_t i;
	int64_t k;

	(void)state;
	idmap_init(&m);
	for (k = 0; k < 1000; k++)
		assert_int_equal(idmap_put(&m, k * 7919, &vals[k]), 0);
	for (k = 999; k >= 0; k--)
		assert_ptr_equal(idmap_del(&m, k * 7919), &vals[k]);
	assert_int_equal(m.n, 0);
	for (i = 0; i < m.cap; i++)
		assert_null(m.slots[i].val);
	idmap_free(&m);
}

static void
reserve_makes_later_puts_allocation_free(void **state)
{
	struct idmap m;
	struct idmap_slot *slots;
	int64_t k;

	(void)state;
	idmap_init(&m);
	assert_int_equal(idmap_put(&m, 1, &vals[1]), 0);
	assert_int_equal(idmap_reserve(&m, 500), 0);
	assert_ptr_equal(idmap_get(&m, 1), &vals[1]);
	slots = m.slots;
	for (k = 2; k <= 500; k++)
		assert_int_equal(idmap_put(&m, k, &vals[k]), 0);
	assert_ptr_equal(m.slots, slots);
	/* A smaller reserve never shrinks the table. */
	assert_int_equal(idmap_reserve(&m, 3), 0);
	assert_ptr_equal(m.slots, slots);
	idmap_free(&m);
}

static void
absurd_reserve_fails_and_keeps_the_map(void **state)
{
	struct idmap m;

	(void)state;
	idmap_init(&m);
	assert_int_equal(idmap_put(&m, 5, &vals[5]), 0);
	assert_int_equal(idmap_reserve(&m, SIZE_MAX / 2), -1);
	assert_ptr_equal(idmap_get(&m, 5), &vals[5]);
	idmap_free(&m);
}

int
test_idmap_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_map_has_nothing),
		cmocka_unit_test(put_then_get_and_replace),
		cmocka_unit_test(null_value_is_refused),
		cmocka_unit_test(many_sequential_ids_survive_growth),
		cmocka_unit_test(negative_and_extreme_keys_work),
		cmocka_unit_test(random_puts_and_deletes_agree_with_an_array),
		cmocka_unit_test(delete_shifts_back_across_the_tables_end),
		cmocka_unit_test(random_wrapping_runs_agree_with_an_array),
		cmocka_unit_test(deleting_everything_leaves_an_empty_table),
		cmocka_unit_test(reserve_makes_later_puts_allocation_free),
		cmocka_unit_test(absurd_reserve_fails_and_keeps_the_map),
	};

	return cmocka_run_group_tests_name("idmap", tests, NULL, NULL);
}

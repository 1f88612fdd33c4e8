/* test_throttle.c - the pause after failed logins (throttle.h), with the
 * clock passed in: free failures, doubling pauses, the cap, reset on
 * success, keys apart, and the bound on remembered keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "throttle.h"
#include "unit.h"

#define T0 1000000          /* any instant; the module has no clock */

static struct throttle t;

static int
setup(void **state)
{
	(void)state;
	throttle_init(&t);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	throttle_clear(&t);
	return 0;
}

static void
fail_n(const char *key, int n, int64_t at)
{
	int i;

	for (i = 0; i < n; i++)
		throttle_note(&t, key, false, at);
}

static void
unknown_key_may_try(void **state)
{
	(void)state;
	assert_true(throttle_allowed(&t, "anna", T0));
	assert_int_equal(throttle_failures(&t, "anna"), 0);
}

static void
first_three_failures_cost_nothing(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE, T0);
	assert_int_equal(throttle_failures(&t, "anna"), 3);
	assert_true(throttle_allowed(&t, "anna", T0));
}

static void
fourth_failure_pauses_two_seconds(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 1, T0);
	assert_false(throttle_allowed(&t, "anna", T0));
	assert_false(throttle_allowed(&t, "anna", T0 + 1));
	assert_true(throttle_allowed(&t, "anna", T0 + 2));
}

static void
pauses_double_with_each_failure(void **state)
{
	static const int pause[] = { 2, 4, 8, 16, 32 };
	int i;

	(void)state;
	fail_n("anna", THROTTLE_FREE, T0);
	for (i = 0; i < 5; i++) {
		throttle_note(&t, "anna", false, T0);
		assert_false(throttle_allowed(&t, "anna", T0 + pause[i] - 1));
		assert_true(throttle_allowed(&t, "anna", T0 + pause[i]));
	}
}

static void
pause_is_capped_at_a_minute(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 20, T0);
	assert_false(throttle_allowed(&t, "anna", T0 + THROTTLE_MAX_PAUSE_S - 1));
	assert_true(throttle_allowed(&t, "anna", T0 + THROTTLE_MAX_PAUSE_S));
}

static void
pause_counts_from_the_last_failure(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 1, T0);
	throttle_note(&t, "anna", false, T0 + 100);
	assert_false(throttle_allowed(&t, "anna", T0 + 103));
	assert_true(throttle_allowed(&t, "anna", T0 + 104));
}

static void
success_clears_the_count(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 2, T0);
	throttle_note(&t, "anna", true, T0 + 10);
	assert_int_equal(throttle_failures(&t, "anna"), 0);
	assert_true(throttle_allowed(&t, "anna", T0 + 10));
	/* Counting starts again from nothing. */
	fail_n("anna", THROTTLE_FREE, T0 + 10);
	assert_true(throttle_allowed(&t, "anna", T0 + 10));
}

static void
success_of_unknown_key_adds_nothing(void **state)
{
	(void)state;
	throttle_note(&t, "anna", true, T0);
	assert_int_equal((int)t.n, 0);
}

static void
keys_are_counted_apart(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 1, T0);
	assert_false(throttle_allowed(&t, "anna", T0));
	assert_true(throttle_allowed(&t, "bertta", T0));
	assert_int_equal(throttle_failures(&t, "bertta"), 0);
}

static void
keys_are_case_sensitive(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 1, T0);
	assert_true(throttle_allowed(&t, "Anna", T0));
}

static void
memory_is_bounded_oldest_forgotten(void **state)
{
	char key[32];
	int i;

	(void)state;
	fail_n("first", THROTTLE_FREE + 1, T0);
	for (i = 0; i < THROTTLE_KEPT; i++) {
		snprintf(key, sizeof(key), "guess%d", i);
		throttle_note(&t, key, false, T0);
	}
	assert_int_equal((int)t.n, THROTTLE_KEPT);
	assert_int_equal(throttle_failures(&t, "first"), 0);
	assert_true(throttle_allowed(&t, "first", T0));
	assert_int_equal(throttle_failures(&t, "guess0"), 1);
}

static void
over_long_key_is_not_remembered(void **state)
{
	char key[THROTTLE_KEY_MAX + 8];

	(void)state;
	memset(key, 'a', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	fail_n(key, THROTTLE_FREE + 5, T0);
	assert_int_equal((int)t.n, 0);
	assert_true(throttle_allowed(&t, key, T0));
}

static void
longest_key_is_remembered(void **state)
{
	char key[THROTTLE_KEY_MAX];

	(void)state;
	memset(key, 'a', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	fail_n(key, THROTTLE_FREE + 1, T0);
	assert_false(throttle_allowed(&t, key, T0));
}

static void
clear_forgets_everything(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 1, T0);
	throttle_clear(&t);
	assert_int_equal((int)t.n, 0);
	assert_true(throttle_allowed(&t, "anna", T0));
}

int
test_throttle_run(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(unknown_key_may_try),
		T(first_three_failures_cost_nothing),
		T(fourth_failure_pauses_two_seconds),
		T(pauses_double_with_each_failure),
		T(pause_is_capped_at_a_minute),
		T(pause_counts_from_the_last_failure),
		T(success_clears_the_count),
		T(success_of_unknown_key_adds_nothing),
		T(keys_are_counted_apart),
		T(keys_are_case_sensitive),
		T(memory_is_bounded_oldest_forgotten),
		T(over_long_key_is_not_remembered),
		T(longest_key_is_remembered),
		T(clear_forgets_everything),
#undef T
	};

	return cmocka_run_group_tests_name("throttle", tests, NULL, NULL);
}

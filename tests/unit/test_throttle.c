/* test_throttle.c - the pause after failed logins (throttle.h), with the
 * clock passed in: free failures, doubling pauses, the cap, reset on
 * success, forgetting after a quiet while, keys apart, the bound on
 * remembered keys; and the two tables of advisor logins, per (address,
 * username) and per address. */
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
	assert_int_equal(throttle_failures(&t, "anna", T0), 0);
}

static void
first_three_failures_cost_nothing(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE, T0);
	assert_int_equal(throttle_failures(&t, "anna", T0), 3);
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
	assert_int_equal(throttle_failures(&t, "anna", T0), 0);
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
	assert_int_equal(throttle_failures(&t, "bertta", T0), 0);
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
	assert_int_equal(throttle_failures(&t, "first", T0), 0);
	assert_true(throttle_allowed(&t, "first", T0));
	assert_int_equal(throttle_failures(&t, "guess0", T0), 1);
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

static void
quiet_key_is_forgotten(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 4, T0);
	assert_false(throttle_allowed(&t, "anna", T0 + 15));
	assert_true(throttle_allowed(&t, "anna", T0 + THROTTLE_FORGET_S));
	assert_int_equal(throttle_failures(&t, "anna", T0 + THROTTLE_FORGET_S),
			 0);
	/* Counting starts again: the next failure is a free one. */
	throttle_note(&t, "anna", false, T0 + THROTTLE_FORGET_S);
	assert_int_equal(throttle_failures(&t, "anna", T0 + THROTTLE_FORGET_S),
			 1);
	assert_true(throttle_allowed(&t, "anna", T0 + THROTTLE_FORGET_S));
}

static void
failures_closer_than_the_window_keep_counting(void **state)
{
	int64_t at = T0;
	int i;

	(void)state;
	for (i = 0; i < THROTTLE_FREE + 1; i++, at += THROTTLE_FORGET_S - 1)
		throttle_note(&t, "anna", false, at);
	at -= THROTTLE_FORGET_S - 1;
	assert_int_equal(throttle_failures(&t, "anna", at), THROTTLE_FREE + 1);
	assert_false(throttle_allowed(&t, "anna", at + 1));
}

static void
a_clock_set_back_does_not_lengthen_a_pause(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 6, T0);
	assert_int_equal(throttle_wait(&t, "anna", T0), THROTTLE_MAX_PAUSE_S);
	assert_int_equal(throttle_wait(&t, "anna", T0 - 3600), 0);
}

static void
wait_says_how_long(void **state)
{
	(void)state;
	fail_n("anna", THROTTLE_FREE + 3, T0);
	assert_int_equal(throttle_wait(&t, "anna", T0), 8);
	assert_int_equal(throttle_wait(&t, "anna", T0 + 5), 3);
	assert_int_equal(throttle_wait(&t, "anna", T0 + 8), 0);
	assert_int_equal(throttle_wait(&t, "bertta", T0), 0);
}

static void
table_with_more_free_failures(void **state)
{
	struct throttle t10;
	int i;

	(void)state;
	throttle_init_free(&t10, 10);
	for (i = 0; i < 10; i++)
		throttle_note(&t10, "x", false, T0);
	assert_true(throttle_allowed(&t10, "x", T0));
	throttle_note(&t10, "x", false, T0);
	assert_int_equal(throttle_wait(&t10, "x", T0), 2);
	throttle_clear(&t10);
}

/* ---------------------------------------------------------- logins */

#define A_ATTACK "192.0.2.66"
#define A_OFFICE "198.51.100.7"

static struct throttle_login tl;

static int
setup_login(void **state)
{
	(void)state;
	throttle_login_init(&tl);
	return 0;
}

static int
teardown_login(void **state)
{
	(void)state;
	throttle_login_clear(&tl);
	return 0;
}

static void
login_fail_n(const char *addr, const char *user, int n, int64_t at)
{
	int i;

	for (i = 0; i < n; i++)
		throttle_login_note(&tl, addr, user, false, at);
}

static void
failures_from_one_address_never_pause_another(void **state)
{
	(void)state;
	login_fail_n(A_ATTACK, "anna", 50, T0);
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "anna", T0),
			 THROTTLE_MAX_PAUSE_S);
	assert_int_equal(throttle_login_wait(&tl, A_OFFICE, "anna", T0), 0);
}

static void
a_guess_a_minute_never_pauses_the_real_person(void **state)
{
	int64_t at = T0;
	int i;

	(void)state;
	for (i = 0; i < 120; i++, at += 60) {
		assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "anna", at),
				 0);
		throttle_login_note(&tl, A_ATTACK, "anna", false, at);
		assert_int_equal(throttle_login_wait(&tl, A_OFFICE, "anna",
						     at), 0);
	}
	/* Her own typos count from nothing. */
	login_fail_n(A_OFFICE, "anna", THROTTLE_FREE, at);
	assert_int_equal(throttle_login_wait(&tl, A_OFFICE, "anna", at), 0);
}

static void
one_address_guessing_many_usernames_is_paused(void **state)
{
	char user[16];
	int i;

	(void)state;
	for (i = 0; i < THROTTLE_ADDR_FREE; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		throttle_login_note(&tl, A_ATTACK, user, false, T0);
	}
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "zed", T0), 0);
	throttle_login_note(&tl, A_ATTACK, "user99", false, T0);
	/* Any username from that address now waits, none elsewhere. */
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "zed", T0), 2);
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "anna", T0), 2);
	assert_int_equal(throttle_login_wait(&tl, A_OFFICE, "zed", T0), 0);
}

static void
the_longer_pause_of_pair_and_address_counts(void **state)
{
	(void)state;
	login_fail_n(A_ATTACK, "anna", THROTTLE_FREE + 4, T0);  /* pair 16 s */
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "anna", T0), 16);
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "bertta", T0), 0);
	login_fail_n(A_ATTACK, "bertta", 4, T0);        /* address: 11 */
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "carl", T0), 2);
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "anna", T0), 16);
}

static void
a_success_clears_pair_and_address(void **state)
{
	(void)state;
	login_fail_n(A_OFFICE, "anna", THROTTLE_ADDR_FREE + 1, T0);
	assert_true(throttle_login_wait(&tl, A_OFFICE, "anna", T0) > 0);
	throttle_login_note(&tl, A_OFFICE, "anna", true, T0 + 60);
	assert_int_equal(throttle_login_wait(&tl, A_OFFICE, "anna", T0 + 60),
			 0);
	assert_int_equal(throttle_login_wait(&tl, A_OFFICE, "zed", T0 + 60),
			 0);
}

static void
an_over_long_username_counts_for_the_address(void **state)
{
	char user[THROTTLE_KEY_MAX];

	(void)state;
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	login_fail_n(A_ATTACK, user, THROTTLE_ADDR_FREE + 1, T0);
	assert_int_equal((int)tl.by_pair.n, 0);
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, user, T0), 2);
	assert_int_equal(throttle_login_wait(&tl, A_ATTACK, "anna", T0), 2);
}

static void
pairs_do_not_run_together(void **state)
{
	(void)state;
	/* "1.2.3.4" + "5\nanna" must not be "1.2.3.45" + "anna". */
	login_fail_n("192.0.2.1", "anna", THROTTLE_FREE + 1, T0);
	assert_int_equal(throttle_login_wait(&tl, "192.0.2.1", "anna", T0), 2);
	assert_int_equal(throttle_login_wait(&tl, "192.0.2.12", "anna", T0), 0);
	assert_int_equal(throttle_login_wait(&tl, "192.0.2.1", "annab", T0), 0);
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
		T(quiet_key_is_forgotten),
		T(failures_closer_than_the_window_keep_counting),
		T(wait_says_how_long),
		T(a_clock_set_back_does_not_lengthen_a_pause),
		T(table_with_more_free_failures),
#undef T
#define L(f) cmocka_unit_test_setup_teardown(f, setup_login, teardown_login)
		L(failures_from_one_address_never_pause_another),
		L(a_guess_a_minute_never_pauses_the_real_person),
		L(one_address_guessing_many_usernames_is_paused),
		L(the_longer_pause_of_pair_and_address_counts),
		L(a_success_clears_pair_and_address),
		L(an_over_long_username_counts_for_the_address),
		L(pairs_do_not_run_together),
#undef L
	};

	return cmocka_run_group_tests_name("throttle", tests, NULL, NULL);
}

/*
 * test_guard.c - the per-address memory of CONTRACT.md section 7 (guard.h):
 * keyed hashes instead of addresses, chats opened per address and hour,
 * refusals recorded per hour, blocks and their end, and the bounds of the
 * table when an attacker has very many addresses. The clock is a number
 * the cases move; nothing waits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "guard.h"
#include "unit.h"

#define T0 ((int64_t)1795593600)

static struct guard *g;

static int
setup(void **state)
{
	(void)state;
	g = guard_new();
	return g ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	guard_free(g);
	g = NULL;
	return 0;
}

static struct guard_key
key(const char *address)
{
	struct guard_key k;

	assert_int_equal(guard_key_of(g, address, &k), 0);
	return k;
}

/* The i-th of many distinct addresses. */
static struct guard_key
nth_key(int i)
{
	char addr[32];

	snprintf(addr, sizeof(addr), "10.%d.%d.%d", i / 65536, (i / 256) % 256,
		 i % 256);
	return key(addr);
}

/* ------------------------------------------------------------- the keys */

static void
equal_addresses_give_equal_keys_and_others_differ(void **state)
{
	struct guard_key a = key("192.0.2.7"), b = key("192.0.2.7");
	struct guard_key c = key("192.0.2.8");
	struct guard_key v6 = key("2001:db8:1:2::/64");

	(void)state;
	assert_true(guard_key_equal(&a, &b));
	assert_false(guard_key_equal(&a, &c));
	assert_false(guard_key_equal(&a, &v6));
	assert_false(guard_key_unknown(&a));
}

static void
the_key_is_keyed_not_a_plain_hash_of_the_address(void **state)
{
	struct guard_key a = key("192.0.2.7");
	unsigned char plain[32];
	unsigned int len = 0;

	(void)state;
	assert_int_equal(EVP_Digest("192.0.2.7", 9, plain, &len, EVP_sha256(),
				    NULL), 1);
	assert_int_equal(len, sizeof(plain));
	assert_memory_not_equal(a.b, plain, sizeof(plain));
}

static void
each_guard_draws_its_own_key(void **state)
{
	struct guard *other = guard_new();
	struct guard_key a = key("192.0.2.7"), b;

	(void)state;
	assert_non_null(other);
	assert_int_equal(guard_key_of(other, "192.0.2.7", &b), 0);
	assert_false(guard_key_equal(&a, &b));
	guard_free(other);
}

static void
the_empty_address_is_still_an_address(void **state)
{
	struct guard_key k = key("");

	(void)state;
	assert_false(guard_key_unknown(&k));
}

/* ----------------------------------------------------- chats per hour */

static void
an_address_opens_max_chats_an_hour(void **state)
{
	struct guard_key k = key("192.0.2.7");
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		assert_true(guard_open_allowed(g, &k, 10, T0 + i));
		guard_count_open(g, &k, T0 + i);
	}
	assert_int_equal(guard_opened(g, &k, T0 + 10), 10);
	assert_false(guard_open_allowed(g, &k, 10, T0 + 10));
	assert_false(guard_open_allowed(g, &k, 10, T0 + GUARD_HOUR_S - 1));
	/* A higher limit (a SIGHUP) lets it go on at once. */
	assert_true(guard_open_allowed(g, &k, 11, T0 + 10));
}

static void
the_hour_starts_at_the_first_chat_and_then_starts_again(void **state)
{
	struct guard_key k = key("192.0.2.7");

	(void)state;
	guard_count_open(g, &k, T0);
	guard_count_open(g, &k, T0 + 1800);
	assert_false(guard_open_allowed(g, &k, 2, T0 + GUARD_HOUR_S - 1));
	assert_true(guard_open_allowed(g, &k, 2, T0 + GUARD_HOUR_S));
	assert_int_equal(guard_opened(g, &k, T0 + GUARD_HOUR_S), 0);
	guard_count_open(g, &k, T0 + GUARD_HOUR_S);
	assert_int_equal(guard_opened(g, &k, T0 + GUARD_HOUR_S), 1);
}

static void
addresses_are_counted_apart(void **state)
{
	struct guard_key a = key("192.0.2.7"), b = key("192.0.2.8");

	(void)state;
	guard_count_open(g, &a, T0);
	assert_false(guard_open_allowed(g, &a, 1, T0));
	assert_true(guard_open_allowed(g, &b, 1, T0));
	assert_int_equal(guard_opened(g, &b, T0), 0);
}

static void
an_unknown_key_is_never_counted(void **state)
{
	struct guard_key zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_true(guard_key_unknown(&zero));
	guard_count_open(g, &zero, T0);
	assert_int_equal(guard_entries(g), 0);
	assert_false(guard_count_refusal(g, &zero, 10, T0));
}

static void
refusals_are_recorded_max_times_an_hour(void **state)
{
	struct guard_key k = key("192.0.2.7");
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_true(guard_count_refusal(g, &k, 3, T0 + i));
	assert_false(guard_count_refusal(g, &k, 3, T0 + 3));
	assert_false(guard_count_refusal(g, &k, 3, T0 + GUARD_HOUR_S - 1));
	assert_true(guard_count_refusal(g, &k, 3, T0 + GUARD_HOUR_S));
	/* Refusals and chats share the hour but not the count. */
	assert_true(guard_open_allowed(g, &k, 1, T0 + GUARD_HOUR_S));
}

/* --------------------------------------------------------------- blocks */

static void
a_block_lasts_until_its_end(void **state)
{
	struct guard_key k = key("192.0.2.7"), other = key("192.0.2.8");

	(void)state;
	assert_false(guard_blocked(g, &k, T0));
	assert_int_equal(guard_block(g, &k, T0, T0 + 3600), 0);
	assert_true(guard_blocked(g, &k, T0));
	assert_true(guard_blocked(g, &k, T0 + 3599));
	assert_false(guard_blocked(g, &k, T0 + 3600));
	assert_false(guard_blocked(g, &other, T0));
	assert_int_equal(guard_blocks(g, T0), 1);
	assert_int_equal(guard_blocks(g, T0 + 3600), 0);
}

static void
a_second_block_never_shortens_the_first(void **state)
{
	struct guard_key k = key("192.0.2.7");

	(void)state;
	assert_int_equal(guard_block(g, &k, T0, T0 + 24 * 3600), 0);
	assert_int_equal(guard_block(g, &k, T0 + 10, T0 + 10 + 3600), 0);
	assert_true(guard_blocked(g, &k, T0 + 23 * 3600));
	assert_int_equal(guard_block(g, &k, T0 + 20, T0 + 30 * 3600), 0);
	assert_true(guard_blocked(g, &k, T0 + 29 * 3600));
	assert_int_equal(guard_blocks(g, T0 + 20), 1);
}

static void
a_block_after_an_earlier_one_ended_starts_afresh(void **state)
{
	struct guard_key k = key("192.0.2.7");

	(void)state;
	assert_int_equal(guard_block(g, &k, T0, T0 + 3600), 0);
	assert_int_equal(guard_block(g, &k, T0 + 7200, T0 + 7200 + 60), 0);
	assert_true(guard_blocked(g, &k, T0 + 7200 + 59));
	assert_false(guard_blocked(g, &k, T0 + 7200 + 60));
}

static void
an_unknown_key_cannot_be_blocked(void **state)
{
	struct guard_key zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(guard_block(g, &zero, T0, T0 + 3600), -1);
	assert_false(guard_blocked(g, &zero, T0));
}

/* --------------------------------------------------------------- upkeep */

static void
sweep_drops_what_is_over_and_keeps_blocks_in_force(void **state)
{
	struct guard_key a = key("192.0.2.7"), b = key("192.0.2.8");

	(void)state;
	guard_count_open(g, &a, T0);
	guard_count_open(g, &b, T0);
	assert_int_equal(guard_block(g, &b, T0, T0 + 2 * GUARD_HOUR_S), 0);
	assert_int_equal(guard_entries(g), 2);
	guard_sweep(g, T0 + GUARD_HOUR_S - 1);
	assert_int_equal(guard_entries(g), 2);
	guard_sweep(g, T0 + GUARD_HOUR_S);
	assert_int_equal(guard_entries(g), 1);
	assert_true(guard_blocked(g, &b, T0 + GUARD_HOUR_S));
	guard_sweep(g, T0 + 2 * GUARD_HOUR_S);
	assert_int_equal(guard_entries(g), 0);
}

static void
a_full_table_lets_new_addresses_in_and_records_nothing_more(void **state)
{
	struct guard_key k;
	int i;

	(void)state;
	for (i = 0; i < GUARD_MAX_COUNTED; i++) {
		k = nth_key(i);
		guard_count_open(g, &k, T0);
	}
	assert_int_equal(guard_entries(g), GUARD_MAX_COUNTED);
	k = key("192.0.2.7");
	guard_count_open(g, &k, T0);
	assert_int_equal(guard_entries(g), GUARD_MAX_COUNTED);
	assert_true(guard_open_allowed(g, &k, 1, T0));
	assert_false(guard_count_refusal(g, &k, 10, T0));
	/* An address counted before the table filled is still counted. */
	k = nth_key(7);
	assert_false(guard_open_allowed(g, &k, 1, T0));
	/* A block still finds room. */
	k = key("192.0.2.7");
	assert_int_equal(guard_block(g, &k, T0, T0 + 3600), 0);
	assert_true(guard_blocked(g, &k, T0));
	/* Once their hour is over, the full table makes room by itself. */
	k = key("192.0.2.9");
	guard_count_open(g, &k, T0 + GUARD_HOUR_S);
	assert_int_equal(guard_opened(g, &k, T0 + GUARD_HOUR_S), 1);
	assert_int_equal(guard_entries(g), 1);
}

static void
one_block_too_many_lifts_the_one_ending_first(void **state)
{
	struct guard_key first = nth_key(0), k;
	int i;

	(void)state;
	assert_int_equal(guard_block(g, &first, T0, T0 + 60), 0);
	for (i = 1; i < GUARD_MAX_BLOCKS; i++) {
		k = nth_key(i);
		assert_int_equal(guard_block(g, &k, T0, T0 + 3600 + i), 0);
	}
	assert_int_equal(guard_blocks(g, T0), GUARD_MAX_BLOCKS);
	k = key("192.0.2.7");
	assert_int_equal(guard_block(g, &k, T0, T0 + 3600), 0);
	assert_int_equal(guard_blocks(g, T0), GUARD_MAX_BLOCKS);
	assert_false(guard_blocked(g, &first, T0));
	assert_true(guard_blocked(g, &k, T0));
	k = nth_key(1);
	assert_true(guard_blocked(g, &k, T0));
}

int
test_guard_run(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(equal_addresses_give_equal_keys_and_others_differ),
		T(the_key_is_keyed_not_a_plain_hash_of_the_address),
		T(each_guard_draws_its_own_key),
		T(the_empty_address_is_still_an_address),
		T(an_address_opens_max_chats_an_hour),
		T(the_hour_starts_at_the_first_chat_and_then_starts_again),
		T(addresses_are_counted_apart),
		T(an_unknown_key_is_never_counted),
		T(refusals_are_recorded_max_times_an_hour),
		T(a_block_lasts_until_its_end),
		T(a_second_block_never_shortens_the_first),
		T(a_block_after_an_earlier_one_ended_starts_afresh),
		T(an_unknown_key_cannot_be_blocked),
		T(sweep_drops_what_is_over_and_keeps_blocks_in_force),
		T(a_full_table_lets_new_addresses_in_and_records_nothing_more),
		T(one_block_too_many_lifts_the_one_ending_first),
#undef T
	};

	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}

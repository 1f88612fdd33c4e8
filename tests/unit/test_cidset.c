/* test_cidset.c - a chat's stored cids in memory: a complete set never
 * says "not stored" for a stored pair (through growth and up to its cap),
 * an incomplete one always sends the caller to the store, and giving up
 * past the cap is safe. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "cidset.h"
#include "unit.h"

static uint64_t
key_hash(const char *sender, int i)
{
	char key[32];

	snprintf(key, sizeof(key), "\"c-%d\"", i);
	return cidset_hash(sender, key);
}

static void
new_set_rules_out_everything(void **state)
{
	struct cidset set;

	(void)state;
	cidset_init(&set, true);
	assert_false(cidset_maybe(&set, cidset_hash("resident", "\"a\"")));
	cidset_free(&set);
}

static void
restored_set_rules_out_nothing(void **state)
{
	struct cidset set;

	(void)state;
	cidset_init(&set, false);
	assert_true(cidset_maybe(&set, cidset_hash("resident", "\"a\"")));
	cidset_add(&set, cidset_hash("resident", "\"a\""), 1);
	assert_null(set.slots);         /* nothing kept for nothing */
	assert_true(cidset_maybe(&set, cidset_hash("advisor", "\"b\"")));
}

static void
stored_pairs_are_found_through_growth(void **state)
{
	struct cidset set;
	int i;

	(void)state;
	cidset_init(&set, true);
	for (i = 0; i < 3000; i++)
		cidset_add(&set, key_hash("resident", i), 1);
	assert_int_equal(set.n, 3000);
	for (i = 0; i < 3000; i++)
		assert_true(cidset_maybe(&set, key_hash("resident", i)));
	cidset_free(&set);
}

static void
sender_is_part_of_the_pair(void **state)
{
	struct cidset set;
	int i, misses = 0;

	(void)state;
	cidset_init(&set, true);
	for (i = 0; i < 500; i++)
		cidset_add(&set, key_hash("resident", i), 1);
	/* The advisor's same cids are other pairs (a hash collision could
	 * say "maybe", which only costs a lookup: count, do not demand). */
	for (i = 0; i < 500; i++)
		misses += !cidset_maybe(&set, key_hash("advisor", i));
	assert_int_equal(misses, 500);
	assert_int_not_equal(cidset_hash("ab", "c"), cidset_hash("a", "bc"));
	cidset_free(&set);
}

static void
adding_twice_counts_once(void **state)
{
	struct cidset set;

	(void)state;
	cidset_init(&set, true);
	cidset_add(&set, cidset_hash("resident", "1"), 1);
	cidset_add(&set, cidset_hash("resident", "1"), 1);
	assert_int_equal(set.n, 1);
	cidset_free(&set);
}

static void
past_the_cap_the_set_gives_up_safely(void **state)
{
	struct cidset set;
	int i;

	(void)state;
	cidset_init(&set, true);
	for (i = 0; i <= CIDSET_MAX; i++)
		cidset_add(&set, key_hash("resident", i), 1);
	assert_false(set.complete);
	assert_null(set.slots);
	/* Every pair, stored or not, now goes to the store. */
	assert_true(cidset_maybe(&set, key_hash("resident", 1)));
	assert_true(cidset_maybe(&set, key_hash("resident", CIDSET_MAX + 7)));
}

/* The seq a resend is read back by: the last message stored with the
 * hash (an earlier one may have been rolled back), none when not held or
 * when the set cannot tell. */
static void
the_seq_of_a_key_is_the_last_stored(void **state)
{
	struct cidset set;

	(void)state;
	cidset_init(&set, true);
	assert_int_equal(cidset_seq(&set, cidset_hash("resident", "a")), 0);
	cidset_add(&set, cidset_hash("resident", "a"), 3);
	cidset_add(&set, cidset_hash("advisor", "a"), 4);
	assert_int_equal(cidset_seq(&set, cidset_hash("resident", "a")), 3);
	cidset_add(&set, cidset_hash("resident", "a"), 9);
	assert_int_equal(cidset_seq(&set, cidset_hash("resident", "a")), 9);
	assert_int_equal(cidset_seq(&set, cidset_hash("advisor", "a")), 4);
	assert_int_equal(set.n, 2);
	cidset_free(&set);
	cidset_init(&set, false);
	cidset_add(&set, cidset_hash("resident", "a"), 3);
	assert_int_equal(cidset_seq(&set, cidset_hash("resident", "a")), 0);
}

/* SipHash-2-4's reference vectors (key 00..0f), as OpenSSL's SIPHASH MAC
 * gives them (`openssl mac -macopt hexkey:000102...0f -macopt size:8
 * SIPHASH`): the empty text, one zero byte, "abc", and 19 bytes (two
 * words and a tail). */
static void
siphash_gives_the_reference_values(void **state)
{
	uint8_t key[16];
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	assert_true(cidset_siphash(key, "", 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(cidset_siphash(key, "\0", 1) == 0x74f839c593dc67fdULL);
	assert_true(cidset_siphash(key, "abc", 3) == 0x5dbcfa53aa2007a5ULL);
	assert_true(cidset_siphash(key, "0123456789abcdefXYZ", 19) ==
		    0x7a415d962d6e2404ULL);
}

/* The set's hash is keyed: another key, other hashes. */
static void
the_hash_follows_the_seeded_key(void **state)
{
	uint8_t key[16] = { 1 };
	uint64_t a, b;

	(void)state;
	cidset_seed(key);
	a = cidset_hash("resident", "\"k\"");
	key[0] = 2;
	cidset_seed(key);
	b = cidset_hash("resident", "\"k\"");
	assert_true(a != b);
	key[0] = 1;
	cidset_seed(key);
	assert_true(cidset_hash("resident", "\"k\"") == a);
}

static void
hash_is_never_the_empty_mark(void **state)
{
	(void)state;
	assert_int_not_equal(cidset_hash("", ""), 0);
	assert_int_not_equal(cidset_hash("resident", ""), 0);
}

int
test_cidset_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_set_rules_out_everything),
		cmocka_unit_test(the_seq_of_a_key_is_the_last_stored),
		cmocka_unit_test(siphash_gives_the_reference_values),
		cmocka_unit_test(the_hash_follows_the_seeded_key),
		cmocka_unit_test(restored_set_rules_out_nothing),
		cmocka_unit_test(stored_pairs_are_found_through_growth),
		cmocka_unit_test(sender_is_part_of_the_pair),
		cmocka_unit_test(adding_twice_counts_once),
		cmocka_unit_test(past_the_cap_the_set_gives_up_safely),
		cmocka_unit_test(hash_is_never_the_empty_mark),
	};

	return cmocka_run_group_tests_name("cidset", tests, NULL, NULL);
}

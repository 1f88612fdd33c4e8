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

/* Review of abbcaf5: the set's hash is FNV-1a with no secret, so anyone
 * who reads the source can choose cids whose slots pile up. The sender's
 * FNV-1a, written out as an attacker would: */
static uint64_t
public_fnv(const char *sender, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = sender; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* The longest run of filled slots: what a lookup that lands in it walks. */
static size_t
longest_run(const struct cidset *set)
{
	size_t i, run = 0, best = 0;

	for (i = 0; i < 2 * set->cap; i++) {
		run = set->slots[i & (set->cap - 1)].h ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best < set->cap ? best : set->cap;
}

/* 2,000 cids a resident may send (a minute's search offline finds the
 * 50,000 a default chat holds), all aimed at one slot of a 4,096-slot
 * table: every add and every lookup that lands there then walks all of
 * them (linear probing). With CIDSET_MAX raised to 65,536 in abbcaf5 a
 * chat's set can hold 50,000 such keys: each message to it, and each
 * resend, reads up to 800 KB of slots. Fails on abbcaf5: the run is 2,000
 * long; a hash the sender cannot predict (a per-process key) spreads them
 * as any other cids (a run of a few dozen). */
static void
chosen_cids_do_not_pile_up_in_one_run(void **state)
{
	struct cidset set;
	char key[48];
	int n = 0, i = 0;
	uint64_t h;

	(void)state;
	cidset_init(&set, true);
	while (n < 2000) {
		snprintf(key, sizeof(key), "\"x%d\"", i++);
		h = public_fnv("resident", key);
		if (((h ^ (h >> 32)) & 4095) != 7)
			continue;
		n++;
		cidset_add(&set, cidset_hash("resident", key), n);
	}
	assert_true(set.complete);
	assert_int_equal(set.cap, 4096);
	if (longest_run(&set) > 256)
		fail_msg("2,000 chosen cids fill a run of %zu slots",
			 longest_run(&set));
	cidset_free(&set);
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
		cmocka_unit_test(chosen_cids_do_not_pile_up_in_one_run),
	};

	return cmocka_run_group_tests_name("cidset", tests, NULL, NULL);
}

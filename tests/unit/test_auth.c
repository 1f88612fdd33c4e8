/* test_auth.c - password hashes in PHC form and random tokens.
 * Each scrypt costs 32 MiB (128 MiB for the older cost) and up to a few
 * hundred ms, so only a few cases hash at all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "unit.h"

static void
hash_is_a_phc_string_with_owasp_cost(void **state)
{
	char phc[AUTH_PHC_MAX];

	(void)state;
	assert_int_equal(auth_hash_password("correct horse", phc), 0);
	assert_memory_equal(phc, "$scrypt$ln=15,r=8,p=3$", 22);
}

/* Hashes made before the cost became N = 2^15, p = 3 keep verifying: the
 * cost is read from the stored string. This one is "correct horse" at
 * N = 2^17, r = 8, p = 1 with the salt 00 01 .. 0f (Python's
 * hashlib.scrypt). */
static void
older_cost_still_verifies(void **state)
{
	static const char old[] = "$scrypt$ln=17,r=8,p=1$AAECAwQFBgcICQoLDA0ODw"
				  "$TGvJUUU1CgfkAA5rR1GVoLnHJ8JaBRe7wqx27cEOQmw";

	(void)state;
	assert_int_equal(auth_verify_password("correct horse", old), 1);
}

static void
right_password_verifies_wrong_does_not(void **state)
{
	char phc[AUTH_PHC_MAX];

	(void)state;
	assert_int_equal(auth_hash_password("correct horse", phc), 0);
	assert_int_equal(auth_verify_password("correct horse", phc), 1);
	assert_int_equal(auth_verify_password("correct horsf", phc), 0);
}

static void
same_password_gets_different_salts(void **state)
{
	char a[AUTH_PHC_MAX], b[AUTH_PHC_MAX];

	(void)state;
	assert_int_equal(auth_hash_password("same password", a), 0);
	assert_int_equal(auth_hash_password("same password", b), 0);
	assert_string_not_equal(a, b);
}

static void
unknown_user_never_verifies(void **state)
{
	(void)state;
	assert_int_equal(auth_verify_password("anything", NULL), 0);
}

static void
malformed_or_costly_phc_is_refused(void **state)
{
	(void)state;
	assert_int_equal(auth_verify_password("x", "$scrypt$ln=17$zz$zz"), 0);
	assert_int_equal(auth_verify_password("x", "plain text"), 0);
	/* ln=30 would ask for 128 GiB: refused before any work. */
	assert_int_equal(auth_verify_password("x",
		"$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
}

static void
tokens_are_43_url_safe_chars(void **state)
{
	char t[AUTH_TOKEN_CHARS + 1];
	uint8_t d[AUTH_DIGEST_LEN];
	size_t i;

	(void)state;
	assert_int_equal(auth_token_new(t, d), 0);
	assert_int_equal(strlen(t), 43);
	for (i = 0; i < strlen(t); i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				       "nopqrstuvwxyz0123456789-_", t[i]));
}

static void
token_digest_matches_only_its_token(void **state)
{
	char a[AUTH_TOKEN_CHARS + 1], b[AUTH_TOKEN_CHARS + 1];
	uint8_t da[AUTH_DIGEST_LEN], db[AUTH_DIGEST_LEN], again[AUTH_DIGEST_LEN];

	(void)state;
	assert_int_equal(auth_token_new(a, da), 0);
	assert_int_equal(auth_token_new(b, db), 0);
	auth_token_digest(a, again);
	assert_true(auth_digest_equal(da, again));
	assert_false(auth_digest_equal(da, db));
}

int
test_auth_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_is_a_phc_string_with_owasp_cost),
		cmocka_unit_test(older_cost_still_verifies),
		cmocka_unit_test(right_password_verifies_wrong_does_not),
		cmocka_unit_test(same_password_gets_different_salts),
		cmocka_unit_test(unknown_user_never_verifies),
		cmocka_unit_test(malformed_or_costly_phc_is_refused),
		cmocka_unit_test(tokens_are_43_url_safe_chars),
		cmocka_unit_test(token_digest_matches_only_its_token),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}

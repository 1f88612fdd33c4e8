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

/*
 * A hash made outside neuvo (Python's hashlib.scrypt and base64, salt
 * a0..af, the low cost ln=10 that parse_phc still accepts): the PHC
 * strings already in advisors' databases must keep verifying, whoever
 * decodes the base64.
 */
static const char fixed_phc[] =
	"$scrypt$ln=10,r=8,p=1$oKGio6SlpqeoqaqrrK2urw$"
	"8dMgjfY6w2XF2nwfXDfg4IFM+qx9b39w1tSkNrURyNs";

static void
fixed_vector_verifies(void **state)
{
	(void)state;
	assert_int_equal(auth_verify_password("correct horse battery",
					      fixed_phc), 1);
	assert_int_equal(auth_verify_password("correct horse batterz",
					      fixed_phc), 0);
}

/* The same string with padding, a bit flipped in the salt's text, or a
 * byte too few, is not the hash any more. */
static void
fixed_vector_variants_refused(void **state)
{
	(void)state;
	assert_int_equal(auth_verify_password("correct horse battery",
		"$scrypt$ln=10,r=8,p=1$oKGio6SlpqeoqaqrrK2urw==$"
		"8dMgjfY6w2XF2nwfXDfg4IFM+qx9b39w1tSkNrURyNs="), 0);
	assert_int_equal(auth_verify_password("correct horse battery",
		"$scrypt$ln=10,r=8,p=1$oKGio6SlpqeoqaqrrK2urx$"
		"8dMgjfY6w2XF2nwfXDfg4IFM+qx9b39w1tSkNrURyNs"), 0);
	assert_int_equal(auth_verify_password("correct horse battery",
		"$scrypt$ln=10,r=8,p=1$oKGio6SlpqeoqaqrrK2u$"
		"8dMgjfY6w2XF2nwfXDfg4IFM+qx9b39w1tSkNrURyNs"), 0);
}

/* What auth_hash_password writes: unpadded standard base64, 22 characters
 * of salt and 43 of hash. */
static void
hash_fields_are_unpadded_base64(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char phc[AUTH_PHC_MAX];
	const char *salt, *hash;

	(void)state;
	assert_int_equal(auth_hash_password("correct horse", phc), 0);
	salt = phc + strlen("$scrypt$ln=17,r=8,p=1$");
	hash = strchr(salt, '$');
	assert_non_null(hash);
	hash++;
	assert_int_equal(hash - salt - 1, 22);
	assert_int_equal(strspn(salt, b64), 22);
	assert_int_equal(strlen(hash), 43);
	assert_int_equal(strspn(hash, b64), 43);
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
		cmocka_unit_test(fixed_vector_verifies),
		cmocka_unit_test(fixed_vector_variants_refused),
		cmocka_unit_test(hash_fields_are_unpadded_base64),
		cmocka_unit_test(tokens_are_43_url_safe_chars),
		cmocka_unit_test(token_digest_matches_only_its_token),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}

/*
 * auth.c - scrypt password hashes in PHC form, and random tokens (auth.h).
 *
 * Cost parameters are read back from each stored hash, so changing the cost
 * leaves old hashes valid until the next `advisor passwd`. New hashes use
 * OWASP's N = 2^15, r = 8, p = 3 (32 MiB), which OWASP counts equal to
 * N = 2^17, r = 8, p = 1 (128 MiB, the cost until 2026-11): the same
 * amount of work for an attacker's GPU per guess, a quarter of the memory
 * for us. With four checks at once, a flood of logins raised the server's
 * peak memory by 512 MiB at the old cost and by 129 MiB at this one
 * (tests/integration/test_attacks_login.py measures both), which a small
 * VM shared with SQLite's cache can hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth.h"
#include "base64.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define SCRYPT_LN 15
#define SCRYPT_R 8
#define SCRYPT_P 3
#define SALT_B64 22      /* unpadded base64 of SALT_LEN bytes */
#define HASH_B64 43      /* and of HASH_LEN bytes */

/* A PHC field: standard base64 without padding, of exactly `want` bytes
 * (the PHC string format's "B64"). Returns 0 or -1. */
static int
phc_decode(const char *in, size_t in_len, uint8_t *out, size_t want)
{
	long n = b64_decode(in, in_len, out, want, B64_NOPAD);

	return n == (long)want ? 0 : -1;
}

static int
scrypt(const char *pw, const uint8_t *salt, int ln, int r, int p,
       uint8_t out[HASH_LEN])
{
	uint64_t N = (uint64_t)1 << ln;
	/* scrypt needs 128 * N * r bytes, plus a little for OpenSSL itself. */
	uint64_t maxmem = 128 * N * (uint64_t)r * (uint64_t)p + (1u << 20);

	if (!EVP_PBE_scrypt(pw, strlen(pw), salt, SALT_LEN, N, (uint64_t)r,
			    (uint64_t)p, maxmem, out, HASH_LEN))
		return -1;
	return 0;
}

int
auth_hash_password(const char *password, char out[AUTH_PHC_MAX])
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	char salt64[SALT_B64 + 1], hash64[HASH_B64 + 1];
	int n;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	if (scrypt(password, salt, SCRYPT_LN, SCRYPT_R, SCRYPT_P, hash))
		return -1;
	b64_encode(salt, sizeof(salt), salt64, B64_NOPAD);
	b64_encode(hash, sizeof(hash), hash64, B64_NOPAD);
	n = snprintf(out, AUTH_PHC_MAX, "$scrypt$ln=%d,r=%d,p=%d$%s$%s",
		     SCRYPT_LN, SCRYPT_R, SCRYPT_P, salt64, hash64);
	OPENSSL_cleanse(hash, sizeof(hash));
	return n > 0 && n < AUTH_PHC_MAX ? 0 : -1;
}

/* Split a PHC string into its parameters, salt and hash. Returns 0 or -1.
 * Parameters are bounded so a tampered database cannot ask for gigabytes. */
static int
parse_phc(const char *phc, int *ln, int *r, int *p, uint8_t salt[SALT_LEN],
	  uint8_t hash[HASH_LEN])
{
	const char *s, *h;
	int used = 0;

	if (sscanf(phc, "$scrypt$ln=%d,r=%d,p=%d$%n", ln, r, p, &used) != 3 ||
	    used == 0)
		return -1;
	if (*ln < 10 || *ln > 20 || *r < 1 || *r > 32 || *p < 1 || *p > 4)
		return -1;
	s = phc + used;
	h = strchr(s, '$');
	if (!h)
		return -1;
	if (phc_decode(s, (size_t)(h - s), salt, SALT_LEN) ||
	    phc_decode(h + 1, strlen(h + 1), hash, HASH_LEN))
		return -1;
	return 0;
}

int
auth_verify_password(const char *password, const char *phc)
{
	static const uint8_t dummy_salt[SALT_LEN] = "neuvo-dummy-salt";
	uint8_t salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	int ln, r, p, ok;

	if (!phc || parse_phc(phc, &ln, &r, &p, salt, want)) {
		/* Same work as a real check, then a guaranteed "no". */
		(void)scrypt(password, dummy_salt, SCRYPT_LN, SCRYPT_R,
			     SCRYPT_P, got);
		OPENSSL_cleanse(got, sizeof(got));
		return 0;
	}
	if (scrypt(password, salt, ln, r, p, got))
		return 0;
	ok = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

int
auth_token_new(char text[AUTH_TOKEN_CHARS + 1],
	       uint8_t digest[AUTH_DIGEST_LEN])
{
	uint8_t raw[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	b64_encode(raw, sizeof(raw), text, B64_URL | B64_NOPAD);
	OPENSSL_cleanse(raw, sizeof(raw));
	auth_token_digest(text, digest);
	return 0;
}

void
auth_token_digest(const char *text, uint8_t digest[AUTH_DIGEST_LEN])
{
	SHA256((const unsigned char *)text, strlen(text), digest);
}

bool
auth_digest_equal(const uint8_t a[AUTH_DIGEST_LEN],
		  const uint8_t b[AUTH_DIGEST_LEN])
{
	return CRYPTO_memcmp(a, b, AUTH_DIGEST_LEN) == 0;
}

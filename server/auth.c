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

#define SALT_LEN 16
#define HASH_LEN 32
#define SCRYPT_LN 15
#define SCRYPT_R 8
#define SCRYPT_P 3
#define B64_MAX 64

/* Unpadded standard base64 of n bytes into out (PHC strings use it). */
static void
b64_encode(const uint8_t *in, size_t n, char *out)
{
	unsigned char tmp[B64_MAX + 4];
	int len;

	len = EVP_EncodeBlock(tmp, in, (int)n);
	while (len > 0 && tmp[len - 1] == '=')
		len--;
	memcpy(out, tmp, (size_t)len);
	out[len] = '\0';
}

/* Decode unpadded base64 into exactly `want` bytes. Returns 0 or -1. */
static int
b64_decode(const char *in, size_t in_len, uint8_t *out, size_t want)
{
	unsigned char padded[B64_MAX + 4], tmp[B64_MAX];
	size_t n = in_len;
	int len;

	if (in_len == 0 || in_len > B64_MAX)
		return -1;
	memcpy(padded, in, in_len);
	while (n % 4)
		padded[n++] = '=';
	len = EVP_DecodeBlock(tmp, padded, (int)n);
	if (len < 0)
		return -1;
	len -= (int)(n - in_len);       /* DecodeBlock counts padding as zeros */
	if (len != (int)want)
		return -1;
	memcpy(out, tmp, want);
	return 0;
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
	char salt64[B64_MAX], hash64[B64_MAX];
	int n;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	if (scrypt(password, salt, SCRYPT_LN, SCRYPT_R, SCRYPT_P, hash))
		return -1;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(hash, sizeof(hash), hash64);
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
	if (b64_decode(s, (size_t)(h - s), salt, SALT_LEN) ||
	    b64_decode(h + 1, strlen(h + 1), hash, HASH_LEN))
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
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[32];
	uint32_t acc = 0;
	int bits = 0, i, o = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < (int)sizeof(raw); i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			text[o++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		text[o++] = alphabet[(acc << (6 - bits)) & 63];
	text[o] = '\0';
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

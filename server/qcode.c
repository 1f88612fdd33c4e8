/*
 * qcode.c - pickup codes (see qcode.h): drawn by rejection sampling so
 * every character of the alphabet is equally likely, read back leniently,
 * kept as a digest.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth.h"
#include "qcode.h"

_Static_assert(QCODE_DIGEST_LEN == AUTH_DIGEST_LEN,
	       "a pickup code is kept as a token is");

#define ALPHABET_N (sizeof(QCODE_ALPHABET) - 1)
/* Bytes at or above this would favour the first letters. */
#define REJECT_FROM (256 - 256 % ALPHABET_N)

int
qcode_new(char text[QCODE_LEN + 1], uint8_t digest[QCODE_DIGEST_LEN])
{
	unsigned char raw[64];
	size_t i, n = 0;

	while (n < QCODE_LEN) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			OPENSSL_cleanse(text, QCODE_LEN + 1);
			return -1;
		}
		for (i = 0; i < sizeof(raw) && n < QCODE_LEN; i++)
			if (raw[i] < REJECT_FROM)
				text[n++] = QCODE_ALPHABET[raw[i] % ALPHABET_N];
	}
	text[n] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	qcode_digest(text, digest);
	return 0;
}

int
qcode_normalise(const char *typed, char out[QCODE_LEN + 1])
{
	size_t n = 0;
	const char *p;

	for (p = typed; *p; p++) {
		char ch = (char)toupper((unsigned char)*p);

		if (*p == ' ' || *p == '\t' || *p == '-')
			continue;
		if (n == QCODE_LEN || ch == '\0' ||
		    !strchr(QCODE_ALPHABET, ch) || (unsigned char)*p >= 128) {
			out[0] = '\0';
			return -1;
		}
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == QCODE_LEN ? 0 : -1;
}

/* The same digest as the resident and advisor tokens': one way to keep
 * a secret the server hands out. */
void
qcode_digest(const char *code, uint8_t digest[QCODE_DIGEST_LEN])
{
	auth_token_digest(code, digest);
}

/*
 * auth.h - advisor passwords and the random tokens of residents and advisors.
 *
 * Passwords are hashed as OWASP's Password Storage Cheat Sheet says: scrypt
 * with N = 2^15, r = 8, p = 3 (one of its equal-strength settings, the one
 * with 32 MiB) and a 16-byte per-account salt (OpenSSL's EVP_PBE_scrypt),
 * stored as a PHC string
 *   $scrypt$ln=15,r=8,p=3$<salt base64>$<hash base64>
 * A check reads the cost from the stored string, so hashes made at the
 * older N = 2^17, r = 8, p = 1 (128 MiB) keep working. One hash takes
 * tens of MiB and up to a few hundred milliseconds: never call the
 * password functions on the event loop (the service runs them on libuv's
 * thread pool). Everything here is thread-safe and keeps no state.
 *
 * Tokens are 256 bits from RAND_bytes, given out once in base64url and kept
 * only as their SHA-256, compared with CRYPTO_memcmp.
 */
#ifndef NEUVO_AUTH_H
#define NEUVO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_TOKEN_CHARS 43     /* base64url of 32 bytes, no padding */
#define AUTH_DIGEST_LEN 32      /* SHA-256 */
#define AUTH_PHC_MAX 160
#define AUTH_PASSWORD_MIN 8     /* shorter passwords are refused by the admin */
#define AUTH_PASSWORD_MAX 256

/* Hash password into out (a PHC string). Returns 0, or -1 on failure. */
int auth_hash_password(const char *password, char out[AUTH_PHC_MAX]);

/*
 * Check password against phc. Returns 1 on a match, 0 otherwise (also for a
 * malformed phc). With phc == NULL it does the same work against a dummy
 * hash and returns 0, so that an unknown username costs what a wrong
 * password costs.
 */
int auth_verify_password(const char *password, const char *phc);

/* A new token: text for the client (NUL-terminated) and its digest to keep.
 * Returns 0, or -1 when the random generator fails. */
int auth_token_new(char text[AUTH_TOKEN_CHARS + 1],
		   uint8_t digest[AUTH_DIGEST_LEN]);

/* Digest of a token the client sent back. */
void auth_token_digest(const char *text, uint8_t digest[AUTH_DIGEST_LEN]);

/* Constant-time comparison of two digests. */
bool auth_digest_equal(const uint8_t a[AUTH_DIGEST_LEN],
		       const uint8_t b[AUTH_DIGEST_LEN]);

#endif

/*
 * base64.h - RFC 4648 base64, the one encoder and decoder of the server:
 * the email copy's body and Subject (mail.c, padded, standard alphabet),
 * the salt and hash of PHC password strings (auth.c, unpadded) and the
 * tokens handed to clients (auth.c, unpadded URL alphabet).
 *
 * Pure functions on caller-owned memory: no allocation, no state, safe
 * from any thread. Kept here rather than borrowed from OpenSSL because
 * mail.c is pure logic and does not link it.
 */
#ifndef NEUVO_BASE64_H
#define NEUVO_BASE64_H

#include <stddef.h>

/* Flags for both directions. */
#define B64_NOPAD 0x1u  /* no trailing '=' (PHC strings, tokens) */
#define B64_URL   0x2u  /* '-' and '_' instead of '+' and '/' (RFC 4648 s. 5) */

/* Characters that n bytes encode to, the terminator not counted. */
size_t b64_encoded_len(size_t n, unsigned flags);

/*
 * Encode n bytes of `in` into `out`, which must hold
 * b64_encoded_len(n, flags) + 1 bytes; out is NUL-terminated. Returns the
 * characters written. `in` may be NULL when n is 0.
 */
size_t b64_encode(const void *in, size_t n, char *out, unsigned flags);

/*
 * Decode in_len characters of `in` (no NUL needed) into `out`, at most
 * out_max bytes. Strict: only the flags' alphabet, padding exactly when
 * B64_NOPAD is not given (and then a length that is a multiple of four),
 * no spaces or line breaks, and the unused low bits of the last character
 * zero, so every byte string has exactly one accepted text. Returns the
 * bytes written, or -1 when the text breaks any of that or does not fit.
 */
long b64_decode(const char *in, size_t in_len, void *out, size_t out_max,
		unsigned flags);

#endif

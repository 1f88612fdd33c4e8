/*
 * utf8.h - strict UTF-8 decoding, shared by the protocol checks
 * (protocol.c: a frame must be valid UTF-8, `text` is counted in code
 * points) and the redactor (redact.c: token boundaries are characters).
 *
 * "Strict" is RFC 3629: one to four bytes, no overlong forms, no UTF-16
 * surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no lone continuation
 * bytes. Everything else is refused, so two modules can never disagree on
 * what a character is.
 *
 * Pure functions on caller-owned bytes: no allocation, no state, safe from
 * any thread. Inputs need not be NUL-terminated and may hold NUL bytes.
 */
#ifndef NEUVO_UTF8_H
#define NEUVO_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_MAX_BYTES 4        /* the longest character */

/*
 * Decode the character at s[0..len). Returns its length in bytes (1-4)
 * with *cp set to its code point, or 0 when the bytes there do not start a
 * strict UTF-8 character (len == 0 included); *cp is then left alone.
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/*
 * Decode the character that ends exactly at s[len] (the last one of
 * s[0..len)). Returns its length (1-4) with *cp set, or 0 when the last
 * bytes are not the end of one strict character (a lone continuation
 * byte, a truncated sequence, len == 0); *cp is then left alone.
 */
size_t utf8_decode_last(const char *s, size_t len, uint32_t *cp);

/* Code points in s[0..len), or -1 when it is not strict UTF-8 throughout.
 * s may be NULL when len is 0. */
long utf8_count(const char *s, size_t len);

#endif

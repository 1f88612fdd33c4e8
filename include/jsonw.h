/*
 * jsonw.h - a small JSON writer for the frames the server sends most often
 * (msg, position, queued: protocol_out.c), so that the message path does
 * not build a jansson object, hash its keys, and walk it again to dump it.
 *
 * It appends compact JSON text to a caller's struct sbuf (sbuf.h), with
 * sbuf's sticky out-of-memory rule: write a whole frame, then check once
 * (sbuf_take returns NULL when any append failed). The output is byte for
 * byte what jansson's json_dumps(JSON_COMPACT) writes for the same values
 * in the same order: the same escapes (\" \\ \b \f \n \r \t, every other
 * byte below 0x20 as \u00XX in upper-case hex), '/' and non-ASCII as they
 * are, integers in decimal.
 *
 * Commas are placed by looking at the buffer's last byte: a key, or a value
 * that is not an object's value, written after a complete value gets a
 * comma first. So a caller writes
 *	jsonw_obj_begin(b); jsonw_key(b, "a"); jsonw_int(b, 1);
 *	jsonw_key(b, "b"); jsonw_null(b); jsonw_obj_end(b);
 * and gets {"a":1,"b":null}. Start each value on an empty buffer (or one
 * whose text ends in '{', '[' or ':'); one value per buffer.
 *
 * Strings: the texts that reach it are valid UTF-8 already (proto_parse
 * refuses a frame that is not; the store keeps only what it accepted), and
 * pass through as they are. So that it can never write invalid JSON all
 * the same, a byte that does not begin a strict UTF-8 character (utf8.h)
 * is written as U+FFFD (the replacement character, EF BF BD) and the rest
 * of the string follows; a NUL inside a counted string is \u0000.
 *
 * Pure functions on the caller's buffer: no state, safe from any thread.
 */
#ifndef NEUVO_JSONW_H
#define NEUVO_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sbuf.h"

/* The most bytes jsonw_int writes: "-9223372036854775808". */
#define JSONW_INT_MAX 20

/* '{' and '}' of an object; '[' and ']' of an array. */
void jsonw_obj_begin(struct sbuf *b);
void jsonw_obj_end(struct sbuf *b);
void jsonw_arr_begin(struct sbuf *b);
void jsonw_arr_end(struct sbuf *b);

/* An object's key: "key": (escaped like any string). key NUL-terminated. */
void jsonw_key(struct sbuf *b, const char *key);

/* A string value of len bytes (s may be NULL when len is 0), escaped. */
void jsonw_strn(struct sbuf *b, const char *s, size_t len);

/* A NUL-terminated string value. s NULL fails the buffer (sbuf_fail), as
 * jansson's json_pack refuses a NULL "s": no frame rather than a wrong one. */
void jsonw_str(struct sbuf *b, const char *s);

/* An integer value in decimal, INT64_MIN and INT64_MAX included. */
void jsonw_int(struct sbuf *b, int64_t v);

/* true or false. */
void jsonw_bool(struct sbuf *b, bool v);

/* null. */
void jsonw_null(struct sbuf *b);

/* len bytes of text that is one complete JSON value already, copied as it
 * is: the caller vouches for it (e.g. jansson's own dump). */
void jsonw_raw(struct sbuf *b, const char *json, size_t len);

/* A jansson value: strings, integers, true, false and null written
 * directly; anything else (a real, an object, an array) through jansson's
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY). v NULL fails the buffer.
 * v is borrowed. */
void jsonw_json(struct sbuf *b, const json_t *v);

/* The decimal text of v into out[JSONW_INT_MAX + 1], NUL-terminated;
 * returns its length. For callers that build text without a buffer. */
size_t jsonw_format_int(int64_t v, char out[JSONW_INT_MAX + 1]);

#endif

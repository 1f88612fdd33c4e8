/*
 * bench_json.h - reads the few top-level fields the load generator needs
 * from a server frame (type, from, text, chat, code, ...), without building
 * a tree: at tens of thousands of frames a second a full parse would cost
 * the generator more than the server under test.
 *
 * Pure logic, no allocation: spans point into the caller's buffer.
 */
#ifndef NEUVO_BENCH_JSON_H
#define NEUVO_BENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value as it stands in the frame: a string's bytes between its quotes
 * (escapes left as they are), or the raw text of a number, true/false/null
 * or a nested object or array. */
struct bench_span {
	const char *p;
	size_t len;
	bool string;
};

/* One field asked for: `key` is set by the caller; `found` and `val` are
 * filled by bench_json_scan. */
struct bench_json_field {
	const char *key;
	bool found;
	struct bench_span val;
};

/*
 * Scan the members of the JSON object at buf[0..len) at the top level only
 * (nested objects and arrays are skipped, so a "type" inside a history
 * entry is never mistaken for the frame's own). Each member whose key is
 * byte-equal to fields[i].key fills fields[i]. A frame cut short (a prefix
 * of a long frame) is read as far as it goes. Returns 0 when buf starts
 * with an object, -1 otherwise; fields not met stay found = false.
 */
int bench_json_scan(const char *buf, size_t len, struct bench_json_field *fields,
		    size_t n);

/* True when span s is exactly the bytes of the C string lit. */
bool bench_span_is(const struct bench_span *s, const char *lit);

/* s as a decimal integer (optionally negative) into *out; -1 when it is
 * not one. */
int bench_span_int(const struct bench_span *s, int64_t *out);

#endif

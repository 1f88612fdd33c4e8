/*
 * jsonw.c - a small JSON writer onto a struct sbuf (see jsonw.h), for the
 * frames of the message path in protocol_out.c.
 *
 * A string is copied in runs: bytes that need nothing (printable ASCII
 * other than '"' and '\\', and whole strict UTF-8 characters) are found
 * first and appended in one sbuf_add, so a plain message costs one scan
 * and one memcpy. Escapes follow jansson's spelling exactly, so a frame
 * written here is the same text jansson would have written.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "utf8.h"

/* U+FFFD, written for a byte that does not begin a strict character. */
static const char replacement[] = "\xef\xbf\xbd";

/* sbuf_add, with the common case (room already there) inline: a frame is
 * a few dozen small pieces, and the call into sbuf's checks for each one
 * was most of a frame's cost. */
static inline void
put(struct sbuf *b, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (!b->failed && b->s && n < b->cap - b->len) {
		memcpy(b->s + b->len, p, n);
		b->len += n;
		b->s[b->len] = '\0';
		return;
	}
	sbuf_add(b, p, n);
}

static inline void
put_c(struct sbuf *b, char c)
{
	put(b, &c, 1);
}

/* A key, or a value that is not an object's value, after a complete value
 * gets a comma. A complete value never ends in '{', '[' or ':'. */
static void
separate(struct sbuf *b)
{
	char last;

	if (b->failed || b->len == 0)
		return;
	last = b->s[b->len - 1];
	if (last != '{' && last != '[' && last != ':')
		put_c(b, ',');
}

void
jsonw_obj_begin(struct sbuf *b)
{
	separate(b);
	put_c(b, '{');
}

void
jsonw_obj_end(struct sbuf *b)
{
	put_c(b, '}');
}

void
jsonw_arr_begin(struct sbuf *b)
{
	separate(b);
	put_c(b, '[');
}

void
jsonw_arr_end(struct sbuf *b)
{
	put_c(b, ']');
}

/* The escape of one byte that needs one: \" \\ the short forms jansson
 * uses, or \u00XX (upper-case hex, as jansson writes it). */
static void
escape_byte(struct sbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };
	char two[2] = { '\\', 0 };

	switch (c) {
	case '"':  two[1] = '"'; break;
	case '\\': two[1] = '\\'; break;
	case '\b': two[1] = 'b'; break;
	case '\f': two[1] = 'f'; break;
	case '\n': two[1] = 'n'; break;
	case '\r': two[1] = 'r'; break;
	case '\t': two[1] = 't'; break;
	default:
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		put(b, u, sizeof(u));
		return;
	}
	put(b, two, sizeof(two));
}

/* Bytes that stand for themselves in a JSON string: printable ASCII but
 * '"' and '\\'. (Non-ASCII is checked as UTF-8 apart.) */
#define PLAIN(c) ((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\')
#define ROW(r) PLAIN(r), PLAIN(r + 1), PLAIN(r + 2), PLAIN(r + 3), \
	PLAIN(r + 4), PLAIN(r + 5), PLAIN(r + 6), PLAIN(r + 7)
static const bool plain[256] = {
	ROW(0x00), ROW(0x08), ROW(0x10), ROW(0x18), ROW(0x20), ROW(0x28),
	ROW(0x30), ROW(0x38), ROW(0x40), ROW(0x48), ROW(0x50), ROW(0x58),
	ROW(0x60), ROW(0x68), ROW(0x70), ROW(0x78),
};
#undef ROW
#undef PLAIN

/* The string's body between its quotes. */
static void
escaped(struct sbuf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, i = 0, n;
	uint32_t cp;

	for (;;) {
		while (i < len && plain[p[i]])
			i++;
		if (i == len)
			break;
		if (p[i] >= 0x80) {
			n = utf8_decode(s + i, len - i, &cp);
			if (n) {
				i += n;
				continue;
			}
		}
		put(b, s + run, i - run);
		if (p[i] >= 0x80)
			put(b, replacement, sizeof(replacement) - 1);
		else
			escape_byte(b, p[i]);
		run = ++i;
	}
	put(b, s + run, len - run);
}

void
jsonw_strn(struct sbuf *b, const char *s, size_t len)
{
	separate(b);
	/* Room for the usual case, where nothing needs escaping. */
	if (sbuf_reserve(b, len + 2))
		return;
	put_c(b, '"');
	if (len)
		escaped(b, s, len);
	put_c(b, '"');
}

void
jsonw_str(struct sbuf *b, const char *s)
{
	if (!s) {
		sbuf_fail(b);
		return;
	}
	jsonw_strn(b, s, strlen(s));
}

void
jsonw_key(struct sbuf *b, const char *key)
{
	jsonw_str(b, key);
	put_c(b, ':');
}

size_t
jsonw_format_int(int64_t v, char out[JSONW_INT_MAX + 1])
{
	char rev[JSONW_INT_MAX];
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit in int64_t. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, k = 0;

	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[k++] = '-';
	while (n)
		out[k++] = rev[--n];
	out[k] = '\0';
	return k;
}

void
jsonw_int(struct sbuf *b, int64_t v)
{
	char text[JSONW_INT_MAX + 1];
	size_t n = jsonw_format_int(v, text);

	separate(b);
	put(b, text, n);
}

void
jsonw_bool(struct sbuf *b, bool v)
{
	separate(b);
	if (v)
		put(b, "true", 4);
	else
		put(b, "false", 5);
}

void
jsonw_null(struct sbuf *b)
{
	separate(b);
	put(b, "null", 4);
}

void
jsonw_raw(struct sbuf *b, const char *json, size_t len)
{
	separate(b);
	put(b, json, len);
}

void
jsonw_json(struct sbuf *b, const json_t *v)
{
	char *text;

	if (!v) {
		sbuf_fail(b);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		jsonw_strn(b, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		jsonw_int(b, (int64_t)json_integer_value(v));
		return;
	case JSON_TRUE:
		jsonw_bool(b, true);
		return;
	case JSON_FALSE:
		jsonw_bool(b, false);
		return;
	case JSON_NULL:
		jsonw_null(b);
		return;
	default:
		break;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		sbuf_fail(b);
		return;
	}
	jsonw_raw(b, text, strlen(text));
	free(text);
}

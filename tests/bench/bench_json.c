/*
 * bench_json.c - a top-level field reader for JSON objects (bench_json.h).
 *
 * One forward pass. Strings are skipped by their quotes (a backslash skips
 * the byte after it), nested values by counting brackets outside strings.
 * It does not validate: the servers under test produce well-formed JSON,
 * and anything else simply ends the scan early.
 */
#include <string.h>

#include "bench_json.h"

struct cursor {
	const char *p, *end;
};

static void
skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* At an opening quote: leave c after the closing one and return the span
 * between them; -1 when the buffer ends first. */
static int
read_string(struct cursor *c, struct bench_span *out)
{
	const char *start = ++c->p;

	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\')
			c->p++;
		c->p++;
	}
	if (c->p >= c->end)
		return -1;
	out->p = start;
	out->len = (size_t)(c->p - start);
	out->string = true;
	c->p++;
	return 0;
}

/* At '{' or '[': leave c after the matching bracket; -1 when cut short. */
static int
skip_nested(struct cursor *c, struct bench_span *out)
{
	const char *start = c->p;
	struct bench_span ignored;
	int depth = 0;

	while (c->p < c->end) {
		char ch = *c->p;

		if (ch == '"') {
			if (read_string(c, &ignored))
				return -1;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		c->p++;
		if (depth == 0) {
			out->p = start;
			out->len = (size_t)(c->p - start);
			out->string = false;
			return 0;
		}
	}
	return -1;
}

/* A number, true, false or null: up to the next ',', '}' or space. */
static int
read_token(struct cursor *c, struct bench_span *out)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ',' && *c->p != '}' &&
	       *c->p != ' ' && *c->p != '\n')
		c->p++;
	if (c->p >= c->end)
		return -1;
	out->p = start;
	out->len = (size_t)(c->p - start);
	out->string = false;
	return 0;
}

static int
read_value(struct cursor *c, struct bench_span *out)
{
	if (c->p >= c->end)
		return -1;
	if (*c->p == '"')
		return read_string(c, out);
	if (*c->p == '{' || *c->p == '[')
		return skip_nested(c, out);
	return read_token(c, out);
}

static void
match(const struct bench_span *key, const struct bench_span *val,
      struct bench_json_field *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (fields[i].found || !bench_span_is(key, fields[i].key))
			continue;
		fields[i].found = true;
		fields[i].val = *val;
		return;
	}
}

int
bench_json_scan(const char *buf, size_t len, struct bench_json_field *fields,
		size_t n)
{
	struct cursor c = { buf, buf + len };
	struct bench_span key, val;
	size_t i;

	for (i = 0; i < n; i++)
		fields[i].found = false;
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -1;
	c.p++;
	for (;;) {
		skip_ws(&c);
		if (c.p >= c.end || *c.p != '"' || read_string(&c, &key))
			return 0;
		skip_ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return 0;
		c.p++;
		skip_ws(&c);
		if (read_value(&c, &val))
			return 0;
		match(&key, &val, fields, n);
		skip_ws(&c);
		if (c.p >= c.end || *c.p != ',')
			return 0;
		c.p++;
	}
}

bool
bench_span_is(const struct bench_span *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len == n && memcmp(s->p, lit, n) == 0;
}

int
bench_span_int(const struct bench_span *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	bool neg = false;

	if (s->string || !s->len)
		return -1;
	if (s->p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i >= s->len)
		return -1;
	for (; i < s->len; i++) {
		if (s->p[i] < '0' || s->p[i] > '9')
			return -1;
		v = v * 10 + (s->p[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

/*
 * sbuf.c - a growable heap string with a sticky out-of-memory flag (see
 * sbuf.h).
 *
 * The capacity doubles, so n appends cost O(total length) copying. Every
 * size sum is checked against SIZE_MAX before it is used: a caller that
 * appends an absurd length gets a failed buffer, never a wrapped size and
 * a short allocation.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

#define SBUF_MIN_CAP 64

void
sbuf_fail(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = true;
}

void
sbuf_init(struct sbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

int
sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t need, cap;
	char *grown;

	if (b->failed)
		return -1;
	if (n >= SIZE_MAX - b->len) {
		sbuf_fail(b);
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < SBUF_MIN_CAP ? SBUF_MIN_CAP : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	grown = realloc(b->s, cap);
	if (!grown) {
		sbuf_fail(b);
		return -1;
	}
	if (!b->s)
		grown[0] = '\0';
	b->s = grown;
	b->cap = cap;
	return 0;
}

void
sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (sbuf_reserve(b, n))
		return;
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void
sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	/* Measure first, then write once into room made for all of it. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sbuf_reserve(b, (size_t)n)) {
		sbuf_fail(b);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

bool
sbuf_failed(const struct sbuf *b)
{
	return b->failed;
}

char *
sbuf_take(struct sbuf *b)
{
	char *text;

	if (!b->failed && !b->s)
		sbuf_reserve(b, 0);
	text = b->failed ? NULL : b->s;
	sbuf_init(b);
	return text;
}

void
sbuf_free(struct sbuf *b)
{
	free(b->s);
	sbuf_init(b);
}

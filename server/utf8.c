/*
 * utf8.c - strict UTF-8 decoding (see utf8.h).
 *
 * The lead byte alone says how long the character is and bounds the
 * smallest code point that may use that length; a value below that bound
 * is an overlong form. C0, C1 and F5-FF can never lead: C0/C1 would only
 * start overlong two-byte forms and F5+ only values above U+10FFFF.
 */
#include "utf8.h"

#define MAX_CODE_POINT   0x10ffffu
#define SURROGATE_FIRST  0xd800u
#define SURROGATE_LAST   0xdfffu

static int
is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* From a lead byte: the length of its character (0 when it cannot lead),
 * the value bits it carries and the smallest code point of that length. */
static size_t
lead(unsigned char c, uint32_t *bits, uint32_t *min)
{
	if (c < 0x80) {
		*bits = c;
		*min = 0;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		*bits = c & 0x1fu;
		*min = 0x80;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		*bits = c & 0x0fu;
		*min = 0x800;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		*bits = c & 0x07u;
		*min = 0x10000;
		return 4;
	}
	return 0;
}

size_t
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t v, min;
	size_t need, k;

	if (len == 0)
		return 0;
	need = lead(p[0], &v, &min);
	if (need == 0 || len < need)
		return 0;
	for (k = 1; k < need; k++) {
		if (!is_continuation(p[k]))
			return 0;
		v = v << 6 | (p[k] & 0x3fu);
	}
	if (v < min || v > MAX_CODE_POINT ||
	    (v >= SURROGATE_FIRST && v <= SURROGATE_LAST))
		return 0;
	*cp = v;
	return need;
}

size_t
utf8_decode_last(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start;
	uint32_t v;

	if (len == 0)
		return 0;
	/* Step back over at most three continuation bytes to the lead. */
	start = len - 1;
	while (start > 0 && len - start < UTF8_MAX_BYTES &&
	       is_continuation(p[start]))
		start--;
	if (utf8_decode(s + start, len - start, &v) != len - start)
		return 0;
	*cp = v;
	return len - start;
}

long
utf8_count(const char *s, size_t len)
{
	uint32_t cp;
	size_t i = 0, step;
	long n = 0;

	if (!s)
		return len ? -1 : 0;
	while (i < len) {
		step = utf8_decode(s + i, len - i, &cp);
		if (!step)
			return -1;
		i += step;
		n++;
	}
	return n;
}

/*
 * base64.c - RFC 4648 base64 (see base64.h).
 *
 * Three bytes are 24 bits are four characters of six bits, most
 * significant first. A last group of one or two bytes gives two or three
 * characters, then '=' up to four unless the caller asked for none.
 */
#include <stdbool.h>
#include <stdint.h>

#include "base64.h"

static const char standard[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64_encoded_len(size_t n, unsigned flags)
{
	size_t whole = n / 3 * 4;

	if (n % 3 == 0)
		return whole;
	return whole + ((flags & B64_NOPAD) ? n % 3 + 1 : 4);
}

size_t
b64_encode(const void *in, size_t n, char *out, unsigned flags)
{
	const char *abc = (flags & B64_URL) ? url : standard;
	const unsigned char *p = in;
	size_t i, o = 0, left;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		left = n - i;
		v = (uint32_t)p[i] << 16;
		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (left > 1)
			out[o++] = abc[v >> 6 & 63];
		else if (!(flags & B64_NOPAD))
			out[o++] = '=';
		if (left > 2)
			out[o++] = abc[v & 63];
		else if (!(flags & B64_NOPAD))
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The six bits a character stands for, or -1. */
static int
value_of(char c, unsigned flags)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == ((flags & B64_URL) ? '-' : '+'))
		return 62;
	if (c == ((flags & B64_URL) ? '_' : '/'))
		return 63;
	return -1;
}

/* The characters that carry data: in_len without the padding, which must
 * be there exactly when expected. Returns -1 when the length is wrong. */
static long
data_chars(const char *in, size_t in_len, unsigned flags)
{
	size_t pad = 0;

	if (!(flags & B64_NOPAD)) {
		if (in_len % 4)
			return -1;
		while (pad < 2 && pad < in_len && in[in_len - 1 - pad] == '=')
			pad++;
		in_len -= pad;
	}
	if (in_len % 4 == 1)
		return -1;      /* six bits cannot end a byte */
	return (long)in_len;
}

long
b64_decode(const char *in, size_t in_len, void *out, size_t out_max,
	   unsigned flags)
{
	unsigned char *o = out;
	long chars = data_chars(in, in_len, flags);
	size_t i, n = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (chars < 0)
		return -1;
	for (i = 0; i < (size_t)chars; i++) {
		v = value_of(in[i], flags);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffffu;
		bits += 6;
		if (bits < 8)
			continue;
		bits -= 8;
		if (n == out_max)
			return -1;
		o[n++] = (unsigned char)(acc >> bits);
	}
	/* Left-over bits are the zero fill of the last character. */
	if (acc & ((1u << bits) - 1))
		return -1;
	return (long)n;
}

/*
 * fuzz_redact.c - libFuzzer target for redact_text(). For any bytes:
 *  - the result is NUL-terminated where it should be: when nothing was
 *    found it is the input itself, byte for byte, then a NUL;
 *  - valid UTF-8 in gives valid UTF-8 out (a placeholder never splits a
 *    character, a copied character is never cut);
 *  - every bit in `found` has its placeholder in the output, and every
 *    placeholder that was not in the input has its bit;
 *  - redacting the output again finds nothing and changes nothing.
 * Self-contained (its own UTF-8 check) so it links with redact.c alone.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, need, k;
	uint32_t cp, min;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 2;
			cp = c & 0x1fu;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 3;
			cp = c & 0x0fu;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 4;
			cp = c & 0x07u;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i < need)
			return false;
		for (k = 1; k < need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need;
	}
	return true;
}

/* memmem() without relying on _GNU_SOURCE. */
static bool
contains(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return true;
	return false;
}

static void
check_bits(const uint8_t *data, size_t size, const char *out, unsigned found)
{
	static const char *const ph[] = { "[hetu]", "[phone]", "[email]",
					  "[iban]" };
	static const unsigned bit[] = { REDACT_HETU, REDACT_PHONE,
					REDACT_EMAIL, REDACT_IBAN };
	size_t k, n = strlen(out);

	if (found & ~(REDACT_HETU | REDACT_PHONE | REDACT_EMAIL | REDACT_IBAN))
		abort();
	for (k = 0; k < 4; k++) {
		bool in = contains((const char *)data, size, ph[k]);
		bool now = contains(out, n, ph[k]);

		if ((found & bit[k]) && !now)
			abort();
		if (now && !in && !(found & bit[k]))
			abort();
	}
}

static void
check_idempotent(const char *out)
{
	unsigned again_found;
	char *again = redact_text(out, strlen(out), &again_found);

	if (!again)
		return;
	if (again_found != 0 || strcmp(again, out) != 0)
		abort();
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned found = 0xffu;
	char *out = redact_text((const char *)data, size, &found);
	bool has_nul = memchr(data, 0, size) != NULL;

	if (!out)
		return 0;       /* out of memory is the only NULL */
	if (found == 0 && (memcmp(out, data, size) || out[size] != '\0'))
		abort();
	if (!has_nul) {
		/* strlen() under ASan also proves the terminator is there. */
		if (strlen(out) > size + size / 6 + 8)
			abort();
		if (utf8_valid(data, size) &&
		    !utf8_valid((const unsigned char *)out, strlen(out)))
			abort();
		check_bits(data, size, out, found);
		check_idempotent(out);
	}
	free(out);
	return 0;
}

/*
 * redact.c - finds personal data in chat text and replaces it with
 * [hetu], [phone], [email] or [iban] (see redact.h).
 *
 * One left-to-right pass. At each token start (a position not preceded by
 * a letter or digit) the matchers are tried in turn: email, IBAN, identity
 * code, phone number. Each matcher is a small hand-written scanner that
 * returns how many bytes it matched, so the whole pass is linear in the
 * text and nothing can backtrack catastrophically. A match must also end
 * at a token boundary, so a code inside a longer run of letters and digits
 * is left alone.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define IBAN_MIN 15
#define IBAN_MAX 34

/* Bytes of UTF-8 letters count as word characters for boundaries. */
static bool
word(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static bool
boundary_after(const char *s, size_t len, size_t at)
{
	return at >= len || !word((unsigned char)s[at]);
}

/* -------------------------------------------------------------- email */

static bool
local_char(unsigned char c)
{
	return isalnum(c) || strchr("._%+-'", c) != NULL;
}

/* local@domain.tld: the domain is letters, digits, dots and dashes; a
 * sentence's final dot is not part of it. */
static size_t
match_email(const char *s, size_t len)
{
	size_t i = 0, at, end, dot = 0, k;

	while (i < len && local_char((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != '@')
		return 0;
	at = i;
	for (end = at + 1; end < len; end++)
		if (!isalnum((unsigned char)s[end]) && s[end] != '.' &&
		    s[end] != '-')
			break;
	while (end > at + 1 && (s[end - 1] == '.' || s[end - 1] == '-'))
		end--;
	for (k = at + 1; k < end; k++) {
		if (s[k] != '.')
			continue;
		if (k == at + 1 || s[k - 1] == '.')
			return 0;       /* an empty label */
		dot = k;
	}
	if (!dot || end - dot - 1 < 2)
		return 0;
	for (k = dot + 1; k < end; k++)
		if (!isalpha((unsigned char)s[k]))
			return 0;
	return boundary_after(s, len, end) || s[end] == '.' ? end : 0;
}

/* --------------------------------------------------------------- IBAN */

/* mod-97 of the rearranged IBAN (ISO 13616) is 1 for a real account. */
static bool
iban_valid(const char *acc, size_t n)
{
	unsigned rem = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = acc[(i + 4) % n];

		if (isdigit((unsigned char)c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(toupper((unsigned char)c) -
						      'A' + 10)) % 97;
	}
	return rem == 1;
}

/* Collect an IBAN-shaped run, written plain or in groups of four, into
 * acc; ends[n] is the byte offset after its n-th character. Returns n. */
static size_t
iban_collect(const char *s, size_t len, char *acc, size_t *ends)
{
	size_t n = 0, i = 0;

	if (len < 4 || !isupper((unsigned char)s[0]) ||
	    !isupper((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    !isdigit((unsigned char)s[3]))
		return 0;
	ends[0] = 0;
	while (i < len && n < IBAN_MAX) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c)) {
			acc[n++] = (char)c;
			ends[n] = ++i;
			continue;
		}
		if (c == ' ' && n % 4 == 0 && i + 1 < len &&
		    isalnum((unsigned char)s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	return n;
}

/* An IBAN: the longest candidate first, then shorter ones. */
static size_t
match_iban(const char *s, size_t len)
{
	char acc[IBAN_MAX + 1];
	size_t ends[IBAN_MAX + 1];
	size_t n = iban_collect(s, len, acc, ends);

	for (; n >= IBAN_MIN; n--) {
		if (!boundary_after(s, len, ends[n]))
			continue;
		if (iban_valid(acc, n))
			return ends[n];
	}
	return 0;
}

/* Bytes of an IBAN-shaped run that is no valid IBAN: it is copied as it
 * is, so that its digit groups are not mistaken for a phone number. */
static size_t
iban_lookalike(const char *s, size_t len)
{
	char acc[IBAN_MAX + 1];
	size_t ends[IBAN_MAX + 1];
	size_t n = iban_collect(s, len, acc, ends);

	return n >= IBAN_MIN ? ends[n] : 0;
}

/* ------------------------------------------------ personal identity code */

static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool
real_date(int d, int m, int y)
{
	static const int dim[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
				   31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1 || d > dim[m - 1])
		return false;
	return !(m == 2 && d == 29 && !leap);
}

static int
century(char c)
{
	c = (char)toupper((unsigned char)c);
	if (c == '+')
		return 1800;
	if (c == '-' || (c >= 'U' && c <= 'Y'))
		return 1900;
	if (c >= 'A' && c <= 'F')
		return 2000;
	return -1;
}

/* DDMMYY C NNN Z, with the check character valid or not: a mistyped code
 * still points at a person. */
static size_t
match_hetu(const char *s, size_t len)
{
	static const char checks[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";
	int i, base, nnn;

	if (len < 11)
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 6 && !isdigit((unsigned char)s[i]))
			return 0;
	base = century(s[6]);
	if (base < 0 || !strchr(checks, toupper((unsigned char)s[10])) ||
	    s[10] == '\0')
		return 0;
	nnn = (s[7] - '0') * 100 + two(s + 8);
	if (nnn < 2 || !real_date(two(s), two(s + 2), base + two(s + 4)))
		return 0;
	return boundary_after(s, len, 11) ? 11 : 0;
}

/* --------------------------------------------------------------- phone */

/*
 * Digits in groups separated by one space or dash, with an optional
 * "(0xx)" area code. Stops at anything else. Returns the bytes used and
 * the digits counted; groups after the first must have two or more digits
 * so that "040 1 2" style counts are not taken for numbers.
 */
static size_t
digit_groups(const char *s, size_t len, size_t at, int *digits)
{
	size_t i = at, end = at;
	int group = 0;

	*digits = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (isdigit(c)) {
			group++;
			(*digits)++;
			end = ++i;
			continue;
		}
		if ((c == ' ' || c == '-') && group > 0 && i + 2 < len &&
		    isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2])) {
			group = 0;
			i++;
			continue;
		}
		break;
	}
	return end;
}

/* +358 / 00358, then the national number without its leading 0 (an
 * optional "(0)" is allowed): 5 to 10 digits. */
static size_t
match_phone_intl(const char *s, size_t len)
{
	size_t i, end;
	int digits;

	if (len >= 4 && !strncmp(s, "+358", 4))
		i = 4;
	else if (len >= 5 && !strncmp(s, "00358", 5))
		i = 5;
	else
		return 0;
	if (i < len && (s[i] == ' ' || s[i] == '-'))
		i++;
	if (i + 3 <= len && !strncmp(s + i, "(0)", 3)) {
		i += 3;
		if (i < len && s[i] == ' ')
			i++;
	}
	if (i >= len || !isdigit((unsigned char)s[i]) || s[i] == '0')
		return 0;
	end = digit_groups(s, len, i, &digits);
	if (digits < 5 || digits > 10 || !boundary_after(s, len, end))
		return 0;
	return end;
}

/* 0 and a non-zero digit (00 is the international prefix), 7 to 11
 * digits in all; the area code may stand in parentheses: (09) 123 4567. */
static size_t
match_phone_national(const char *s, size_t len)
{
	size_t i = 0, end;
	int digits, area = 0;

	if (len > 0 && s[0] == '(') {
		for (i = 1; i < len && isdigit((unsigned char)s[i]); i++)
			area++;
		if (area < 2 || area > 4 || i >= len || s[i] != ')' ||
		    s[1] != '0' || s[2] == '0')
			return 0;
		i++;
		if (i < len && s[i] == ' ')
			i++;
	} else if (len < 2 || s[0] != '0' || !isdigit((unsigned char)s[1]) ||
		   s[1] == '0') {
		return 0;
	}
	end = digit_groups(s, len, i, &digits);
	digits += area;
	if (digits < 7 || digits > 11 || !boundary_after(s, len, end))
		return 0;
	return end;
}

/* ------------------------------------------------------------ the pass */

struct matcher {
	size_t (*match)(const char *s, size_t len);
	const char *placeholder;
	unsigned bit;
};

static const struct matcher matchers[] = {
	{ match_email, "[email]", REDACT_EMAIL },
	{ match_iban, "[iban]", REDACT_IBAN },
	{ match_hetu, "[hetu]", REDACT_HETU },
	{ match_phone_intl, "[phone]", REDACT_PHONE },
	{ match_phone_national, "[phone]", REDACT_PHONE },
};

/* Length in bytes of the UTF-8 sequence starting with c (1 if invalid),
 * so a multi-byte character is copied whole and never split. */
static size_t
char_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

char *
redact_text(const char *text, size_t len, unsigned *found)
{
	/* A placeholder is never more than 2 bytes longer than the shortest
	 * text it replaces, so twice the input is always enough. */
	char *out = malloc(len * 2 + 16);
	size_t i = 0, o = 0, k, n;

	*found = 0;
	if (!out)
		return NULL;
	while (i < len) {
		bool start = i == 0 || !word((unsigned char)text[i - 1]);

		for (k = 0; start && k < sizeof(matchers) / sizeof(matchers[0]);
		     k++) {
			n = matchers[k].match(text + i, len - i);
			if (n == 0)
				continue;
			strcpy(out + o, matchers[k].placeholder);
			o += strlen(matchers[k].placeholder);
			*found |= matchers[k].bit;
			i += n;
			break;
		}
		if (start && k < sizeof(matchers) / sizeof(matchers[0]))
			continue;
		n = start ? iban_lookalike(text + i, len - i) : 0;
		if (n == 0)
			n = char_len((unsigned char)text[i]);
		if (i + n > len)
			n = len - i;
		memcpy(out + o, text + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

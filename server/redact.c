/*
 * redact.c - finds personal data in chat text and replaces it with
 * [hetu], [phone], [email] or [iban] (see redact.h). The service calls it
 * on every resident message before the text is stored, relayed or echoed
 * (CONTRACT.md section 5).
 *
 * One left-to-right pass over the bytes. At each token start (a character
 * not preceded by a letter or digit) the scanners are tried in turn: email,
 * IBAN, identity code, phone number. Each scanner is a short hand-written
 * function that reads at most a fixed number of bytes (an email's 64+253,
 * an IBAN's 34 characters, 16 phone digits) and returns how many it
 * matched, so the pass is linear in the text and cannot backtrack. A match
 * must also end at a token boundary: a number inside a longer run of
 * letters and digits is left alone. Identity codes are the exception:
 * letters may touch them on either side ("hetu131052-308Tabc"), so inside
 * a token, right after a letter, the identity-code scanner alone runs too.
 *
 * Characters are decoded by utf8.c and the output is built in an sbuf.
 *
 * "Letter" means an ASCII letter or a non-ASCII character that is not
 * punctuation, a space or a symbol, so "Äiti040 123 4567" is one token
 * while "”040 123 4567”" and a no-break space before a number are
 * boundaries. Bytes that are not valid UTF-8 are copied one by one and
 * count as boundaries, so broken input cannot shield a number.
 *
 * When in doubt between keeping a number and hiding it, the scanners hide
 * it, except where a common harmless shape (a date, a price, a postcode, a
 * reference number) is known to look alike; those shapes are tested in
 * tests/redaction-corpus.tsv.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "sbuf.h"
#include "utf8.h"

#define BAD_CP       0xffffffffu /* decode(): no valid character here */
#define EMAIL_LOCAL  64          /* RFC 5321 limits */
#define EMAIL_DOMAIN 253
#define IBAN_MIN     15          /* Norway */
#define IBAN_MAX     34
#define RUN_GROUPS   8           /* digit groups read for a phone number */
#define RUN_DIGITS   16          /* digits read for one phone number */

/* ---------------------------------------------------------- characters */

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(unsigned char c)
{
	return is_digit(c) || is_alpha(c);
}

static unsigned char
upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

static unsigned char
byte(const char *s, size_t i)
{
	return (unsigned char)s[i];
}

/* The character at s[i] (i < len): its code point, or BAD_CP when the
 * bytes there are not strict UTF-8. *n gets its length in bytes, 1 for a
 * byte that starts no character (such a byte is copied on its own). */
static uint32_t
decode(const char *s, size_t len, size_t i, size_t *n)
{
	uint32_t cp;

	*n = utf8_decode(s + i, len - i, &cp);
	if (*n)
		return cp;
	*n = 1;
	return BAD_CP;
}

/* Non-ASCII code points that separate tokens: Latin-1 punctuation and
 * spaces, × and ÷, general punctuation, currency and other symbols, CJK
 * and fullwidth punctuation, the byte-order mark, emoji. */
static bool
cp_is_separator(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{ 0x0080, 0x00bf }, { 0x00d7, 0x00d7 }, { 0x00f7, 0x00f7 },
		{ 0x2000, 0x2bff }, { 0x3000, 0x303f }, { 0xfe10, 0xfe6f },
		{ 0xfeff, 0xfeff }, { 0xff00, 0xff0f }, { 0xff1a, 0xff20 },
		{ 0xff3b, 0xff40 }, { 0xff5b, 0xff65 }, { 0x1f000, 0x1faff },
	};
	size_t k;

	for (k = 0; k < sizeof(ranges) / sizeof(ranges[0]); k++)
		if (cp >= ranges[k][0] && cp <= ranges[k][1])
			return true;
	return false;
}

/* A letter or digit in the sense of token boundaries (see the top). */
static bool
cp_is_word(uint32_t cp)
{
	if (cp == BAD_CP)
		return false;
	if (cp < 0x80)
		return is_alnum((unsigned char)cp);
	return !cp_is_separator(cp);
}

static bool
word_at(const char *s, size_t len, size_t i)
{
	size_t n;

	return i < len && cp_is_word(decode(s, len, i, &n));
}

/* Is the character that ends just before s[i] a letter or digit? A stray
 * byte there is no character, so no. */
static bool
word_before(const char *s, size_t i)
{
	uint32_t cp;

	return utf8_decode_last(s, i, &cp) && cp_is_word(cp);
}

/* Is the character that ends just before s[i] a letter (a word character
 * that is not an ASCII digit)? */
static bool
letter_before(const char *s, size_t i)
{
	uint32_t cp;

	return utf8_decode_last(s, i, &cp) && cp_is_word(cp) &&
	       !(cp < 0x80 && is_digit((unsigned char)cp));
}

/* Bytes of one character at s[i]: a valid sequence whole, else one byte. */
static size_t
char_bytes(const char *s, size_t len, size_t i)
{
	size_t n;

	decode(s, len, i, &n);
	return n;
}

/* Bytes of a space at s[i] as found between digit groups: a space, a
 * no-break space or a narrow no-break space; 0 if none. */
static size_t
space_at(const char *s, size_t len, size_t i)
{
	if (i < len && s[i] == ' ')
		return 1;
	if (i + 1 < len && byte(s, i) == 0xc2 && byte(s, i + 1) == 0xa0)
		return 2;
	if (i + 2 < len && byte(s, i) == 0xe2 && byte(s, i + 1) == 0x80 &&
	    byte(s, i + 2) == 0xaf)
		return 3;
	return 0;
}

/* Bytes of a hyphen at s[i]: '-', U+2010 HYPHEN or U+2011 NON-BREAKING
 * HYPHEN (which word processors and phones put in numbers); 0 if none. */
static size_t
hyphen_at(const char *s, size_t len, size_t i)
{
	if (i < len && s[i] == '-')
		return 1;
	if (i + 2 < len && byte(s, i) == 0xe2 && byte(s, i + 1) == 0x80 &&
	    (byte(s, i + 2) == 0x90 || byte(s, i + 2) == 0x91))
		return 3;
	return 0;
}

/* Bytes of a dash that may stand for the century sign '-' of an identity
 * code: '-', U+2010-U+2015 (hyphens and dashes) or U+2212 MINUS SIGN,
 * which text editors substitute for the hyphen; 0 if none. */
static size_t
dash_at(const char *s, size_t len, size_t i)
{
	if (i < len && s[i] == '-')
		return 1;
	if (i + 2 >= len || byte(s, i) != 0xe2)
		return 0;
	if (byte(s, i + 1) == 0x80 && byte(s, i + 2) >= 0x90 &&
	    byte(s, i + 2) <= 0x95)
		return 3;
	if (byte(s, i + 1) == 0x88 && byte(s, i + 2) == 0x92)
		return 3;
	return 0;
}

/* Bytes of what may split digit groups of a phone number at s[i]: a
 * space (space_at), a hyphen (hyphen_at) or a dot (040.123.4567); 0 if
 * none. */
static size_t
group_separator_at(const char *s, size_t len, size_t i)
{
	size_t n = space_at(s, len, i);

	if (!n)
		n = hyphen_at(s, len, i);
	if (!n && i < len && s[i] == '.')
		n = 1;
	return n;
}

static bool
digits_at(const char *s, size_t len, size_t i, size_t count)
{
	size_t k;

	for (k = 0; k < count; k++)
		if (i + k >= len || !is_digit(byte(s, i + k)))
			return false;
	return true;
}

static bool
starts_with(const char *s, size_t len, size_t i, const char *lit)
{
	size_t n = strlen(lit);

	return len - i >= n && memcmp(s + i, lit, n) == 0;
}

/* starts_with() ignoring ASCII case (not the locale's idea of case). */
static bool
starts_with_nocase(const char *s, size_t len, size_t i, const char *lit)
{
	size_t n = strlen(lit), k;

	if (len - i < n)
		return false;
	for (k = 0; k < n; k++)
		if (upper(byte(s, i + k)) != upper((unsigned char)lit[k]))
			return false;
	return true;
}

/* --------------------------------------------------------------- email */

/* A letter or digit of an address (ASCII or non-ASCII); *n its bytes. */
static bool
addr_word(const char *s, size_t len, size_t i, size_t *n)
{
	return cp_is_word(decode(s, len, i, n));
}

/* The local part: it starts with a letter, digit or underscore and goes
 * on with those and . _ % + - '. Returns its end, or 0 when too long. */
static size_t
email_local(const char *s, size_t len, size_t at)
{
	size_t i = at, n;

	while (i < len && i - at <= EMAIL_LOCAL) {
		if (addr_word(s, len, i, &n) || s[i] == '_') {
			i += n;
			continue;
		}
		if (i == at || !strchr(".%+-'", s[i]))
			break;
		i++;
	}
	return i - at > EMAIL_LOCAL ? 0 : i;
}

/* "@", or the written-out forms "(at)", "[at]", "{at}" and "(a)" that
 * Finnish organisations use, each with an optional space either side.
 * Returns the index after it, or 0. */
static size_t
email_at_sign(const char *s, size_t len, size_t i)
{
	static const char *const forms[] = { "@", "(at)", "[at]", "{at}", "(a)" };
	size_t k;

	if (i < len && s[i] == ' ')
		i++;
	for (k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		if (!starts_with_nocase(s, len, i, forms[k]))
			continue;
		i += strlen(forms[k]);
		return i < len && s[i] == ' ' ? i + 1 : i;
	}
	return 0;
}

/* Is s[from..to) a top-level domain: two or more ASCII letters? */
static bool
is_tld(const char *s, size_t from, size_t to)
{
	size_t k;

	if (to - from < 2)
		return false;
	for (k = from; k < to; k++)
		if (!is_alpha(byte(s, k)))
			return false;
	return true;
}

/* The domain: labels of letters, digits and dashes joined by single dots,
 * two labels at least, the last one two or more ASCII letters. When the
 * run goes on past the real domain ("x@example.fi.044 ...",
 * "x@example.fi-osoitteeseen") it is cut back to the last label that can
 * end one. A sentence's final dot is not part of it. Returns its end, or
 * 0. */
static size_t
email_domain(const char *s, size_t len, size_t at)
{
	size_t i = at, n, dot, dash;

	while (i < len && i - at <= EMAIL_DOMAIN) {
		if (addr_word(s, len, i, &n))
			i += n;
		else if (s[i] == '-' && i > at)
			i++;
		else if (s[i] == '.' && i > at && s[i - 1] != '.' &&
			 s[i - 1] != '-' && word_at(s, len, i + 1))
			i++;
		else
			break;
	}
	while (i > at && s[i - 1] == '-')
		i--;
	if (i - at > EMAIL_DOMAIN)
		return 0;
	while (i > at) {
		for (dot = i - 1; dot > at && s[dot] != '.'; dot--)
			;
		if (dot == at)
			return 0;       /* one label left: no domain */
		if (is_tld(s, dot + 1, i))
			return i;
		/* "example.fi-osoitteeseen": a Finnish ending after a dash */
		dash = dot + 1;
		while (dash < i && s[dash] != '-')
			dash++;
		if (dash < i && is_tld(s, dot + 1, dash))
			return dash;
		i = dot;
	}
	return 0;
}

static size_t
match_email(const char *s, size_t len, size_t at)
{
	size_t local_end = email_local(s, len, at), dom, end;

	if (!local_end || local_end == at)
		return 0;
	dom = email_at_sign(s, len, local_end);
	if (!dom || dom >= len)
		return 0;
	end = email_domain(s, len, dom);
	if (!end || word_at(s, len, end))
		return 0;
	return end - at;
}

/* ---------------------------------------------------------------- IBAN */

/* mod-97 of the IBAN with its first four characters moved to the end
 * (ISO 13616): 1 for a real account number. */
static bool
iban_checksum_ok(const char *acc, size_t n)
{
	unsigned rem = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = upper((unsigned char)acc[(i + 4) % n]);

		if (is_digit(c))
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
	}
	return rem == 1;
}

#define IBAN_FI_LEN  18          /* FI, two check digits, 14 digits */

struct iban_run {
	char acc[IBAN_MAX];          /* the characters without spaces */
	size_t end[IBAN_MAX + 1];    /* end[k]: text offset after k chars */
	size_t n;                    /* characters read */
	size_t last_space;           /* offset of the last space taken */
	size_t before_space;         /* characters read before it */
};

/* Reads an IBAN-shaped run at s[at]: two letters, two digits, then
 * letters and digits, written plain or in groups of four split by single
 * spaces or hyphens. Returns the number of characters read (0 when not
 * this shape). */
static size_t
iban_read(const char *s, size_t len, size_t at, struct iban_run *r)
{
	size_t i = at, sp;

	r->n = 0;
	r->last_space = 0;
	r->before_space = 0;
	if (len - at < 4 || !is_alpha(byte(s, at)) ||
	    !is_alpha(byte(s, at + 1)) || !digits_at(s, len, at + 2, 2))
		return 0;
	r->end[0] = at;
	while (i < len && r->n < IBAN_MAX) {
		if (is_alnum(byte(s, i))) {
			r->acc[r->n++] = s[i++];
			r->end[r->n] = i;
			continue;
		}
		sp = space_at(s, len, i);
		if (!sp)
			sp = hyphen_at(s, len, i);
		if (!sp || r->n % 4 != 0 || i + sp >= len ||
		    !is_alnum(byte(s, i + sp)))
			break;
		r->last_space = i;
		r->before_space = r->n;
		i += sp;
	}
	return r->n;
}

/* The first k characters read are a Finnish account number's shape: FI
 * and 16 digits, whatever the check digits say. */
static bool
iban_finnish_shape(const struct iban_run *r, size_t k)
{
	size_t i;

	if (k != IBAN_FI_LEN || upper((unsigned char)r->acc[0]) != 'F' ||
	    upper((unsigned char)r->acc[1]) != 'I')
		return false;
	for (i = 2; i < k; i++)
		if (!is_digit((unsigned char)r->acc[i]))
			return false;
	return true;
}

/*
 * An IBAN at s[at]. Returns, with *account set, the bytes of an account
 * number: a mod-97 valid IBAN (the longest that ends at a token
 * boundary), or a Finnish one (FI and 16 digits) whose check fails, since
 * a mistyped number is still someone's. Or, with *account clear, the
 * bytes of another IBAN-shaped run that fails the check, which the caller
 * copies as it is so that its digit groups are not read as a phone
 * number. Or 0.
 */
static size_t
match_iban(const char *s, size_t len, size_t at, bool *account)
{
	struct iban_run r;
	size_t n = iban_read(s, len, at, &r), k, sp;

	*account = false;
	for (k = n; k >= IBAN_MIN; k--) {
		if (word_at(s, len, r.end[k]))
			continue;
		if (iban_checksum_ok(r.acc, k) || iban_finnish_shape(&r, k)) {
			*account = true;
			return r.end[k] - at;
		}
	}
	if (n < IBAN_MIN)
		return 0;
	/* A short last group followed by more digits may be the start of a
	 * phone number written after the account: leave it to the scanners,
	 * and the rest too when it is then too short to be an IBAN. */
	sp = space_at(s, len, r.end[n]);
	if (n % 4 != 0 && r.last_space && sp &&
	    digits_at(s, len, r.end[n] + sp, 1))
		return r.before_space >= IBAN_MIN ? r.last_space - at : 0;
	return r.end[n] - at;
}

/* ------------------------------------------------ personal identity code */

static int
two_digits(const char *s, size_t i)
{
	return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool
real_date(int d, int m, int y)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };

	if (m < 1 || m > 12 || d < 1)
		return false;
	if (m == 2 && is_leap(y))
		return d <= 29;
	return d <= days[m - 1];
}

/* The century a century sign stands for, or -1. */
static int
century(unsigned char c)
{
	c = upper(c);
	if (c == '+')
		return 1800;
	if (c == '-' || (c >= 'U' && c <= 'Y'))
		return 1900;
	if (c >= 'A' && c <= 'F')
		return 2000;
	return -1;
}

/* The century sign at s[i]: *n gets its bytes (a Unicode dash is read
 * as '-'); returns its century, or -1. */
static int
century_at(const char *s, size_t len, size_t i, size_t *n)
{
	*n = dash_at(s, len, i);
	if (*n)
		return 1900;
	*n = 1;
	return i < len ? century(byte(s, i)) : -1;
}

/* DDMMYY C NNN Z: a real date, any century sign, NNN 002-999 and a check
 * character from the check alphabet, right or wrong (a mistyped code still
 * points at a person). Letters may touch it on either side ("hetu131052-
 * 308Tabc" is still a code); a digit may not, since then it is part of a
 * longer number. */
static size_t
match_hetu(const char *s, size_t len, size_t at)
{
	static const char checks[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";
	size_t sign, i;
	int base, nnn;

	if (!digits_at(s, len, at, 6))
		return 0;
	base = century_at(s, len, at + 6, &sign);
	i = at + 6 + sign;              /* NNN */
	if (base < 0 || !digits_at(s, len, i, 3) || i + 3 >= len ||
	    s[i + 3] == '\0' || !strchr(checks, upper(byte(s, i + 3))))
		return 0;
	nnn = (s[i] - '0') * 100 + two_digits(s, i + 1);
	if (nnn < 2 || !real_date(two_digits(s, at), two_digits(s, at + 2),
				  base + two_digits(s, at + 4)))
		return 0;
	if (i + 4 < len && is_digit(byte(s, i + 4)))
		return 0;
	return i + 4 - at;
}

/* --------------------------------------------------------------- phone */

/* Digit groups of a phone-number candidate. */
struct run {
	size_t end[RUN_GROUPS];  /* text offset after each group */
	int size[RUN_GROUPS];    /* digits in each group */
	int total[RUN_GROUPS];   /* digits up to and including each group */
	int n;                   /* whole groups read */
};

static void
run_add(struct run *r, size_t end, int size)
{
	r->end[r->n] = end;
	r->size[r->n] = size;
	r->total[r->n] = size + (r->n ? r->total[r->n - 1] : 0);
	r->n++;
}

/* Bytes of the separator after a group at s[i], when a next group of two
 * or more digits follows it: a space, a hyphen, a dot, or (after the first
 * group only, before three digits) a slash as in 040/123 4567. */
static size_t
run_separator(const char *s, size_t len, size_t i, int groups)
{
	size_t sep = group_separator_at(s, len, i);

	if (sep)
		return digits_at(s, len, i + sep, 2) ? sep : 0;
	if (i < len && s[i] == '/' && groups == 1 &&
	    digits_at(s, len, i + 1, 3))
		return 1;
	return 0;
}

/* Reads whole digit groups from s[i] onwards into r: at most RUN_GROUPS
 * groups and RUN_DIGITS digits in all, so the work per call is bounded.
 * A group cut short by the limit is left out. */
static void
run_read(const char *s, size_t len, size_t i, struct run *r)
{
	size_t sep;
	int size, room;

	while (r->n < RUN_GROUPS) {
		room = RUN_DIGITS - (r->n ? r->total[r->n - 1] : 0);
		for (size = 0; i < len && is_digit(byte(s, i)); i++)
			if (++size > room)
				return;
		if (size == 0)
			return;
		run_add(r, i, size);
		sep = run_separator(s, len, i, r->n);
		if (!sep)
			return;
		i += sep;
	}
}

/* 05 03 2026, 05-03-2026: a date, not a number to call. */
static bool
run_is_date(const char *s, const struct run *r)
{
	size_t y;
	int year;

	if (r->n < 3 || r->size[0] != 2 || r->size[1] != 2 || r->size[2] != 4)
		return false;
	y = r->end[2] - 4;
	year = two_digits(s, y) * 100 + two_digits(s, y + 2);
	return real_date(two_digits(s, r->end[0] - 2),
			 two_digits(s, r->end[1] - 2), 2000) &&
	       year >= 1900 && year <= 2099;
}

/* Groups 0..last look like a phone number: one group, or a first group
 * of at most four digits and some group of three or more (so that
 * "01 02 03 04" stays a list). */
static bool
run_shape_ok(const struct run *r, int last)
{
	int k;

	if (last == 0)
		return true;
	if (r->size[0] > 4)
		return false;
	for (k = 0; k <= last; k++)
		if (r->size[k] >= 3)
			return true;
	return false;
}

/* The end of the longest prefix of the run that ends after a whole group
 * at a token boundary and holds min..max digits, or 0. So "040 123 4567
 * 10 kertaa" gives up the 10, and a phone number followed by a long
 * reference number still goes. */
static size_t
run_best_end(const char *s, size_t len, const struct run *r, int min,
	     int max)
{
	int k;

	for (k = r->n - 1; k >= 0; k--) {
		if (r->total[k] < min || r->total[k] > max ||
		    !run_shape_ok(r, k))
			continue;
		if (!word_at(s, len, r->end[k]))
			return r->end[k];
	}
	return 0;
}

/* +358 or 00358, an optional "(0)" or stray trunk 0, then 5 to 11
 * digits. Written 358 without the plus, it takes 7 to 10 digits, so that
 * an amount such as "358 123 456" stays. */
static size_t
match_phone_finnish_intl(const char *s, size_t len, size_t at)
{
	struct run r = { .n = 0 };
	size_t i, end;
	int min = 5, max = 11;

	if (starts_with(s, len, at, "+358")) {
		i = at + 4;
	} else if (starts_with(s, len, at, "00358")) {
		i = at + 5;
	} else if (starts_with(s, len, at, "358")) {
		i = at + 3;
		min = 7;
		max = 10;
	} else {
		return 0;
	}
	i += group_separator_at(s, len, i);
	if (starts_with(s, len, i, "(0)")) {
		i += 3;
		i += space_at(s, len, i);
	} else if (i < len && s[i] == '0') {
		i++;
	}
	if (i >= len || !is_digit(byte(s, i)) || s[i] == '0')
		return 0;
	run_read(s, len, i, &r);
	end = run_best_end(s, len, &r, min, max);
	return end ? end - at : 0;
}

/* Another country's number: + and 9 to 15 digits (E.164). */
static size_t
match_phone_other_intl(const char *s, size_t len, size_t at)
{
	struct run r = { .n = 0 };
	size_t end;

	if (len - at < 2 || s[at] != '+' || !is_digit(byte(s, at + 1)) ||
	    s[at + 1] == '0')
		return 0;
	run_read(s, len, at + 1, &r);
	end = run_best_end(s, len, &r, 9, 15);
	return end ? end - at : 0;
}

/* A Finnish trunk prefix: 0 and a digit, not 00 (international) and not
 * 011 or 012 (unused), so "0123456" stays an order number. */
static bool
national_prefix_ok(const char *s, size_t len, size_t i)
{
	if (!digits_at(s, len, i, 2) || s[i] != '0' || s[i + 1] == '0')
		return false;
	if (s[i + 1] == '1' && i + 2 < len &&
	    (s[i + 2] == '1' || s[i + 2] == '2'))
		return false;
	return true;
}

/* 0213456-7: seven digits, a dash and one check digit is a business ID
 * (Y-tunnus), which names a company, not a person. */
static bool
run_is_business_id(const char *s, size_t len, const struct run *r)
{
	size_t e = r->end[0], dash = hyphen_at(s, len, e);

	return r->n == 1 && r->size[0] == 7 && dash &&
	       digits_at(s, len, e + dash, 1) && !word_at(s, len, e + dash + 1);
}

/* 0 and an area, mobile or service code, 7 to 11 digits in all; the
 * code may stand in parentheses: (09) 123 4567. */
static size_t
match_phone_national(const char *s, size_t len, size_t at)
{
	struct run r = { .n = 0 };
	size_t i = at, end;
	int area = 0;

	if (s[at] == '(') {
		for (i = at + 1; i < len && is_digit(byte(s, i)) && area < 5; i++)
			area++;
		if (area < 2 || area > 4 || i >= len || s[i] != ')' ||
		    !national_prefix_ok(s, len, at + 1))
			return 0;
		run_add(&r, ++i, area);
		i += space_at(s, len, i);
		if (i >= len || !is_digit(byte(s, i)))
			return 0;
	} else if (!national_prefix_ok(s, len, at)) {
		return 0;
	}
	run_read(s, len, i, &r);
	if (!area && (run_is_date(s, &r) || run_is_business_id(s, len, &r)))
		return 0;
	end = run_best_end(s, len, &r, 7, 11);
	return end ? end - at : 0;
}

/* Does s[at] follow a digit and a dot, as the 03 and the 2026 of
 * 01.03.2026 do? Then it goes on a date or a decimal number: a dot
 * between digits joins them, so no phone number starts there. */
static bool
after_digit_dot(const char *s, size_t at)
{
	return at >= 2 && s[at - 1] == '.' && is_digit(byte(s, at - 2));
}

static size_t
match_phone(const char *s, size_t len, size_t at)
{
	size_t n;

	if (after_digit_dot(s, at))
		return 0;
	n = match_phone_finnish_intl(s, len, at);

	if (!n)
		n = match_phone_other_intl(s, len, at);
	if (!n)
		n = match_phone_national(s, len, at);
	return n;
}

/* ------------------------------------------------------------ the pass */

/*
 * Tries the scanners at a token start s[at]. Returns the bytes consumed:
 * a match (its placeholder written to o and its bit set in *bits) or an
 * IBAN look-alike (copied as it is);
 * 0 when nothing matched; SIZE_MAX when memory ran out. *replaced tells
 * whether a placeholder was written.
 */
static size_t
redact_at(const char *s, size_t len, size_t at, bool email_near,
	  struct sbuf *o, unsigned *bits, bool *replaced)
{
	const char *ph = NULL;
	unsigned bit = 0;
	bool account;
	size_t n = 0;

	if (email_near && (n = match_email(s, len, at)) != 0) {
		ph = "[email]";
		bit = REDACT_EMAIL;
	} else if ((n = match_iban(s, len, at, &account)) != 0) {
		ph = account ? "[iban]" : NULL;
		bit = account ? REDACT_IBAN : 0;
	} else if ((n = match_hetu(s, len, at)) != 0) {
		ph = "[hetu]";
		bit = REDACT_HETU;
	} else if ((n = match_phone(s, len, at)) != 0) {
		ph = "[phone]";
		bit = REDACT_PHONE;
	}
	*replaced = ph != NULL;
	if (!n)
		return 0;
	*bits |= bit;
	if (ph)
		sbuf_adds(o, ph);
	else
		sbuf_add(o, s + at, n);
	return sbuf_failed(o) ? SIZE_MAX : n;
}

/*
 * Inside a token, right after a letter: only an identity code is looked
 * for there, since one glued to words ("hetu131052-308T") is still a
 * code, while a phone number or an account number inside a word is more
 * likely a product or reference code. Returns the bytes consumed (the
 * placeholder written) or 0; SIZE_MAX when memory ran out.
 */
static size_t
redact_glued(const char *s, size_t len, size_t at, struct sbuf *o,
	     unsigned *bits, bool *replaced)
{
	size_t n = 0;

	*replaced = false;
	if (is_digit(byte(s, at)) && letter_before(s, at))
		n = match_hetu(s, len, at);
	if (!n)
		return 0;
	*bits |= REDACT_HETU;
	*replaced = true;
	sbuf_adds(o, "[hetu]");
	return sbuf_failed(o) ? SIZE_MAX : n;
}

/* Index of the first byte at or after `from` that can begin an email's
 * at sign ('@', or the '(' '[' '{' of "(at)"), or len. */
static size_t
next_at_sign(const char *s, size_t len, size_t from)
{
	while (from < len && !strchr("@([{", s[from]))
		from++;
	return from;
}

/*
 * Contract in redact.h. Also: `found` may be NULL when the caller does not
 * want the bits, and `text` may be NULL when len is 0.
 */
char *
redact_text(const char *text, size_t len, unsigned *found)
{
	struct sbuf o;
	unsigned bits = 0;
	size_t i = 0, n, mark = 0;
	bool start = true;

	if (found)
		*found = 0;
	if (len > SIZE_MAX / 2)
		return NULL;
	sbuf_init(&o);
	/* Room for the text and a little growth: placeholders are rarely
	 * longer than what they replace. */
	if (sbuf_reserve(&o, len + len / 8 + 16))
		return NULL;
	/* Right after a placeholder is a token start too: the placeholder
	 * ends in ']', and redacting the output again must change nothing. */
	while (i < len) {
		n = 0;
		/* The email scanner reads up to 64 bytes of local part, so it
		 * runs only when an at sign is that near: plain text stays
		 * cheap. `mark` only moves forward: linear in all. */
		if (mark < i)
			mark = next_at_sign(text, len, i);
		if (start || !word_before(text, i))
			n = redact_at(text, len, i,
				      mark < len && mark - i <= EMAIL_LOCAL + 1,
				      &o, &bits, &start);
		else
			n = redact_glued(text, len, i, &o, &bits, &start);
		if (n == SIZE_MAX)
			break;
		if (n == 0) {
			n = char_bytes(text, len, i);
			sbuf_add(&o, text + i, n);
		}
		i += n;
	}
	if (i < len || sbuf_failed(&o)) {
		sbuf_free(&o);
		return NULL;
	}
	if (found)
		*found = bits;
	return sbuf_take(&o);
}

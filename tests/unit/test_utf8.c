/* test_utf8.c - the one strict UTF-8 decoder: every length, and every way
 * bytes can fail to be a character (overlong, surrogate, above U+10FFFF,
 * truncated, stray continuation). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include "utf8.h"

/* Decodes s whole as one character: its length and code point. */
static void
one_char(const char *s, size_t len, uint32_t want)
{
	uint32_t cp = 0xdeadu;

	assert_int_equal(utf8_decode(s, len, &cp), len);
	assert_int_equal(cp, want);
}

/* s does not start a character; *cp is left alone. */
static void
refused(const char *s, size_t len)
{
	uint32_t cp = 0xdeadu;

	assert_int_equal(utf8_decode(s, len, &cp), 0);
	assert_int_equal(cp, 0xdeadu);
}

static void
one_byte(void **state)
{
	(void)state;
	one_char("A", 1, 'A');
	one_char("\0", 1, 0);
	one_char("\x7f", 1, 0x7f);
}

static void
two_bytes(void **state)
{
	(void)state;
	one_char("\xc2\x80", 2, 0x80);
	one_char("\xc3\xa4", 2, 0xe4);          /* ä */
	one_char("\xdf\xbf", 2, 0x7ff);
}

static void
three_bytes(void **state)
{
	(void)state;
	one_char("\xe0\xa0\x80", 3, 0x800);
	one_char("\xe2\x82\xac", 3, 0x20ac);    /* € */
	one_char("\xed\x9f\xbf", 3, 0xd7ff);    /* just below surrogates */
	one_char("\xee\x80\x80", 3, 0xe000);    /* just above */
	one_char("\xef\xbf\xbf", 3, 0xffff);
}

static void
four_bytes(void **state)
{
	(void)state;
	one_char("\xf0\x90\x80\x80", 4, 0x10000);
	one_char("\xf0\x9f\x98\x80", 4, 0x1f600);       /* 😀 */
	one_char("\xf4\x8f\xbf\xbf", 4, 0x10ffff);
}

static void
only_the_first_character_is_read(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(utf8_decode("\xc3\xa4xyz", 5, &cp), 2);
	assert_int_equal(cp, 0xe4);
}

static void
overlong_forms_refused(void **state)
{
	(void)state;
	refused("\xc0\xaf", 2);                 /* '/' in two bytes */
	refused("\xc1\xbf", 2);
	refused("\xe0\x80\xaf", 3);
	refused("\xe0\x9f\xbf", 3);             /* 0x7ff in three */
	refused("\xf0\x80\x80\xaf", 4);
	refused("\xf0\x8f\xbf\xbf", 4);         /* 0xffff in four */
}

static void
surrogates_refused(void **state)
{
	(void)state;
	refused("\xed\xa0\x80", 3);             /* U+D800 */
	refused("\xed\xaf\xbf", 3);
	refused("\xed\xb0\x80", 3);
	refused("\xed\xbf\xbf", 3);             /* U+DFFF */
}

static void
above_last_code_point_refused(void **state)
{
	(void)state;
	refused("\xf4\x90\x80\x80", 4);         /* U+110000 */
	refused("\xf5\x80\x80\x80", 4);
	refused("\xf7\xbf\xbf\xbf", 4);
	refused("\xf8\x88\x80\x80\x80", 5);     /* old five-byte form */
	refused("\xff", 1);
	refused("\xfe", 1);
}

static void
truncated_refused(void **state)
{
	(void)state;
	refused("\xc3", 1);
	refused("\xe2\x82", 2);
	refused("\xf0\x9f\x98", 3);
	refused("", 0);
	/* The length given is what counts, not the bytes beyond it. */
	refused("\xe2\x82\xac", 2);
}

static void
bad_continuation_refused(void **state)
{
	(void)state;
	refused("\x80", 1);                     /* lone continuation */
	refused("\xbf", 1);
	refused("\xc3" "A", 2);                 /* lead, then ASCII */
	refused("\xe2\x82" "A", 3);
	refused("\xf0\x9f\x98\xc3", 4);         /* lead where a tail goes */
}

static void
last_character_each_length(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(utf8_decode_last("xA", 2, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode_last("x\xc3\xa4", 3, &cp), 2);
	assert_int_equal(cp, 0xe4);
	assert_int_equal(utf8_decode_last("\xe2\x82\xac", 3, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_decode_last("ab\xf0\x9f\x98\x80", 6, &cp), 4);
	assert_int_equal(cp, 0x1f600);
}

static void
last_character_refusals(void **state)
{
	uint32_t cp = 0xdeadu;

	(void)state;
	assert_int_equal(utf8_decode_last("", 0, &cp), 0);
	assert_int_equal(utf8_decode_last("a\x80", 2, &cp), 0);
	assert_int_equal(utf8_decode_last("\xe2\x82", 2, &cp), 0);
	assert_int_equal(utf8_decode_last("\xc3", 1, &cp), 0);
	/* Four continuation bytes: no lead within reach. */
	assert_int_equal(utf8_decode_last("\xf0\x9f\x98\x80\x80", 5, &cp), 0);
	assert_int_equal(utf8_decode_last("\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(cp, 0xdeadu);
}

static void
count_code_points(void **state)
{
	(void)state;
	assert_int_equal(utf8_count("", 0), 0);
	assert_int_equal(utf8_count(NULL, 0), 0);
	assert_int_equal(utf8_count("abc", 3), 3);
	assert_int_equal(utf8_count("a\0b", 3), 3);
	assert_int_equal(utf8_count("\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80", 9),
			 3);
}

static void
count_refuses_any_bad_character(void **state)
{
	(void)state;
	assert_int_equal(utf8_count(NULL, 1), -1);
	assert_int_equal(utf8_count("ok\xc0\xaf", 4), -1);
	assert_int_equal(utf8_count("ok\xed\xa0\x80", 5), -1);
	assert_int_equal(utf8_count("ok\xf4\x90\x80\x80", 6), -1);
	assert_int_equal(utf8_count("ok\xe2\x82", 4), -1);
	assert_int_equal(utf8_count("\x80ok", 3), -1);
}

int
test_utf8_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_byte),
		cmocka_unit_test(two_bytes),
		cmocka_unit_test(three_bytes),
		cmocka_unit_test(four_bytes),
		cmocka_unit_test(only_the_first_character_is_read),
		cmocka_unit_test(overlong_forms_refused),
		cmocka_unit_test(surrogates_refused),
		cmocka_unit_test(above_last_code_point_refused),
		cmocka_unit_test(truncated_refused),
		cmocka_unit_test(bad_continuation_refused),
		cmocka_unit_test(last_character_each_length),
		cmocka_unit_test(last_character_refusals),
		cmocka_unit_test(count_code_points),
		cmocka_unit_test(count_refuses_any_bad_character),
	};

	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}

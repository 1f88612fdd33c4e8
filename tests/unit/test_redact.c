/* test_redact.c - the redactor's behaviour case by case; the broad
 * coverage is the labelled corpus (test_redact_corpus.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "redact.h"
#include "unit.h"

static void
expect(const char *in, const char *want, unsigned want_bits)
{
	unsigned found = 99;
	char *got = redact_text(in, strlen(in), &found);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(found, want_bits);
	free(got);
}

static void
plain_text_untouched(void **state)
{
	(void)state;
	expect("Hei, kysyisin toimeentulotuesta.", "Hei, kysyisin toimeentulotuesta.", 0);
	expect("", "", 0);
}

static void
hetu_with_valid_check(void **state)
{
	(void)state;
	expect("tunnus 131052-308T.", "tunnus [hetu].", REDACT_HETU);
}

static void
hetu_with_wrong_check_still_replaced(void **state)
{
	(void)state;
	expect("131052-308U", "[hetu]", REDACT_HETU);
}

static void
hetu_new_century_signs(void **state)
{
	(void)state;
	expect("010594Y9032", "[hetu]", REDACT_HETU);
	expect("020220B123X", "[hetu]", REDACT_HETU);
	expect("010190+0026", "[hetu]", REDACT_HETU);
}

static void
hetu_impossible_date_kept(void **state)
{
	(void)state;
	expect("310299-123A", "310299-123A", 0);
}

static void
hetu_inside_longer_token_kept(void **state)
{
	(void)state;
	expect("X131052-308T", "X131052-308T", 0);
	expect("131052-308TX", "131052-308TX", 0);
}

static void
phone_forms(void **state)
{
	(void)state;
	expect("040 123 4567", "[phone]", REDACT_PHONE);
	expect("040-1234567", "[phone]", REDACT_PHONE);
	expect("+358 40 123 4567", "[phone]", REDACT_PHONE);
	expect("+358401234567", "[phone]", REDACT_PHONE);
	expect("(09) 1234 567", "[phone]", REDACT_PHONE);
	expect("02 123 4567", "[phone]", REDACT_PHONE);
}

static void
numbers_that_are_not_phones(void **state)
{
	(void)state;
	expect("1 200 €", "1 200 €", 0);
	expect("12.3.2026 klo 9.00-11.00", "12.3.2026 klo 9.00-11.00", 0);
	expect("20100 Turku", "20100 Turku", 0);
	expect("hakemus 123456", "hakemus 123456", 0);
}

static void
email_replaced_sentence_dot_kept(void **state)
{
	(void)state;
	expect("Osoite: maija.m@example.fi.", "Osoite: [email].", REDACT_EMAIL);
}

static void
iban_valid_replaced_invalid_kept(void **state)
{
	(void)state;
	expect("FI21 1234 5600 0007 85", "[iban]", REDACT_IBAN);
	expect("FI21 1234 5600 0007 86", "FI21 1234 5600 0007 86", 0);
}

static void
several_kinds_in_one_text(void **state)
{
	(void)state;
	expect("131052-308T ja 040 123 4567 ja a@b.fi",
	       "[hetu] ja [phone] ja [email]",
	       REDACT_HETU | REDACT_PHONE | REDACT_EMAIL);
}

static void
multibyte_text_preserved(void **state)
{
	(void)state;
	expect("Äiti ja isä, 040 123 4567 – kiitos", "Äiti ja isä, [phone] – kiitos",
	       REDACT_PHONE);
}

static void
unterminated_input_length_respected(void **state)
{
	unsigned found;
	char *got = redact_text("abc040 123 4567", 3, &found);

	(void)state;
	assert_string_equal(got, "abc");
	free(got);
}

int
test_redact_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_text_untouched),
		cmocka_unit_test(hetu_with_valid_check),
		cmocka_unit_test(hetu_with_wrong_check_still_replaced),
		cmocka_unit_test(hetu_new_century_signs),
		cmocka_unit_test(hetu_impossible_date_kept),
		cmocka_unit_test(hetu_inside_longer_token_kept),
		cmocka_unit_test(phone_forms),
		cmocka_unit_test(numbers_that_are_not_phones),
		cmocka_unit_test(email_replaced_sentence_dot_kept),
		cmocka_unit_test(iban_valid_replaced_invalid_kept),
		cmocka_unit_test(several_kinds_in_one_text),
		cmocka_unit_test(multibyte_text_preserved),
		cmocka_unit_test(unterminated_input_length_respected),
	};

	return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}

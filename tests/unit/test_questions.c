/*
 * test_questions.c - the pure parts of CONTRACT.md section 9: pickup codes
 * (qcode.h: alphabet, length, randomness, reading back what a resident
 * types, the digest), the honest-waiting rule (queue.h,
 * queue_may_not_be_served), the per-address tallies of guard.h and the
 * answer's email (mail.h). The service's rules are in test_chat.c, which
 * has the svc_io harness.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"
#include "guard.h"
#include "hours.h"
#include "mail.h"
#include "qcode.h"
#include "queue.h"
#include "service.h"
#include "unit.h"

#define T0 ((int64_t)1795593600)

/* ---------------------------------------------------------------- codes */

static void
a_code_is_twelve_characters_of_the_alphabet(void **state)
{
	char code[QCODE_LEN + 1];
	uint8_t digest[QCODE_DIGEST_LEN];
	int i, k;

	(void)state;
	for (k = 0; k < 200; k++) {
		assert_int_equal(qcode_new(code, digest), 0);
		assert_int_equal(strlen(code), QCODE_LEN);
		for (i = 0; i < QCODE_LEN; i++)
			assert_non_null(strchr(QCODE_ALPHABET, code[i]));
	}
}

static void
the_alphabet_has_nothing_easily_mistaken(void **state)
{
	const char *p;

	(void)state;
	for (p = "0O1IL"; *p; p++)
		assert_null(strchr(QCODE_ALPHABET, *p));
	assert_int_equal(strlen(QCODE_ALPHABET), 31);
}

static void
codes_differ_and_use_the_whole_alphabet(void **state)
{
	char a[QCODE_LEN + 1], b[QCODE_LEN + 1];
	uint8_t d[QCODE_DIGEST_LEN];
	int seen[128] = { 0 }, i, k, kinds = 0;

	(void)state;
	assert_int_equal(qcode_new(a, d), 0);
	for (k = 0; k < 300; k++) {
		assert_int_equal(qcode_new(b, d), 0);
		assert_string_not_equal(a, b);
		for (i = 0; i < QCODE_LEN; i++)
			seen[(unsigned char)b[i]]++;
	}
	for (i = 0; i < 128; i++)
		kinds += seen[i] > 0;
	assert_int_equal(kinds, 31);
}

static void
the_digest_is_that_of_the_code_and_not_the_code(void **state)
{
	char code[QCODE_LEN + 1];
	uint8_t made[QCODE_DIGEST_LEN], again[QCODE_DIGEST_LEN];

	(void)state;
	assert_int_equal(qcode_new(code, made), 0);
	qcode_digest(code, again);
	assert_memory_equal(made, again, QCODE_DIGEST_LEN);
	assert_memory_not_equal(made, code, QCODE_LEN);
}

static void
typed_codes_are_read_leniently(void **state)
{
	char out[QCODE_LEN + 1];

	(void)state;
	assert_int_equal(qcode_normalise("ABCD-EFGH-JKMN", out), 0);
	assert_string_equal(out, "ABCDEFGHJKMN");
	assert_int_equal(qcode_normalise(" abcd efgh jkmn ", out), 0);
	assert_string_equal(out, "ABCDEFGHJKMN");
	assert_int_equal(qcode_normalise("abcd\tefgh-jk-mn", out), 0);
	assert_string_equal(out, "ABCDEFGHJKMN");
}

static void
malformed_codes_are_refused(void **state)
{
	char out[QCODE_LEN + 1];

	(void)state;
	assert_int_equal(qcode_normalise("", out), -1);
	assert_int_equal(qcode_normalise("ABCDEFGHJKM", out), -1);   /* 11 */
	assert_int_equal(qcode_normalise("ABCDEFGHJKMNP", out), -1); /* 13 */
	assert_int_equal(qcode_normalise("ABCDEFGHJKM0", out), -1);  /* 0 */
	assert_int_equal(qcode_normalise("ABCDEFGHJKMO", out), -1);  /* O */
	assert_int_equal(qcode_normalise("ABCDEFGHJKM_", out), -1);
	assert_int_equal(qcode_normalise("ABCDEFGHJKM\xc3\x84", out), -1);
	assert_int_equal(qcode_normalise("ABCDEFGHJKMNABCDEFGHJKMN", out), -1);
	assert_string_equal(out, "");
}

/* ------------------------------------------------------ honest waiting */

static void
unknown_closing_never_warns(void **state)
{
	(void)state;
	assert_false(queue_may_not_be_served(T0, -1, 99999, 50, 600, 0));
	assert_false(queue_may_not_be_served(T0, -1, -1, 50, 600, 0));
}

static void
an_estimate_past_closing_warns(void **state)
{
	(void)state;
	assert_true(queue_may_not_be_served(T0, T0 + 600, 601, 1, 600, 1));
	assert_false(queue_may_not_be_served(T0, T0 + 600, 600, 1, 600, 1));
	assert_false(queue_may_not_be_served(T0, T0 + 600, 30, 1, 600, 1));
}

static void
no_estimate_warns_when_the_line_outlasts_the_day(void **state)
{
	(void)state;
	/* Three ahead of ten minutes each, twenty minutes left. */
	assert_true(queue_may_not_be_served(T0, T0 + 1200, -1, 3, 600, 2));
	assert_false(queue_may_not_be_served(T0, T0 + 1800, -1, 3, 600, 2));
	assert_false(queue_may_not_be_served(T0, T0 + 3600, -1, 1, 600, 2));
}

static void
nobody_logged_in_near_closing_warns(void **state)
{
	(void)state;
	assert_true(queue_may_not_be_served(T0, T0 + QUEUE_LATE_NOBODY_S, -1,
					    1, 60, 0));
	assert_false(queue_may_not_be_served(T0, T0 + QUEUE_LATE_NOBODY_S + 1,
					     -1, 1, 60, 0));
	/* Someone logged in (if not available): only the line counts. */
	assert_false(queue_may_not_be_served(T0, T0 + 600, -1, 1, 60, 1));
}

/* -------------------------------------------------------------- tallies */

static void
tallies_count_per_address_and_hour(void **state)
{
	struct guard *g = guard_new();
	struct guard_key a, b;
	int i;

	(void)state;
	assert_non_null(g);
	assert_int_equal(guard_key_of(g, "192.0.2.1", &a), 0);
	assert_int_equal(guard_key_of(g, "192.0.2.2", &b), 0);
	for (i = 0; i < 10; i++)
		guard_tally_add(g, &a, GUARD_BAD_CODES, T0 + i);
	guard_tally_add(g, &a, GUARD_QUESTIONS, T0);
	assert_int_equal(guard_tally(g, &a, GUARD_BAD_CODES, T0 + 10), 10);
	assert_int_equal(guard_tally(g, &a, GUARD_QUESTIONS, T0 + 10), 1);
	assert_int_equal(guard_tally(g, &b, GUARD_BAD_CODES, T0 + 10), 0);
	assert_int_equal(guard_tally(g, &a, GUARD_BAD_CODES,
				     T0 + GUARD_HOUR_S), 0);
	guard_tally_add(g, &a, GUARD_BAD_CODES, T0 + GUARD_HOUR_S);
	assert_int_equal(guard_tally(g, &a, GUARD_BAD_CODES,
				     T0 + GUARD_HOUR_S), 1);
	guard_free(g);
}

/* --------------------------------------------------------------- email */

static void
the_answer_email_holds_question_and_answer_in_its_language(void **state)
{
	struct hours h;
	struct mail_copy m;
	char *body, *msg;

	(void)state;
	unit_weekday_hours(&h);
	m = (struct mail_copy){ "sv", "neuvonta@example.fi", "a@example.org",
				"0123abcd", T0, &h, NULL, 0 };
	body = mail_answer_body_text(&m, "Min fråga", "Mitt svar");
	assert_non_null(body);
	assert_non_null(strstr(body, "Din fråga:\r\nMin fråga\r\n"));
	assert_non_null(strstr(body, "Svar:\r\nMitt svar\r\n"));
	assert_non_null(strstr(body, "Din adress sparas inte."));
	free(body);
	msg = mail_render_answer(&m, "Min fråga", "Mitt svar");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "To: a@example.org\r\n"));
	assert_non_null(strstr(msg, "Content-Language: sv\r\n"));
	free(msg);
	m.to = "not an address";
	assert_null(mail_render_answer(&m, "q", "a"));
	hours_free(&h);
}

/* ------------------------------------------------------- /accessibility */

static void
the_statement_language_comes_from_the_query_then_the_browser(void **state)
{
	(void)state;
	assert_string_equal(svc_accessibility_lang(NULL, NULL), "fi");
	assert_string_equal(svc_accessibility_lang("sv", "en"), "sv");
	assert_string_equal(svc_accessibility_lang("EN", NULL), "en");
	assert_string_equal(svc_accessibility_lang("de", "sv-FI"), "sv");
	assert_string_equal(svc_accessibility_lang("", ""), "fi");
	assert_string_equal(svc_accessibility_lang(NULL, "de-DE,de;q=0.9"),
			    "fi");
	assert_string_equal(svc_accessibility_lang(NULL,
			    "de-DE, sv;q=0.8, en;q=0.9"), "en");
	assert_string_equal(svc_accessibility_lang(NULL, "en;q=0, fi;q=0.1"),
			    "fi");
	assert_string_equal(svc_accessibility_lang(NULL, "en, sv"), "en");
	assert_string_equal(svc_accessibility_lang(NULL, "fin, svx, e"), "fi");
	assert_string_equal(svc_accessibility_lang(NULL, ",,;q=1, sv;q=0.500"),
			    "sv");
}

int
test_questions_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_code_is_twelve_characters_of_the_alphabet),
		cmocka_unit_test(the_alphabet_has_nothing_easily_mistaken),
		cmocka_unit_test(codes_differ_and_use_the_whole_alphabet),
		cmocka_unit_test(the_digest_is_that_of_the_code_and_not_the_code),
		cmocka_unit_test(typed_codes_are_read_leniently),
		cmocka_unit_test(malformed_codes_are_refused),
		cmocka_unit_test(unknown_closing_never_warns),
		cmocka_unit_test(an_estimate_past_closing_warns),
		cmocka_unit_test(no_estimate_warns_when_the_line_outlasts_the_day),
		cmocka_unit_test(nobody_logged_in_near_closing_warns),
		cmocka_unit_test(tallies_count_per_address_and_hour),
		cmocka_unit_test(
			the_answer_email_holds_question_and_answer_in_its_language),
		cmocka_unit_test(
			the_statement_language_comes_from_the_query_then_the_browser),
	};

	return cmocka_run_group_tests_name("questions", tests,
					   unit_setup_helsinki, NULL);
}

/* test_report.c - the manager's HTML report: self-contained (no URL, no
 * script), escaped, with its SVG charts and its answer to "are we open when
 * people try to reach us?", in each language of the pages' own string files
 * (client-web/i18n, read from the source tree). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "hours.h"
#include "report.h"
#include "stats.h"
#include "unit.h"

/* One Monday (2026-11-02, winter time, +2): a chat served at 09:00 local,
 * one abandoned, three attempts at 12:xx while closed, a topic label with
 * markup in it. */
static int
monday(struct stats_range *r, const char *topic)
{
	struct stats_event ev[] = {
		{ 1793602800, STATS_STARTED, 0, "fi" },          /* 09:00 */
		{ 1793602830, STATS_SERVED, 30, NULL },
		{ 1793603100, STATS_STARTED, 0, "fi" },
		{ 1793603400, STATS_ABANDONED, 300, "resident" },
		{ 1793613600, STATS_CLOSED_ATTEMPT, 0, NULL },   /* 12:00 */
		{ 1793614200, STATS_CLOSED_ATTEMPT, 0, NULL },
		{ 1793614800, STATS_CLOSED_ATTEMPT, 0, NULL },
		{ 1793602800, STATS_TOPIC, 0, topic },
		{ 1793602800, STATS_OUTCOME, 0, "answered" },
		{ 1793603600, STATS_FEEDBACK, 5, NULL },
	};
	struct hours_date d = { 2026, 11, 2 };

	return stats_compute(ev, sizeof(ev) / sizeof(ev[0]), &d, &d, r);
}

/* The strings of `lang` from client-web/i18n; fails the case without. */
static json_t *
strings(const char *lang)
{
	char why[512];
	json_t *o = report_strings_load(NEUVO_TEST_WEB_ROOT, lang, why,
					sizeof(why));

	if (!o)
		fail_msg("%s", why);
	return o;
}

/* The Monday's report with the given strings. */
static char *
render_with(const json_t *text, const char *lang, const char *topic,
	    const char *title)
{
	struct stats_range r;
	struct hours h;
	struct report_input in;
	char *html;

	unit_weekday_hours(&h);
	if (monday(&r, topic))
		return NULL;
	in.stats = &r;
	in.hours = &h;
	in.title = title;
	in.generated = "2026-11-03";
	in.strings = text;
	in.lang = lang;
	html = report_render_html(&in);
	stats_free(&r);
	return html;
}

static char *
render_in(const char *lang, const char *topic, const char *title)
{
	json_t *text = strings(lang);
	char *html = render_with(text, lang, topic, title);

	json_decref(text);
	return html;
}

static char *
render(const char *topic, const char *title)
{
	return render_in("en", topic, title);
}

static void
escape_replaces_the_five_markup_characters(void **state)
{
	char *e = report_escape("<a href=\"x\">'&'</a>");

	(void)state;
	assert_non_null(e);
	assert_string_equal(e, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
			    "&lt;/a&gt;");
	free(e);
}

static void
escape_of_null_is_empty(void **state)
{
	char *e = report_escape(NULL);

	(void)state;
	assert_non_null(e);
	assert_string_equal(e, "");
	free(e);
}

static void
escape_keeps_utf8_text(void **state)
{
	char *e = report_escape("Neuvonta – ääkköset");

	(void)state;
	assert_non_null(e);
	assert_string_equal(e, "Neuvonta – ääkköset");
	free(e);
}

static void
open_share_of_a_whole_open_hour_is_one(void **state)
{
	struct hours h;
	struct hours_date mon = { 2026, 11, 2 };

	(void)state;
	unit_weekday_hours(&h);
	assert_true(report_open_share(&h, &mon, 9) == 1.0);
	assert_true(report_open_share(&h, &mon, 11) == 0.0);
}

static void
open_share_of_half_an_hour_is_a_half(void **state)
{
	struct hours h;
	struct hours_date mon = { 2026, 11, 2 };

	(void)state;
	unit_weekday_hours(&h);
	unit_set_day(&h.week[0], "09:30-11:00");
	assert_true(report_open_share(&h, &mon, 9) == 0.5);
}

static void
open_share_of_a_closed_sunday_is_zero(void **state)
{
	struct hours h;
	struct hours_date sun = { 2026, 11, 1 };

	(void)state;
	unit_weekday_hours(&h);
	assert_true(report_open_share(&h, &sun, 9) == 0.0);
}

static void
report_is_one_html_document(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "</html>\n"));
	assert_non_null(strstr(html, "<style>"));
	free(html);
}

static void
report_has_inline_svg_charts(void **state)
{
	char *html = render("housing", NULL);
	const char *p;
	int n = 0;

	(void)state;
	assert_non_null(html);
	for (p = html; (p = strstr(p, "<svg")); p++)
		n++;
	assert_true(n >= 5);            /* week, waits, abandoned, 2 lists */
	free(html);
}

static void
report_holds_no_url_and_no_script(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_null(strstr(html, "http:"));
	assert_null(strstr(html, "https:"));
	assert_null(strstr(html, "//"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	free(html);
}

static void
report_forbids_loading_anything(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "default-src 'none'"));
	free(html);
}

static void
report_escapes_labels(void **state)
{
	char *html = render("<img onerror=x>", NULL);

	(void)state;
	assert_non_null(html);
	assert_null(strstr(html, "<img"));
	assert_non_null(strstr(html, "&lt;img onerror=x&gt;"));
	free(html);
}

static void
report_escapes_the_title(void **state)
{
	char *html = render("housing", "Helsinki & <Espoo>");

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "<h1>Helsinki &amp; &lt;Espoo&gt;</h1>"));
	free(html);
}

static void
report_answers_the_opening_question(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "Are we open when people try to reach "
			       "us?"));
	/* 5 attempts: 2 queued + 3 while closed = 60 % */
	assert_non_null(strstr(html, "<b>3 (60 %)</b> came while the chat "
			       "was closed"));
	assert_non_null(strstr(html, "Mon 12–13 (3)"));
	free(html);
}

static void
report_shows_the_opening_hours_behind_demand(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "Mon 09–10: 1 served, 1 left the queue, "
			       "0 turned away (full), 0 while closed"));
	assert_non_null(strstr(html, "Mon 12–13: 0 served, 0 left the queue, "
			       "0 turned away (full), 3 while closed"));
	assert_non_null(strstr(html, "fill=\"#cfe8d4\""));
	free(html);
}

static void
report_lists_topics_outcomes_and_feedback(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	/* By their labels in the strings, not their ids. */
	assert_non_null(strstr(html, ">Housing</text>"));
	assert_non_null(strstr(html, ">Answered</text>"));
	assert_non_null(strstr(html, ">Finnish</text>"));
	assert_non_null(strstr(html, "1 ratings, on average 5.0 of 5."));
	free(html);
}

static void
report_of_a_quiet_period_says_so(void **state)
{
	struct stats_range r;
	struct hours h;
	struct hours_date d = { 2026, 11, 2 };
	json_t *text = strings("en");
	struct report_input in = { &r, &h, NULL, NULL, text, "en" };
	char *html;

	(void)state;
	unit_weekday_hours(&h);
	assert_int_equal(stats_compute(NULL, 0, &d, &d, &r), 0);
	html = report_render_html(&in);
	assert_non_null(html);
	assert_non_null(strstr(html, "Nobody tried to start a chat"));
	assert_non_null(strstr(html, "No ratings given."));
	free(html);
	stats_free(&r);
	json_decref(text);
}

static void
report_without_days_is_refused(void **state)
{
	struct stats_range r;
	struct hours h;
	json_t *text = strings("en");
	struct report_input in = { &r, &h, NULL, NULL, text, "en" };

	(void)state;
	memset(&r, 0, sizeof(r));
	unit_weekday_hours(&h);
	assert_null(report_render_html(&in));
	json_decref(text);
}

static void
report_without_strings_is_refused(void **state)
{
	(void)state;
	assert_null(render_with(NULL, "en", "housing", NULL));
}

/* --------------------------------------------------------- languages */

static void
every_language_file_has_every_report_string(void **state)
{
	static const char *const langs[] = { "fi", "sv", "en" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		json_t *text = strings(langs[i]);

		assert_null(report_strings_missing(text));
		json_decref(text);
	}
}

/* A key the report uses but the file lacks would show as "report.x". */
static void
no_report_key_shows_through_in_any_language(void **state)
{
	static const char *const langs[] = { "fi", "sv", "en" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *html = render_in(langs[i], "housing", NULL);

		assert_non_null(html);
		if (strstr(html, "report."))
			fail_msg("%s: %s", langs[i], strstr(html, "report."));
		free(html);
	}
}

static void
finnish_report_speaks_finnish(void **state)
{
	char *html = render_in("fi", "housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "<html lang=\"fi\">"));
	assert_non_null(strstr(html, "<h1>Chat-palvelun raportti</h1>"));
	assert_non_null(strstr(html, "Olemmeko auki silloin, kun meitä "
			       "yritetään tavoittaa?"));
	assert_non_null(strstr(html, "Chattia yritti aloittaa 5 ihmistä. "
			       "<b>3 (60 %)</b> tuli, kun chat oli suljettu;"));
	assert_non_null(strstr(html, "Useimmiten: ma 12–13 (3)."));
	assert_non_null(strstr(html, "ma 09–10: 1 palveltu, 1 poistui "
			       "jonosta, 0 käännytetty (täynnä), 0 "
			       "suljettuna"));
	/* Decimal comma, and the labels of ids in Finnish. */
	assert_non_null(strstr(html, "1 arviota, keskimäärin 5,0/5."));
	assert_non_null(strstr(html, ">Asuminen</text>"));
	assert_non_null(strstr(html, ">Vastattu</text>"));
	assert_non_null(strstr(html, ">suomi</text>"));
	assert_non_null(strstr(html, "<td>ma 2026-11-02</td>"));
	assert_null(strstr(html, "Are we open"));
	free(html);
}

static void
swedish_report_speaks_swedish(void **state)
{
	char *html = render_in("sv", "housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "<html lang=\"sv\">"));
	assert_non_null(strstr(html, "Har vi öppet när folk försöker nå "
			       "oss?"));
	assert_non_null(strstr(html, "Oftast: mån 12–13 (3)."));
	assert_non_null(strstr(html, "1 betyg, i genomsnitt 5,0 av 5."));
	assert_non_null(strstr(html, ">Boende</text>"));
	free(html);
}

static void
english_report_keeps_the_decimal_point(void **state)
{
	char *html = render("housing", NULL);

	(void)state;
	assert_non_null(html);
	assert_non_null(strstr(html, "<html lang=\"en\">"));
	assert_non_null(strstr(html, "<b>5.0 / 5</b>"));
	free(html);
}

/* The strings are text, whatever they hold; placeholders are filled in
 * the string's own order, and an unknown one stays as written. */
static void
strings_are_escaped_and_filled_in_their_own_order(void **state)
{
	json_t *text = strings("en");
	char *html;

	(void)state;
	json_object_set_new(text, "report.question",
			    json_string("<script>x</script> & {zzz}"));
	json_object_set_new(text, "report.attempts",
			    json_string("[{n}] tried, {n} again"));
	html = render_with(text, "en", "housing", NULL);
	assert_non_null(html);
	assert_non_null(strstr(html, "<h2>&lt;script&gt;x&lt;/script&gt; &amp; "
			       "{zzz}</h2>"));
	assert_non_null(strstr(html, "[5] tried, 5 again"));
	assert_null(strstr(html, "<script"));
	free(html);
	json_decref(text);
}

static void
a_missing_string_is_named(void **state)
{
	json_t *text = strings("sv");

	(void)state;
	json_object_del(text, "report.cell");
	assert_string_equal(report_strings_missing(text), "report.cell");
	json_object_set_new(text, "report.cell", json_integer(1));
	assert_string_equal(report_strings_missing(text), "report.cell");
	json_decref(text);
}

static void
loading_refuses_a_path_for_a_language(void **state)
{
	char why[512];

	(void)state;
	assert_null(report_strings_load(NEUVO_TEST_WEB_ROOT, "../i18n/fi",
					why, sizeof(why)));
	assert_non_null(strstr(why, "not an id"));
	assert_null(report_strings_load(NEUVO_TEST_WEB_ROOT, "", why,
					sizeof(why)));
	assert_null(report_strings_load(NEUVO_TEST_WEB_ROOT, "de", why,
					sizeof(why)));
	assert_non_null(strstr(why, "i18n/de.json"));
}

int
test_report_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_replaces_the_five_markup_characters),
		cmocka_unit_test(escape_of_null_is_empty),
		cmocka_unit_test(escape_keeps_utf8_text),
		cmocka_unit_test(open_share_of_a_whole_open_hour_is_one),
		cmocka_unit_test(open_share_of_half_an_hour_is_a_half),
		cmocka_unit_test(open_share_of_a_closed_sunday_is_zero),
		cmocka_unit_test(report_is_one_html_document),
		cmocka_unit_test(report_has_inline_svg_charts),
		cmocka_unit_test(report_holds_no_url_and_no_script),
		cmocka_unit_test(report_forbids_loading_anything),
		cmocka_unit_test(report_escapes_labels),
		cmocka_unit_test(report_escapes_the_title),
		cmocka_unit_test(report_answers_the_opening_question),
		cmocka_unit_test(report_shows_the_opening_hours_behind_demand),
		cmocka_unit_test(report_lists_topics_outcomes_and_feedback),
		cmocka_unit_test(report_of_a_quiet_period_says_so),
		cmocka_unit_test(report_without_days_is_refused),
		cmocka_unit_test(report_without_strings_is_refused),
		cmocka_unit_test(every_language_file_has_every_report_string),
		cmocka_unit_test(no_report_key_shows_through_in_any_language),
		cmocka_unit_test(finnish_report_speaks_finnish),
		cmocka_unit_test(swedish_report_speaks_swedish),
		cmocka_unit_test(english_report_keeps_the_decimal_point),
		cmocka_unit_test(
			strings_are_escaped_and_filled_in_their_own_order),
		cmocka_unit_test(a_missing_string_is_named),
		cmocka_unit_test(loading_refuses_a_path_for_a_language),
	};

	return cmocka_run_group_tests_name("report", tests, unit_setup_helsinki, NULL);
}

/* test_report.c - the manager's HTML report: self-contained (no URL, no
 * script), escaped, with its SVG charts and its answer to "are we open when
 * people try to reach us?". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

static char *
render(const char *topic, const char *title)
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
	html = report_render_html(&in);
	stats_free(&r);
	return html;
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
	assert_non_null(strstr(html, ">housing</text>"));
	assert_non_null(strstr(html, ">answered</text>"));
	assert_non_null(strstr(html, ">fi</text>"));
	assert_non_null(strstr(html, "1 ratings, on average 5.0 of 5."));
	free(html);
}

static void
report_of_a_quiet_period_says_so(void **state)
{
	struct stats_range r;
	struct hours h;
	struct hours_date d = { 2026, 11, 2 };
	struct report_input in = { &r, &h, NULL, NULL };
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
}

static void
report_without_days_is_refused(void **state)
{
	struct stats_range r;
	struct hours h;
	struct report_input in = { &r, &h, NULL, NULL };

	(void)state;
	memset(&r, 0, sizeof(r));
	unit_weekday_hours(&h);
	assert_null(report_render_html(&in));
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
	};

	return cmocka_run_group_tests_name("report", tests, unit_setup_helsinki, NULL);
}

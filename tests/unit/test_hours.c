/*
 * test_hours.c - opening hours (hours.h): parsing, dates, Finnish holidays
 * of 2026 and 2027 one by one, exceptions, 24:00, both 2026 DST changes in
 * Europe/Helsinki, and the exact lines of `neuvo-admin hours`.
 *
 * Expected instants are written in UTC (timegm), so a DST case does not
 * lean on the code it tests. Helsinki is UTC+2, and UTC+3 from 29 March
 * 2026 01:00 UTC to 25 October 2026 01:00 UTC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hours.h"
#include "unit.h"

/* The schedule most cases use: the contract's example week. */
static struct hours h;

static struct hours_date
D(int y, int m, int d)
{
	struct hours_date x = { y, m, d };

	return x;
}

static time_t
utc(int y, int m, int d, int hh, int mm)
{
	return unit_utc(y, m, d, hh, mm, 0);
}

static void
add_exception(const struct hours_date *date, const char *text)
{
	struct hours_day day;
	const char *why = NULL;

	unit_set_day(&day, text);
	if (hours_add_exception(&h, date, &day, &why) != 0)
		fail_msg("exception: %s", why);
}

/* The contract's example week: the usual weekdays, Thursday afternoon too. */
static int
setup(void **state)
{
	(void)state;
	unit_weekday_hours(&h);
	unit_set_day(&h.week[3], "09:00-11:00, 13:00-15:00");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hours_free(&h);
	return 0;
}

/* --------------------------------------------------------- parse_day */

static void
expect_day_error(const char *text, const char *reason)
{
	struct hours_day day;
	const char *why = NULL;

	assert_int_equal(hours_parse_day(text, &day, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

static void
parse_closed(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	day.n = 5;
	assert_int_equal(hours_parse_day("closed", &day, &why), 0);
	assert_int_equal(day.n, 0);
}

static void
parse_one_range(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "09:00-11:00");
	assert_int_equal(day.n, 1);
	assert_int_equal(day.r[0].start_min, 9 * 60);
	assert_int_equal(day.r[0].end_min, 11 * 60);
}

static void
parse_two_ranges(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "09:00-11:00, 13:00-15:00");
	assert_int_equal(day.n, 2);
	assert_int_equal(day.r[1].start_min, 13 * 60);
	assert_int_equal(day.r[1].end_min, 15 * 60);
}

static void
parse_tolerates_blanks(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "  09:00 - 11:00 ,13:00-15:30  ");
	assert_int_equal(day.n, 2);
	assert_int_equal(day.r[1].end_min, 15 * 60 + 30);
}

static void
parse_single_digit_hour(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "9:00-11:00");
	assert_int_equal(day.r[0].start_min, 540);
}

static void
parse_24_00_as_end(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "22:00-24:00");
	assert_int_equal(day.r[0].end_min, 1440);
}

static void
parse_whole_day(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "00:00-24:00");
	assert_int_equal(day.r[0].start_min, 0);
	assert_int_equal(day.r[0].end_min, 1440);
}

static void
parse_rejects_24_00_as_start(void **state)
{
	(void)state;
	expect_day_error("24:00-24:00", "24:00 is allowed only as an end");
}

static void
parse_rejects_25_00(void **state)
{
	(void)state;
	expect_day_error("25:00-26:00", "hour out of range");
}

static void
parse_rejects_24_30(void **state)
{
	(void)state;
	expect_day_error("09:00-24:30", "hour out of range");
}

static void
parse_rejects_minute_60(void **state)
{
	(void)state;
	expect_day_error("09:60-11:00", "minute out of range");
}

static void
parse_rejects_end_before_start(void **state)
{
	(void)state;
	expect_day_error("11:00-09:00", "end before start");
}

static void
parse_rejects_empty_range(void **state)
{
	(void)state;
	expect_day_error("09:00-09:00", "empty range (end equals start)");
}

static void
parse_rejects_overlap(void **state)
{
	(void)state;
	expect_day_error("09:00-11:00, 10:00-12:00", "overlapping ranges");
}

static void
parse_allows_touching_ranges(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "09:00-11:00, 11:00-12:00");
	assert_int_equal(day.n, 2);
}

static void
parse_rejects_decreasing_order(void **state)
{
	(void)state;
	expect_day_error("13:00-15:00, 09:00-11:00",
			 "ranges must be in increasing order");
}

static void
parse_rejects_words(void **state)
{
	(void)state;
	expect_day_error("9 to 11", "expected HH:MM-HH:MM or closed");
}

static void
parse_rejects_empty_text(void **state)
{
	(void)state;
	expect_day_error("", "expected HH:MM-HH:MM or closed");
}

static void
parse_rejects_trailing_comma(void **state)
{
	(void)state;
	expect_day_error("09:00-11:00,", "expected HH:MM-HH:MM or closed");
}

static void
parse_rejects_three_digit_minutes(void **state)
{
	(void)state;
	expect_day_error("09:000-11:00", "expected HH:MM-HH:MM or closed");
}

static void
parse_rejects_closed_with_more(void **state)
{
	(void)state;
	expect_day_error("closed today", "expected HH:MM-HH:MM or closed");
}

static void
parse_rejects_nine_ranges(void **state)
{
	(void)state;
	expect_day_error("01:00-02:00, 03:00-04:00, 05:00-06:00, 07:00-08:00, "
			 "09:00-10:00, 11:00-12:00, 13:00-14:00, 15:00-16:00, "
			 "17:00-18:00", "too many ranges in one day (at most 8)");
}

static void
parse_accepts_eight_ranges(void **state)
{
	struct hours_day day;

	(void)state;
	unit_set_day(&day, "01:00-02:00, 03:00-04:00, 05:00-06:00, 07:00-08:00, "
		"09:00-10:00, 11:00-12:00, 13:00-14:00, 15:00-16:00");
	assert_int_equal(day.n, 8);
}

/* -------------------------------------------------------- parse_date */

static void
parse_date_ok(void **state)
{
	struct hours_date d;

	(void)state;
	assert_int_equal(hours_parse_date("2026-12-31", &d), 0);
	assert_int_equal(d.y, 2026);
	assert_int_equal(d.m, 12);
	assert_int_equal(d.d, 31);
}

static void
parse_date_leap_day(void **state)
{
	struct hours_date d;

	(void)state;
	assert_int_equal(hours_parse_date("2028-02-29", &d), 0);
	assert_int_equal(hours_parse_date("2026-02-29", &d), -1);
	assert_int_equal(hours_parse_date("2100-02-29", &d), -1);
	assert_int_equal(hours_parse_date("2000-02-29", &d), 0);
}

static void
parse_date_rejects_impossible_days(void **state)
{
	struct hours_date d;

	(void)state;
	assert_int_equal(hours_parse_date("2026-02-30", &d), -1);
	assert_int_equal(hours_parse_date("2026-04-31", &d), -1);
	assert_int_equal(hours_parse_date("2026-13-01", &d), -1);
	assert_int_equal(hours_parse_date("2026-00-10", &d), -1);
	assert_int_equal(hours_parse_date("2026-01-00", &d), -1);
}

static void
parse_date_rejects_other_shapes(void **state)
{
	struct hours_date d;

	(void)state;
	assert_int_equal(hours_parse_date("2026-1-01", &d), -1);
	assert_int_equal(hours_parse_date("31.12.2026", &d), -1);
	assert_int_equal(hours_parse_date("2026-12-31x", &d), -1);
	assert_int_equal(hours_parse_date("2026/12/31", &d), -1);
	assert_int_equal(hours_parse_date("tomorrow", &d), -1);
	assert_int_equal(hours_parse_date("", &d), -1);
}

/* ---------------------------------------------------------- timezone */

static void
timezone_helsinki_valid(void **state)
{
	(void)state;
	assert_true(hours_timezone_valid("Europe/Helsinki"));
	assert_true(hours_timezone_valid("UTC"));
	assert_true(hours_timezone_valid("America/New_York"));
}

static void
timezone_unknown_invalid(void **state)
{
	(void)state;
	assert_false(hours_timezone_valid("Mars/Olympus_Mons"));
	assert_false(hours_timezone_valid("Europe/Helsingfors"));
	assert_false(hours_timezone_valid(""));
}

static void
timezone_paths_refused(void **state)
{
	(void)state;
	assert_false(hours_timezone_valid("../../../etc/passwd"));
	assert_false(hours_timezone_valid("Europe/../Europe/Helsinki"));
	assert_false(hours_timezone_valid("/usr/share/zoneinfo/Europe/Helsinki"));
	assert_false(hours_timezone_valid("./UTC"));
	assert_false(hours_timezone_valid("Europe//Helsinki"));
}

static void
timezone_directory_refused(void **state)
{
	(void)state;
	assert_false(hours_timezone_valid("Europe"));
	assert_false(hours_timezone_valid("Europe/"));
}

static void
timezone_posix_string_refused(void **state)
{
	(void)state;
	assert_false(hours_timezone_valid("EET-2EEST,M3.5.0/3,M10.5.0/4"));
	assert_false(hours_timezone_valid(":Europe/Helsinki"));
}

static void
timezone_too_long_refused(void **state)
{
	char name[HOURS_TZ_MAX + 8];

	(void)state;
	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(hours_timezone_valid(name));
}

/* A file under TZDIR is a zone only when it starts with "TZif". */
static void
timezone_needs_tzif_magic(void **state)
{
	char dir[] = "/tmp/neuvo-tzdir-XXXXXX", path[128];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Fake", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a zone file\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Real", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("TZif2 and the rest\n", f);
	fclose(f);
	setenv("TZDIR", dir, 1);
	assert_false(hours_timezone_valid("Fake"));
	assert_true(hours_timezone_valid("Real"));
	unsetenv("TZDIR");
	tzset();
	unlink(path);
	snprintf(path, sizeof(path), "%s/Fake", dir);
	unlink(path);
	rmdir(dir);
}

static void
tz_apply_refuses_unknown_zone(void **state)
{
	struct hours bad;

	(void)state;
	memset(&bad, 0, sizeof(bad));
	snprintf(bad.timezone, sizeof(bad.timezone), "Mars/Olympus_Mons");
	assert_int_equal(hours_tz_apply(&bad), -1);
}

/* ------------------------------------------------------ dates, easter */

static void
weekday_of_contract_dates(void **state)
{
	struct hours_date a = D(2026, 11, 23), b = D(2026, 12, 24);
	struct hours_date c = D(2027, 1, 4), d = D(2026, 11, 28);

	(void)state;
	assert_int_equal(hours_weekday(&a), 0);
	assert_int_equal(hours_weekday(&b), 3);
	assert_int_equal(hours_weekday(&c), 0);
	assert_int_equal(hours_weekday(&d), 5);
}

static void
weekday_before_1970(void **state)
{
	struct hours_date a = D(1969, 12, 31), b = D(1917, 12, 6);

	(void)state;
	assert_int_equal(hours_weekday(&a), 2);     /* Wednesday */
	assert_int_equal(hours_weekday(&b), 3);     /* Thursday */
}

static void
date_add_over_year_end(void **state)
{
	struct hours_date a = D(2026, 12, 31), b;

	(void)state;
	b = hours_date_add(&a, 1);
	assert_int_equal(b.y, 2027);
	assert_int_equal(b.m, 1);
	assert_int_equal(b.d, 1);
}

static void
date_add_backwards(void **state)
{
	struct hours_date a = D(2026, 3, 1), b;

	(void)state;
	b = hours_date_add(&a, -1);
	assert_int_equal(b.m, 2);
	assert_int_equal(b.d, 28);
	b = hours_date_add(&a, -365);
	assert_int_equal(b.y, 2025);
	assert_int_equal(b.m, 3);
	assert_int_equal(b.d, 1);
}

/* Known day numbers: the epoch, the day before it, leap days either side
 * of a century that is not a leap year, and year 1. */
static void
day_number_fixed_points(void **state)
{
	struct hours_date epoch = D(1970, 1, 1), before = D(1969, 12, 31);
	struct hours_date leap2000 = D(2000, 2, 29), y2100 = D(2100, 3, 1);
	struct hours_date year1 = D(1, 1, 1);

	(void)state;
	assert_int_equal(hours_day_number(&epoch), 0);
	assert_int_equal(hours_day_number(&before), -1);
	assert_int_equal(hours_day_number(&leap2000), 11016);
	assert_int_equal(hours_day_number(&y2100), 47541);
	assert_int_equal(hours_day_number(&year1), -719162);
}

/* Every day from 1600 to 2400 against libc's timegm, which knows nothing
 * of this code, and back again. */
static void
day_number_agrees_with_timegm(void **state)
{
	struct hours_date d = D(1600, 1, 1), back;
	long n, want;

	(void)state;
	while (d.y < 2400) {
		want = (long)(utc(d.y, d.m, d.d, 0, 0) / 86400);
		n = hours_day_number(&d);
		if (n != want)
			fail_msg("%d-%d-%d: %ld, timegm %ld", d.y, d.m, d.d,
				 n, want);
		back = hours_date_of_day(n);
		if (hours_date_cmp(&back, &d) != 0)
			fail_msg("%ld: %d-%d-%d back, not %d-%d-%d", n, back.y,
				 back.m, back.d, d.y, d.m, d.d);
		d = hours_date_add(&d, 1);
	}
	assert_int_equal(d.m, 1);
	assert_int_equal(d.d, 1);
}

/* A day past the month's end counts on: what hours_date_add relies on. */
static void
day_number_runs_past_month_end(void **state)
{
	struct hours_date jan32 = D(2026, 1, 32), feb1 = D(2026, 2, 1);
	struct hours_date mar0 = D(2028, 3, 0), feb29 = D(2028, 2, 29);

	(void)state;
	assert_int_equal(hours_day_number(&jan32), hours_day_number(&feb1));
	assert_int_equal(hours_day_number(&mar0), hours_day_number(&feb29));
}

static void
date_cmp_orders_dates(void **state)
{
	struct hours_date a = D(2026, 3, 12), b = D(2026, 3, 13);
	struct hours_date c = D(2026, 4, 1), e = D(2027, 1, 1);

	(void)state;
	assert_true(hours_date_cmp(&a, &b) < 0);
	assert_true(hours_date_cmp(&b, &a) > 0);
	assert_true(hours_date_cmp(&b, &c) < 0);
	assert_true(hours_date_cmp(&c, &e) < 0);
	assert_int_equal(hours_date_cmp(&a, &a), 0);
}

static void
format_date_iso(void **state)
{
	struct hours_date a = D(2026, 3, 2), b = D(987, 12, 31);
	char buf[HOURS_DATE_MAX];

	(void)state;
	hours_format_date(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-02");
	hours_format_date(&b, buf, sizeof(buf));
	assert_string_equal(buf, "0987-12-31");
}

static void
date_add_leap_february(void **state)
{
	struct hours_date a = D(2028, 2, 28), b;

	(void)state;
	b = hours_date_add(&a, 1);
	assert_int_equal(b.m, 2);
	assert_int_equal(b.d, 29);
}

static void
expect_easter(int y, int m, int d)
{
	struct hours_date e = hours_easter(y);

	assert_int_equal(e.y, y);
	assert_int_equal(e.m, m);
	assert_int_equal(e.d, d);
}

static void
easter_2026(void **state)
{
	(void)state;
	expect_easter(2026, 4, 5);
}

static void
easter_2027(void **state)
{
	(void)state;
	expect_easter(2027, 3, 28);
}

static void
easter_other_years(void **state)
{
	(void)state;
	expect_easter(2024, 3, 31);
	expect_easter(2025, 4, 20);
	expect_easter(2038, 4, 25);         /* as late as it gets */
	expect_easter(2285, 3, 22);         /* as early as it gets */
	expect_easter(2000, 4, 23);
}

/* ------------------------------------------------------- FI holidays */

static void
expect_holiday(int y, int m, int d, const char *want)
{
	struct hours_date date = D(y, m, d);
	const char *name = NULL;

	assert_true(hours_fi_holiday(&date, &name));
	assert_non_null(name);
	assert_string_equal(name, want);
}

static void
expect_no_holiday(int y, int m, int d)
{
	struct hours_date date = D(y, m, d);
	const char *name = "unchanged";

	assert_false(hours_fi_holiday(&date, &name));
	assert_null(name);
}

#define HOLIDAY(fn, y, m, d, name)                                          \
	static void fn(void **state)                                        \
	{                                                                   \
		(void)state;                                                \
		expect_holiday(y, m, d, name);                              \
	}

HOLIDAY(fi_2026_new_year, 2026, 1, 1, "uudenvuodenpäivä")
HOLIDAY(fi_2026_epiphany, 2026, 1, 6, "loppiainen")
HOLIDAY(fi_2026_good_friday, 2026, 4, 3, "pitkäperjantai")
HOLIDAY(fi_2026_easter_sunday, 2026, 4, 5, "pääsiäispäivä")
HOLIDAY(fi_2026_easter_monday, 2026, 4, 6, "2. pääsiäispäivä")
HOLIDAY(fi_2026_may_day, 2026, 5, 1, "vappu")
HOLIDAY(fi_2026_ascension, 2026, 5, 14, "helatorstai")
HOLIDAY(fi_2026_whitsun, 2026, 5, 24, "helluntaipäivä")
HOLIDAY(fi_2026_midsummer_eve, 2026, 6, 19, "juhannusaatto")
HOLIDAY(fi_2026_midsummer_day, 2026, 6, 20, "juhannuspäivä")
HOLIDAY(fi_2026_all_saints, 2026, 10, 31, "pyhäinpäivä")
HOLIDAY(fi_2026_independence, 2026, 12, 6, "itsenäisyyspäivä")
HOLIDAY(fi_2026_christmas_eve, 2026, 12, 24, "jouluaatto")
HOLIDAY(fi_2026_christmas_day, 2026, 12, 25, "joulupäivä")
HOLIDAY(fi_2026_boxing_day, 2026, 12, 26, "tapaninpäivä")
HOLIDAY(fi_2027_new_year, 2027, 1, 1, "uudenvuodenpäivä")
HOLIDAY(fi_2027_epiphany, 2027, 1, 6, "loppiainen")
HOLIDAY(fi_2027_good_friday, 2027, 3, 26, "pitkäperjantai")
HOLIDAY(fi_2027_easter_sunday, 2027, 3, 28, "pääsiäispäivä")
HOLIDAY(fi_2027_easter_monday, 2027, 3, 29, "2. pääsiäispäivä")
HOLIDAY(fi_2027_may_day, 2027, 5, 1, "vappu")
HOLIDAY(fi_2027_ascension, 2027, 5, 6, "helatorstai")
HOLIDAY(fi_2027_whitsun, 2027, 5, 16, "helluntaipäivä")
HOLIDAY(fi_2027_midsummer_eve, 2027, 6, 25, "juhannusaatto")
HOLIDAY(fi_2027_midsummer_day, 2027, 6, 26, "juhannuspäivä")
HOLIDAY(fi_2027_all_saints, 2027, 11, 6, "pyhäinpäivä")
HOLIDAY(fi_2027_independence, 2027, 12, 6, "itsenäisyyspäivä")
HOLIDAY(fi_2027_christmas_eve, 2027, 12, 24, "jouluaatto")
HOLIDAY(fi_2027_christmas_day, 2027, 12, 25, "joulupäivä")
HOLIDAY(fi_2027_boxing_day, 2027, 12, 26, "tapaninpäivä")

static int
holidays_in_year(int y)
{
	struct hours_date d = D(y, 1, 1);
	int n = 0;

	for (; d.y == y; d = hours_date_add(&d, 1))
		n += hours_fi_holiday(&d, NULL);
	return n;
}

static void
fi_2026_has_exactly_15(void **state)
{
	(void)state;
	assert_int_equal(holidays_in_year(2026), 15);
}

static void
fi_2027_has_exactly_15(void **state)
{
	(void)state;
	assert_int_equal(holidays_in_year(2027), 15);
}

static void
fi_days_next_to_holidays_are_not(void **state)
{
	(void)state;
	expect_no_holiday(2026, 1, 2);
	expect_no_holiday(2026, 4, 2);          /* Maundy Thursday */
	expect_no_holiday(2026, 4, 4);          /* Holy Saturday */
	expect_no_holiday(2026, 4, 30);         /* May Day Eve */
	expect_no_holiday(2026, 5, 25);         /* Whit Monday: not in Finland */
	expect_no_holiday(2026, 6, 18);
	expect_no_holiday(2026, 6, 21);
	expect_no_holiday(2026, 11, 1);         /* All Saints was 31.10. */
	expect_no_holiday(2026, 12, 27);
	expect_no_holiday(2026, 12, 31);
	expect_no_holiday(2027, 6, 19);         /* Saturday, but not of 20-26 */
	expect_no_holiday(2027, 10, 30);
}

static void
fi_holiday_name_may_be_null(void **state)
{
	struct hours_date d = D(2026, 12, 6);

	(void)state;
	assert_true(hours_fi_holiday(&d, NULL));
}

/* ---------------------------------------------------------- for_date */

static void
for_date_regular_weekday(void **state)
{
	struct hours_date d = D(2026, 11, 26);         /* Thursday */
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_REGULAR);
	assert_int_equal(day.n, 2);
}

static void
for_date_holiday_closes_with_fi(void **state)
{
	struct hours_date d = D(2026, 12, 24);
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	h.holidays_fi = true;
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_HOLIDAY);
	assert_int_equal(day.n, 0);
}

static void
for_date_holiday_ignored_without_fi(void **state)
{
	struct hours_date d = D(2026, 12, 24);
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_REGULAR);
	assert_int_equal(day.n, 2);
}

static void
for_date_exception_overrides_weekday(void **state)
{
	struct hours_date d = D(2026, 11, 30);         /* Monday */
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	add_exception(&d, "12:00-13:00");
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_EXCEPTION);
	assert_int_equal(day.n, 1);
	assert_int_equal(day.r[0].start_min, 720);
}

static void
for_date_exception_overrides_holiday(void **state)
{
	struct hours_date d = D(2026, 12, 24);
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	h.holidays_fi = true;
	add_exception(&d, "09:00-10:00");
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_EXCEPTION);
	assert_int_equal(day.n, 1);
}

static void
for_date_exception_can_close(void **state)
{
	struct hours_date d = D(2027, 1, 7);
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	add_exception(&d, "closed");
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_EXCEPTION);
	assert_int_equal(day.n, 0);
}

static void
exceptions_kept_sorted(void **state)
{
	struct hours_date a = D(2027, 1, 7), b = D(2026, 12, 31);
	struct hours_date c = D(2027, 1, 1);

	(void)state;
	add_exception(&a, "closed");
	add_exception(&b, "09:00-10:00");
	add_exception(&c, "closed");
	assert_int_equal(h.n_exceptions, 3);
	assert_int_equal(h.exceptions[0].date.y, 2026);
	assert_int_equal(h.exceptions[1].date.d, 1);
	assert_int_equal(h.exceptions[2].date.d, 7);
}

static void
exception_duplicate_refused(void **state)
{
	struct hours_date d = D(2026, 12, 31);
	struct hours_day day;
	const char *why = NULL;

	(void)state;
	add_exception(&d, "09:00-10:00");
	unit_set_day(&day, "closed");
	assert_int_equal(hours_add_exception(&h, &d, &day, &why), -1);
	assert_string_equal(why, "date given twice");
	assert_int_equal(h.n_exceptions, 1);
}

static void
copy_is_deep(void **state)
{
	struct hours_date d = D(2026, 12, 31);
	struct hours copy;

	(void)state;
	add_exception(&d, "09:00-10:00");
	assert_int_equal(hours_copy(&copy, &h), 0);
	assert_ptr_not_equal(copy.exceptions, h.exceptions);
	copy.exceptions[0].day.n = 0;
	assert_int_equal(h.exceptions[0].day.n, 1);
	assert_string_equal(copy.timezone, "Europe/Helsinki");
	hours_free(&copy);
	assert_null(copy.exceptions);
	assert_int_equal(copy.n_exceptions, 0);
}

static void
copy_without_exceptions(void **state)
{
	struct hours copy;

	(void)state;
	assert_int_equal(hours_copy(&copy, &h), 0);
	assert_null(copy.exceptions);
	assert_int_equal(copy.week[3].n, 2);
	hours_free(&copy);
}

/* ------------------------------------------------- local time and DST */

static void
local_time_winter(void **state)
{
	struct hours_date d = D(2026, 11, 23);

	(void)state;
	assert_int_equal(hours_local_time(&d, 9 * 60), utc(2026, 11, 23, 7, 0));
}

static void
local_time_summer(void **state)
{
	struct hours_date d = D(2026, 6, 1);

	(void)state;
	assert_int_equal(hours_local_time(&d, 9 * 60), utc(2026, 6, 1, 6, 0));
}

static void
local_time_24_00_is_next_midnight(void **state)
{
	struct hours_date d = D(2026, 12, 31);

	(void)state;
	assert_int_equal(hours_local_time(&d, 1440), utc(2026, 12, 31, 22, 0));
}

/* 03:30 on 29 March does not exist: read with the offset before the jump
 * (+02:00), it is 01:30 UTC, which the clock shows as 04:30. */
static void
local_time_in_spring_gap(void **state)
{
	struct hours_date d = D(2026, 3, 29);

	(void)state;
	assert_int_equal(hours_local_time(&d, 3 * 60 + 30),
			 utc(2026, 3, 29, 1, 30));
}

static void
local_time_just_before_spring_gap(void **state)
{
	struct hours_date d = D(2026, 3, 29);

	(void)state;
	assert_int_equal(hours_local_time(&d, 2 * 60 + 59),
			 utc(2026, 3, 29, 0, 59));
	assert_int_equal(hours_local_time(&d, 4 * 60), utc(2026, 3, 29, 1, 0));
}

/* 03:30 on 25 October happens twice: the first is still +03:00. */
static void
local_time_repeated_hour_takes_first(void **state)
{
	struct hours_date d = D(2026, 10, 25);

	(void)state;
	assert_int_equal(hours_local_time(&d, 3 * 60 + 30),
			 utc(2026, 10, 25, 0, 30));
}

/* Asking for the other occurrence first must not change the answer
 * (mktime alone remembers what it was last asked). */
static void
local_time_repeated_hour_is_stable(void **state)
{
	struct hours_date d = D(2026, 10, 25);
	struct tm tm;
	time_t later = utc(2026, 10, 25, 1, 30);

	(void)state;
	localtime_r(&later, &tm);
	(void)mktime(&tm);
	assert_int_equal(hours_local_time(&d, 3 * 60 + 30),
			 utc(2026, 10, 25, 0, 30));
}

static void
local_date_at_midnight_after_change(void **state)
{
	struct hours_date d;

	(void)state;
	d = hours_local_date(utc(2026, 3, 28, 22, 0));
	assert_int_equal(d.m, 3);
	assert_int_equal(d.d, 29);
	d = hours_local_date(utc(2026, 3, 29, 20, 59));
	assert_int_equal(d.d, 29);
	d = hours_local_date(utc(2026, 3, 29, 21, 0));
	assert_int_equal(d.d, 30);
}

/* ------------------------------------------------------------ open_at */

static void
open_at_opening_minute(void **state)
{
	(void)state;
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 7, 0), NULL));
}

static void
closed_just_before_opening(void **state)
{
	(void)state;
	assert_false(hours_open_at(&h, utc(2026, 11, 23, 7, 0) - 1, NULL));
}

static void
closed_at_closing_time(void **state)
{
	(void)state;
	assert_false(hours_open_at(&h, utc(2026, 11, 23, 9, 0), NULL));
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 9, 0) - 1, NULL));
}

static void
closes_at_end_of_range(void **state)
{
	time_t closes = 0;

	(void)state;
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 8, 0), &closes));
	assert_int_equal(closes, utc(2026, 11, 23, 9, 0));
}

static void
open_in_second_range_of_thursday(void **state)
{
	time_t closes = 0;

	(void)state;
	assert_false(hours_open_at(&h, utc(2026, 11, 26, 10, 0), NULL));
	assert_true(hours_open_at(&h, utc(2026, 11, 26, 12, 0), &closes));
	assert_int_equal(closes, utc(2026, 11, 26, 13, 0));
}

static void
closed_on_weekend(void **state)
{
	(void)state;
	assert_false(hours_open_at(&h, utc(2026, 11, 28, 8, 0), NULL));
}

static void
closed_on_holiday_with_fi(void **state)
{
	(void)state;
	h.holidays_fi = true;
	assert_false(hours_open_at(&h, utc(2026, 12, 24, 8, 0), NULL));
	assert_true(hours_open_at(&h, utc(2026, 12, 23, 8, 0), NULL));
}

static void
open_by_exception_on_holiday(void **state)
{
	struct hours_date d = D(2026, 12, 24);

	(void)state;
	h.holidays_fi = true;
	add_exception(&d, "09:00-10:00");
	assert_true(hours_open_at(&h, utc(2026, 12, 24, 7, 30), NULL));
	assert_false(hours_open_at(&h, utc(2026, 12, 24, 8, 30), NULL));
}

static void
closed_by_exception(void **state)
{
	struct hours_date d = D(2027, 1, 7);

	(void)state;
	add_exception(&d, "closed");
	assert_false(hours_open_at(&h, utc(2027, 1, 7, 8, 0), NULL));
}

static void
touching_ranges_join_for_closes_at(void **state)
{
	time_t closes = 0;

	(void)state;
	unit_set_day(&h.week[0], "09:00-11:00, 11:00-12:00");
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 7, 30), &closes));
	assert_int_equal(closes, utc(2026, 11, 23, 10, 0));
}

static void
closes_at_joins_24_00_and_next_00_00(void **state)
{
	time_t closes = 0;

	(void)state;
	unit_set_day(&h.week[0], "20:00-24:00");
	unit_set_day(&h.week[1], "00:00-02:00, 09:00-11:00");
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 21, 0), &closes));
	assert_int_equal(closes, utc(2026, 11, 24, 0, 0));     /* Tue 02:00 */
}

static void
closes_at_24_00_when_next_day_starts_late(void **state)
{
	time_t closes = 0;

	(void)state;
	unit_set_day(&h.week[0], "20:00-24:00");
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 21, 0), &closes));
	assert_int_equal(closes, utc(2026, 11, 23, 22, 0));
}

static void
closes_at_round_the_clock_is_bounded(void **state)
{
	time_t closes = 0;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		unit_set_day(&h.week[i], "00:00-24:00");
	assert_true(hours_open_at(&h, utc(2026, 11, 23, 12, 0), &closes));
	assert_true(closes > utc(2027, 11, 1, 0, 0));
}

/* The Friday before the spring change is still +02:00 ... */
static void
spring_friday_before_change(void **state)
{
	(void)state;
	assert_true(hours_open_at(&h, utc(2026, 3, 27, 7, 0), NULL));
	assert_false(hours_open_at(&h, utc(2026, 3, 27, 6, 30), NULL));
}

/* ... and the Monday after it is +03:00: 09:00 is 06:00 UTC. */
static void
spring_monday_after_change(void **state)
{
	time_t closes = 0;

	(void)state;
	assert_false(hours_open_at(&h, utc(2026, 3, 30, 5, 59), NULL));
	assert_true(hours_open_at(&h, utc(2026, 3, 30, 6, 0), &closes));
	assert_int_equal(closes, utc(2026, 3, 30, 8, 0));
	assert_false(hours_open_at(&h, utc(2026, 3, 30, 8, 30), NULL));
}

static void
autumn_friday_before_change(void **state)
{
	(void)state;
	assert_true(hours_open_at(&h, utc(2026, 10, 23, 6, 0), NULL));
	assert_false(hours_open_at(&h, utc(2026, 10, 23, 8, 0), NULL));
}

static void
autumn_monday_after_change(void **state)
{
	(void)state;
	assert_false(hours_open_at(&h, utc(2026, 10, 26, 6, 30), NULL));
	assert_true(hours_open_at(&h, utc(2026, 10, 26, 7, 0), NULL));
}

/* 29 March 2026 has 23 hours: 00:00-24:00 is 22:00 UTC to 21:00 UTC. */
static void
spring_change_day_is_23_hours(void **state)
{
	struct hours_date d = D(2026, 3, 29);
	time_t closes = 0;

	(void)state;
	add_exception(&d, "00:00-24:00");
	assert_false(hours_open_at(&h, utc(2026, 3, 28, 22, 0) - 1, NULL));
	assert_true(hours_open_at(&h, utc(2026, 3, 28, 22, 0), &closes));
	assert_int_equal(closes, utc(2026, 3, 29, 21, 0));
	assert_true(hours_open_at(&h, utc(2026, 3, 29, 21, 0) - 1, NULL));
	assert_false(hours_open_at(&h, utc(2026, 3, 29, 21, 0), NULL));
}

/* 25 October 2026 has 25 hours: 21:00 UTC to 22:00 UTC the next day. */
static void
autumn_change_day_is_25_hours(void **state)
{
	struct hours_date d = D(2026, 10, 25);
	time_t closes = 0;

	(void)state;
	add_exception(&d, "00:00-24:00");
	assert_true(hours_open_at(&h, utc(2026, 10, 24, 21, 0), &closes));
	assert_int_equal(closes - utc(2026, 10, 24, 21, 0), 25 * 3600);
	assert_true(hours_open_at(&h, utc(2026, 10, 25, 21, 59), NULL));
	assert_false(hours_open_at(&h, utc(2026, 10, 25, 22, 0), NULL));
}

static void
range_to_24_00_on_spring_change(void **state)
{
	struct hours_date d = D(2026, 3, 29);
	time_t closes = 0;

	(void)state;
	add_exception(&d, "20:00-24:00");
	assert_true(hours_open_at(&h, utc(2026, 3, 29, 17, 0), &closes));
	assert_int_equal(closes, utc(2026, 3, 29, 21, 0));
	assert_false(hours_open_at(&h, utc(2026, 3, 29, 16, 59), NULL));
}

static void
range_to_24_00_on_autumn_change(void **state)
{
	struct hours_date d = D(2026, 10, 25);
	time_t closes = 0;

	(void)state;
	add_exception(&d, "20:00-24:00");
	assert_true(hours_open_at(&h, utc(2026, 10, 25, 18, 0), &closes));
	assert_int_equal(closes, utc(2026, 10, 25, 22, 0));
	assert_false(hours_open_at(&h, utc(2026, 10, 25, 17, 59), NULL));
}

/* A range across the missing hour: 02:00 is +02:00, 05:00 is +03:00. */
static void
range_across_spring_gap(void **state)
{
	struct hours_date d = D(2026, 3, 29);
	time_t closes = 0;

	(void)state;
	add_exception(&d, "02:00-05:00");
	assert_true(hours_open_at(&h, utc(2026, 3, 29, 0, 0), &closes));
	assert_int_equal(closes, utc(2026, 3, 29, 2, 0));
	assert_false(hours_open_at(&h, utc(2026, 3, 28, 23, 59), NULL));
}

/* A range across the repeated hour lasts an hour longer. */
static void
range_across_autumn_repeat(void **state)
{
	struct hours_date d = D(2026, 10, 25);
	time_t closes = 0;

	(void)state;
	add_exception(&d, "02:00-05:00");
	assert_true(hours_open_at(&h, utc(2026, 10, 24, 23, 0), &closes));
	assert_int_equal(closes, utc(2026, 10, 25, 3, 0));
	assert_true(hours_open_at(&h, utc(2026, 10, 25, 2, 30), NULL));
}

/* ---------------------------------------------------------- next_open */

static void
expect_next(time_t from, int days, time_t want)
{
	time_t next = 0;

	assert_int_equal(hours_next_open(&h, from, days, &next), 0);
	assert_int_equal(next, want);
}

static void
next_open_later_today(void **state)
{
	(void)state;
	expect_next(utc(2026, 11, 23, 5, 0), 14, utc(2026, 11, 23, 7, 0));
}

static void
next_open_from_evening_is_next_morning(void **state)
{
	(void)state;
	expect_next(utc(2026, 11, 23, 16, 0), 14, utc(2026, 11, 24, 7, 0));
}

static void
next_open_from_friday_is_monday(void **state)
{
	(void)state;
	expect_next(utc(2026, 11, 27, 10, 0), 14, utc(2026, 11, 30, 7, 0));
}

static void
next_open_thursday_afternoon(void **state)
{
	(void)state;
	expect_next(utc(2026, 11, 26, 10, 0), 14, utc(2026, 11, 26, 11, 0));
}

static void
next_open_is_strictly_later(void **state)
{
	(void)state;
	expect_next(utc(2026, 11, 26, 7, 0), 14, utc(2026, 11, 26, 11, 0));
}

static void
next_open_skips_christmas_with_fi(void **state)
{
	(void)state;
	h.holidays_fi = true;
	expect_next(utc(2026, 12, 23, 10, 0), 14, utc(2026, 12, 28, 7, 0));
}

static void
next_open_follows_an_exception(void **state)
{
	struct hours_date d = D(2026, 11, 28);         /* Saturday */

	(void)state;
	add_exception(&d, "10:30-12:00");
	expect_next(utc(2026, 11, 27, 10, 0), 14, utc(2026, 11, 28, 8, 30));
}

static void
next_open_skips_exception_closed_day(void **state)
{
	struct hours_date d = D(2026, 11, 24);

	(void)state;
	add_exception(&d, "closed");
	expect_next(utc(2026, 11, 23, 16, 0), 14, utc(2026, 11, 25, 7, 0));
}

static void
next_open_skips_touching_range(void **state)
{
	(void)state;
	unit_set_day(&h.week[0], "09:00-11:00, 11:00-12:00, 14:00-15:00");
	expect_next(utc(2026, 11, 23, 7, 30), 14, utc(2026, 11, 23, 12, 0));
}

static void
next_open_skips_midnight_continuation(void **state)
{
	(void)state;
	unit_set_day(&h.week[0], "20:00-24:00");
	unit_set_day(&h.week[1], "00:00-02:00, 09:00-11:00");
	expect_next(utc(2026, 11, 23, 19, 0), 14, utc(2026, 11, 24, 7, 0));
}

static void
next_open_at_midnight_when_day_before_closed(void **state)
{
	(void)state;
	unit_set_day(&h.week[1], "00:00-02:00");
	expect_next(utc(2026, 11, 23, 19, 0), 14, utc(2026, 11, 23, 22, 0));
}

static void
next_open_none_when_all_closed(void **state)
{
	time_t next = 7;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		unit_set_day(&h.week[i], "closed");
	assert_int_equal(hours_next_open(&h, utc(2026, 11, 23, 12, 0), 14, &next),
			 -1);
	assert_int_equal(next, 7);
}

static void
next_open_none_beyond_window(void **state)
{
	struct hours_date d = D(2026, 12, 13);
	time_t next;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		unit_set_day(&h.week[i], "closed");
	add_exception(&d, "09:00-11:00");
	assert_int_equal(hours_next_open(&h, utc(2026, 11, 23, 12, 0), 14, &next),
			 -1);
	expect_next(utc(2026, 11, 23, 12, 0), 20, utc(2026, 12, 13, 7, 0));
}

/* "Within N days" is N * 24 hours from now, to the second. */
static void
next_open_window_edge(void **state)
{
	struct hours_date d = D(2026, 11, 24);
	time_t next;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		unit_set_day(&h.week[i], "closed");
	add_exception(&d, "09:00-11:00");
	expect_next(utc(2026, 11, 23, 7, 0), 1, utc(2026, 11, 24, 7, 0));
	assert_int_equal(hours_next_open(&h, utc(2026, 11, 23, 7, 0) - 1, 1,
					 &next), -1);
}

static void
next_open_negative_days(void **state)
{
	time_t next;

	(void)state;
	assert_int_equal(hours_next_open(&h, utc(2026, 11, 23, 5, 0), -1, &next),
			 -1);
}

static void
next_open_across_spring_change(void **state)
{
	(void)state;
	expect_next(utc(2026, 3, 27, 10, 0), 14, utc(2026, 3, 30, 6, 0));
}

static void
next_open_across_autumn_change(void **state)
{
	(void)state;
	expect_next(utc(2026, 10, 23, 10, 0), 14, utc(2026, 10, 26, 7, 0));
}

static void
next_open_on_spring_change_day(void **state)
{
	struct hours_date d = D(2026, 3, 29);

	(void)state;
	add_exception(&d, "10:00-12:00");
	expect_next(utc(2026, 3, 28, 12, 0), 14, utc(2026, 3, 29, 7, 0));
}

static void
next_open_on_autumn_change_day(void **state)
{
	struct hours_date d = D(2026, 10, 25);

	(void)state;
	add_exception(&d, "10:00-12:00");
	expect_next(utc(2026, 10, 24, 12, 0), 14, utc(2026, 10, 25, 8, 0));
}

static void
next_open_inside_spring_gap(void **state)
{
	struct hours_date d = D(2026, 3, 29);

	(void)state;
	add_exception(&d, "03:30-05:00");
	expect_next(utc(2026, 3, 28, 12, 0), 14, utc(2026, 3, 29, 1, 30));
}

static void
next_open_from_midnight_after_24_00_day(void **state)
{
	struct hours_date d = D(2026, 10, 25);

	(void)state;
	add_exception(&d, "20:00-24:00");
	expect_next(utc(2026, 10, 25, 12, 0), 14, utc(2026, 10, 25, 18, 0));
	expect_next(utc(2026, 10, 25, 18, 0), 14, utc(2026, 10, 26, 7, 0));
}

/* --------------------------------------------------------- formatting */

static void
rfc3339_winter(void **state)
{
	char buf[32];

	(void)state;
	hours_format_rfc3339(utc(2026, 11, 23, 7, 0), buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T09:00:00+02:00");
}

static void
rfc3339_summer(void **state)
{
	char buf[32];

	(void)state;
	hours_format_rfc3339(utc(2026, 6, 1, 6, 0) + 5, buf, sizeof(buf));
	assert_string_equal(buf, "2026-06-01T09:00:05+03:00");
}

static void
rfc3339_in_repeated_hour(void **state)
{
	char buf[32];

	(void)state;
	hours_format_rfc3339(utc(2026, 10, 25, 0, 30), buf, sizeof(buf));
	assert_string_equal(buf, "2026-10-25T03:30:00+03:00");
	hours_format_rfc3339(utc(2026, 10, 25, 1, 30), buf, sizeof(buf));
	assert_string_equal(buf, "2026-10-25T03:30:00+02:00");
}

static void
rfc3339_negative_offset(void **state)
{
	struct hours ny;
	char buf[32];

	(void)state;
	memset(&ny, 0, sizeof(ny));
	snprintf(ny.timezone, sizeof(ny.timezone), "America/New_York");
	assert_int_equal(hours_tz_apply(&ny), 0);
	hours_format_rfc3339(utc(2026, 11, 23, 14, 0), buf, sizeof(buf));
	assert_int_equal(hours_tz_apply(&h), 0);
	assert_string_equal(buf, "2026-11-23T09:00:00-05:00");
}

static void
format_day_closed(void **state)
{
	char buf[128];

	(void)state;
	hours_format_day(&h.week[5], buf, sizeof(buf));
	assert_string_equal(buf, "closed");
}

static void
format_day_two_ranges(void **state)
{
	char buf[128];

	(void)state;
	hours_format_day(&h.week[3], buf, sizeof(buf));
	assert_string_equal(buf, "09:00-11:00, 13:00-15:00");
}

static void
format_day_24_00(void **state)
{
	struct hours_day day;
	char buf[128];

	(void)state;
	unit_set_day(&day, "8:00-24:00");
	hours_format_day(&day, buf, sizeof(buf));
	assert_string_equal(buf, "08:00-24:00");
}

static void
expect_line(int y, int m, int d, const char *want)
{
	struct hours_date date = D(y, m, d);
	char buf[192];

	hours_format_line(&h, &date, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
format_line_holiday(void **state)
{
	(void)state;
	h.holidays_fi = true;
	expect_line(2026, 12, 24, "2026-12-24 Thu closed (holiday)");
}

static void
format_line_exception(void **state)
{
	struct hours_date d = D(2026, 12, 31);

	(void)state;
	h.holidays_fi = true;
	add_exception(&d, "09:00-10:00");
	expect_line(2026, 12, 31, "2026-12-31 Thu 09:00-10:00 (exception)");
}

static void
format_line_regular_two_ranges(void **state)
{
	(void)state;
	unit_set_day(&h.week[0], "09:00-11:00, 13:00-15:00");
	expect_line(2027, 1, 4, "2027-01-04 Mon 09:00-11:00, 13:00-15:00");
}

static void
format_line_regular_closed(void **state)
{
	(void)state;
	expect_line(2026, 11, 28, "2026-11-28 Sat closed");
}

static void
format_line_exception_closed(void **state)
{
	struct hours_date d = D(2027, 1, 7);

	(void)state;
	add_exception(&d, "closed");
	expect_line(2027, 1, 7, "2027-01-07 Thu closed (exception)");
}

static void
format_line_holiday_on_weekend(void **state)
{
	(void)state;
	h.holidays_fi = true;
	expect_line(2026, 12, 26, "2026-12-26 Sat closed (holiday)");
}

static void
format_line_christmas_without_fi(void **state)
{
	(void)state;
	expect_line(2026, 12, 24, "2026-12-24 Thu 09:00-11:00, 13:00-15:00");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
test_hours_run(void)
{
	const struct CMUnitTest tests[] = {
		T(parse_closed), T(parse_one_range), T(parse_two_ranges),
		T(parse_tolerates_blanks), T(parse_single_digit_hour),
		T(parse_24_00_as_end), T(parse_whole_day),
		T(parse_rejects_24_00_as_start), T(parse_rejects_25_00),
		T(parse_rejects_24_30), T(parse_rejects_minute_60),
		T(parse_rejects_end_before_start), T(parse_rejects_empty_range),
		T(parse_rejects_overlap), T(parse_allows_touching_ranges),
		T(parse_rejects_decreasing_order), T(parse_rejects_words),
		T(parse_rejects_empty_text), T(parse_rejects_trailing_comma),
		T(parse_rejects_three_digit_minutes),
		T(parse_rejects_closed_with_more), T(parse_rejects_nine_ranges),
		T(parse_accepts_eight_ranges),

		T(parse_date_ok), T(parse_date_leap_day),
		T(parse_date_rejects_impossible_days),
		T(parse_date_rejects_other_shapes),

		T(timezone_helsinki_valid), T(timezone_unknown_invalid),
		T(timezone_paths_refused), T(timezone_directory_refused),
		T(timezone_posix_string_refused), T(timezone_too_long_refused),
		T(timezone_needs_tzif_magic), T(tz_apply_refuses_unknown_zone),

		T(weekday_of_contract_dates), T(weekday_before_1970),
		T(date_add_over_year_end), T(date_add_backwards),
		T(date_add_leap_february), T(day_number_fixed_points),
		T(day_number_agrees_with_timegm),
		T(day_number_runs_past_month_end), T(date_cmp_orders_dates),
		T(format_date_iso), T(easter_2026), T(easter_2027),
		T(easter_other_years),

		T(fi_2026_new_year), T(fi_2026_epiphany), T(fi_2026_good_friday),
		T(fi_2026_easter_sunday), T(fi_2026_easter_monday),
		T(fi_2026_may_day), T(fi_2026_ascension), T(fi_2026_whitsun),
		T(fi_2026_midsummer_eve), T(fi_2026_midsummer_day),
		T(fi_2026_all_saints), T(fi_2026_independence),
		T(fi_2026_christmas_eve), T(fi_2026_christmas_day),
		T(fi_2026_boxing_day),
		T(fi_2027_new_year), T(fi_2027_epiphany), T(fi_2027_good_friday),
		T(fi_2027_easter_sunday), T(fi_2027_easter_monday),
		T(fi_2027_may_day), T(fi_2027_ascension), T(fi_2027_whitsun),
		T(fi_2027_midsummer_eve), T(fi_2027_midsummer_day),
		T(fi_2027_all_saints), T(fi_2027_independence),
		T(fi_2027_christmas_eve), T(fi_2027_christmas_day),
		T(fi_2027_boxing_day),
		T(fi_2026_has_exactly_15), T(fi_2027_has_exactly_15),
		T(fi_days_next_to_holidays_are_not),
		T(fi_holiday_name_may_be_null),

		T(for_date_regular_weekday), T(for_date_holiday_closes_with_fi),
		T(for_date_holiday_ignored_without_fi),
		T(for_date_exception_overrides_weekday),
		T(for_date_exception_overrides_holiday),
		T(for_date_exception_can_close), T(exceptions_kept_sorted),
		T(exception_duplicate_refused), T(copy_is_deep),
		T(copy_without_exceptions),

		T(local_time_winter), T(local_time_summer),
		T(local_time_24_00_is_next_midnight), T(local_time_in_spring_gap),
		T(local_time_just_before_spring_gap),
		T(local_time_repeated_hour_takes_first),
		T(local_time_repeated_hour_is_stable),
		T(local_date_at_midnight_after_change),

		T(open_at_opening_minute), T(closed_just_before_opening),
		T(closed_at_closing_time), T(closes_at_end_of_range),
		T(open_in_second_range_of_thursday), T(closed_on_weekend),
		T(closed_on_holiday_with_fi), T(open_by_exception_on_holiday),
		T(closed_by_exception), T(touching_ranges_join_for_closes_at),
		T(closes_at_joins_24_00_and_next_00_00),
		T(closes_at_24_00_when_next_day_starts_late),
		T(closes_at_round_the_clock_is_bounded),
		T(spring_friday_before_change), T(spring_monday_after_change),
		T(autumn_friday_before_change), T(autumn_monday_after_change),
		T(spring_change_day_is_23_hours),
		T(autumn_change_day_is_25_hours),
		T(range_to_24_00_on_spring_change),
		T(range_to_24_00_on_autumn_change), T(range_across_spring_gap),
		T(range_across_autumn_repeat),

		T(next_open_later_today), T(next_open_from_evening_is_next_morning),
		T(next_open_from_friday_is_monday),
		T(next_open_thursday_afternoon), T(next_open_is_strictly_later),
		T(next_open_skips_christmas_with_fi),
		T(next_open_follows_an_exception),
		T(next_open_skips_exception_closed_day),
		T(next_open_skips_touching_range),
		T(next_open_skips_midnight_continuation),
		T(next_open_at_midnight_when_day_before_closed),
		T(next_open_none_when_all_closed), T(next_open_none_beyond_window),
		T(next_open_window_edge), T(next_open_negative_days),
		T(next_open_across_spring_change),
		T(next_open_across_autumn_change),
		T(next_open_on_spring_change_day),
		T(next_open_on_autumn_change_day), T(next_open_inside_spring_gap),
		T(next_open_from_midnight_after_24_00_day),

		T(rfc3339_winter), T(rfc3339_summer), T(rfc3339_in_repeated_hour),
		T(rfc3339_negative_offset), T(format_day_closed),
		T(format_day_two_ranges), T(format_day_24_00),
		T(format_line_holiday), T(format_line_exception),
		T(format_line_regular_two_ranges), T(format_line_regular_closed),
		T(format_line_exception_closed),
		T(format_line_holiday_on_weekend),
		T(format_line_christmas_without_fi),
	};

	return cmocka_run_group_tests_name("hours", tests, unit_setup_helsinki, NULL);
}

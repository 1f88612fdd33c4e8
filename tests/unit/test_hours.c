/* test_hours.c - opening hours in Europe/Helsinki: DST days, exceptions,
 * 24:00, Finnish holidays of 2026 and 2027, and the admin's line format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hours.h"
#include "unit.h"

static struct hours h;

static struct hours_date
D(int y, int m, int d)
{
	struct hours_date x = { y, m, d };
	return x;
}

/* Weekdays 09:00-11:00, Thursday also 13:00-15:00, weekend closed. */
static int
setup(void **state)
{
	const char *why;
	int i;

	(void)state;
	memset(&h, 0, sizeof(h));
	strcpy(h.timezone, "Europe/Helsinki");
	for (i = 0; i < 5; i++)
		assert_int_equal(hours_parse_day("09:00-11:00", &h.week[i], &why), 0);
	assert_int_equal(hours_parse_day("09:00-11:00, 13:00-15:00", &h.week[3],
					 &why), 0);
	assert_int_equal(hours_parse_day("closed", &h.week[5], &why), 0);
	assert_int_equal(hours_parse_day("closed", &h.week[6], &why), 0);
	return hours_tz_apply(&h);
}

static int
teardown(void **state)
{
	(void)state;
	hours_free(&h);
	return 0;
}

/* An instant given as local wall time in Helsinki. */
static time_t
at(int y, int m, int d, int hh, int mm)
{
	struct hours_date x = D(y, m, d);
	return hours_local_time(&x, hh * 60 + mm);
}

static void
parse_single_range(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("09:00-11:00", &day, &why), 0);
	assert_int_equal(day.n, 1);
	assert_int_equal(day.r[0].start_min, 540);
	assert_int_equal(day.r[0].end_min, 660);
}

static void
parse_closed(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("closed", &day, &why), 0);
	assert_int_equal(day.n, 0);
}

static void
parse_24_00_as_end(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("20:00-24:00", &day, &why), 0);
	assert_int_equal(day.r[0].end_min, 1440);
}

static void
parse_rejects_24_00_as_start(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("24:00-24:00", &day, &why), -1);
}

static void
parse_rejects_25_00(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("09:00-25:00", &day, &why), -1);
	assert_int_equal(hours_parse_day("09:60-10:00", &day, &why), -1);
}

static void
parse_rejects_backwards_range(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("11:00-09:00", &day, &why), -1);
	assert_string_equal(why, "range ends before it starts");
}

static void
parse_rejects_overlap(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("09:00-11:00, 10:00-12:00", &day, &why),
			 -1);
	assert_string_equal(why, "overlapping ranges");
}

static void
parse_allows_touching_ranges(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("09:00-11:00,11:00-12:00", &day, &why),
			 0);
	assert_int_equal(day.n, 2);
}

static void
parse_rejects_garbage(void **state)
{
	struct hours_day day;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("9-11", &day, &why), -1);
	assert_int_equal(hours_parse_day("09:00-11:00;", &day, &why), -1);
	assert_int_equal(hours_parse_day("", &day, &why), -1);
}

static void
parse_date_strict(void **state)
{
	struct hours_date d;

	(void)state;
	assert_int_equal(hours_parse_date("2026-12-31", &d), 0);
	assert_int_equal(hours_parse_date("2026-02-29", &d), -1);
	assert_int_equal(hours_parse_date("2028-02-29", &d), 0);
	assert_int_equal(hours_parse_date("2026-13-01", &d), -1);
	assert_int_equal(hours_parse_date("2026-1-01", &d), -1);
}

static void
timezone_validation(void **state)
{
	(void)state;
	assert_true(hours_timezone_valid("Europe/Helsinki"));
	assert_true(hours_timezone_valid("UTC"));
	assert_false(hours_timezone_valid("Europe/Nowhere"));
	assert_false(hours_timezone_valid("../../etc/passwd"));
	assert_false(hours_timezone_valid("/etc/localtime"));
	assert_false(hours_timezone_valid(""));
}

static void
weekday_of_known_dates(void **state)
{
	struct hours_date a = D(2026, 11, 23), b = D(2027, 1, 4);

	(void)state;
	assert_int_equal(hours_weekday(&a), 0);
	assert_int_equal(hours_weekday(&b), 0);
}

static void
easter_2026_and_2027(void **state)
{
	struct hours_date e26 = hours_easter(2026), e27 = hours_easter(2027);

	(void)state;
	assert_int_equal(e26.m, 4);
	assert_int_equal(e26.d, 5);
	assert_int_equal(e27.m, 3);
	assert_int_equal(e27.d, 28);
}

static void
fi_holidays_2026(void **state)
{
	static const int days[][2] = {
		{ 1, 1 }, { 1, 6 }, { 4, 3 }, { 4, 5 }, { 4, 6 }, { 5, 1 },
		{ 5, 14 }, { 5, 24 }, { 6, 19 }, { 6, 20 }, { 10, 31 },
		{ 12, 6 }, { 12, 24 }, { 12, 25 }, { 12, 26 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		struct hours_date d = D(2026, days[i][0], days[i][1]);
		assert_true(hours_fi_holiday(&d, NULL));
	}
}

static void
fi_holidays_2027(void **state)
{
	static const int days[][2] = {
		{ 1, 1 }, { 1, 6 }, { 3, 26 }, { 3, 28 }, { 3, 29 }, { 5, 1 },
		{ 5, 6 }, { 5, 16 }, { 6, 25 }, { 6, 26 }, { 11, 6 },
		{ 12, 6 }, { 12, 24 }, { 12, 25 }, { 12, 26 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		struct hours_date d = D(2027, days[i][0], days[i][1]);
		assert_true(hours_fi_holiday(&d, NULL));
	}
}

static void
ordinary_days_are_not_holidays(void **state)
{
	struct hours_date a = D(2026, 6, 18), b = D(2026, 11, 23),
			  c = D(2027, 10, 30), d = D(2026, 12, 27);

	(void)state;
	assert_false(hours_fi_holiday(&a, NULL));
	assert_false(hours_fi_holiday(&b, NULL));
	assert_false(hours_fi_holiday(&c, NULL));
	assert_false(hours_fi_holiday(&d, NULL));
}

static void
holiday_closes_only_when_enabled(void **state)
{
	struct hours_date d = D(2026, 12, 24);
	struct hours_day day;
	enum hours_kind kind;

	(void)state;
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_REGULAR);
	assert_int_equal(day.n, 2);
	h.holidays_fi = true;
	hours_for_date(&h, &d, &day, &kind);
	assert_int_equal(kind, HOURS_HOLIDAY);
	assert_int_equal(day.n, 0);
}

static void
exception_overrides_holiday(void **state)
{
	struct hours_date d = D(2026, 12, 24);
	struct hours_day day, got;
	enum hours_kind kind;
	const char *why;

	(void)state;
	h.holidays_fi = true;
	assert_int_equal(hours_parse_day("10:00-12:00", &day, &why), 0);
	assert_int_equal(hours_add_exception(&h, &d, &day, &why), 0);
	hours_for_date(&h, &d, &got, &kind);
	assert_int_equal(kind, HOURS_EXCEPTION);
	assert_int_equal(got.r[0].start_min, 600);
}

static void
duplicate_exception_refused(void **state)
{
	struct hours_date d = D(2027, 1, 7);
	struct hours_day day = { 0 };
	const char *why;

	(void)state;
	assert_int_equal(hours_add_exception(&h, &d, &day, &why), 0);
	assert_int_equal(hours_add_exception(&h, &d, &day, &why), -1);
}

static void
open_inside_range_closed_outside(void **state)
{
	time_t closes;

	(void)state;
	assert_true(hours_open_at(&h, at(2026, 11, 23, 9, 0), &closes));
	assert_int_equal(closes, at(2026, 11, 23, 11, 0));
	assert_false(hours_open_at(&h, at(2026, 11, 23, 11, 0), NULL));
	assert_false(hours_open_at(&h, at(2026, 11, 23, 8, 59), NULL));
	assert_false(hours_open_at(&h, at(2026, 11, 28, 10, 0), NULL));
}

static void
second_range_of_thursday(void **state)
{
	time_t closes;

	(void)state;
	assert_false(hours_open_at(&h, at(2026, 11, 26, 12, 0), NULL));
	assert_true(hours_open_at(&h, at(2026, 11, 26, 14, 0), &closes));
	assert_int_equal(closes, at(2026, 11, 26, 15, 0));
}

static void
next_open_from_evening_is_next_morning(void **state)
{
	time_t next;

	(void)state;
	assert_int_equal(hours_next_open(&h, at(2026, 11, 23, 18, 0), 14, &next),
			 0);
	assert_int_equal(next, at(2026, 11, 24, 9, 0));
}

static void
next_open_from_friday_is_monday(void **state)
{
	time_t next;

	(void)state;
	assert_int_equal(hours_next_open(&h, at(2026, 11, 27, 12, 0), 14, &next),
			 0);
	assert_int_equal(next, at(2026, 11, 30, 9, 0));
}

static void
next_open_none_within_window(void **state)
{
	time_t next;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		h.week[i].n = 0;
	assert_int_equal(hours_next_open(&h, at(2026, 11, 23, 8, 0), 14, &next),
			 -1);
}

static void
dst_spring_day_offsets(void **state)
{
	char buf[40];

	(void)state;
	/* 2026-03-29: 03:00 EET becomes 04:00 EEST. */
	hours_format_rfc3339(at(2026, 3, 29, 2, 0), buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-29T02:00:00+02:00");
	hours_format_rfc3339(at(2026, 3, 29, 9, 0), buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-29T09:00:00+03:00");
	/* The local day is 23 hours long. */
	assert_int_equal(at(2026, 3, 30, 0, 0) - at(2026, 3, 29, 0, 0), 23 * 3600);
}

static void
dst_autumn_day_is_25_hours(void **state)
{
	char buf[40];

	(void)state;
	/* 2026-10-25: 04:00 EEST becomes 03:00 EET. */
	assert_int_equal(at(2026, 10, 26, 0, 0) - at(2026, 10, 25, 0, 0), 25 * 3600);
	hours_format_rfc3339(at(2026, 10, 25, 9, 0), buf, sizeof(buf));
	assert_string_equal(buf, "2026-10-25T09:00:00+02:00");
}

static void
open_across_spring_change(void **state)
{
	time_t closes;
	const char *why;

	(void)state;
	/* Sunday 29 March 2026 open all day: closes at midnight, 23 h later. */
	assert_int_equal(hours_parse_day("00:00-24:00", &h.week[6], &why), 0);
	assert_true(hours_open_at(&h, at(2026, 3, 29, 5, 0), &closes));
	assert_int_equal(closes, at(2026, 3, 30, 0, 0));
	assert_int_equal(closes - at(2026, 3, 29, 0, 0), 23 * 3600);
}

static void
range_ending_24_00_on_autumn_change(void **state)
{
	time_t closes;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("20:00-24:00", &h.week[6], &why), 0);
	assert_true(hours_open_at(&h, at(2026, 10, 25, 23, 59), &closes));
	assert_int_equal(closes, at(2026, 10, 26, 0, 0));
	assert_false(hours_open_at(&h, at(2026, 10, 26, 0, 0), NULL));
}

static void
midnight_join_gives_one_stretch(void **state)
{
	time_t closes, next;
	const char *why;

	(void)state;
	assert_int_equal(hours_parse_day("20:00-24:00", &h.week[0], &why), 0);
	assert_int_equal(hours_parse_day("00:00-02:00", &h.week[1], &why), 0);
	assert_true(hours_open_at(&h, at(2026, 11, 23, 22, 0), &closes));
	assert_int_equal(closes, at(2026, 11, 24, 2, 0));
	/* 00:00 Tuesday continues Monday's stretch: not a new opening. */
	assert_int_equal(hours_next_open(&h, at(2026, 11, 23, 22, 0), 14, &next),
			 0);
	assert_int_equal(next, at(2026, 11, 25, 9, 0));
}

static void
format_line_forms(void **state)
{
	struct hours_date xmas = D(2026, 12, 24), nye = D(2026, 12, 31),
			  mon = D(2027, 1, 4), sat = D(2026, 11, 28);
	struct hours_day day;
	const char *why;
	char buf[256];

	(void)state;
	h.holidays_fi = true;
	assert_int_equal(hours_parse_day("09:00-10:00", &day, &why), 0);
	assert_int_equal(hours_add_exception(&h, &nye, &day, &why), 0);
	assert_int_equal(hours_parse_day("09:00-11:00, 13:00-15:00", &h.week[0],
					 &why), 0);
	hours_format_line(&h, &xmas, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-24 Thu closed (holiday)");
	hours_format_line(&h, &nye, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-31 Thu 09:00-10:00 (exception)");
	hours_format_line(&h, &mon, buf, sizeof(buf));
	assert_string_equal(buf, "2027-01-04 Mon 09:00-11:00, 13:00-15:00");
	hours_format_line(&h, &sat, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-28 Sat closed");
}

static void
date_add_crosses_months_and_years(void **state)
{
	struct hours_date a = D(2026, 12, 31), b;

	(void)state;
	b = hours_date_add(&a, 1);
	assert_int_equal(b.y, 2027);
	assert_int_equal(b.m, 1);
	assert_int_equal(b.d, 1);
	b = hours_date_add(&a, -365);
	assert_int_equal(b.y, 2025);
	assert_int_equal(b.m, 12);
	assert_int_equal(b.d, 31);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
test_hours_run(void)
{
	const struct CMUnitTest tests[] = {
		T(parse_single_range), T(parse_closed), T(parse_24_00_as_end),
		T(parse_rejects_24_00_as_start), T(parse_rejects_25_00),
		T(parse_rejects_backwards_range), T(parse_rejects_overlap),
		T(parse_allows_touching_ranges), T(parse_rejects_garbage),
		T(parse_date_strict), T(timezone_validation),
		T(weekday_of_known_dates), T(easter_2026_and_2027),
		T(fi_holidays_2026), T(fi_holidays_2027),
		T(ordinary_days_are_not_holidays),
		T(holiday_closes_only_when_enabled),
		T(exception_overrides_holiday), T(duplicate_exception_refused),
		T(open_inside_range_closed_outside), T(second_range_of_thursday),
		T(next_open_from_evening_is_next_morning),
		T(next_open_from_friday_is_monday),
		T(next_open_none_within_window), T(dst_spring_day_offsets),
		T(dst_autumn_day_is_25_hours), T(open_across_spring_change),
		T(range_ending_24_00_on_autumn_change),
		T(midnight_join_gives_one_stretch), T(format_line_forms),
		T(date_add_crosses_months_and_years),
	};

	return cmocka_run_group_tests_name("hours", tests, NULL, NULL);
}

/* test_stats.c - the figures of CONTRACT section 6 from a fixture of recorded
 * events whose figures were worked out by hand (see the comments), in
 * Europe/Helsinki across both DST changes of 2026, compared as exact CSV and
 * JSON text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hours.h"
#include "stats.h"
#include "unit.h"

/* "2026-10-25T00:30:00" read as UTC. */
static int64_t
utc(const char *s)
{
	int y, mon, d, h, min, sec;

	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mon, &d, &h, &min, &sec) != 6)
		return -1;
	return (int64_t)unit_utc(y, mon, d, h, min, sec);
}

#define EV(t, k, v, l) { utc(t), STATS_##k, v, l }

/*
 * Autumn: EEST (+3) ends 2026-10-25 at 04:00 local (01:00 UTC), the clock
 * goes back to 03:00, so 2026-10-25 is 25 hours long: from 2026-10-24T21:00Z
 * to 2026-10-25T22:00Z.
 *
 * 2026-10-24: one closed attempt at 23:59:59 local (hour 23).
 * 2026-10-25: closed attempts at 00:00:00 (hour 0), 03:30 EEST and 03:30
 *   EET (both hour 3) and 23:59:59 (hour 23): 4. Started 5 (fi, fi, sv, en,
 *   fi); served 4 with waits 30, 10, 40, 20 -> sorted 10 20 30 40, p50 rank
 *   ceil(0.5*4)=2 -> 20, p90 rank ceil(0.9*4)=4 -> 40; abandoned 1; queue
 *   full 1; ended 3 with durations 300, 100, 200 -> p50 rank 2 -> 200, p90
 *   rank ceil(2.7)=3 -> 300; 7 messages; topics housing 2, income_support 1;
 *   outcomes answered 2, referred 1; feedback 4, 5, 5 -> 14/3 = 4.67;
 *   one block (for 24 hours).
 * 2026-10-26: a closed attempt at 00:00:00 (hour 0); one chat: wait 5,
 *   duration 60, 2 messages, topic daily_life, feedback 3.
 */
/* The autumn fixture as a heap array (caller frees), or NULL. */
static struct stats_event *
autumn_all(size_t *n)
{
	const struct stats_event src[] = {
		EV("2026-10-24T20:59:59", CLOSED_ATTEMPT, 0, NULL),
		EV("2026-10-24T21:00:00", CLOSED_ATTEMPT, 0, NULL),
		EV("2026-10-25T00:30:00", CLOSED_ATTEMPT, 0, NULL),
		EV("2026-10-25T01:30:00", CLOSED_ATTEMPT, 0, NULL),
		EV("2026-10-25T21:59:59", CLOSED_ATTEMPT, 0, NULL),
		EV("2026-10-25T22:00:00", CLOSED_ATTEMPT, 0, NULL),
		EV("2026-10-25T08:00:00", STARTED, 0, "fi"),
		EV("2026-10-25T08:10:00", STARTED, 0, "fi"),
		EV("2026-10-25T08:20:00", STARTED, 0, "sv"),
		EV("2026-10-25T08:30:00", STARTED, 0, "en"),
		EV("2026-10-25T08:50:00", STARTED, 0, "fi"),
		EV("2026-10-25T08:00:30", SERVED, 30, NULL),
		EV("2026-10-25T08:10:10", SERVED, 10, NULL),
		EV("2026-10-25T08:20:40", SERVED, 40, NULL),
		EV("2026-10-25T08:30:20", SERVED, 20, NULL),
		EV("2026-10-25T08:52:00", ABANDONED, 120, "resident"),
		EV("2026-10-25T08:55:00", QUEUE_FULL, 0, NULL),
		EV("2026-10-25T09:10:00", ENDED, 300, "advisor"),
		EV("2026-10-25T09:11:00", ENDED, 100, "resident"),
		EV("2026-10-25T09:12:00", ENDED, 200, "timeout"),
		EV("2026-10-25T08:00:00", MESSAGE, 1, "resident"),
		EV("2026-10-25T08:00:00", MESSAGE, 1, "advisor"),
		EV("2026-10-25T08:00:00", MESSAGE, 1, "resident"),
		EV("2026-10-25T08:10:00", MESSAGE, 1, "resident"),
		EV("2026-10-25T08:20:00", MESSAGE, 1, "advisor"),
		EV("2026-10-25T08:30:00", MESSAGE, 1, "resident"),
		EV("2026-10-25T08:50:00", MESSAGE, 1, "resident"),
		EV("2026-10-25T08:00:00", TOPIC, 0, "housing"),
		EV("2026-10-25T08:10:00", TOPIC, 0, "income_support"),
		EV("2026-10-25T08:20:00", TOPIC, 0, "housing"),
		EV("2026-10-25T08:00:00", OUTCOME, 0, "answered"),
		EV("2026-10-25T08:10:00", OUTCOME, 0, "referred"),
		EV("2026-10-25T08:20:00", OUTCOME, 0, "answered"),
		EV("2026-10-25T09:20:00", FEEDBACK, 4, NULL),
		EV("2026-10-25T09:21:00", FEEDBACK, 5, NULL),
		EV("2026-10-25T09:22:00", FEEDBACK, 5, NULL),
		EV("2026-10-25T09:12:00", BLOCKED, 24, NULL),
		EV("2026-10-26T08:00:00", STARTED, 0, "fi"),
		EV("2026-10-26T08:00:05", SERVED, 5, NULL),
		EV("2026-10-26T08:01:05", ENDED, 60, "advisor"),
		EV("2026-10-26T08:00:00", MESSAGE, 1, "resident"),
		EV("2026-10-26T08:00:00", MESSAGE, 1, "advisor"),
		EV("2026-10-26T08:00:00", TOPIC, 0, "daily_life"),
		EV("2026-10-26T08:02:00", FEEDBACK, 3, NULL),
	};
	struct stats_event *all = malloc(sizeof(src));

	if (!all)
		return NULL;
	memcpy(all, src, sizeof(src));
	*n = sizeof(src) / sizeof(src[0]);
	return all;
}

static int
compute(const struct stats_event *ev, size_t n, const char *from,
	const char *to, struct stats_range *r)
{
	struct hours_date f, t;

	if (hours_parse_date(from, &f) || hours_parse_date(to, &t))
		return -1;
	return stats_compute(ev, n, &f, &t, r);
}

static int
autumn_range(struct stats_range *r)
{
	size_t n;
	struct stats_event *ev = autumn_all(&n);
	int rc;

	if (!ev)
		return -1;
	rc = compute(ev, n, "2026-10-24", "2026-10-26", r);
	free(ev);
	return rc;
}

/* ------------------------------------------------------------ percentiles */

static void
p50_of_an_even_count_is_the_lower_middle(void **state)
{
	int64_t v[] = { 20, 10 };

	(void)state;
	assert_int_equal(stats_percentile(v, 2, 50), 10);
}

static void
p50_of_an_odd_count_is_the_middle(void **state)
{
	int64_t v[] = { 30, 10, 20 };

	(void)state;
	assert_int_equal(stats_percentile(v, 3, 50), 20);
}

static void
p90_of_ten_values_is_the_ninth(void **state)
{
	int64_t v[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };

	(void)state;
	assert_int_equal(stats_percentile(v, 10, 90), 9);
}

static void
p90_of_eleven_values_is_the_tenth(void **state)
{
	int64_t v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

	(void)state;
	/* ceil(0.9 * 11) = ceil(9.9) = 10 */
	assert_int_equal(stats_percentile(v, 11, 90), 10);
}

static void
p90_of_four_values_is_the_largest(void **state)
{
	int64_t v[] = { 30, 10, 40, 20 };

	(void)state;
	assert_int_equal(stats_percentile(v, 4, 90), 40);
}

static void
percentile_of_one_value_is_that_value(void **state)
{
	int64_t v[] = { 42 };

	(void)state;
	assert_int_equal(stats_percentile(v, 1, 50), 42);
	assert_int_equal(stats_percentile(v, 1, 90), 42);
}

static void
percentile_of_nothing_is_none(void **state)
{
	int64_t v[1] = { 0 };

	(void)state;
	assert_int_equal(stats_percentile(v, 0, 50), -1);
}

static void
percentile_out_of_range_is_none(void **state)
{
	int64_t v[] = { 1, 2 };

	(void)state;
	assert_int_equal(stats_percentile(v, 2, 0), -1);
	assert_int_equal(stats_percentile(v, 2, 101), -1);
}

/* ------------------------------------------------------------------ kinds */

static void
kind_names_round_trip(void **state)
{
	enum stats_kind k, back;

	(void)state;
	for (k = STATS_STARTED; k < STATS_N_KINDS; k++) {
		assert_int_equal(stats_kind_parse(stats_kind_name(k), &back), 0);
		assert_int_equal(back, k);
	}
}

static void
closed_attempt_keeps_its_stored_name(void **state)
{
	enum stats_kind k;

	(void)state;
	assert_int_equal(stats_kind_parse("closed_attempt", &k), 0);
	assert_int_equal(k, STATS_CLOSED_ATTEMPT);
	assert_int_equal(stats_kind_parse("queue_full", &k), 0);
	assert_int_equal(k, STATS_QUEUE_FULL);
}

static void
unknown_kind_is_refused(void **state)
{
	enum stats_kind k;

	(void)state;
	assert_int_equal(stats_kind_parse("email_sent", &k), -1);
	assert_null(stats_kind_name(STATS_N_KINDS));
}

/* ----------------------------------------------------------------- ranges */

static void
range_has_one_day_per_date_inclusive(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2026-12-30", "2027-01-02", &r), 0);
	assert_int_equal(r.n_days, 4);
	assert_int_equal(r.days[3].date.y, 2027);
	assert_int_equal(r.days[3].date.d, 2);
	stats_free(&r);
}

static void
single_day_range_is_allowed(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2026-10-25", "2026-10-25", &r), 0);
	assert_int_equal(r.n_days, 1);
	stats_free(&r);
}

static void
to_before_from_is_refused(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2026-10-25", "2026-10-24", &r), -1);
	assert_int_equal(r.n_days, 0);
}

static void
too_long_range_is_refused(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2020-01-01", "2030-12-31", &r), -1);
}

static void
empty_day_has_nulls_and_zero_hours(void **state)
{
	struct stats_range r;
	int h;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2026-10-25", "2026-10-25", &r), 0);
	assert_int_equal(r.days[0].wait_p50, -1);
	assert_int_equal(r.days[0].duration_p90, -1);
	assert_true(stats_feedback_avg(&r.days[0]) < 0);
	for (h = 0; h < 24; h++)
		assert_int_equal(r.days[0].closed_by_hour[h], 0);
	stats_free(&r);
}

static void
events_outside_the_range_are_ignored(void **state)
{
	struct stats_event ev[] = {
		EV("2026-10-23T12:00:00", STARTED, 0, "fi"),
		EV("2026-10-27T12:00:00", STARTED, 0, "fi"),
	};
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(ev, 2, "2026-10-24", "2026-10-26", &r), 0);
	assert_int_equal(r.days[0].started + r.days[1].started +
			 r.days[2].started, 0);
	assert_int_equal(r.total.started, 0);
	stats_free(&r);
}

/* --------------------------------------------------- DST day boundaries */

static void
autumn_last_second_before_midnight_is_the_day_before(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[0].closed_attempts, 1);
	assert_int_equal(r.days[0].closed_by_hour[23], 1);
	stats_free(&r);
}

static void
autumn_midnight_in_summer_time_starts_the_day(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].closed_by_hour[0], 1);
	stats_free(&r);
}

static void
autumn_repeated_hour_three_counts_twice(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].closed_by_hour[3], 2);
	assert_int_equal(r.days[1].closed_by_hour[4], 0);
	stats_free(&r);
}

static void
autumn_day_is_twenty_five_hours_long(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	/* 21:59:59 UTC is still 23:59:59 of the 25th in winter time. */
	assert_int_equal(r.days[1].closed_by_hour[23], 1);
	assert_int_equal(r.days[1].closed_attempts, 4);
	assert_int_equal(r.days[2].closed_by_hour[0], 1);
	stats_free(&r);
}

/* Spring: EET (+2) ends 2026-03-29 at 03:00 local (01:00 UTC), the clock
 * jumps to 04:00, so the day is 23 hours: 2026-03-28T22:00Z to
 * 2026-03-29T21:00Z, and it has no hour 3. */
static void
spring(struct stats_event ev[6])
{
	const struct stats_event src[] = {
		EV("2026-03-28T21:59:59", CLOSED_ATTEMPT, 0, NULL), /* 28th, 23 */
		EV("2026-03-28T22:00:00", CLOSED_ATTEMPT, 0, NULL), /* 29th, 0 */
		EV("2026-03-29T00:59:59", CLOSED_ATTEMPT, 0, NULL), /* hour 2 */
		EV("2026-03-29T01:00:00", CLOSED_ATTEMPT, 0, NULL), /* hour 4 */
		EV("2026-03-29T20:59:59", CLOSED_ATTEMPT, 0, NULL), /* hour 23 */
		EV("2026-03-29T21:00:00", CLOSED_ATTEMPT, 0, NULL), /* 30th, 0 */
	};

	memcpy(ev, src, sizeof(src));
}

static void
spring_day_boundaries_follow_the_zone(void **state)
{
	struct stats_event ev[6];
	struct stats_range r;

	(void)state;
	spring(ev);
	assert_int_equal(compute(ev, 6, "2026-03-28", "2026-03-30", &r), 0);
	assert_int_equal(r.days[0].closed_attempts, 1);
	assert_int_equal(r.days[1].closed_attempts, 4);
	assert_int_equal(r.days[2].closed_attempts, 1);
	stats_free(&r);
}

static void
spring_missing_hour_three_stays_empty(void **state)
{
	struct stats_event ev[6];
	struct stats_range r;
	const int want[24] = { [0] = 1, [2] = 1, [4] = 1, [23] = 1 };

	(void)state;
	spring(ev);
	assert_int_equal(compute(ev, 6, "2026-03-28", "2026-03-30", &r), 0);
	assert_memory_equal(r.days[1].closed_by_hour, want, sizeof(want));
	stats_free(&r);
}

/* ---------------------------------------------------------- day figures */

static void
served_wait_percentiles_of_an_even_count(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].served, 4);
	assert_int_equal(r.days[1].wait_p50, 20);
	assert_int_equal(r.days[1].wait_p90, 40);
	stats_free(&r);
}

static void
duration_percentiles_of_an_odd_count(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].duration_p50, 200);
	assert_int_equal(r.days[1].duration_p90, 300);
	stats_free(&r);
}

static void
feedback_average_is_rounded_to_two_decimals(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].feedback_count, 3);
	assert_true(stats_feedback_avg(&r.days[1]) == 4.67);
	assert_int_equal(r.days[1].ratings[4], 2);
	stats_free(&r);
}

static void
feedback_outside_one_to_five_is_ignored(void **state)
{
	struct stats_event ev[] = {
		EV("2026-10-25T10:00:00", FEEDBACK, 0, NULL),
		EV("2026-10-25T10:00:00", FEEDBACK, 6, NULL),
	};
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(ev, 2, "2026-10-25", "2026-10-25", &r), 0);
	assert_int_equal(r.days[0].feedback_count, 0);
	stats_free(&r);
}

static void
languages_come_from_started_events(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].languages.n, 3);
	assert_string_equal(r.days[1].languages.items[1].id, "fi");
	assert_int_equal(r.days[1].languages.items[1].n, 3);
	stats_free(&r);
}

static void
topics_are_counted_and_sorted_by_id(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.days[1].topics.n, 2);
	assert_string_equal(r.days[1].topics.items[0].id, "housing");
	assert_int_equal(r.days[1].topics.items[0].n, 2);
	assert_string_equal(r.days[1].topics.items[1].id, "income_support");
	stats_free(&r);
}

static void
total_sums_the_whole_range(void **state)
{
	struct stats_range r;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	assert_int_equal(r.total.started, 6);
	assert_int_equal(r.total.closed_attempts, 6);
	/* waits 5 10 20 30 40: p50 rank 3 -> 20, p90 rank 5 -> 40 */
	assert_int_equal(r.total.wait_p50, 20);
	assert_int_equal(r.total.wait_p90, 40);
	assert_int_equal(r.total.topics.n, 3);
	stats_free(&r);
}

static void
served_counts_by_the_hour_the_resident_arrived(void **state)
{
	struct stats_event ev[] = {
		/* taken 11:00:10 local (winter, +2) after 20 s: arrived 10:59 */
		EV("2026-11-02T09:00:10", SERVED, 20, NULL),
	};
	struct stats_range r;

	(void)state;
	assert_int_equal(compute(ev, 1, "2026-11-02", "2026-11-02", &r), 0);
	assert_int_equal(r.days[0].served_by_hour[10], 1);
	assert_int_equal(r.days[0].served_by_hour[11], 0);
	stats_free(&r);
}

static void
urgent_chats_count_on_the_day_of_their_mark(void **state)
{
	struct stats_event ev[] = {
		EV("2026-10-25T10:00:00", URGENT, 0, NULL),
		EV("2026-10-25T11:00:00", URGENT, 0, NULL),
		EV("2026-10-26T10:00:00", URGENT, 0, NULL),
	};
	struct stats_range r;
	enum stats_kind k;
	char *csv;

	(void)state;
	assert_string_equal(stats_kind_name(STATS_URGENT), "urgent");
	assert_int_equal(stats_kind_parse("urgent", &k), 0);
	assert_int_equal(k, STATS_URGENT);
	assert_int_equal(compute(ev, 3, "2026-10-25", "2026-10-26", &r), 0);
	assert_int_equal(r.days[0].urgent, 2);
	assert_int_equal(r.days[1].urgent, 1);
	assert_int_equal(r.total.urgent, 3);
	csv = stats_render_csv(&r);
	assert_non_null(csv);
	assert_non_null(strstr(csv, ",blocked,urgent,questions,"));
	assert_non_null(strstr(csv, ",0,2,0,0,,0\n2026-10-26,"));
	free(csv);
	stats_free(&r);
}

static void
overlong_label_is_not_counted(void **state)
{
	char label[STATS_ID_MAX + 8];
	struct stats_event ev[] = {
		EV("2026-10-25T10:00:00", TOPIC, 0, NULL),
	};
	struct stats_range r;

	(void)state;
	memset(label, 'x', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	ev[0].label = label;
	assert_int_equal(compute(ev, 1, "2026-10-25", "2026-10-25", &r), 0);
	assert_int_equal(r.days[0].topics.n, 0);
	stats_free(&r);
}

/* -------------------------------------------------------- exact renderings */

static const char csv_want[] =
	"date,started,served,abandoned,queue_full,closed_attempts,wait_p50_s,"
	"wait_p90_s,duration_p50_s,duration_p90_s,messages,feedback_count,"
	"feedback_avg,blocked,urgent,questions,answered,answer_p50_s,"
	"told_may_not_be_served\n"
	"2026-10-24,0,0,0,0,1,,,,,0,0,,0,0,0,0,,0\n"
	"2026-10-25,5,4,1,1,4,20,40,200,300,7,3,4.67,1,0,0,0,,0\n"
	"2026-10-26,1,1,0,0,1,5,5,60,60,2,1,3.00,0,0,0,0,,0\n";

static void
csv_matches_the_hand_computed_figures(void **state)
{
	struct stats_range r;
	char *csv;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	csv = stats_render_csv(&r);
	assert_non_null(csv);
	assert_string_equal(csv, csv_want);
	free(csv);
	stats_free(&r);
}

#define H0 "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "

static const char json_want[] =
	"[{\"date\": \"2026-10-24\", \"started\": 0, \"served\": 0, "
	"\"abandoned\": 0, \"queue_full\": 0, \"closed_attempts\": 1, "
	"\"closed_attempts_by_hour\": [" H0 "0, 0, 0, 1], "
	"\"wait_p50_s\": null, \"wait_p90_s\": null, \"duration_p50_s\": null, "
	"\"duration_p90_s\": null, \"messages\": 0, \"feedback_count\": 0, "
	"\"feedback_avg\": null, \"topics\": {}, \"outcomes\": {}, "
	"\"languages\": {}, \"blocked\": 0, \"urgent\": 0, "
	"\"questions\": 0, \"answered\": 0, \"answer_p50_s\": null, "
	"\"told_may_not_be_served\": 0}, "
	"{\"date\": \"2026-10-25\", \"started\": 5, \"served\": 4, "
	"\"abandoned\": 1, \"queue_full\": 1, \"closed_attempts\": 4, "
	"\"closed_attempts_by_hour\": [1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
	"0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "
	"\"wait_p50_s\": 20, \"wait_p90_s\": 40, \"duration_p50_s\": 200, "
	"\"duration_p90_s\": 300, \"messages\": 7, \"feedback_count\": 3, "
	"\"feedback_avg\": 4.67, "
	"\"topics\": {\"housing\": 2, \"income_support\": 1}, "
	"\"outcomes\": {\"answered\": 2, \"referred\": 1}, "
	"\"languages\": {\"en\": 1, \"fi\": 3, \"sv\": 1}, \"blocked\": 1, "
	"\"urgent\": 0, \"questions\": 0, \"answered\": 0, "
	"\"answer_p50_s\": null, "
	"\"told_may_not_be_served\": 0}, "
	"{\"date\": \"2026-10-26\", \"started\": 1, \"served\": 1, "
	"\"abandoned\": 0, \"queue_full\": 0, \"closed_attempts\": 1, "
	"\"closed_attempts_by_hour\": [1, " H0 "0, 0, 0], "
	"\"wait_p50_s\": 5, \"wait_p90_s\": 5, \"duration_p50_s\": 60, "
	"\"duration_p90_s\": 60, \"messages\": 2, \"feedback_count\": 1, "
	"\"feedback_avg\": 3.0, \"topics\": {\"daily_life\": 1}, "
	"\"outcomes\": {}, \"languages\": {\"fi\": 1}, \"blocked\": 0, "
	"\"urgent\": 0, \"questions\": 0, \"answered\": 0, "
	"\"answer_p50_s\": null, "
	"\"told_may_not_be_served\": 0}]\n";

static void
json_matches_the_hand_computed_figures(void **state)
{
	struct stats_range r;
	char *json;

	(void)state;
	assert_int_equal(autumn_range(&r), 0);
	json = stats_render_json(&r);
	assert_non_null(json);
	assert_string_equal(json, json_want);
	free(json);
	stats_free(&r);
}

static void
csv_has_a_header_and_one_row_per_day(void **state)
{
	struct stats_range r;
	char *csv;
	int lines = 0;
	const char *p;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2026-01-01", "2026-01-31", &r), 0);
	csv = stats_render_csv(&r);
	assert_non_null(csv);
	for (p = csv; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 32);
	free(csv);
	stats_free(&r);
}

static void
json_of_an_empty_day_lists_every_key_in_order(void **state)
{
	static const char *const keys[] = {
		"\"date\"", "\"started\"", "\"served\"", "\"abandoned\"",
		"\"queue_full\"", "\"closed_attempts\"",
		"\"closed_attempts_by_hour\"", "\"wait_p50_s\"",
		"\"wait_p90_s\"", "\"duration_p50_s\"", "\"duration_p90_s\"",
		"\"messages\"", "\"feedback_count\"", "\"feedback_avg\"",
		"\"topics\"", "\"outcomes\"", "\"languages\"", "\"blocked\"",
		"\"urgent\"",
		"\"questions\"", "\"answered\"", "\"answer_p50_s\"",
		"\"told_may_not_be_served\"",
	};
	struct stats_range r;
	const char *at;
	char *json;
	size_t i;

	(void)state;
	assert_int_equal(compute(NULL, 0, "2026-10-25", "2026-10-25", &r), 0);
	json = stats_render_json(&r);
	assert_non_null(json);
	at = json;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		at = strstr(at, keys[i]);
		assert_non_null(at);
	}
	free(json);
	stats_free(&r);
}

/* CONTRACT.md section 9: questions on the day asked, answers on the day
 * answered with their time to answer, chats told they may not be served. */
static void
question_events_count_per_day(void **state)
{
	struct stats_event ev[] = {
		{ 0, STATS_QUESTION, 0, NULL },
		{ 0, STATS_QUESTION, 0, NULL },
		{ 0, STATS_ANSWERED, 300, NULL },
		{ 0, STATS_ANSWERED, 100, NULL },
		{ 0, STATS_ANSWERED, 900, NULL },
		{ 0, STATS_TOLD_LATE, 0, NULL },
	};
	struct stats_range r;
	enum stats_kind k;
	char *csv;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		ev[i].at = (int64_t)unit_utc(2026, 10, 25, 10, 0, (int)i);
	assert_int_equal(compute(ev, 6, "2026-10-25", "2026-10-25", &r), 0);
	assert_int_equal(r.days[0].questions, 2);
	assert_int_equal(r.days[0].answered, 3);
	assert_int_equal(r.days[0].answer_p50, 300);
	assert_int_equal(r.days[0].told_may_not_be_served, 1);
	assert_int_equal(stats_kind_parse("told_late", &k), 0);
	assert_int_equal(k, STATS_TOLD_LATE);
	csv = stats_render_csv(&r);
	assert_non_null(csv);
	assert_non_null(strstr(csv, ",0,2,3,300,1\n"));
	free(csv);
	stats_free(&r);
}

int
test_stats_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(question_events_count_per_day),
		cmocka_unit_test(p50_of_an_even_count_is_the_lower_middle),
		cmocka_unit_test(p50_of_an_odd_count_is_the_middle),
		cmocka_unit_test(p90_of_ten_values_is_the_ninth),
		cmocka_unit_test(p90_of_eleven_values_is_the_tenth),
		cmocka_unit_test(p90_of_four_values_is_the_largest),
		cmocka_unit_test(percentile_of_one_value_is_that_value),
		cmocka_unit_test(percentile_of_nothing_is_none),
		cmocka_unit_test(percentile_out_of_range_is_none),
		cmocka_unit_test(kind_names_round_trip),
		cmocka_unit_test(closed_attempt_keeps_its_stored_name),
		cmocka_unit_test(unknown_kind_is_refused),
		cmocka_unit_test(range_has_one_day_per_date_inclusive),
		cmocka_unit_test(single_day_range_is_allowed),
		cmocka_unit_test(to_before_from_is_refused),
		cmocka_unit_test(too_long_range_is_refused),
		cmocka_unit_test(empty_day_has_nulls_and_zero_hours),
		cmocka_unit_test(events_outside_the_range_are_ignored),
		cmocka_unit_test(autumn_last_second_before_midnight_is_the_day_before),
		cmocka_unit_test(autumn_midnight_in_summer_time_starts_the_day),
		cmocka_unit_test(autumn_repeated_hour_three_counts_twice),
		cmocka_unit_test(autumn_day_is_twenty_five_hours_long),
		cmocka_unit_test(spring_day_boundaries_follow_the_zone),
		cmocka_unit_test(spring_missing_hour_three_stays_empty),
		cmocka_unit_test(served_wait_percentiles_of_an_even_count),
		cmocka_unit_test(duration_percentiles_of_an_odd_count),
		cmocka_unit_test(feedback_average_is_rounded_to_two_decimals),
		cmocka_unit_test(feedback_outside_one_to_five_is_ignored),
		cmocka_unit_test(languages_come_from_started_events),
		cmocka_unit_test(topics_are_counted_and_sorted_by_id),
		cmocka_unit_test(total_sums_the_whole_range),
		cmocka_unit_test(served_counts_by_the_hour_the_resident_arrived),
		cmocka_unit_test(overlong_label_is_not_counted),
		cmocka_unit_test(urgent_chats_count_on_the_day_of_their_mark),
		cmocka_unit_test(csv_matches_the_hand_computed_figures),
		cmocka_unit_test(json_matches_the_hand_computed_figures),
		cmocka_unit_test(csv_has_a_header_and_one_row_per_day),
		cmocka_unit_test(json_of_an_empty_day_lists_every_key_in_order),
	};

	return cmocka_run_group_tests_name("stats", tests, unit_setup_helsinki, NULL);
}

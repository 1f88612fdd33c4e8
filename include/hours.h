/*
 * hours.h - opening hours: weekly ranges, dated exceptions, Finnish public
 * holidays and the IANA timezone they are read in.
 *
 * Pure logic: no libwebsockets, no SQLite. Times are time_t (UTC seconds);
 * dates and clock times are local to the configured zone. The zone is
 * applied process-wide through TZ (hours_tz_apply), because the server has
 * exactly one zone and libc's localtime_r/mktime already know every DST rule
 * in tzdata; everything here must be called after hours_tz_apply.
 *
 * Ownership: struct hours owns its exceptions array (hours_free).
 */
#ifndef NEUVO_HOURS_H
#define NEUVO_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define HOURS_MAX_RANGES 8    /* ranges in one day */
#define HOURS_TZ_MAX 64       /* longest IANA zone name we accept */

/* One opening range in minutes from local midnight; 0 <= start < end <= 1440. */
struct hours_range {
	int start_min;
	int end_min;
};

/* The ranges of one day, sorted, non-overlapping; n == 0 means closed. */
struct hours_day {
	int n;
	struct hours_range r[HOURS_MAX_RANGES];
};

/* A local date. */
struct hours_date {
	int y, m, d;            /* 2026, 1..12, 1..31 */
};

/* One [exceptions] line: this date uses `day` instead of its weekday. */
struct hours_exception {
	struct hours_date date;
	struct hours_day day;
};

/* Why a date has the ranges it has (for `neuvo-admin hours`). */
enum hours_kind {
	HOURS_REGULAR,
	HOURS_EXCEPTION,
	HOURS_HOLIDAY
};

/* The whole schedule. One per loaded config; read-only once loaded. */
struct hours {
	char timezone[HOURS_TZ_MAX];
	struct hours_day week[7];           /* 0 = Monday ... 6 = Sunday */
	struct hours_exception *exceptions; /* owned; sorted by date */
	size_t n_exceptions;
	bool holidays_fi;
};

/*
 * Parse a day's value: "closed" or "HH:MM-HH:MM[, HH:MM-HH:MM...]".
 * 24:00 is allowed as an end only. Ranges must be increasing and must not
 * overlap (touching, 09:00-11:00, 11:00-12:00, is allowed).
 * Returns 0 and fills *out; or -1 and points *why at a static English
 * reason ("hour out of range", "end before start", "overlapping ranges").
 */
int hours_parse_day(const char *text, struct hours_day *out, const char **why);

/* Parse "YYYY-MM-DD" strictly (real calendar date). Returns 0 or -1. */
int hours_parse_date(const char *text, struct hours_date *out);

/* True when name is a zone tzdata knows (a file under TZDIR or
 * /usr/share/zoneinfo, no "..", not absolute). */
bool hours_timezone_valid(const char *name);

/* Make h->timezone the process zone (setenv TZ + tzset). Returns 0 or -1. */
int hours_tz_apply(const struct hours *h);

/* Add an exception; keeps the array sorted. Returns 0, or -1 on a duplicate
 * date (*why set) or allocation failure. */
int hours_add_exception(struct hours *h, const struct hours_date *date,
			const struct hours_day *day, const char **why);

/* Deep copy (for config reload). Returns 0 or -1 on allocation failure. */
int hours_copy(struct hours *dst, const struct hours *src);
void hours_free(struct hours *h);

/* Finnish public holiday (and the de facto closed eves: Midsummer Eve,
 * Christmas Eve)? *name gets its Finnish name when true; may be NULL. */
bool hours_fi_holiday(const struct hours_date *date, const char **name);

/* Easter Sunday of year y (Gregorian). */
struct hours_date hours_easter(int y);

/*
 * Calendar arithmetic on civil dates, the one implementation for every
 * module (stats, report, admin, service): proleptic Gregorian, no time
 * zone, no time_t, so no DST change can shift a day.
 */

/* Days from 1970-01-01 to date (negative before it). m must be 1..12; a
 * day past the month's end counts on into the next (32 January is
 * 1 February), which is what hours_date_add relies on. */
long hours_day_number(const struct hours_date *date);

/* The date n days after 1970-01-01: the inverse of hours_day_number. */
struct hours_date hours_date_of_day(long n);

/* Weekday of a date, 0 = Monday. */
int hours_weekday(const struct hours_date *date);

/* Add n days to a date (n may be negative). */
struct hours_date hours_date_add(const struct hours_date *date, int n);

/* <0, 0 or >0 as a is before, the same day as, or after b. */
int hours_date_cmp(const struct hours_date *a, const struct hours_date *b);

#define HOURS_DATE_MAX 16       /* "YYYY-MM-DD" and its NUL, with room */

/* "2026-03-12" into buf (n >= HOURS_DATE_MAX). */
void hours_format_date(const struct hours_date *date, char *buf, size_t n);

/* The ranges that apply on a date: exception first, then holiday, then weekday. */
void hours_for_date(const struct hours *h, const struct hours_date *date,
		    struct hours_day *out, enum hours_kind *kind);

/* Local date of an instant. */
struct hours_date hours_local_date(time_t t);

/* The instant of local date + minute (0..1440; 1440 = next midnight).
 * In a DST gap the time is taken as if the clock had not jumped (mktime with
 * tm_isdst = -1), in a repeated hour the first occurrence. */
time_t hours_local_time(const struct hours_date *date, int minute);

/* Is the service open at t? When open and closes_at != NULL, *closes_at is the
 * end of the current range (ranges that touch, or run over midnight via
 * 24:00 and 00:00, are joined). */
bool hours_open_at(const struct hours *h, time_t t, time_t *closes_at);

/* The next opening after t (strictly later than t, the start of a range)
 * within `days` local days. Returns 0 and sets *next, or -1 when none. */
int hours_next_open(const struct hours *h, time_t t, int days, time_t *next);

/* The longest RFC 3339 text hours_format_rfc3339 writes, with its NUL
 * (a year of 11 digits would still fit). */
#define HOURS_RFC3339_MAX 40

/* RFC 3339 with the zone's offset: 2026-11-23T09:00:00+02:00, into buf
 * (truncated to n - 1 bytes and terminated, as snprintf would; n >= 26
 * holds the usual years whole, HOURS_RFC3339_MAX any). Returns the length
 * written. The last instant's text is kept per thread, so the frames of
 * one second format it once; hours_tz_apply invalidates it. */
size_t hours_format_rfc3339(time_t t, char *buf, size_t n);

/* "09:00-11:00, 13:00-15:00" or "closed". buf >= 128. */
void hours_format_day(const struct hours_day *day, char *buf, size_t n);

/* One line of `neuvo-admin hours`:
 * "2026-12-24 Thu closed (holiday)" / "2026-12-31 Thu 09:00-10:00 (exception)"
 * / "2027-01-04 Mon 09:00-11:00, 13:00-15:00". buf >= 192. */
void hours_format_line(const struct hours *h, const struct hours_date *date,
		       char *buf, size_t n);

#endif

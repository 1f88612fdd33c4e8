/*
 * hours.c - opening hours, exceptions and Finnish public holidays (hours.h).
 *
 * Dates are handled as plain civil dates (days since 1970-01-01 by the
 * proleptic Gregorian calendar) so that adding days never meets a DST
 * change; only hours_local_time and hours_local_date cross into time_t, and
 * they leave the zone rules to libc's mktime/localtime_r.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hours.h"

/* ---------------------------------------------------------- civil dates */

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
				   31 };

	return m == 2 && leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static struct hours_date
civil_from_days(long z)
{
	struct hours_date out;
	long era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	out.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	out.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	out.y = (int)(y + (out.m <= 2));
	return out;
}

int
hours_weekday(const struct hours_date *date)
{
	long z = days_from_civil(date->y, date->m, date->d);

	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	return (int)(((z % 7) + 7 + 3) % 7);
}

struct hours_date
hours_date_add(const struct hours_date *date, int n)
{
	return civil_from_days(days_from_civil(date->y, date->m, date->d) + n);
}

static int
date_cmp(const struct hours_date *a, const struct hours_date *b)
{
	long x = days_from_civil(a->y, a->m, a->d);
	long y = days_from_civil(b->y, b->m, b->d);

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------- parsing */

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "H:MM" or "HH:MM" at *s; advances *s. Returns minutes or -1. */
static int
parse_clock(const char **s)
{
	const char *p = *s;
	int h = 0, m, digits = 0;

	while (isdigit((unsigned char)*p) && digits < 3) {
		h = h * 10 + (*p++ - '0');
		digits++;
	}
	if (digits < 1 || digits > 2 || *p != ':' ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
		return -1;
	m = (p[1] - '0') * 10 + (p[2] - '0');
	*s = p + 3;
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -2;
	return h * 60 + m;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct hours_range *x = a, *y = b;

	return x->start_min - y->start_min;
}

static int
parse_range(const char **s, struct hours_range *r, const char **why)
{
	int start = parse_clock(s), end;

	if (start == -2 || start == 24 * 60) {
		*why = "hour out of range (00:00-24:00, 24:00 only as an end)";
		return -1;
	}
	if (start < 0 || **s != '-') {
		*why = "expected HH:MM-HH:MM or closed";
		return -1;
	}
	(*s)++;
	end = parse_clock(s);
	if (end == -2) {
		*why = "hour out of range (00:00-24:00, 24:00 only as an end)";
		return -1;
	}
	if (end < 0) {
		*why = "expected HH:MM-HH:MM or closed";
		return -1;
	}
	if (end <= start) {
		*why = "range ends before it starts";
		return -1;
	}
	r->start_min = start;
	r->end_min = end;
	return 0;
}

int
hours_parse_day(const char *text, struct hours_day *out, const char **why)
{
	const char *s = skip_space(text);
	int i;

	memset(out, 0, sizeof(*out));
	if (!strncasecmp(s, "closed", 6) && *skip_space(s + 6) == '\0')
		return 0;
	for (;;) {
		if (out->n == HOURS_MAX_RANGES) {
			*why = "too many ranges in one day";
			return -1;
		}
		if (parse_range(&s, &out->r[out->n], why))
			return -1;
		out->n++;
		s = skip_space(s);
		if (*s == '\0')
			break;
		if (*s != ',') {
			*why = "ranges are separated by commas";
			return -1;
		}
		s = skip_space(s + 1);
	}
	qsort(out->r, (size_t)out->n, sizeof(out->r[0]), range_cmp);
	for (i = 1; i < out->n; i++) {
		if (out->r[i].start_min < out->r[i - 1].end_min) {
			*why = "overlapping ranges";
			return -1;
		}
	}
	return 0;
}

int
hours_parse_date(const char *text, struct hours_date *out)
{
	int i;

	if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
			return -1;
	out->y = atoi(text);
	out->m = atoi(text + 5);
	out->d = atoi(text + 8);
	if (out->y < 1970 || out->y > 9999 || out->m < 1 || out->m > 12 ||
	    out->d < 1 || out->d > days_in_month(out->y, out->m))
		return -1;
	return 0;
}

bool
hours_timezone_valid(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	size_t i, n = strlen(name);
	FILE *f;
	bool ok;

	if (n == 0 || n >= HOURS_TZ_MAX || name[0] == '/' || strstr(name, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("/_+-", name[i]))
			return false;
	snprintf(path, sizeof(path), "%s/%s",
		 dir && *dir ? dir : "/usr/share/zoneinfo", name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

int
hours_tz_apply(const struct hours *h)
{
	if (!hours_timezone_valid(h->timezone))
		return -1;
	if (setenv("TZ", h->timezone, 1))
		return -1;
	tzset();
	return 0;
}

/* ------------------------------------------------------------ schedule */

int
hours_add_exception(struct hours *h, const struct hours_date *date,
		    const struct hours_day *day, const char **why)
{
	struct hours_exception *arr;
	size_t i, at = h->n_exceptions;

	for (i = 0; i < h->n_exceptions; i++) {
		int c = date_cmp(&h->exceptions[i].date, date);

		if (c == 0) {
			*why = "date given twice";
			return -1;
		}
		if (c > 0 && at == h->n_exceptions)
			at = i;
	}
	arr = realloc(h->exceptions, (h->n_exceptions + 1) * sizeof(*arr));
	if (!arr) {
		*why = "out of memory";
		return -1;
	}
	memmove(arr + at + 1, arr + at,
		(h->n_exceptions - at) * sizeof(*arr));
	arr[at].date = *date;
	arr[at].day = *day;
	h->exceptions = arr;
	h->n_exceptions++;
	return 0;
}

int
hours_copy(struct hours *dst, const struct hours *src)
{
	*dst = *src;
	dst->exceptions = NULL;
	if (!src->n_exceptions)
		return 0;
	dst->exceptions = malloc(src->n_exceptions * sizeof(*src->exceptions));
	if (!dst->exceptions) {
		dst->n_exceptions = 0;
		return -1;
	}
	memcpy(dst->exceptions, src->exceptions,
	       src->n_exceptions * sizeof(*src->exceptions));
	return 0;
}

void
hours_free(struct hours *h)
{
	free(h->exceptions);
	h->exceptions = NULL;
	h->n_exceptions = 0;
}

struct hours_date
hours_easter(int y)
{
	/* The anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
	int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	struct hours_date out;

	out.y = y;
	out.m = (h + l - 7 * m + 114) / 31;
	out.d = ((h + l - 7 * m + 114) % 31) + 1;
	return out;
}

/* The date in [from, from + 6] of month m that falls on weekday wd. */
static bool
is_weekday_between(const struct hours_date *date, int m, int from, int wd)
{
	return date->m == m && date->d >= from && date->d <= from + 6 &&
	       hours_weekday(date) == wd;
}

bool
hours_fi_holiday(const struct hours_date *date, const char **name)
{
	static const struct { int m, d; const char *name; } fixed[] = {
		{ 1, 1, "uudenvuodenpäivä" }, { 1, 6, "loppiainen" },
		{ 5, 1, "vappu" }, { 12, 6, "itsenäisyyspäivä" },
		{ 12, 24, "jouluaatto" }, { 12, 25, "joulupäivä" },
		{ 12, 26, "tapaninpäivä" },
	};
	static const struct { int offset; const char *name; } moving[] = {
		{ -2, "pitkäperjantai" }, { 0, "pääsiäispäivä" },
		{ 1, "2. pääsiäispäivä" }, { 39, "helatorstai" },
		{ 49, "helluntaipäivä" },
	};
	struct hours_date easter = hours_easter(date->y);
	long e = days_from_civil(easter.y, easter.m, easter.d);
	long z = days_from_civil(date->y, date->m, date->d);
	const char *found = NULL;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (fixed[i].m == date->m && fixed[i].d == date->d)
			found = fixed[i].name;
	for (i = 0; i < sizeof(moving) / sizeof(moving[0]); i++)
		if (z - e == moving[i].offset)
			found = moving[i].name;
	if (is_weekday_between(date, 6, 19, 4))
		found = "juhannusaatto";
	if (is_weekday_between(date, 6, 20, 5))
		found = "juhannuspäivä";
	/* All Saints' Day: the Saturday of 31.10.-6.11. */
	if (hours_weekday(date) == 5 &&
	    ((date->m == 10 && date->d == 31) || (date->m == 11 && date->d <= 6)))
		found = "pyhäinpäivä";
	if (name)
		*name = found;
	return found != NULL;
}

void
hours_for_date(const struct hours *h, const struct hours_date *date,
	       struct hours_day *out, enum hours_kind *kind)
{
	size_t i;

	for (i = 0; i < h->n_exceptions; i++) {
		if (date_cmp(&h->exceptions[i].date, date) == 0) {
			*out = h->exceptions[i].day;
			*kind = HOURS_EXCEPTION;
			return;
		}
	}
	if (h->holidays_fi && hours_fi_holiday(date, NULL)) {
		memset(out, 0, sizeof(*out));
		*kind = HOURS_HOLIDAY;
		return;
	}
	*out = h->week[hours_weekday(date)];
	*kind = HOURS_REGULAR;
}

/* ------------------------------------------------------------- instants */

struct hours_date
hours_local_date(time_t t)
{
	struct hours_date out = { 1970, 1, 1 };
	struct tm tm;

	if (localtime_r(&t, &tm)) {
		out.y = tm.tm_year + 1900;
		out.m = tm.tm_mon + 1;
		out.d = tm.tm_mday;
	}
	return out;
}

time_t
hours_local_time(const struct hours_date *date, int minute)
{
	struct hours_date d = *date;
	struct tm tm;

	if (minute >= 24 * 60) {
		d = hours_date_add(date, 1);
		minute -= 24 * 60;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d.y - 1900;
	tm.tm_mon = d.m - 1;
	tm.tm_mday = d.d;
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The end of the open stretch that contains range r of `date`: touching
 * ranges, also across midnight, count as one. */
static time_t
stretch_end(const struct hours *h, struct hours_date date, int r)
{
	struct hours_day day;
	enum hours_kind kind;
	int days;

	hours_for_date(h, &date, &day, &kind);
	for (days = 0; days < 370; days++) {
		while (r + 1 < day.n && day.r[r + 1].start_min == day.r[r].end_min)
			r++;
		if (day.r[r].end_min < 24 * 60)
			break;
		{
			struct hours_date next = hours_date_add(&date, 1);
			struct hours_day nd;

			hours_for_date(h, &next, &nd, &kind);
			if (nd.n == 0 || nd.r[0].start_min != 0)
				break;
			date = next;
			day = nd;
			r = 0;
		}
	}
	return hours_local_time(&date, day.r[r].end_min);
}

bool
hours_open_at(const struct hours *h, time_t t, time_t *closes_at)
{
	struct hours_date date = hours_local_date(t);
	struct hours_day day;
	enum hours_kind kind;
	int i;

	hours_for_date(h, &date, &day, &kind);
	for (i = 0; i < day.n; i++) {
		time_t start = hours_local_time(&date, day.r[i].start_min);
		time_t end = hours_local_time(&date, day.r[i].end_min);

		if (t < start || t >= end)
			continue;
		if (closes_at)
			*closes_at = stretch_end(h, date, i);
		return true;
	}
	return false;
}

int
hours_next_open(const struct hours *h, time_t t, int days, time_t *next)
{
	struct hours_date today = hours_local_date(t);
	int n, i;

	for (n = 0; n <= days; n++) {
		struct hours_date date = hours_date_add(&today, n);
		struct hours_day day;
		enum hours_kind kind;

		hours_for_date(h, &date, &day, &kind);
		for (i = 0; i < day.n; i++) {
			time_t start = hours_local_time(&date, day.r[i].start_min);

			/* A range that continues an open stretch is no opening. */
			if (start <= t || hours_open_at(h, start - 1, NULL))
				continue;
			if (start - t > (time_t)days * 86400)
				return -1;
			*next = start;
			return 0;
		}
	}
	return -1;
}

/* ---------------------------------------------------------- formatting */

void
hours_format_rfc3339(time_t t, char *buf, size_t n)
{
	struct tm tm;
	char base[32];
	long off;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, n, "1970-01-01T00:00:00Z");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, n, "%s%c%02ld:%02ld", base, off < 0 ? '-' : '+',
		 labs(off) / 60, labs(off) % 60);
}

void
hours_format_day(const struct hours_day *day, char *buf, size_t n)
{
	size_t used = 0;
	int i;

	if (day->n == 0) {
		snprintf(buf, n, "closed");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < day->n && used < n; i++) {
		const struct hours_range *r = &day->r[i];
		int w = snprintf(buf + used, n - used, "%s%02d:%02d-%02d:%02d",
				 i ? ", " : "", r->start_min / 60,
				 r->start_min % 60, r->end_min / 60,
				 r->end_min % 60);

		if (w < 0)
			return;
		used += (size_t)w;
	}
}

void
hours_format_line(const struct hours *h, const struct hours_date *date,
		  char *buf, size_t n)
{
	static const char *names[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
				       "Sat", "Sun" };
	struct hours_day day;
	enum hours_kind kind;
	char ranges[160];

	hours_for_date(h, date, &day, &kind);
	hours_format_day(&day, ranges, sizeof(ranges));
	snprintf(buf, n, "%04d-%02d-%02d %s %s%s", date->y, date->m, date->d,
		 names[hours_weekday(date)], ranges,
		 kind == HOURS_HOLIDAY ? " (holiday)"
		 : kind == HOURS_EXCEPTION ? " (exception)" : "");
}

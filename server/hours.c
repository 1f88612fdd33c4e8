/*
 * hours.c - opening hours: weekly ranges, dated exceptions and Finnish
 * public holidays, read in one IANA zone (see hours.h).
 *
 * Dates are plain civil dates. Calendar arithmetic is whole days counted
 * from 1970-01-01 (hours_day_number), which never meets a DST change; only
 * hours_local_time and hours_local_date cross between a local date and an
 * instant, and they leave every zone rule to libc (localtime_r under TZ).
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>

#include "hours.h"

#define DAY_SECONDS 86400L
#define DAY_MINUTES (24 * 60)

/* Bumped by hours_tz_apply, so that a cached text of another zone is
 * never handed out. */
static atomic_uint zone_generation;

static const char *const weekday_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

static void
set_why(const char **why, const char *reason)
{
	if (why)
		*why = reason;
}

/* ------------------------------------------------------- civil dates */

/* Floor division: days before 1970 and years before 0 are negative, and
 * C's division truncates towards zero. */
static long
floor_div(long a, long b)
{
	long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Counted from 1 March, a year ends with its leap day, so the days before
 * a month no longer depend on the year: 153 days for every five months
 * (31 30 31 30 31), spread by (153 * m + 2) / 5. 400 Gregorian years are
 * exactly 146097 days, and 1 March of year 0 is 719468 days before
 * 1970-01-01.
 */
long
hours_day_number(const struct hours_date *date)
{
	long march_month = (date->m + 9) % 12;          /* March = 0 */
	long y = date->y - (date->m <= 2);              /* year from March */
	long era = floor_div(y, 400);
	long year_of_era = y - era * 400;               /* 0..399 */
	long day_of_year = (153 * march_month + 2) / 5 + date->d - 1;
	long day_of_era = year_of_era * 365 + year_of_era / 4 -
			  year_of_era / 100 + day_of_year;

	return era * 146097 + day_of_era - 719468;
}

/* The inverse by search: the year from the mean Gregorian year, corrected
 * by at most a step either way, then the month and the day. */
struct hours_date
hours_date_of_day(long n)
{
	struct hours_date d = { 1970, 1, 1 }, next;

	d.y = (int)(1970 + floor_div(n * 400, 146097));
	while (hours_day_number(&d) > n)
		d.y--;
	for (;;) {
		next = (struct hours_date){ d.y + 1, 1, 1 };
		if (hours_day_number(&next) > n)
			break;
		d.y++;
	}
	while (d.m < 12) {
		next = (struct hours_date){ d.y, d.m + 1, 1 };
		if (hours_day_number(&next) > n)
			break;
		d.m++;
	}
	d.d = (int)(n - hours_day_number(&d)) + 1;
	return d;
}

int
hours_weekday(const struct hours_date *date)
{
	/* 1970-01-01 was a Thursday, 3 when Monday is 0. */
	long wd = (hours_day_number(date) + 3) % 7;

	return (int)(wd < 0 ? wd + 7 : wd);
}

struct hours_date
hours_date_add(const struct hours_date *date, int n)
{
	return hours_date_of_day(hours_day_number(date) + n);
}

int
hours_date_cmp(const struct hours_date *a, const struct hours_date *b)
{
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	if (a->m != b->m)
		return a->m < b->m ? -1 : 1;
	if (a->d != b->d)
		return a->d < b->d ? -1 : 1;
	return 0;
}

void
hours_format_date(const struct hours_date *date, char *buf, size_t n)
{
	snprintf(buf, n, "%04d-%02d-%02d", date->y, date->m, date->d);
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_length(int y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };

	return (m == 2 && leap_year(y)) ? 29 : len[m - 1];
}

/* ----------------------------------------------------------- parsing */

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Read "H:MM" or "HH:MM" at *s into minutes from midnight, 24:00 included.
 * Returns 0 and advances *s, or -1 with *why set. */
static int
parse_clock(const char **s, int *minutes, const char **why)
{
	const char *p = *s;
	int h = 0, digits = 0, m;

	while (isdigit((unsigned char)*p) && digits < 3) {
		h = h * 10 + (*p++ - '0');
		digits++;
	}
	if (digits < 1 || digits > 2 || p[0] != ':' ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    isdigit((unsigned char)p[3])) {
		set_why(why, "expected HH:MM-HH:MM or closed");
		return -1;
	}
	m = (p[1] - '0') * 10 + (p[2] - '0');
	if (h > 24 || (h == 24 && m != 0)) {
		set_why(why, "hour out of range");
		return -1;
	}
	if (m > 59) {
		set_why(why, "minute out of range");
		return -1;
	}
	*minutes = h * 60 + m;
	*s = p + 3;
	return 0;
}

/* "HH:MM-HH:MM" at *s (blanks around '-' allowed). */
static int
parse_range(const char **s, struct hours_range *r, const char **why)
{
	if (parse_clock(s, &r->start_min, why))
		return -1;
	*s = skip_blanks(*s);
	if (**s != '-') {
		set_why(why, "expected HH:MM-HH:MM or closed");
		return -1;
	}
	*s = skip_blanks(*s + 1);
	if (parse_clock(s, &r->end_min, why))
		return -1;
	if (r->start_min == DAY_MINUTES) {
		set_why(why, "24:00 is allowed only as an end");
		return -1;
	}
	if (r->end_min < r->start_min) {
		set_why(why, "end before start");
		return -1;
	}
	if (r->end_min == r->start_min) {
		set_why(why, "empty range (end equals start)");
		return -1;
	}
	return 0;
}

/* The new range must come after the last one; touching is fine. */
static int
check_order(const struct hours_day *day, const struct hours_range *r,
	    const char **why)
{
	const struct hours_range *last;

	if (day->n == 0)
		return 0;
	last = &day->r[day->n - 1];
	if (r->start_min >= last->end_min)
		return 0;
	if (r->end_min > last->start_min)
		set_why(why, "overlapping ranges");
	else
		set_why(why, "ranges must be in increasing order");
	return -1;
}

static bool
is_closed_word(const char *s)
{
	return strncasecmp(s, "closed", 6) == 0 && *skip_blanks(s + 6) == '\0';
}

int
hours_parse_day(const char *text, struct hours_day *out, const char **why)
{
	const char *s = skip_blanks(text);
	struct hours_day day;

	memset(&day, 0, sizeof(day));
	if (is_closed_word(s)) {
		*out = day;
		return 0;
	}
	for (;;) {
		struct hours_range r;

		if (day.n == HOURS_MAX_RANGES) {
			set_why(why, "too many ranges in one day (at most 8)");
			return -1;
		}
		if (parse_range(&s, &r, why) || check_order(&day, &r, why))
			return -1;
		day.r[day.n++] = r;
		s = skip_blanks(s);
		if (*s == '\0')
			break;
		if (*s != ',') {
			set_why(why, "expected HH:MM-HH:MM or closed");
			return -1;
		}
		s = skip_blanks(s + 1);
	}
	*out = day;
	return 0;
}

int
hours_parse_date(const char *text, struct hours_date *out)
{
	struct hours_date d;
	int i;

	if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
			return -1;
	d.y = atoi(text);
	d.m = atoi(text + 5);
	d.d = atoi(text + 8);
	if (d.y < 1970 || d.m < 1 || d.m > 12 || d.d < 1 ||
	    d.d > month_length(d.y, d.m))
		return -1;
	*out = d;
	return 0;
}

/* ---------------------------------------------------------- timezone */

/* Only the characters IANA names use. No '.', so no ".." and no hidden
 * files; no leading '/', so the name cannot leave the zone directory. */
static bool
zone_name_shape_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= HOURS_TZ_MAX || name[0] == '/' ||
	    name[n - 1] == '/' || strstr(name, "//"))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    !strchr("/_+-", name[i]))
			return false;
	return true;
}

/* A regular file that starts with the TZif magic. */
static bool
is_tzif_file(const char *path)
{
	struct stat st;
	char magic[4];
	FILE *f;
	bool ok;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	     memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

bool
hours_timezone_valid(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	int n;

	if (!name || !zone_name_shape_ok(name))
		return false;
	/* libc reads TZ from TZDIR when it is set, so check the same place. */
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return is_tzif_file(path);
}

int
hours_tz_apply(const struct hours *h)
{
	if (!hours_timezone_valid(h->timezone))
		return -1;
	if (setenv("TZ", h->timezone, 1) != 0)
		return -1;
	tzset();
	atomic_fetch_add_explicit(&zone_generation, 1, memory_order_release);
	return 0;
}

/* ---------------------------------------------------------- schedule */

int
hours_add_exception(struct hours *h, const struct hours_date *date,
		    const struct hours_day *day, const char **why)
{
	struct hours_exception *grown;
	size_t at = 0;

	while (at < h->n_exceptions &&
	       hours_date_cmp(&h->exceptions[at].date, date) < 0)
		at++;
	if (at < h->n_exceptions &&
	    hours_date_cmp(&h->exceptions[at].date, date) == 0) {
		set_why(why, "date given twice");
		return -1;
	}
	grown = realloc(h->exceptions, (h->n_exceptions + 1) * sizeof(*grown));
	if (!grown) {
		set_why(why, "out of memory");
		return -1;
	}
	memmove(grown + at + 1, grown + at,
		(h->n_exceptions - at) * sizeof(*grown));
	grown[at].date = *date;
	grown[at].day = *day;
	h->exceptions = grown;
	h->n_exceptions++;
	return 0;
}

int
hours_copy(struct hours *dst, const struct hours *src)
{
	size_t size = src->n_exceptions * sizeof(*src->exceptions);

	*dst = *src;
	dst->exceptions = NULL;
	if (src->n_exceptions == 0)
		return 0;
	dst->exceptions = malloc(size);
	if (!dst->exceptions) {
		dst->n_exceptions = 0;
		return -1;
	}
	memcpy(dst->exceptions, src->exceptions, size);
	return 0;
}

void
hours_free(struct hours *h)
{
	free(h->exceptions);
	h->exceptions = NULL;
	h->n_exceptions = 0;
}

/* ---------------------------------------------------------- holidays */

struct hours_date
hours_easter(int y)
{
	/* The anonymous Gregorian computus: golden number, century
	 * corrections, epact, then the Sunday after the paschal full moon. */
	int golden = y % 19, century = y / 100, year_in_century = y % 100;
	int leap_skip = century / 4, century_rest = century % 4;
	int moon_fix = (century + 8) / 25;
	int moon_shift = (century - moon_fix + 1) / 3;
	int epact = (19 * golden + century - leap_skip - moon_shift + 15) % 30;
	int to_sunday = (32 + 2 * century_rest + 2 * (year_in_century / 4) -
			 epact - year_in_century % 4) % 7;
	int late = (golden + 11 * epact + 22 * to_sunday) / 451;
	int days = epact + to_sunday - 7 * late + 114;
	struct hours_date out;

	out.y = y;
	out.m = days / 31;
	out.d = days % 31 + 1;
	return out;
}

/* Is date the given weekday and within [first, first + 6] of month m?
 * (Midsummer is "the Saturday of 20-26 June", and so on.) */
static bool
weekday_in_week(const struct hours_date *date, int m, int first, int wd)
{
	return date->m == m && date->d >= first && date->d <= first + 6 &&
	       hours_weekday(date) == wd;
}

static const char *
fixed_holiday(const struct hours_date *date)
{
	static const struct {
		int m, d;
		const char *name;
	} fixed[] = {
		{ 1, 1, "uudenvuodenpäivä" },
		{ 1, 6, "loppiainen" },
		{ 5, 1, "vappu" },
		{ 12, 6, "itsenäisyyspäivä" },
		{ 12, 24, "jouluaatto" },
		{ 12, 25, "joulupäivä" },
		{ 12, 26, "tapaninpäivä" },
	};
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (fixed[i].m == date->m && fixed[i].d == date->d)
			return fixed[i].name;
	return NULL;
}

static const char *
easter_holiday(const struct hours_date *date)
{
	static const struct {
		int offset;
		const char *name;
	} moving[] = {
		{ -2, "pitkäperjantai" },
		{ 0, "pääsiäispäivä" },
		{ 1, "2. pääsiäispäivä" },
		{ 39, "helatorstai" },
		{ 49, "helluntaipäivä" },
	};
	struct hours_date easter = hours_easter(date->y);
	long offset = hours_day_number(date) - hours_day_number(&easter);
	size_t i;

	for (i = 0; i < sizeof(moving) / sizeof(moving[0]); i++)
		if (moving[i].offset == offset)
			return moving[i].name;
	return NULL;
}

static const char *
weekday_holiday(const struct hours_date *date)
{
	if (weekday_in_week(date, 6, 19, 4))
		return "juhannusaatto";
	if (weekday_in_week(date, 6, 20, 5))
		return "juhannuspäivä";
	/* All Saints' Day: the Saturday of 31 October - 6 November. */
	if (hours_weekday(date) == 5 &&
	    ((date->m == 10 && date->d == 31) ||
	     (date->m == 11 && date->d <= 6)))
		return "pyhäinpäivä";
	return NULL;
}

bool
hours_fi_holiday(const struct hours_date *date, const char **name)
{
	const char *found = fixed_holiday(date);

	if (!found)
		found = easter_holiday(date);
	if (!found)
		found = weekday_holiday(date);
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
		if (hours_date_cmp(&h->exceptions[i].date, date) == 0) {
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

/* ---------------------------------------------------------- instants */

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

static long
utc_offset_at(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_gmtoff;
}

/* Does instant t show the wall clock `wall` (wall read as if UTC)? */
static bool
shows_wall(time_t t, time_t wall)
{
	return t + utc_offset_at(t) == wall;
}

/*
 * mktime with tm_isdst = -1 picks either hour of a repeated hour depending
 * on what it was last asked, so the two candidates are worked out here:
 * the offset a day before and a day after the wall time bracket any one
 * change. Both show the wall clock: repeated hour, take the earlier. Neither
 * does: a gap, read the wall clock with the offset from before the jump.
 */
time_t
hours_local_time(const struct hours_date *date, int minute)
{
	time_t wall = (time_t)hours_day_number(date) * DAY_SECONDS +
		      (time_t)minute * 60;
	time_t before = wall - utc_offset_at(wall - DAY_SECONDS);
	time_t after = wall - utc_offset_at(wall + DAY_SECONDS);
	bool before_ok = shows_wall(before, wall);
	bool after_ok = shows_wall(after, wall);

	if (before_ok && after_ok)
		return before < after ? before : after;
	if (after_ok)
		return after;
	return before;
}

/* Does range i of `day` on `date` begin an open stretch, rather than carry
 * on one that touches it (same day, or the day before ending at 24:00)? */
static bool
starts_stretch(const struct hours *h, const struct hours_date *date,
	       const struct hours_day *day, int i)
{
	struct hours_date prev_date;
	struct hours_day prev;
	enum hours_kind kind;

	if (i > 0)
		return day->r[i - 1].end_min != day->r[i].start_min;
	if (day->r[0].start_min != 0)
		return true;
	prev_date = hours_date_add(date, -1);
	hours_for_date(h, &prev_date, &prev, &kind);
	return prev.n == 0 || prev.r[prev.n - 1].end_min != DAY_MINUTES;
}

/* How far a schedule open round the clock is followed for closes_at. */
#define STRETCH_MAX_DAYS 366

/* The end of the stretch that range i of `date` belongs to: touching
 * ranges join, and so do 24:00 and the next day's 00:00. */
static time_t
stretch_end(const struct hours *h, struct hours_date date, int i)
{
	struct hours_day day;
	enum hours_kind kind;
	int days;

	hours_for_date(h, &date, &day, &kind);
	for (days = 0; days < STRETCH_MAX_DAYS; days++) {
		struct hours_date next = hours_date_add(&date, 1);
		struct hours_day next_day;

		while (i + 1 < day.n &&
		       day.r[i + 1].start_min == day.r[i].end_min)
			i++;
		if (day.r[i].end_min != DAY_MINUTES)
			break;
		hours_for_date(h, &next, &next_day, &kind);
		if (next_day.n == 0 || next_day.r[0].start_min != 0)
			break;
		date = next;
		day = next_day;
		i = 0;
	}
	return hours_local_time(&date, day.r[i].end_min);
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

/* A bound on the scan, so a huge `days` cannot loop for ages. */
#define NEXT_OPEN_MAX_DAYS 3660

/*
 * "Within `days` days" is taken literally: the opening must be no later
 * than t + days * 24 h. Local dates are scanned one past that so an opening
 * late on the last day is not missed.
 */
int
hours_next_open(const struct hours *h, time_t t, int days, time_t *next)
{
	struct hours_date today = hours_local_date(t);
	time_t horizon;
	int n, i;

	if (days < 0)
		return -1;
	if (days > NEXT_OPEN_MAX_DAYS)
		days = NEXT_OPEN_MAX_DAYS;
	horizon = t + (time_t)days * DAY_SECONDS;
	for (n = 0; n <= days + 1; n++) {
		struct hours_date date = hours_date_add(&today, n);
		struct hours_day day;
		enum hours_kind kind;

		hours_for_date(h, &date, &day, &kind);
		for (i = 0; i < day.n; i++) {
			time_t start = hours_local_time(&date,
							 day.r[i].start_min);

			if (start <= t || !starts_stretch(h, &date, &day, i))
				continue;
			if (start > horizon)
				return -1;
			*next = start;
			return 0;
		}
	}
	return -1;
}

/* -------------------------------------------------------- formatting */

/* Two decimal digits of 0 <= v <= 99. */
static char *
two_digits(char *p, long v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/*
 * The RFC 3339 text of tm (with `off` minutes east of UTC) into out, which
 * holds HOURS_RFC3339_MAX bytes; returns its length. The usual years and
 * offsets are written by hand, since this runs for every message frame;
 * anything else (a year outside 0-9999) goes through snprintf, whose
 * spelling the hand-written one matches.
 */
static size_t
format_tm(const struct tm *tm, long off, char *out)
{
	long year = (long)tm->tm_year + 1900, a = labs(off);
	char *p = out;
	int n;

	if (year < 0 || year > 9999 || a / 60 > 99) {
		n = snprintf(out, HOURS_RFC3339_MAX,
			     "%04ld-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", year,
			     tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min,
			     tm->tm_sec, off < 0 ? '-' : '+', a / 60, a % 60);
		return n < 0 ? 0 : strlen(out);
	}
	p = two_digits(p, year / 100);
	p = two_digits(p, year % 100);
	*p++ = '-';
	p = two_digits(p, tm->tm_mon + 1);
	*p++ = '-';
	p = two_digits(p, tm->tm_mday);
	*p++ = 'T';
	p = two_digits(p, tm->tm_hour);
	*p++ = ':';
	p = two_digits(p, tm->tm_min);
	*p++ = ':';
	p = two_digits(p, tm->tm_sec);
	*p++ = off < 0 ? '-' : '+';
	p = two_digits(p, a / 60);
	*p++ = ':';
	p = two_digits(p, a % 60);
	*p = '\0';
	return (size_t)(p - out);
}

size_t
hours_format_rfc3339(time_t t, char *buf, size_t n)
{
	/* The last instant formatted on this thread: messages of one second
	 * all carry the same time, and localtime_r takes libc's zone lock. */
	static _Thread_local struct {
		bool valid;
		unsigned generation;
		time_t t;
		size_t len;
		char text[HOURS_RFC3339_MAX];
	} last;
	unsigned gen = atomic_load_explicit(&zone_generation,
					    memory_order_acquire);
	size_t len;
	struct tm tm;

	if (!last.valid || last.t != t || last.generation != gen) {
		if (!localtime_r(&t, &tm)) {
			/* Not cached: a later call may succeed. */
			snprintf(buf, n, "1970-01-01T00:00:00+00:00");
			return n ? strlen(buf) : 0;
		}
		last.len = format_tm(&tm, tm.tm_gmtoff / 60, last.text);
		last.t = t;
		last.generation = gen;
		last.valid = true;
	}
	if (n == 0)
		return 0;
	len = last.len < n - 1 ? last.len : n - 1;
	memcpy(buf, last.text, len);
	buf[len] = '\0';
	return len;
}

void
hours_format_day(const struct hours_day *day, char *buf, size_t n)
{
	size_t used = 0;
	int i;

	if (n == 0)
		return;
	if (day->n == 0) {
		snprintf(buf, n, "closed");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < day->n && used < n; i++) {
		const struct hours_range *r = &day->r[i];
		int w = snprintf(buf + used, n - used, "%s%02d:%02d-%02d:%02d",
				 i > 0 ? ", " : "", r->start_min / 60,
				 r->start_min % 60, r->end_min / 60,
				 r->end_min % 60);

		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static const char *
kind_suffix(enum hours_kind kind)
{
	switch (kind) {
	case HOURS_EXCEPTION:
		return " (exception)";
	case HOURS_HOLIDAY:
		return " (holiday)";
	case HOURS_REGULAR:
		break;
	}
	return "";
}

void
hours_format_line(const struct hours *h, const struct hours_date *date,
		  char *buf, size_t n)
{
	struct hours_day day;
	enum hours_kind kind;
	char ranges[160];

	hours_for_date(h, date, &day, &kind);
	hours_format_day(&day, ranges, sizeof(ranges));
	snprintf(buf, n, "%04d-%02d-%02d %s %s%s", date->y, date->m, date->d,
		 weekday_names[hours_weekday(date)], ranges, kind_suffix(kind));
}

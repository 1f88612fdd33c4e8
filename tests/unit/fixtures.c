/*
 * fixtures.c - what several unit test groups build the same way: the
 * process zone set to Europe/Helsinki (the zone of every expected local
 * time in these tests), a day's ranges parsed or the case failed, the usual
 * weekday schedule, and UTC instants written as calendar fields.
 *
 * Declared in unit.h. Pure: no files, no sockets; the only process-wide
 * state touched is TZ, by unit_setup_helsinki.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hours.h"
#include "unit.h"

int
unit_setup_helsinki(void **state)
{
	struct hours zone;

	(void)state;
	memset(&zone, 0, sizeof(zone));
	snprintf(zone.timezone, sizeof(zone.timezone), "Europe/Helsinki");
	return hours_tz_apply(&zone);
}

void
unit_set_day(struct hours_day *day, const char *text)
{
	const char *why = NULL;

	if (hours_parse_day(text, day, &why) != 0)
		fail_msg("'%s': %s", text, why);
}

void
unit_weekday_hours(struct hours *h)
{
	int d;

	memset(h, 0, sizeof(*h));
	snprintf(h->timezone, sizeof(h->timezone), "Europe/Helsinki");
	for (d = 0; d < 7; d++)
		unit_set_day(&h->week[d], d < 5 ? "09:00-11:00" : "closed");
}

time_t
unit_utc(int year, int month, int day, int hour, int min, int sec)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	return timegm(&tm);
}

/*
 * report.h - the service report: one self-contained HTML page for the people
 * who plan the service (`neuvo-admin report`).
 *
 * Pure logic: it draws from the figures of stats.h and the opening hours of
 * hours.h; no SQLite, no libwebsockets. The page makes no request of its own:
 * CSS is inline, charts are inline SVG, there are no scripts, fonts, images
 * or links, and no URL appears in it at all (a CSP meta tag forbids loading
 * anything, should a later edit add one by mistake). Every text that comes from
 * outside (topic and outcome ids, the title) is escaped.
 *
 * Hours of the week follow the process timezone (hours_tz_apply first).
 */
#ifndef NEUVO_REPORT_H
#define NEUVO_REPORT_H

#include "hours.h"
#include "stats.h"

/* What the report is drawn from; everything borrowed. */
struct report_input {
	const struct stats_range *stats;   /* one day per date from..to */
	const struct hours *hours;         /* opening hours of the period */
	const char *title;                 /* NULL: a default title */
	const char *generated;             /* "YYYY-MM-DD" or NULL */
};

/* The whole page as a heap string (caller frees); NULL on OOM or when
 * in->stats has no days. */
char *report_render_html(const struct report_input *in);

/* `s` with & < > " ' replaced by entities, as a heap string (caller frees);
 * NULL on OOM. NULL s gives "". */
char *report_escape(const char *s);

/* How much of local hour `hour` (0..23) of `date` the service was open,
 * 0.0 to 1.0, by hours_for_date (exceptions and holidays included). */
double report_open_share(const struct hours *h, const struct hours_date *date,
			 int hour);

#endif

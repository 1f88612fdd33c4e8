/*
 * report.h - the service report: one self-contained HTML page for the people
 * who plan the service (`neuvo-admin report`).
 *
 * Pure logic: it draws from the figures of stats.h and the opening hours of
 * hours.h; no SQLite, no libwebsockets. The page makes no request of its own:
 * CSS is inline, charts are inline SVG, there are no scripts, fonts, images
 * or links, and no URL appears in it at all (a CSP meta tag forbids loading
 * anything, should a later edit add one by mistake). Every text that comes from
 * outside (the strings, topic and outcome ids, the title) is escaped. Its
 * language is the administrator's choice (neuvo-admin report --lang).
 *
 * Hours of the week follow the process timezone (hours_tz_apply first).
 */
#ifndef NEUVO_REPORT_H
#define NEUVO_REPORT_H

#include <stddef.h>

#include "hours.h"
#include "stats.h"

struct json_t;

/* What the report is drawn from; everything borrowed. */
struct report_input {
	const struct stats_range *stats;   /* one day per date from..to */
	const struct hours *hours;         /* opening hours of the period */
	const char *title;                 /* NULL: the strings' report.title */
	const char *generated;             /* "YYYY-MM-DD" or NULL */
	const struct json_t *strings;      /* one language (report_strings_load) */
	const char *lang;                  /* its id, for <html lang> */
};

/* The whole page as a heap string (caller frees); NULL on OOM, when
 * in->stats has no days or in->strings is NULL. Every label, verdict, axis
 * and note comes from in->strings: the "report.*" keys, and "topic.<id>",
 * "outcome.<id>" and "lang.<id>" for the ids counted (an id without one is
 * shown as it is). A report.* key that is missing shows as its own name;
 * report_strings_missing finds that before rendering. */
char *report_render_html(const struct report_input *in);

/*
 * The strings of language `lang` from the pages' own string file,
 * <web_root>/i18n/<lang>.json (a flat object of "key": "text", with {name}
 * placeholders, shared with the resident page and the console). Returns the
 * object (caller json_decrefs it), or NULL with a one-line reason in why[n]:
 * lang not an id of 1-16 of a-z and _, a file that cannot be read or is
 * not such an object, or a report.* key missing (report_strings_missing).
 */
struct json_t *report_strings_load(const char *web_root, const char *lang,
				   char *why, size_t n);

/* The first report.* key the report uses that `strings` lacks or holds as
 * something other than a string; NULL when none is missing. */
const char *report_strings_missing(const struct json_t *strings);

/* `s` with & < > " ' replaced by entities, as a heap string (caller frees);
 * NULL on OOM. NULL s gives "". */
char *report_escape(const char *s);

/* How much of local hour `hour` (0..23) of `date` the service was open,
 * 0.0 to 1.0, by hours_for_date (exceptions and holidays included). */
double report_open_share(const struct hours *h, const struct hours_date *date,
			 int hour);

#endif

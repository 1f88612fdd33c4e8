/*
 * report_strings.c - the report's words: loading the page's string file
 * (client-web/i18n/<lang>.json), checking it holds every report.* key
 * report.c uses, and filling {name} templates with HTML-safe arguments and
 * numbers in the language's own decimal sign. report.c draws; this file
 * speaks. See report_internal.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "report_internal.h"
#include "sbuf.h"

/* Every report.* key report.c uses; report_strings_missing checks them. */
static const char *const used_keys[] = {
	"report.title", "report.period", "report.made", "report.question",
	"report.verdict_yes", "report.verdict_partly", "report.verdict_no",
	"report.nobody", "report.attempts", "report.closed_share",
	"report.lost", "report.most_often", "report.tile_queued",
	"report.tile_served", "report.tile_left", "report.tile_closed",
	"report.tile_wait", "report.tile_length", "report.tile_feedback",
	"report.week_title", "report.week_note", "report.legend_open",
	"report.legend_served", "report.legend_left", "report.legend_full",
	"report.legend_closed", "report.cell", "report.waits_title",
	"report.waits_p50", "report.waits_p90", "report.waits_note",
	"report.left_title", "report.topics", "report.outcomes",
	"report.languages", "report.none", "report.feedback",
	"report.no_ratings", "report.ratings", "report.rating_poor",
	"report.rating_good", "report.table_title", "report.col_day",
	"report.col_queued", "report.col_served", "report.col_left",
	"report.col_full", "report.col_closed", "report.col_p50",
	"report.col_p90", "report.col_messages", "report.col_feedback",
	"report.footer", "report.dur_s", "report.dur_min", "report.dur_h",
	"report.decimal", "report.weekday_mon", "report.weekday_tue",
	"report.weekday_wed", "report.weekday_thu", "report.weekday_fri",
	"report.weekday_sat", "report.weekday_sun",
	"report.questions_title", "report.questions_line",
	"report.questions_none", "report.told_line", "report.col_questions",
	"report.col_answered", "report.col_blocked", "report.col_urgent",
};

/* s with & < > " ' as HTML entities, appended to o. */
void
report_escape_into(struct sbuf *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': sbuf_adds(o, "&amp;"); break;
		case '<': sbuf_adds(o, "&lt;"); break;
		case '>': sbuf_adds(o, "&gt;"); break;
		case '"': sbuf_adds(o, "&quot;"); break;
		case '\'': sbuf_adds(o, "&#39;"); break;
		default: sbuf_addc(o, *s); break;
		}
	}
}

char *
report_escape(const char *s)
{
	struct sbuf o;

	sbuf_init(&o);
	report_escape_into(&o, s);
	return sbuf_take(&o);
}

/* ------------------------------------------------------------- strings */

/* The string of `key`, or the key itself when it is missing (so a gap
 * shows in the page instead of vanishing). */
const char *
report_tr(const struct report_input *in, const char *key)
{
	const char *v = json_string_value(json_object_get(in->strings, key));

	return v ? v : key;
}

/* The label of an id ("topic." + "housing"), or the id itself. */
const char *
report_tr_id(const struct report_input *in, const char *prefix, const char *id)
{
	char key[STATS_ID_MAX + 16];
	const char *v;

	if (snprintf(key, sizeof(key), "%s%s", prefix, id) >= (int)sizeof(key))
		return id;
	v = json_string_value(json_object_get(in->strings, key));
	return v ? v : id;
}

/* Append template t escaped, each {name} replaced by its argument's HTML;
 * an unknown {name} stays as written. */
void
report_put_tmpl(struct sbuf *o, const char *t, const struct report_arg *args, size_t n_args)
{
	const char *close;
	size_t i, len;

	for (; *t; t++) {
		close = *t == '{' ? strchr(t, '}') : NULL;
		for (i = 0; close && i < n_args; i++) {
			len = strlen(args[i].name);
			if ((size_t)(close - t - 1) == len &&
			    !strncmp(t + 1, args[i].name, len))
				break;
		}
		if (!close || i == n_args) {
			char c[2] = { *t, '\0' };

			report_escape_into(o, c);
			continue;
		}
		sbuf_adds(o, args[i].html);
		t = close;
	}
}

/* put_tmpl of the string of `key`. */
void
report_put_tr(struct sbuf *o, const struct report_input *in, const char *key,
       const struct report_arg *args, size_t n_args)
{
	report_put_tmpl(o, report_tr(in, key), args, n_args);
}

/* put_tr into buf[n] (cut short if need be). */
void
report_tr_into(char *buf, size_t n, const struct report_input *in, const char *key,
	const struct report_arg *args, size_t n_args)
{
	struct sbuf o;
	char *text;

	sbuf_init(&o);
	report_put_tr(&o, in, key, args, n_args);
	text = sbuf_take(&o);
	snprintf(buf, n, "%s", text ? text : "");
	free(text);
}

/* v with `dec` decimals and the language's separator: "4.5" or "4,5". Only
 * "," or ".", whatever the string says: it must not put markup in a
 * number. */
void
report_fmt_number(const struct report_input *in, double v, int dec, char *buf,
	   size_t n)
{
	char *dot;

	snprintf(buf, n, "%.*f", dec, v);
	dot = strchr(buf, '.');
	if (dot && !strcmp(report_tr(in, "report.decimal"), ","))
		*dot = ',';
}

void
report_fmt_decimal(const struct report_input *in, double v, char *buf, size_t n)
{
	report_fmt_number(in, v, 1, buf, n);
}

const char *
report_strings_missing(const json_t *strings)
{
	size_t i;

	for (i = 0; i < N_ARGS(used_keys); i++)
		if (!json_is_string(json_object_get(strings, used_keys[i])))
			return used_keys[i];
	return NULL;
}

/* A language id: 1-16 of a-z and _, so it names a file and nothing else. */
static bool
valid_lang(const char *lang)
{
	size_t n = strlen(lang);

	return n >= 1 && n <= 16 && strspn(lang, "abcdefghijklmnopqrstuvwxyz_")
				    == n;
}

json_t *
report_strings_load(const char *web_root, const char *lang, char *why,
		    size_t n)
{
	char path[4096];
	json_error_t err;
	const char *missing;
	json_t *o;

	if (!valid_lang(lang)) {
		snprintf(why, n, "language '%s' is not an id (a-z, _)", lang);
		return NULL;
	}
	if (snprintf(path, sizeof(path), "%s/i18n/%s.json", web_root, lang) >=
	    (int)sizeof(path)) {
		snprintf(why, n, "web_root path too long");
		return NULL;
	}
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!o) {
		snprintf(why, n, "cannot read the strings %s: %s", path,
			 err.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		snprintf(why, n, "%s is not a JSON object", path);
		json_decref(o);
		return NULL;
	}
	missing = report_strings_missing(o);
	if (missing) {
		snprintf(why, n, "%s has no string %s", path, missing);
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * report_internal.h - what report.c (the drawing) and report_strings.c
 * (the words) share; nothing else includes it. Every function reads the
 * strings of in->strings (a report_strings_load result) and never fails:
 * a missing string shows as its key.
 */
#ifndef NEUVO_REPORT_INTERNAL_H
#define NEUVO_REPORT_INTERNAL_H

#include <stddef.h>

#include "report.h"
#include "sbuf.h"

#define N_ARGS(a) (sizeof(a) / sizeof((a)[0]))

/* One {name} of a template and the HTML that replaces it. */
struct report_arg {
	const char *name;
	const char *html;       /* already safe: made here, escaped if need be */
};

/* s with & < > " ' as HTML entities, appended to o. */
void report_escape_into(struct sbuf *o, const char *s);

/* The string of `key`, or the key itself when it is missing (so a gap
 * shows in the page instead of vanishing). Borrowed from in->strings. */
const char *report_tr(const struct report_input *in, const char *key);

/* The label of an id ("topic." + "housing"), or the id itself. */
const char *report_tr_id(const struct report_input *in, const char *prefix,
			 const char *id);

/* Append template t escaped, each {name} replaced by its argument's HTML;
 * an unknown {name} stays as written. */
void report_put_tmpl(struct sbuf *o, const char *t,
		     const struct report_arg *args, size_t n_args);

/* report_put_tmpl of the string of `key`. */
void report_put_tr(struct sbuf *o, const struct report_input *in,
		   const char *key, const struct report_arg *args,
		   size_t n_args);

/* report_put_tr into buf[n] (cut short if need be). */
void report_tr_into(char *buf, size_t n, const struct report_input *in,
		    const char *key, const struct report_arg *args,
		    size_t n_args);

/* v with `dec` decimals and the language's decimal sign ("," or "."). */
void report_fmt_number(const struct report_input *in, double v, int dec,
		       char *buf, size_t n);

/* report_fmt_number with one decimal. */
void report_fmt_decimal(const struct report_input *in, double v, char *buf,
			size_t n);

#endif

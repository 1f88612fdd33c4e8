/*
 * report.c - the service report as one self-contained HTML page (see
 * report.h). neuvo-admin computes the figures with stats.c and hands them
 * here with the opening hours; this file only draws: inline CSS, inline SVG
 * charts, no scripts and no requests. Its words come from the pages' own
 * string files (client-web/i18n/<lang>.json, the "report.*" keys), so the
 * report speaks the administrators' language with the same translations
 * the residents see; the order of words in a sentence is the string's, with
 * {name} placeholders filled by report_strings.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "report_internal.h"
#include "sbuf.h"

#define C_SERVED "#2f6f9f"
#define C_ABANDONED "#e0912f"
#define C_FULL "#7b5ea7"
#define C_CLOSED "#c2413b"
#define C_OPEN "#cfe8d4"
#define C_P50 "#2f6f9f"
#define C_P90 "#9cc3e0"

static const char *const weekday_keys[7] = {
	"report.weekday_mon", "report.weekday_tue", "report.weekday_wed",
	"report.weekday_thu", "report.weekday_fri", "report.weekday_sat",
	"report.weekday_sun",
};

/* Write s escaped. */
static void
put_text(struct sbuf *o, const char *s)
{
	report_escape_into(o, s);
}

double
report_open_share(const struct hours *h, const struct hours_date *date,
		  int hour)
{
	struct hours_day day;
	enum hours_kind kind;
	int i, open = 0, lo = hour * 60, hi = lo + 60;

	hours_for_date(h, date, &day, &kind);
	for (i = 0; i < day.n; i++) {
		int a = day.r[i].start_min > lo ? day.r[i].start_min : lo;
		int b = day.r[i].end_min < hi ? day.r[i].end_min : hi;

		if (b > a)
			open += b - a;
	}
	return open / 60.0;
}

/* ------------------------------------------------------------- figures */

/* One hour of the week summed over the period. */
struct cell {
	int served, abandoned, full, closed;
	double open;            /* mean open share over the period's days */
};

struct week {
	struct cell c[7][24];
	int max_total;
};

static int
cell_total(const struct cell *c)
{
	return c->served + c->abandoned + c->full + c->closed;
}

static void
build_week(const struct report_input *in, struct week *w)
{
	int n_days[7] = { 0 };
	size_t i;
	int d, h;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < in->stats->n_days; i++) {
		const struct stats_day *day = &in->stats->days[i];
		int wd = hours_weekday(&day->date);

		n_days[wd]++;
		for (h = 0; h < 24; h++) {
			struct cell *c = &w->c[wd][h];

			c->served += day->served_by_hour[h];
			c->abandoned += day->abandoned_by_hour[h];
			c->full += day->queue_full_by_hour[h];
			c->closed += day->closed_by_hour[h];
			c->open += report_open_share(in->hours, &day->date, h);
		}
	}
	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++) {
			if (n_days[d])
				w->c[d][h].open /= n_days[d];
			if (cell_total(&w->c[d][h]) > w->max_total)
				w->max_total = cell_total(&w->c[d][h]);
		}
}

/* "45 s", "3 min 20 s", "1 h 5 min" in the language's words; "–" for none. */
static void
fmt_seconds(const struct report_input *in, int64_t v, char *buf, size_t n)
{
	char h[24], m[24], s[24];
	struct report_arg a[] = { { "h", h }, { "m", m }, { "s", s } };

	if (v < 0) {
		snprintf(buf, n, "–");
		return;
	}
	snprintf(h, sizeof(h), "%lld", (long long)(v / 3600));
	snprintf(m, sizeof(m), "%lld", (long long)(v < 3600 ? v / 60
							    : v % 3600 / 60));
	snprintf(s, sizeof(s), "%lld", (long long)(v < 60 ? v : v % 60));
	report_tr_into(buf, n, in, v < 60 ? "report.dur_s" : v < 3600 ?
		"report.dur_min" : "report.dur_h", a, N_ARGS(a));
}

static int
percent(int part, int whole)
{
	return whole > 0 ? (int)((part * 100.0) / whole + 0.5) : 0;
}

/* "Mon 12–13": a weekday's name and an hour, escaped HTML in buf. */
static void
fmt_when(const struct report_input *in, int wd, int hour, char *buf, size_t n)
{
	char *day = report_escape(report_tr(in, weekday_keys[wd]));

	snprintf(buf, n, "%s %02d–%02d", day ? day : "", hour, hour + 1);
	free(day);
}

/* ------------------------------------------------------------ the page */

static const char *
title(const struct report_input *in)
{
	return in->title ? in->title : report_tr(in, "report.title");
}

static void
put_head(struct sbuf *o, const struct report_input *in)
{
	sbuf_addf(o, "<!DOCTYPE html>\n<html lang=\"");
	put_text(o, in->lang ? in->lang : "en");
	sbuf_addf(o, "\">\n<head>\n"
		  "<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, "
		  "initial-scale=1\">\n"
		  "<meta http-equiv=\"Content-Security-Policy\" content=\""
		  "default-src 'none'; style-src 'unsafe-inline'\">\n<title>");
	put_text(o, title(in));
	sbuf_addf(o, "</title>\n<style>\n"
		  "body{margin:0;background:#f4f5f7;color:#1d2430;"
		  "font:15px/1.5 system-ui,-apple-system,'Segoe UI',"
		  "sans-serif}\n"
		  "main{max-width:1040px;margin:0 auto;"
		  "padding:24px 20px 48px}\n"
		  "h1{font-size:26px;margin:0 0 4px}"
		  "h2{font-size:19px;margin:0 0 8px}\n"
		  ".period{color:#5a6472;margin:0 0 20px}\n"
		  "section{background:#fff;border-radius:10px;"
		  "padding:18px 20px;"
		  "margin:0 0 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\n"
		  ".answer{border-left:6px solid var(--v)}\n"
		  ".verdict{font-size:22px;font-weight:700;color:var(--v)}\n"
		  ".tiles{display:grid;grid-template-columns:repeat(auto-fit,"
		  "minmax(118px,1fr));gap:12px;background:none;box-shadow:none;"
		  "padding:0}\n"
		  ".tile{background:#fff;border-radius:10px;padding:12px 14px;"
		  "box-shadow:0 1px 3px rgba(0,0,0,.08)}\n"
		  ".tile b{display:block;font-size:22px;white-space:nowrap}"
		  ".tile span{color:#5a6472;font-size:13px}\n"
		  ".grid{display:grid;grid-template-columns:repeat(auto-fit,"
		  "minmax(min(420px,100%%),1fr));gap:18px}"
		  ".grid section{margin:0}\n"
		  ".grid svg{max-width:340px}\n"
		  ".legend{display:flex;flex-wrap:wrap;gap:14px;font-size:13px;"
		  "margin:6px 0}\n"
		  ".legend i{display:inline-block;width:12px;height:12px;"
		  "border-radius:2px;margin-right:5px;vertical-align:-1px}\n"
		  ".note{color:#5a6472;font-size:13px}\n"
		  "svg{display:block;width:100%%;height:auto}\n"
		  "svg text{font:11px system-ui,sans-serif;fill:#3b4350}\n"
		  ".grid svg text{font-size:12px}\n"
		  "table{border-collapse:collapse;width:100%%;font-size:13px}\n"
		  "th,td{padding:4px 8px;border-bottom:1px solid #e3e6ea;"
		  "text-align:right}"
		  "th:first-child,td:first-child{text-align:left}\n"
		  "</style>\n</head>\n<body>\n<main>\n");
}

static void
put_header(struct sbuf *o, const struct report_input *in)
{
	const struct stats_range *r = in->stats;
	char from[HOURS_DATE_MAX], to[HOURS_DATE_MAX], days[24];
	struct report_arg a[] = { { "from", from }, { "to", to }, { "days", days } };
	char *made = report_escape(in->generated);
	struct report_arg b[] = { { "date", made ? made : "" } };

	hours_format_date(&r->days[0].date, from, sizeof(from));
	hours_format_date(&r->days[r->n_days - 1].date, to, sizeof(to));
	snprintf(days, sizeof(days), "%zu", r->n_days);
	sbuf_addf(o, "<header>\n<h1>");
	put_text(o, title(in));
	sbuf_addf(o, "</h1>\n<p class=\"period\">");
	report_put_tr(o, in, "report.period", a, N_ARGS(a));
	if (in->generated) {
		sbuf_addf(o, " · ");
		report_put_tr(o, in, "report.made", b, N_ARGS(b));
	}
	sbuf_addf(o, "</p>\n</header>\n");
	free(made);
}

/* The busiest hours of the week for closed-time attempts, as text. */
static void
put_busiest_closed(struct sbuf *o, const struct report_input *in,
		   const struct week *w)
{
	int used[7][24] = { { 0 } };
	int k, d, h;
	struct sbuf list;
	char when[64];
	struct report_arg a[1];

	sbuf_init(&list);
	for (k = 0; k < 3; k++) {
		int bd = -1, bh = -1, best = 0;

		for (d = 0; d < 7; d++)
			for (h = 0; h < 24; h++)
				if (!used[d][h] && w->c[d][h].closed > best) {
					best = w->c[d][h].closed;
					bd = d;
					bh = h;
				}
		if (bd < 0)
			break;
		used[bd][bh] = 1;
		fmt_when(in, bd, bh, when, sizeof(when));
		sbuf_addf(&list, "%s%s (%d)", k ? ", " : "", when, best);
	}
	if (sbuf_failed(&list)) {
		sbuf_fail(o);
		return;
	}
	if (list.len > 0) {
		a[0] = (struct report_arg){ "list", list.s };
		sbuf_addc(o, ' ');
		report_put_tr(o, in, "report.most_often", a, 1);
	}
	sbuf_free(&list);
}

static void
put_answer(struct sbuf *o, const struct report_input *in,
	   const struct stats_day *t, const struct week *w)
{
	int attempts = t->started + t->queue_full + t->closed_attempts;
	int closed = percent(t->closed_attempts, attempts);
	int lost = percent(t->abandoned + t->queue_full, attempts);
	const char *verdict = closed + lost < 10 ? "report.verdict_yes"
			      : closed + lost < 30 ? "report.verdict_partly"
			      : "report.verdict_no";
	const char *color = closed + lost < 10 ? "#2e7d4f"
			    : closed + lost < 30 ? "#b7791f" : C_CLOSED;
	char n[24], cl[64], full[24], left[24], pct[24];
	struct report_arg a_n[] = { { "n", n } };
	struct report_arg a_cl[] = { { "closed", cl } };
	struct report_arg a_lost[] = { { "full", full }, { "left", left },
				{ "percent", pct } };

	sbuf_addf(o, "<section class=\"answer\" style=\"--v:%s\">\n<h2>",
		  color);
	report_put_tr(o, in, "report.question", NULL, 0);
	sbuf_addf(o, "</h2>\n");
	if (attempts == 0) {
		sbuf_addf(o, "<p>");
		report_put_tr(o, in, "report.nobody", NULL, 0);
		sbuf_addf(o, "</p>\n</section>\n");
		return;
	}
	snprintf(n, sizeof(n), "%d", attempts);
	snprintf(cl, sizeof(cl), "<b>%d (%d %%)</b>", t->closed_attempts,
		 closed);
	snprintf(full, sizeof(full), "%d", t->queue_full);
	snprintf(left, sizeof(left), "%d", t->abandoned);
	snprintf(pct, sizeof(pct), "%d", lost);
	sbuf_addf(o, "<p class=\"verdict\">");
	report_put_tr(o, in, verdict, NULL, 0);
	sbuf_addf(o, "</p>\n<p>");
	report_put_tr(o, in, "report.attempts", a_n, N_ARGS(a_n));
	sbuf_addc(o, ' ');
	report_put_tr(o, in, "report.closed_share", a_cl, N_ARGS(a_cl));
	sbuf_addc(o, ' ');
	report_put_tr(o, in, "report.lost", a_lost, N_ARGS(a_lost));
	put_busiest_closed(o, in, w);
	sbuf_addf(o, "</p>\n</section>\n");
}

static void
put_tile(struct sbuf *o, const struct report_input *in, const char *value,
	 const char *key)
{
	sbuf_addf(o, "<div class=\"tile\"><b>%s</b><span>", value);
	report_put_tr(o, in, key, NULL, 0);
	sbuf_addf(o, "</span></div>\n");
}

static void
put_tiles(struct sbuf *o, const struct report_input *in,
	  const struct stats_day *t)
{
	char v[96], avg[32];
	double a = stats_feedback_avg(t);

	sbuf_addf(o, "<section class=\"tiles\">\n");
	snprintf(v, sizeof(v), "%d", t->started);
	put_tile(o, in, v, "report.tile_queued");
	snprintf(v, sizeof(v), "%d", t->served);
	put_tile(o, in, v, "report.tile_served");
	snprintf(v, sizeof(v), "%d %%", percent(t->abandoned,
						t->served + t->abandoned));
	put_tile(o, in, v, "report.tile_left");
	snprintf(v, sizeof(v), "%d", t->closed_attempts);
	put_tile(o, in, v, "report.tile_closed");
	fmt_seconds(in, t->wait_p50, v, sizeof(v));
	put_tile(o, in, v, "report.tile_wait");
	fmt_seconds(in, t->duration_p50, v, sizeof(v));
	put_tile(o, in, v, "report.tile_length");
	if (a < 0) {
		snprintf(v, sizeof(v), "–");
	} else {
		report_fmt_decimal(in, a, avg, sizeof(avg));
		snprintf(v, sizeof(v), "%s / 5", avg);
	}
	put_tile(o, in, v, "report.tile_feedback");
	sbuf_addf(o, "</section>\n");
}

static void
put_legend_item(struct sbuf *o, const struct report_input *in,
		const char *color, const char *key)
{
	sbuf_addf(o, "<span><i style=\"background:%s\"></i>", color);
	report_put_tr(o, in, key, NULL, 0);
	sbuf_addf(o, "</span>");
}

/* One stacked bar segment of the week chart, from the bottom y up. */
static void
put_segment(struct sbuf *o, double x, double *y, double w, int n, double scale,
	    const char *color)
{
	double hgt = n * scale;

	if (n <= 0)
		return;
	*y -= hgt;
	sbuf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		  "height=\"%.1f\" fill=\"%s\"/>", x, *y, w, hgt, color);
}

#define WK_LEFT 44
#define WK_CELL 38
#define WK_ROW 54
#define WK_BAR 44

/* The hover text of one hour of the week. */
static void
put_cell_title(struct sbuf *o, const struct report_input *in,
	       const struct cell *c, int d, int h)
{
	char when[64], served[16], left[16], full[16], closed[16];
	struct report_arg a[] = { { "when", when }, { "served", served },
			   { "left", left }, { "full", full },
			   { "closed", closed } };

	fmt_when(in, d, h, when, sizeof(when));
	snprintf(served, sizeof(served), "%d", c->served);
	snprintf(left, sizeof(left), "%d", c->abandoned);
	snprintf(full, sizeof(full), "%d", c->full);
	snprintf(closed, sizeof(closed), "%d", c->closed);
	sbuf_addf(o, "<title>");
	report_put_tr(o, in, "report.cell", a, N_ARGS(a));
	sbuf_addf(o, "</title>");
}

static void
put_week_cell(struct sbuf *o, const struct report_input *in,
	      const struct cell *c, int d, int h, double scale)
{
	double x = WK_LEFT + h * WK_CELL, base = d * WK_ROW + WK_ROW - 4;
	double y = base;

	if (c->open > 0)
		sbuf_addf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			  "height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\"/>",
			  WK_LEFT + h * WK_CELL, d * WK_ROW + 2, WK_CELL,
			  WK_ROW - 4, C_OPEN, 0.35 + 0.65 * c->open);
	sbuf_addf(o, "<g>");
	put_cell_title(o, in, c, d, h);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->served, scale, C_SERVED);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->abandoned, scale,
		    C_ABANDONED);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->full, scale, C_FULL);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->closed, scale, C_CLOSED);
	if (cell_total(c) > 0)
		sbuf_addf(o, "<text x=\"%.1f\" y=\"%.1f\" "
			  "text-anchor=\"middle\">%d</text>", x + WK_CELL / 2.0,
			  y - 2, cell_total(c));
	sbuf_addf(o, "</g>");
}

static void
put_week_chart(struct sbuf *o, const struct report_input *in,
	       const struct week *w)
{
	double scale = w->max_total ? (double)(WK_BAR - 12) / w->max_total : 0;
	int width = WK_LEFT + 24 * WK_CELL + 4, height = 7 * WK_ROW + 20;
	int d, h;

	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, "report.week_title", NULL, 0);
	sbuf_addf(o, "</h2>\n<p class=\"note\">");
	report_put_tr(o, in, "report.week_note", NULL, 0);
	sbuf_addf(o, "</p>\n<div class=\"legend\">");
	put_legend_item(o, in, C_OPEN, "report.legend_open");
	put_legend_item(o, in, C_SERVED, "report.legend_served");
	put_legend_item(o, in, C_ABANDONED, "report.legend_left");
	put_legend_item(o, in, C_FULL, "report.legend_full");
	put_legend_item(o, in, C_CLOSED, "report.legend_closed");
	sbuf_addf(o, "</div>\n<svg viewBox=\"0 0 %d %d\" role=\"img\" "
		  "aria-label=\"", width, height);
	report_put_tr(o, in, "report.week_title", NULL, 0);
	sbuf_addf(o, "\">\n");
	for (d = 0; d < 7; d++) {
		sbuf_addf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
			  "stroke=\"#d5d9de\"/>", WK_LEFT, width - 4,
			  d * WK_ROW + WK_ROW - 4, d * WK_ROW + WK_ROW - 4);
		sbuf_addf(o, "<text x=\"0\" y=\"%d\">", d * WK_ROW + 32);
		report_put_tr(o, in, weekday_keys[d], NULL, 0);
		sbuf_addf(o, "</text>\n");
		for (h = 0; h < 24; h++)
			put_week_cell(o, in, &w->c[d][h], d, h, scale);
		sbuf_addf(o, "\n");
	}
	for (h = 0; h < 24; h++)
		sbuf_addf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			  "%02d</text>", WK_LEFT + h * WK_CELL + WK_CELL / 2,
			  7 * WK_ROW + 14, h);
	sbuf_addf(o, "\n</svg>\n</section>\n");
}

/* ------------------------------------------------------- per-day charts */

#define DC_LEFT 48
#define DC_W 940
#define DC_H 180

/* One value of a per-day series, or -1 when the day has none. */
typedef double (*day_value)(const struct stats_day *d);

static double
wait50_min(const struct stats_day *d)
{
	return d->wait_p50 < 0 ? -1 : d->wait_p50 / 60.0;
}

static double
wait90_min(const struct stats_day *d)
{
	return d->wait_p90 < 0 ? -1 : d->wait_p90 / 60.0;
}

static double
abandoned_pct(const struct stats_day *d)
{
	int n = d->served + d->abandoned;

	return n ? 100.0 * d->abandoned / n : -1;
}

static double
series_max(const struct stats_range *r, const day_value *fns, int n_fns)
{
	double max = 0;
	size_t i;
	int k;

	for (i = 0; i < r->n_days; i++)
		for (k = 0; k < n_fns; k++)
			if (fns[k](&r->days[i]) > max)
				max = fns[k](&r->days[i]);
	return max;
}

/* The smallest of 1, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten at or
 * above v, so the axis steps (a quarter of it) are round. */
static double
nice_ceiling(double v)
{
	static const double steps[] = { 1, 2, 2.5, 3, 4, 5, 6, 8, 10 };
	double p = 1;
	size_t i;

	if (v <= 0)
		return 1;
	while (p * 10 < v)
		p *= 10;
	while (p > v)
		p /= 10;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] * p >= v)
			return steps[i] * p;
	return 10 * p;
}

/* Decimals that show a step of the axis exactly (0, 1 or 2). */
static int
decimals(double step)
{
	if ((double)(long long)step == step)
		return 0;
	if ((double)(long long)(step * 10) == step * 10)
		return 1;
	return 2;
}

static void
put_axis(struct sbuf *o, const struct report_input *in, double max,
	 const char *unit)
{
	int k, dec = decimals(max / 4);
	char label[48];

	for (k = 0; k <= 4; k++) {
		double y = 10 + (DC_H - 10) * (1 - k / 4.0);

		report_fmt_number(in, max * k / 4, dec, label, sizeof(label));
		sbuf_addf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
			  "y2=\"%.1f\" stroke=\"#e3e6ea\"/><text x=\"%d\" "
			  "y=\"%.1f\" text-anchor=\"end\">%s%s</text>",
			  DC_LEFT, DC_W, y, y, DC_LEFT - 6, y + 4, label, unit);
	}
}

static void
put_day_labels(struct sbuf *o, const struct stats_range *r, double slot)
{
	size_t i, every = r->n_days / 14 + 1;

	for (i = 0; i < r->n_days; i += every) {
		const struct hours_date *d = &r->days[i].date;

		sbuf_addf(o, "<text x=\"%.1f\" y=\"%d\" "
			  "text-anchor=\"middle\">%d.%d.</text>",
			  DC_LEFT + slot * (i + 0.5), DC_H + 16, d->d, d->m);
	}
}

static void
put_day_bars(struct sbuf *o, const struct report_input *in,
	     const day_value *fns, const char *const *colors, int n_fns,
	     double max)
{
	const struct stats_range *r = in->stats;
	double slot = (double)(DC_W - DC_LEFT) / r->n_days;
	double bw = slot * 0.8 / n_fns;
	char label[32];
	size_t i;
	int k;

	for (i = 0; i < r->n_days; i++)
		for (k = 0; k < n_fns; k++) {
			double v = fns[k](&r->days[i]);
			double hgt = max > 0 ? (DC_H - 10) * v / max : 0;

			if (v < 0)
				continue;
			if (hgt < 2)            /* a zero is drawn, as a line */
				hgt = 2;
			report_fmt_decimal(in, v, label, sizeof(label));
			sbuf_addf(o, "<rect x=\"%.1f\" y=\"%.1f\" "
				  "width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
				  "<title>%s</title></rect>",
				  DC_LEFT + slot * i + slot * 0.1 + bw * k,
				  DC_H - hgt, bw, hgt, colors[k], label);
		}
	put_day_labels(o, r, slot);
}

static void
put_day_chart(struct sbuf *o, const struct report_input *in,
	      const day_value *fns, const char *const *colors, int n_fns,
	      const char *unit)
{
	double max = nice_ceiling(series_max(in->stats, fns, n_fns));

	sbuf_addf(o, "<svg viewBox=\"0 0 %d %d\" role=\"img\">\n", DC_W + 4,
		  DC_H + 24);
	put_axis(o, in, max, unit);
	put_day_bars(o, in, fns, colors, n_fns, max);
	sbuf_addf(o, "\n</svg>\n");
}

static void
put_waits(struct sbuf *o, const struct report_input *in)
{
	static const day_value fns[2] = { wait50_min, wait90_min };
	static const char *const colors[2] = { C_P50, C_P90 };

	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, "report.waits_title", NULL, 0);
	sbuf_addf(o, "</h2>\n<div class=\"legend\">");
	put_legend_item(o, in, C_P50, "report.waits_p50");
	put_legend_item(o, in, C_P90, "report.waits_p90");
	sbuf_addf(o, "</div>\n");
	put_day_chart(o, in, fns, colors, 2, "");
	sbuf_addf(o, "<p class=\"note\">");
	report_put_tr(o, in, "report.waits_note", NULL, 0);
	sbuf_addf(o, "</p>\n</section>\n");
}

static void
put_abandoned(struct sbuf *o, const struct report_input *in)
{
	static const day_value fns[1] = { abandoned_pct };
	static const char *const colors[1] = { C_ABANDONED };

	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, "report.left_title", NULL, 0);
	sbuf_addf(o, "</h2>\n");
	put_day_chart(o, in, fns, colors, 1, " %");
	sbuf_addf(o, "</section>\n");
}

/* ---------------------------------------------------- horizontal lists */

static void
put_hbar(struct sbuf *o, int row, const char *label, int n, int max,
	 const char *color)
{
	double w = max ? 120.0 * n / max : 0;
	int y = row * 26;

	sbuf_addf(o, "<text x=\"0\" y=\"%d\">", y + 15);
	put_text(o, label);
	sbuf_addf(o, "</text><rect x=\"112\" y=\"%d\" width=\"%.1f\" "
		  "height=\"18\" rx=\"3\" fill=\"%s\"/><text x=\"%.1f\" "
		  "y=\"%d\">%d</text>\n", y + 2, w, color, 118 + w, y + 15, n);
}

/* Most first; equal counts by id. */
static int
by_count(const void *a, const void *b)
{
	const struct stats_count *x = a, *y = b;

	if (x->n != y->n)
		return y->n - x->n;
	return strcmp(x->id, y->id);
}

/* A list of counts under the heading `key`, each id shown by its label
 * `prefix`<id> from the strings. */
static void
put_counts(struct sbuf *o, const struct report_input *in, const char *key,
	   const char *prefix, const struct stats_counts *c, const char *color)
{
	struct stats_count *sorted;
	size_t i;
	int max = 0;

	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, key, NULL, 0);
	sbuf_addf(o, "</h2>\n");
	if (c->n == 0) {
		sbuf_addf(o, "<p class=\"note\">");
		report_put_tr(o, in, "report.none", NULL, 0);
		sbuf_addf(o, "</p>\n</section>\n");
		return;
	}
	for (i = 0; i < c->n; i++)
		if (c->items[i].n > max)
			max = c->items[i].n;
	sorted = malloc(c->n * sizeof(*sorted));
	if (!sorted) {
		sbuf_fail(o);
		return;
	}
	memcpy(sorted, c->items, c->n * sizeof(*sorted));
	qsort(sorted, c->n, sizeof(*sorted), by_count);
	sbuf_addf(o, "<svg viewBox=\"0 0 270 %zu\" role=\"img\">\n",
		  c->n * 26 + 4);
	for (i = 0; i < c->n; i++)
		put_hbar(o, (int)i, report_tr_id(in, prefix, sorted[i].id),
			 sorted[i].n, max, color);
	sbuf_addf(o, "</svg>\n</section>\n");
	free(sorted);
}

static void
put_feedback(struct sbuf *o, const struct report_input *in,
	     const struct stats_day *t)
{
	const char *labels[5] = { report_tr(in, "report.rating_poor"), "2", "3", "4",
				  report_tr(in, "report.rating_good") };
	char n[24], avg[32];
	struct report_arg a[] = { { "n", n }, { "avg", avg } };
	int k, max = 0;

	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, "report.feedback", NULL, 0);
	sbuf_addf(o, "</h2>\n");
	if (t->feedback_count == 0) {
		sbuf_addf(o, "<p class=\"note\">");
		report_put_tr(o, in, "report.no_ratings", NULL, 0);
		sbuf_addf(o, "</p>\n</section>\n");
		return;
	}
	snprintf(n, sizeof(n), "%d", t->feedback_count);
	report_fmt_decimal(in, stats_feedback_avg(t), avg, sizeof(avg));
	sbuf_addf(o, "<p>");
	report_put_tr(o, in, "report.ratings", a, N_ARGS(a));
	sbuf_addf(o, "</p>\n");
	for (k = 0; k < 5; k++)
		if (t->ratings[k] > max)
			max = t->ratings[k];
	sbuf_addf(o, "<svg viewBox=\"0 0 270 134\" role=\"img\">\n");
	for (k = 4; k >= 0; k--)
		put_hbar(o, 4 - k, labels[k], t->ratings[k], max, C_SERVED);
	sbuf_addf(o, "</svg>\n</section>\n");
}

/* Questions left while closed and honest waiting (CONTRACT.md section 9). */
static void
put_questions(struct sbuf *o, const struct report_input *in,
	      const struct stats_day *t)
{
	char q[24], n[24], p50[96], told[24];
	struct report_arg a[] = { { "n", q }, { "answered", n }, { "p50", p50 } };
	struct report_arg b[] = { { "n", told } };

	snprintf(q, sizeof(q), "%d", t->questions);
	snprintf(n, sizeof(n), "%d", t->answered);
	snprintf(told, sizeof(told), "%d", t->told_may_not_be_served);
	fmt_seconds(in, t->answer_p50, p50, sizeof(p50));
	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, "report.questions_title", NULL, 0);
	sbuf_addf(o, "</h2>\n<p>");
	if (t->questions == 0 && t->answered == 0)
		report_put_tr(o, in, "report.questions_none", NULL, 0);
	else
		report_put_tr(o, in, "report.questions_line", a, N_ARGS(a));
	sbuf_addf(o, "</p>\n<p>");
	report_put_tr(o, in, "report.told_line", b, N_ARGS(b));
	sbuf_addf(o, "</p>\n</section>\n");
}

/* ------------------------------------------------------------ the table */

static void
put_table_row(struct sbuf *o, const struct report_input *in,
	      const struct stats_day *d)
{
	char date[HOURS_DATE_MAX], w50[96], w90[96], avg[32];
	double a = stats_feedback_avg(d);

	hours_format_date(&d->date, date, sizeof(date));
	fmt_seconds(in, d->wait_p50, w50, sizeof(w50));
	fmt_seconds(in, d->wait_p90, w90, sizeof(w90));
	if (a < 0)
		snprintf(avg, sizeof(avg), "–");
	else
		report_fmt_decimal(in, a, avg, sizeof(avg));
	sbuf_addf(o, "<tr><td>");
	report_put_tr(o, in, weekday_keys[hours_weekday(&d->date)], NULL, 0);
	sbuf_addf(o, " %s</td><td>%d</td><td>%d</td><td>%d</td><td>"
		  "%d</td><td>%d</td><td>%s</td><td>%s</td><td>%d</td><td>"
		  "%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>\n",
		  date, d->started, d->served, d->abandoned, d->queue_full,
		  d->closed_attempts, w50, w90, d->messages, avg, d->blocked,
		  d->urgent, d->questions, d->answered);
}

static void
put_table(struct sbuf *o, const struct report_input *in)
{
	static const char *const columns[] = {
		"report.col_day", "report.col_queued", "report.col_served",
		"report.col_left", "report.col_full", "report.col_closed",
		"report.col_p50", "report.col_p90", "report.col_messages",
		"report.col_feedback", "report.col_blocked",
		"report.col_urgent",
		"report.col_questions", "report.col_answered",
	};
	size_t i;

	sbuf_addf(o, "<section>\n<h2>");
	report_put_tr(o, in, "report.table_title", NULL, 0);
	sbuf_addf(o, "</h2>\n<table>\n<thead><tr>");
	for (i = 0; i < N_ARGS(columns); i++) {
		sbuf_addf(o, "<th>");
		report_put_tr(o, in, columns[i], NULL, 0);
		sbuf_addf(o, "</th>");
	}
	sbuf_addf(o, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < in->stats->n_days; i++)
		put_table_row(o, in, &in->stats->days[i]);
	sbuf_addf(o, "</tbody>\n</table>\n</section>\n");
}

static void
put_footer(struct sbuf *o, const struct report_input *in)
{
	sbuf_addf(o, "<p class=\"note\">");
	report_put_tr(o, in, "report.footer", NULL, 0);
	sbuf_addf(o, "</p>\n</main>\n</body>\n</html>\n");
}

char *
report_render_html(const struct report_input *in)
{
	const struct stats_day *total;
	struct sbuf o;
	struct week *w;

	if (!in->stats || in->stats->n_days == 0 || !in->strings)
		return NULL;
	total = &in->stats->total;
	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	build_week(in, w);
	sbuf_init(&o);
	put_head(&o, in);
	put_header(&o, in);
	put_answer(&o, in, total, w);
	put_tiles(&o, in, total);
	put_week_chart(&o, in, w);
	put_waits(&o, in);
	put_abandoned(&o, in);
	sbuf_addf(&o, "<div class=\"grid\">\n");
	put_counts(&o, in, "report.topics", "topic.", &total->topics,
		   C_SERVED);
	put_counts(&o, in, "report.outcomes", "outcome.", &total->outcomes,
		   C_FULL);
	put_feedback(&o, in, total);
	put_counts(&o, in, "report.languages", "lang.", &total->languages,
		   C_P50);
	sbuf_addf(&o, "</div>\n<br>\n");
	put_questions(&o, in, total);
	put_table(&o, in);
	put_footer(&o, in);
	free(w);
	return sbuf_take(&o);
}

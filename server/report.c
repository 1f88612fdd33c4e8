/*
 * report.c - the service report as one self-contained HTML page (see
 * report.h). neuvo-admin computes the figures with stats.c and hands them
 * here with the opening hours; this file only draws: inline CSS, inline SVG
 * charts, no scripts and no requests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define C_SERVED "#2f6f9f"
#define C_ABANDONED "#e0912f"
#define C_FULL "#7b5ea7"
#define C_CLOSED "#c2413b"
#define C_OPEN "#cfe8d4"
#define C_P50 "#2f6f9f"
#define C_P90 "#9cc3e0"

static const char *const weekdays[7] = { "Mon", "Tue", "Wed", "Thu", "Fri",
					 "Sat", "Sun" };

/* A growing heap string; `failed` sticks after the first OOM so callers can
 * write a whole section and check once. */
struct out {
	char *s;
	size_t len, cap;
	int failed;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
out_grow(struct out *o, size_t need)
{
	size_t cap = (o->cap + need + 1) * 2;
	char *ns = realloc(o->s, cap);

	if (!ns)
		return -1;
	o->s = ns;
	o->cap = cap;
	return 0;
}

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	while (!o->failed) {
		va_start(ap, fmt);
		w = vsnprintf(o->s ? o->s + o->len : NULL,
			      o->s ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (w < 0) {
			o->failed = 1;
		} else if (o->s && (size_t)w < o->cap - o->len) {
			o->len += (size_t)w;
			return;
		} else if (out_grow(o, (size_t)w)) {
			o->failed = 1;
		}
	}
}

char *
report_escape(const char *s)
{
	struct out o = { NULL, 0, 0, 0 };

	put(&o, "%s", "");
	for (; s && *s && !o.failed; s++) {
		switch (*s) {
		case '&': put(&o, "&amp;"); break;
		case '<': put(&o, "&lt;"); break;
		case '>': put(&o, "&gt;"); break;
		case '"': put(&o, "&quot;"); break;
		case '\'': put(&o, "&#39;"); break;
		default: put(&o, "%c", *s); break;
		}
	}
	if (o.failed) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

/* Write s escaped. */
static void
put_text(struct out *o, const char *s)
{
	char *e = report_escape(s);

	if (!e) {
		o->failed = 1;
		return;
	}
	put(o, "%s", e);
	free(e);
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

/* "45 s", "3 min 20 s", "1 h 5 min"; "–" for none. */
static void
fmt_seconds(int64_t v, char *buf, size_t n)
{
	if (v < 0)
		snprintf(buf, n, "–");
	else if (v < 60)
		snprintf(buf, n, "%lld s", (long long)v);
	else if (v < 3600)
		snprintf(buf, n, "%lld min %lld s", (long long)(v / 60),
			 (long long)(v % 60));
	else
		snprintf(buf, n, "%lld h %lld min", (long long)(v / 3600),
			 (long long)(v % 3600 / 60));
}

static void
fmt_date(const struct hours_date *d, char *buf, size_t n)
{
	snprintf(buf, n, "%04d-%02d-%02d", d->y, d->m, d->d);
}

static int
percent(int part, int whole)
{
	return whole > 0 ? (int)((part * 100.0) / whole + 0.5) : 0;
}

/* ------------------------------------------------------------ the page */

static void
put_head(struct out *o, const struct report_input *in)
{
	put(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'\">\n<title>");
	put_text(o, in->title ? in->title : "Chat service report");
	put(o, "</title>\n<style>\n"
	    "body{margin:0;background:#f4f5f7;color:#1d2430;"
	    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}\n"
	    "main{max-width:1040px;margin:0 auto;padding:24px 20px 48px}\n"
	    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 8px}\n"
	    ".period{color:#5a6472;margin:0 0 20px}\n"
	    "section{background:#fff;border-radius:10px;padding:18px 20px;"
	    "margin:0 0 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\n"
	    ".answer{border-left:6px solid var(--v)}\n"
	    ".verdict{font-size:22px;font-weight:700;color:var(--v)}\n"
	    ".tiles{display:grid;grid-template-columns:repeat(auto-fit,"
	    "minmax(118px,1fr));gap:12px;background:none;box-shadow:none;"
	    "padding:0}\n"
	    ".tile{background:#fff;border-radius:10px;padding:12px 14px;"
	    "box-shadow:0 1px 3px rgba(0,0,0,.08)}\n"
	    ".tile b{display:block;font-size:22px;white-space:nowrap}.tile span{color:#5a6472;"
	    "font-size:13px}\n"
	    ".grid{display:grid;grid-template-columns:repeat(auto-fit,"
	    "minmax(min(420px,100%%),1fr));gap:18px}.grid section{margin:0}\n"
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
	    "text-align:right}th:first-child,td:first-child{text-align:left}\n"
	    "</style>\n</head>\n<body>\n<main>\n");
}

static void
put_header(struct out *o, const struct report_input *in)
{
	const struct stats_range *r = in->stats;
	char from[16], to[16];

	fmt_date(&r->days[0].date, from, sizeof(from));
	fmt_date(&r->days[r->n_days - 1].date, to, sizeof(to));
	put(o, "<header>\n<h1>");
	put_text(o, in->title ? in->title : "Chat service report");
	put(o, "</h1>\n<p class=\"period\">%s to %s (%zu days, %s time)", from,
	    to, r->n_days, "local");
	if (in->generated) {
		put(o, " · made ");
		put_text(o, in->generated);
	}
	put(o, "</p>\n</header>\n");
}

/* The busiest hours of the week for closed-time attempts, as text. */
static void
put_busiest_closed(struct out *o, const struct week *w)
{
	int used[7][24] = { { 0 } };
	int k, d, h, shown = 0;

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
		put(o, "%s%s %02d–%02d (%d)", shown++ ? ", " : " Most often: ",
		    weekdays[bd], bh, bh + 1, best);
	}
	if (shown)
		put(o, ".");
}

static void
put_answer(struct out *o, const struct stats_day *t, const struct week *w)
{
	int attempts = t->started + t->queue_full + t->closed_attempts;
	int closed = percent(t->closed_attempts, attempts);
	int lost = percent(t->abandoned + t->queue_full, attempts);
	const char *verdict = closed + lost < 10 ? "Yes, mostly"
			      : closed + lost < 30 ? "Partly" : "Often not";
	const char *color = closed + lost < 10 ? "#2e7d4f"
			    : closed + lost < 30 ? "#b7791f" : C_CLOSED;

	put(o, "<section class=\"answer\" style=\"--v:%s\">\n"
	    "<h2>Are we open when people try to reach us?</h2>\n", color);
	if (attempts == 0) {
		put(o, "<p>Nobody tried to start a chat in this period.</p>\n"
		    "</section>\n");
		return;
	}
	put(o, "<p class=\"verdict\">%s</p>\n<p>%d people tried to start a "
	    "chat. <b>%d (%d %%)</b> came while the chat was closed;", verdict,
	    attempts, t->closed_attempts, closed);
	put(o, " %d were turned away because the queue was full and %d left "
	    "the queue before an advisor took them (together %d %%).",
	    t->queue_full, t->abandoned, lost);
	put_busiest_closed(o, w);
	put(o, "</p>\n</section>\n");
}

static void
put_tile(struct out *o, const char *value, const char *label)
{
	put(o, "<div class=\"tile\"><b>%s</b><span>%s</span></div>\n", value,
	    label);
}

static void
put_tiles(struct out *o, const struct stats_day *t)
{
	char v[48];
	double avg = stats_feedback_avg(t);

	put(o, "<section class=\"tiles\">\n");
	snprintf(v, sizeof(v), "%d", t->started);
	put_tile(o, v, "queued for a chat");
	snprintf(v, sizeof(v), "%d", t->served);
	put_tile(o, v, "served by an advisor");
	snprintf(v, sizeof(v), "%d %%", percent(t->abandoned,
						t->served + t->abandoned));
	put_tile(o, v, "left the queue unserved");
	snprintf(v, sizeof(v), "%d", t->closed_attempts);
	put_tile(o, v, "tried while closed");
	fmt_seconds(t->wait_p50, v, sizeof(v));
	put_tile(o, v, "median wait");
	fmt_seconds(t->duration_p50, v, sizeof(v));
	put_tile(o, v, "median chat length");
	if (avg < 0)
		snprintf(v, sizeof(v), "–");
	else
		snprintf(v, sizeof(v), "%.1f / 5", avg);
	put_tile(o, v, "feedback");
	put(o, "</section>\n");
}

static void
put_legend_item(struct out *o, const char *color, const char *label)
{
	put(o, "<span><i style=\"background:%s\"></i>%s</span>", color, label);
}

/* One stacked bar segment of the week chart, from the bottom y up. */
static void
put_segment(struct out *o, double x, double *y, double w, int n, double scale,
	    const char *color)
{
	double hgt = n * scale;

	if (n <= 0)
		return;
	*y -= hgt;
	put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	    "fill=\"%s\"/>", x, *y, w, hgt, color);
}

#define WK_LEFT 44
#define WK_CELL 38
#define WK_ROW 54
#define WK_BAR 44

static void
put_week_cell(struct out *o, const struct cell *c, int d, int h, double scale)
{
	double x = WK_LEFT + h * WK_CELL, base = d * WK_ROW + WK_ROW - 4;
	double y = base;

	if (c->open > 0)
		put(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "fill=\"%s\" fill-opacity=\"%.2f\"/>", WK_LEFT + h * WK_CELL,
		    d * WK_ROW + 2, WK_CELL, WK_ROW - 4, C_OPEN,
		    0.35 + 0.65 * c->open);
	put(o, "<g><title>%s %02d–%02d: %d served, %d left the queue, %d "
	    "turned away (full), %d while closed</title>", weekdays[d], h,
	    h + 1, c->served, c->abandoned, c->full, c->closed);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->served, scale, C_SERVED);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->abandoned, scale,
		    C_ABANDONED);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->full, scale, C_FULL);
	put_segment(o, x + 6, &y, WK_CELL - 12, c->closed, scale, C_CLOSED);
	if (cell_total(c) > 0)
		put(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d"
		    "</text>", x + WK_CELL / 2.0, y - 2, cell_total(c));
	put(o, "</g>");
}

static void
put_week_chart(struct out *o, const struct week *w)
{
	double scale = w->max_total ? (double)(WK_BAR - 12) / w->max_total : 0;
	int width = WK_LEFT + 24 * WK_CELL + 4, height = 7 * WK_ROW + 20;
	int d, h;

	put(o, "<section>\n<h2>Demand by hour of the week</h2>\n<p class=\"note"
	    "\">Each bar is everyone who tried to reach the chat in that hour "
	    "of the week over the whole period, by the hour they arrived. The "
	    "green background is when the chat was open.</p>\n<div class=\""
	    "legend\">");
	put_legend_item(o, C_OPEN, "open");
	put_legend_item(o, C_SERVED, "served");
	put_legend_item(o, C_ABANDONED, "left the queue");
	put_legend_item(o, C_FULL, "turned away, queue full");
	put_legend_item(o, C_CLOSED, "tried while closed");
	put(o, "</div>\n<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\""
	    "Demand by hour of the week\">\n", width, height);
	for (d = 0; d < 7; d++) {
		put(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
		    "stroke=\"#d5d9de\"/>", WK_LEFT, width - 4, d * WK_ROW +
		    WK_ROW - 4, d * WK_ROW + WK_ROW - 4);
		put(o, "<text x=\"0\" y=\"%d\">%s</text>\n", d * WK_ROW + 32,
		    weekdays[d]);
		for (h = 0; h < 24; h++)
			put_week_cell(o, &w->c[d][h], d, h, scale);
		put(o, "\n");
	}
	for (h = 0; h < 24; h++)
		put(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%02d"
		    "</text>", WK_LEFT + h * WK_CELL + WK_CELL / 2,
		    7 * WK_ROW + 14, h);
	put(o, "\n</svg>\n</section>\n");
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
put_axis(struct out *o, double max, const char *unit)
{
	int k, dec = decimals(max / 4);

	for (k = 0; k <= 4; k++) {
		double y = 10 + (DC_H - 10) * (1 - k / 4.0);

		put(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#e3e6ea\"/><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%.*f%s</text>", DC_LEFT, DC_W, y, y,
		    DC_LEFT - 6, y + 4, dec, max * k / 4, unit);
	}
}

static void
put_day_labels(struct out *o, const struct stats_range *r, double slot)
{
	size_t i, every = r->n_days / 14 + 1;

	for (i = 0; i < r->n_days; i += every) {
		const struct hours_date *d = &r->days[i].date;

		put(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
		    "%d.%d.</text>", DC_LEFT + slot * (i + 0.5), DC_H + 16,
		    d->d, d->m);
	}
}

static void
put_day_bars(struct out *o, const struct stats_range *r, const day_value *fns,
	     const char *const *colors, int n_fns, double max)
{
	double slot = (double)(DC_W - DC_LEFT) / r->n_days;
	double bw = slot * 0.8 / n_fns;
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
			put(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"><title>%.1f</title>"
			    "</rect>", DC_LEFT + slot * i + slot * 0.1 + bw * k,
			    DC_H - hgt, bw, hgt, colors[k], v);
		}
	put_day_labels(o, r, slot);
}

static void
put_day_chart(struct out *o, const struct stats_range *r, const day_value *fns,
	      const char *const *colors, int n_fns, const char *unit)
{
	double max = nice_ceiling(series_max(r, fns, n_fns));

	put(o, "<svg viewBox=\"0 0 %d %d\" role=\"img\">\n", DC_W + 4,
	    DC_H + 24);
	put_axis(o, max, unit);
	put_day_bars(o, r, fns, colors, n_fns, max);
	put(o, "\n</svg>\n");
}

static void
put_waits(struct out *o, const struct stats_range *r)
{
	static const day_value fns[2] = { wait50_min, wait90_min };
	static const char *const colors[2] = { C_P50, C_P90 };

	put(o, "<section>\n<h2>Waiting time per day (minutes)</h2>\n<div "
	    "class=\"legend\">");
	put_legend_item(o, C_P50, "half waited less than (median)");
	put_legend_item(o, C_P90, "9 in 10 waited less than");
	put(o, "</div>\n");
	put_day_chart(o, r, fns, colors, 2, "");
	put(o, "<p class=\"note\">Days without a served chat have no bar."
	    "</p>\n</section>\n");
}

static void
put_abandoned(struct out *o, const struct stats_range *r)
{
	static const day_value fns[1] = { abandoned_pct };
	static const char *const colors[1] = { C_ABANDONED };

	put(o, "<section>\n<h2>Share who left the queue before being served"
	    "</h2>\n");
	put_day_chart(o, r, fns, colors, 1, " %");
	put(o, "</section>\n");
}

/* ---------------------------------------------------- horizontal lists */

static void
put_hbar(struct out *o, int row, const char *label, int n, int max,
	 const char *color)
{
	double w = max ? 120.0 * n / max : 0;
	int y = row * 26;

	put(o, "<text x=\"0\" y=\"%d\">", y + 15);
	put_text(o, label);
	put(o, "</text><rect x=\"112\" y=\"%d\" width=\"%.1f\" height=\"18\" "
	    "rx=\"3\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%d</text>\n",
	    y + 2, w, color, 118 + w, y + 15, n);
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

static void
put_counts(struct out *o, const char *title, const struct stats_counts *c,
	   const char *color)
{
	struct stats_count *sorted;
	size_t i;
	int max = 0;

	put(o, "<section>\n<h2>%s</h2>\n", title);
	if (c->n == 0) {
		put(o, "<p class=\"note\">None recorded.</p>\n</section>\n");
		return;
	}
	for (i = 0; i < c->n; i++)
		if (c->items[i].n > max)
			max = c->items[i].n;
	sorted = malloc(c->n * sizeof(*sorted));
	if (!sorted) {
		o->failed = 1;
		return;
	}
	memcpy(sorted, c->items, c->n * sizeof(*sorted));
	qsort(sorted, c->n, sizeof(*sorted), by_count);
	put(o, "<svg viewBox=\"0 0 270 %zu\" role=\"img\">\n", c->n * 26 + 4);
	for (i = 0; i < c->n; i++)
		put_hbar(o, (int)i, sorted[i].id, sorted[i].n, max, color);
	put(o, "</svg>\n</section>\n");
	free(sorted);
}

static void
put_feedback(struct out *o, const struct stats_day *t)
{
	static const char *const labels[5] = { "1 (poor)", "2", "3", "4",
					       "5 (good)" };
	int k, max = 0;

	put(o, "<section>\n<h2>Feedback</h2>\n");
	if (t->feedback_count == 0) {
		put(o, "<p class=\"note\">No ratings given.</p>\n</section>\n");
		return;
	}
	put(o, "<p>%d ratings, on average %.1f of 5.</p>\n", t->feedback_count,
	    stats_feedback_avg(t));
	for (k = 0; k < 5; k++)
		if (t->ratings[k] > max)
			max = t->ratings[k];
	put(o, "<svg viewBox=\"0 0 270 134\" role=\"img\">\n");
	for (k = 4; k >= 0; k--)
		put_hbar(o, 4 - k, labels[k], t->ratings[k], max, C_SERVED);
	put(o, "</svg>\n</section>\n");
}

/* ------------------------------------------------------------ the table */

static void
put_table_row(struct out *o, const struct stats_day *d)
{
	char date[16], w50[32], w90[32], avg[16];
	double a = stats_feedback_avg(d);

	fmt_date(&d->date, date, sizeof(date));
	fmt_seconds(d->wait_p50, w50, sizeof(w50));
	fmt_seconds(d->wait_p90, w90, sizeof(w90));
	if (a < 0)
		snprintf(avg, sizeof(avg), "–");
	else
		snprintf(avg, sizeof(avg), "%.1f", a);
	put(o, "<tr><td>%s %s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
	    "<td>%d</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%d</td>"
	    "</tr>\n",
	    weekdays[hours_weekday(&d->date)], date, d->started, d->served,
	    d->abandoned, d->queue_full, d->closed_attempts, w50, w90,
	    d->messages, avg, d->blocked);
}

static void
put_table(struct out *o, const struct stats_range *r)
{
	size_t i;

	put(o, "<section>\n<h2>Day by day</h2>\n<table>\n<thead><tr><th>day"
	    "</th><th>queued</th><th>served</th><th>left queue</th><th>queue "
	    "full</th><th>while closed</th><th>median wait</th><th>90 %% wait"
	    "</th><th>messages</th><th>feedback</th><th>blocked</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < r->n_days; i++)
		put_table_row(o, &r->days[i]);
	put(o, "</tbody>\n</table>\n</section>\n");
}

static void
put_footer(struct out *o)
{
	put(o, "<p class=\"note\">These figures hold no identifiers: they "
	    "are counted from anonymous events that stay when transcripts are "
	    "deleted after the retention time. Hours are local time. Topics "
	    "come from the advisor's tags, or the topic the resident chose "
	    "when untagged.</p>\n</main>\n</body>\n</html>\n");
}

char *
report_render_html(const struct report_input *in)
{
	struct out o = { NULL, 0, 0, 0 };
	struct week *w;

	if (!in->stats || in->stats->n_days == 0)
		return NULL;
	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	build_week(in, w);
	put_head(&o, in);
	put_header(&o, in);
	put_answer(&o, &in->stats->total, w);
	put_tiles(&o, &in->stats->total);
	put_week_chart(&o, w);
	put_waits(&o, in->stats);
	put_abandoned(&o, in->stats);
	put(&o, "<div class=\"grid\">\n");
	put_counts(&o, "Topics", &in->stats->total.topics, C_SERVED);
	put_counts(&o, "Outcomes", &in->stats->total.outcomes, C_FULL);
	put_feedback(&o, &in->stats->total);
	put_counts(&o, "Languages", &in->stats->total.languages, C_P50);
	put(&o, "</div>\n<br>\n");
	put_table(&o, in->stats);
	put_footer(&o);
	free(w);
	if (o.failed) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

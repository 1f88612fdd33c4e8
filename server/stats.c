/*
 * stats.c - the figures of CONTRACT.md section 6 from anonymous events (see
 * stats.h). neuvo-admin feeds it what store_stats_each read; report.c draws
 * from the same struct stats_range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sbuf.h"
#include "stats.h"

static const char *const kind_names[STATS_N_KINDS] = {
	"started", "served", "abandoned", "queue_full", "closed_attempt",
	"ended", "message", "topic", "outcome", "feedback", "blocked",
	"urgent",
	"question", "answered", "told_late",
};

const char *
stats_kind_name(enum stats_kind kind)
{
	if ((int)kind < 0 || kind >= STATS_N_KINDS)
		return NULL;
	return kind_names[kind];
}

int
stats_kind_parse(const char *name, enum stats_kind *out)
{
	int k;

	for (k = 0; k < STATS_N_KINDS; k++) {
		if (!strcmp(name, kind_names[k])) {
			*out = (enum stats_kind)k;
			return 0;
		}
	}
	return -1;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
stats_percentile(int64_t *values, size_t n, int p)
{
	size_t rank;

	if (n == 0 || p < 1 || p > 100)
		return -1;
	qsort(values, n, sizeof(values[0]), cmp_i64);
	rank = ((size_t)p * n + 99) / 100;     /* ceil(p * n / 100) */
	return values[rank - 1];
}

static int
local_hour(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_hour;
}

/* A growing list of seconds (waits or durations) of one day. */
struct values {
	int64_t *v;
	size_t n, cap;
};

static int
values_add(struct values *vs, int64_t x)
{
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 16;
		int64_t *nv = realloc(vs->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n++] = x;
	return 0;
}

/* Count one more `id` in a list kept sorted by id. */
static int
counts_add(struct stats_counts *c, const char *id)
{
	struct stats_count *items;
	size_t i;
	int cmp = 1;

	if (!id || !*id || strlen(id) >= STATS_ID_MAX)
		return 0;
	for (i = 0; i < c->n && (cmp = strcmp(c->items[i].id, id)) < 0; i++)
		;
	if (i < c->n && cmp == 0) {
		c->items[i].n++;
		return 0;
	}
	items = realloc(c->items, (c->n + 1) * sizeof(*items));
	if (!items)
		return -1;
	c->items = items;
	memmove(&items[i + 1], &items[i], (c->n - i) * sizeof(*items));
	snprintf(items[i].id, sizeof(items[i].id), "%s", id);
	items[i].n = 1;
	c->n++;
	return 0;
}

/* Working state of stats_compute: per day (and, last, for the total) its
 * waits and durations. */
struct work {
	struct stats_range *r;
	struct values *waits, *durations;       /* n_days + 1 each */
	struct values *answers;                 /* time to answer, ditto */
	long first_day;
};

/* The events of CONTRACT.md section 9 (questions, honest waiting). */
static int
add_safety(struct stats_day *d, struct values *answers,
	   const struct stats_event *e)
{
	switch (e->kind) {
	case STATS_QUESTION:
		d->questions++;
		return 0;
	case STATS_ANSWERED:
		d->answered++;
		return values_add(answers, e->value);
	case STATS_TOLD_LATE:
		d->told_may_not_be_served++;
		return 0;
	default:
		return 0;
	}
}

static int
add_to_day(struct stats_day *d, struct values *waits,
	   struct values *durations, const struct stats_event *e)
{
	int h = local_hour((time_t)e->at);
	int arrived = local_hour((time_t)(e->at - e->value));

	switch (e->kind) {
	case STATS_STARTED:
		d->started++;
		return counts_add(&d->languages, e->label);
	case STATS_SERVED:
		d->served++;
		d->served_by_hour[arrived]++;
		return values_add(waits, e->value);
	case STATS_ABANDONED:
		d->abandoned++;
		d->abandoned_by_hour[arrived]++;
		return 0;
	case STATS_QUEUE_FULL:
		d->queue_full++;
		d->queue_full_by_hour[h]++;
		return 0;
	case STATS_CLOSED_ATTEMPT:
		d->closed_attempts++;
		d->closed_by_hour[h]++;
		return 0;
	case STATS_ENDED:
		return values_add(durations, e->value);
	case STATS_MESSAGE:
		d->messages++;
		return 0;
	case STATS_TOPIC:
		return counts_add(&d->topics, e->label);
	case STATS_OUTCOME:
		return counts_add(&d->outcomes, e->label);
	case STATS_FEEDBACK:
		if (e->value < 1 || e->value > 5)
			return 0;
		d->feedback_count++;
		d->feedback_sum += e->value;
		d->ratings[e->value - 1]++;
		return 0;
	case STATS_BLOCKED:
		d->blocked++;
		return 0;
	case STATS_URGENT:
		d->urgent++;
		return 0;
	default:
		return 0;
	}
}

static int
add_event(struct work *w, const struct stats_event *e)
{
	struct hours_date date = hours_local_date((time_t)e->at);
	long i = hours_day_number(&date) - w->first_day;
	size_t n = w->r->n_days;

	if (i < 0 || (size_t)i >= n)
		return 0;
	if (add_to_day(&w->r->days[i], &w->waits[i], &w->durations[i], e) ||
	    add_safety(&w->r->days[i], &w->answers[i], e) ||
	    add_safety(&w->r->total, &w->answers[n], e))
		return -1;
	return add_to_day(&w->r->total, &w->waits[n], &w->durations[n], e);
}

static void
finish_day(struct stats_day *d, struct values *waits,
	   struct values *durations, struct values *answers)
{
	d->answer_p50 = stats_percentile(answers->v, answers->n, 50);
	d->wait_p50 = stats_percentile(waits->v, waits->n, 50);
	d->wait_p90 = stats_percentile(waits->v, waits->n, 90);
	d->duration_p50 = stats_percentile(durations->v, durations->n, 50);
	d->duration_p90 = stats_percentile(durations->v, durations->n, 90);
}

static void
finish_days(struct work *w)
{
	size_t i, n = w->r->n_days;

	for (i = 0; i < n; i++)
		finish_day(&w->r->days[i], &w->waits[i], &w->durations[i],
			   &w->answers[i]);
	finish_day(&w->r->total, &w->waits[n], &w->durations[n],
		   &w->answers[n]);
}

static void
work_free(struct work *w, size_t n_lists)
{
	size_t i;

	for (i = 0; w->waits && i < n_lists; i++)
		free(w->waits[i].v);
	for (i = 0; w->durations && i < n_lists; i++)
		free(w->durations[i].v);
	for (i = 0; w->answers && i < n_lists; i++)
		free(w->answers[i].v);
	free(w->waits);
	free(w->durations);
	free(w->answers);
}

static int
alloc_range(struct work *w, const struct hours_date *from, long n_days)
{
	long i;

	w->r->days = calloc((size_t)n_days, sizeof(*w->r->days));
	w->waits = calloc((size_t)n_days + 1, sizeof(*w->waits));
	w->durations = calloc((size_t)n_days + 1, sizeof(*w->durations));
	w->answers = calloc((size_t)n_days + 1, sizeof(*w->answers));
	if (!w->r->days || !w->waits || !w->durations || !w->answers)
		return -1;
	w->r->n_days = (size_t)n_days;
	for (i = 0; i < n_days; i++)
		w->r->days[i].date = hours_date_add(from, (int)i);
	w->r->total.date = *from;
	return 0;
}

int
stats_compute(const struct stats_event *events, size_t n,
	      const struct hours_date *from, const struct hours_date *to,
	      struct stats_range *out)
{
	struct work w = { out, NULL, NULL, NULL, hours_day_number(from) };
	long n_days = hours_day_number(to) - w.first_day + 1;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (n_days < 1 || n_days > STATS_MAX_DAYS)
		return -1;
	if (alloc_range(&w, from, n_days))
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++)
		rc = add_event(&w, &events[i]);
	if (rc == 0)
		finish_days(&w);
	work_free(&w, (size_t)n_days + 1);
	if (rc)
		stats_free(out);
	return rc;
}

void
stats_free(struct stats_range *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; r->days && i < r->n_days; i++) {
		free(r->days[i].topics.items);
		free(r->days[i].outcomes.items);
		free(r->days[i].languages.items);
	}
	free(r->total.topics.items);
	free(r->total.outcomes.items);
	free(r->total.languages.items);
	free(r->days);
	memset(r, 0, sizeof(*r));
}

double
stats_feedback_avg(const struct stats_day *d)
{
	if (d->feedback_count == 0)
		return -1;
	/* Ratings are positive, so adding a half and truncating rounds. */
	return (double)(int64_t)((double)d->feedback_sum * 100 /
				 d->feedback_count + 0.5) / 100;
}

/* ------------------------------------------------------------- rendering */

static json_t *
seconds_json(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *
hours_json(const int by_hour[24])
{
	json_t *arr = json_array();
	int h;

	for (h = 0; arr && h < 24; h++)
		if (json_array_append_new(arr, json_integer(by_hour[h]))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *
counts_json(const struct stats_counts *c)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < c->n; i++)
		if (json_object_set_new(o, c->items[i].id,
					json_integer(c->items[i].n))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *
day_json(const struct stats_day *d)
{
	double avg = stats_feedback_avg(d);
	char date[HOURS_DATE_MAX];

	hours_format_date(&d->date, date, sizeof(date));
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o, "
			 "s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:i, s:i, s:i, "
			 "s:i, s:o, s:i}",
			 "date", date, "started", d->started,
			 "served", d->served, "abandoned", d->abandoned,
			 "queue_full", d->queue_full,
			 "closed_attempts", d->closed_attempts,
			 "closed_attempts_by_hour", hours_json(d->closed_by_hour),
			 "wait_p50_s", seconds_json(d->wait_p50),
			 "wait_p90_s", seconds_json(d->wait_p90),
			 "duration_p50_s", seconds_json(d->duration_p50),
			 "duration_p90_s", seconds_json(d->duration_p90),
			 "messages", d->messages,
			 "feedback_count", d->feedback_count,
			 "feedback_avg", avg < 0 ? json_null() : json_real(avg),
			 "topics", counts_json(&d->topics),
			 "outcomes", counts_json(&d->outcomes),
			 "languages", counts_json(&d->languages),
			 "blocked", d->blocked, "urgent", d->urgent,
			 "questions", d->questions, "answered", d->answered,
			 "answer_p50_s", seconds_json(d->answer_p50),
			 "told_may_not_be_served", d->told_may_not_be_served);
}

char *
stats_render_json(const struct stats_range *r)
{
	json_t *arr = json_array();
	char *text, *out;
	size_t i, len;

	for (i = 0; arr && i < r->n_days; i++)
		if (json_array_append_new(arr, day_json(&r->days[i]))) {
			json_decref(arr);
			return NULL;
		}
	if (!arr)
		return NULL;
	text = json_dumps(arr, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(arr);
	if (!text)
		return NULL;
	len = strlen(text);
	out = realloc(text, len + 2);
	if (!out) {
		free(text);
		return NULL;
	}
	memcpy(out + len, "\n", 2);
	return out;
}

/* A percentile as a CSV field: the number, or nothing. */
static void
csv_seconds(int64_t v, char buf[24])
{
	if (v < 0)
		buf[0] = '\0';
	else
		snprintf(buf, 24, "%lld", (long long)v);
}

static void
csv_row(struct sbuf *b, const struct stats_day *d)
{
	char date[HOURS_DATE_MAX], w50[24], w90[24], d50[24], d90[24], avg[24];
	char a50[24];
	double a = stats_feedback_avg(d);

	hours_format_date(&d->date, date, sizeof(date));
	csv_seconds(d->wait_p50, w50);
	csv_seconds(d->wait_p90, w90);
	csv_seconds(d->duration_p50, d50);
	csv_seconds(d->duration_p90, d90);
	csv_seconds(d->answer_p50, a50);
	if (a < 0)
		avg[0] = '\0';
	else
		snprintf(avg, sizeof(avg), "%.2f", a);
	sbuf_addf(b, "%s,%d,%d,%d,%d,%d,%s,%s,%s,%s,%d,%d,%s,%d,%d,%d,%d,%s,"
		  "%d\n", date, d->started, d->served, d->abandoned,
		  d->queue_full, d->closed_attempts, w50, w90, d50, d90,
		  d->messages, d->feedback_count, avg, d->blocked, d->urgent,
		  d->questions, d->answered, a50, d->told_may_not_be_served);
}

char *
stats_render_csv(const struct stats_range *r)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_adds(&b, "date,started,served,abandoned,queue_full,"
		  "closed_attempts,wait_p50_s,wait_p90_s,duration_p50_s,"
		  "duration_p90_s,messages,feedback_count,feedback_avg,"
		  "blocked,urgent,questions,answered,answer_p50_s,"
		  "told_may_not_be_served\n");
	for (i = 0; i < r->n_days; i++)
		csv_row(&b, &r->days[i]);
	return sbuf_take(&b);
}

/*
 * stats.h - the service-development figures of CONTRACT.md section 6,
 * computed from anonymous events.
 *
 * Pure logic: no SQLite, no libwebsockets. The caller (neuvo-admin) reads
 * the events from the store and hands them over as an array; this module
 * sorts them into local days and renders JSON or CSV. Days and hours are
 * those of the process timezone, so hours_tz_apply must have run first.
 *
 * The events and what they carry (`at` is UTC seconds):
 *
 *   kind            at                    value          label
 *   started         hello admitted        -              language
 *   served          first take            wait, s        -
 *   abandoned       left the queue        wait, s        who ended it
 *   queue_full      hello turned away     -              -
 *   closed_attempt  hello while closed    -              -
 *   ended           end of a served chat  take..end, s   who ended it
 *   message         the CHAT's start      1              "resident"|"advisor"
 *   topic           the CHAT's start      -              topic id
 *   outcome         the CHAT's start      -              outcome id
 *   feedback        rating given          1..5           -
 *   blocked         an advisor's block    hours          -
 *   urgent          a chat's first mark   -              -
 *   question        question left         -              -
 *   answered        question answered     asked..answer, s -
 *   told_late       first "may_not_be_served" to a chat  -  -
 *
 * message/topic/outcome carry the chat's start so that they count on the day
 * the chat started ("messages in chats started that day").
 *
 * JSON also has "languages" (id -> residents queued), after the contract's
 * keys, then "blocked" (CONTRACT.md section 7: blocks set by advisors),
 * then "urgent" (section 8: chats marked urgent, each counted once, on the
 * day of its first mark), then "questions", "answered", "answer_p50_s"
 * (time to answer, null when none) and "told_may_not_be_served" (CONTRACT.md
 * section 9); CSV has the contract's scalar columns in its order, then
 * "blocked", "urgent" and those four.
 *
 * Percentiles are nearest-rank: the p-th percentile of n sorted values
 * v[1..n] is v[ceil(p * n / 100)]. So p50 of {10, 20} is 10, p50 of
 * {10, 20, 30} is 20, p90 of ten values is the ninth. None: JSON null, an
 * empty CSV field.
 */
#ifndef NEUVO_STATS_H
#define NEUVO_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "hours.h"

#define STATS_ID_MAX 64         /* longest topic/outcome id counted */
#define STATS_MAX_DAYS 3660     /* longest --from..--to range, days */

enum stats_kind {
	STATS_STARTED,
	STATS_SERVED,
	STATS_ABANDONED,
	STATS_QUEUE_FULL,
	STATS_CLOSED_ATTEMPT,
	STATS_ENDED,
	STATS_MESSAGE,
	STATS_TOPIC,
	STATS_OUTCOME,
	STATS_FEEDBACK,
	STATS_BLOCKED,
	STATS_URGENT,
	STATS_QUESTION,
	STATS_ANSWERED,
	STATS_TOLD_LATE,
	STATS_N_KINDS
};

/* One event; label is borrowed (may be NULL). */
struct stats_event {
	int64_t at;
	enum stats_kind kind;
	int64_t value;
	const char *label;
};

/* An id and how often it was counted. */
struct stats_count {
	char id[STATS_ID_MAX];
	int n;
};

/* A list of counts sorted by id; owns `items`. */
struct stats_counts {
	struct stats_count *items;
	size_t n;
};

/* The figures of one local day. A percentile of -1 means none. The *_by_hour
 * arrays of served and abandoned count by the local hour the resident
 * arrived (event time minus wait), for the report's hour-of-week view. */
struct stats_day {
	struct hours_date date;
	int started, served, abandoned, queue_full, closed_attempts;
	int closed_by_hour[24];
	int served_by_hour[24];
	int abandoned_by_hour[24];
	int queue_full_by_hour[24];
	int64_t wait_p50, wait_p90, duration_p50, duration_p90;
	int messages;
	int feedback_count;
	int64_t feedback_sum;
	int ratings[5];                 /* feedback 1..5 */
	struct stats_counts topics, outcomes, languages;
	int blocked;                    /* blocks set by advisors */
	int urgent;                     /* chats marked urgent */
	int questions, answered;        /* questions left, answered */
	int64_t answer_p50;             /* time to answer, -1: none */
	int told_may_not_be_served;     /* chats told the wait may run past
					 * closing */
};

/* Days from..to inclusive; owns `days` (stats_free). `total` holds the
 * whole range as if it were one day (its date is `from`; its percentiles are
 * over every value of the range). */
struct stats_range {
	struct stats_day *days;
	size_t n_days;
	struct stats_day total;
};

/* "started", ... as stored; NULL for an out-of-range kind. */
const char *stats_kind_name(enum stats_kind kind);

/* The kind of a stored name. Returns 0, or -1 for an unknown name. */
int stats_kind_parse(const char *name, enum stats_kind *out);

/* Nearest-rank percentile (1..100) of n values; sorts `values` in place.
 * Returns the value, or -1 when n == 0. */
int64_t stats_percentile(int64_t *values, size_t n, int p);

/* Figures for each local day from..to inclusive (at most STATS_MAX_DAYS)
 * from `n` events in any order; events outside the days are ignored. Returns
 * 0 and fills *out (the caller frees it with stats_free), or -1 when to is
 * before from, the range is too long, or memory runs out (*out empty). */
int stats_compute(const struct stats_event *events, size_t n,
		  const struct hours_date *from, const struct hours_date *to,
		  struct stats_range *out);

void stats_free(struct stats_range *r);

/* Mean rating of a day, rounded to two decimals; -1 when none. */
double stats_feedback_avg(const struct stats_day *d);

/* The JSON array of section 6 (keys in the contract's order), as a heap
 * string with a final newline; NULL on OOM. Caller frees. */
char *stats_render_json(const struct stats_range *r);

/* The CSV of section 6: a header row and one row per day, the scalar keys
 * in the contract's order, "\n" line ends. Heap string; NULL on OOM. */
char *stats_render_csv(const struct stats_range *r);

#endif

/*
 * overload.h - how late the event loop reads, and whether it is too busy
 * to take anyone new (issue 14: past the ceiling, nobody honest is
 * punished and the running chats keep their pace).
 *
 * Pure logic: no clock of its own (the caller passes the times), no
 * libuv, no libwebsockets. main.c samples the loop once a turn, just
 * before it polls, and the service reads the loop's idle total again when
 * it judges a frame. The service keeps one struct overload_gauge, each
 * connection one struct overload_bucket. Loop thread only.
 *
 * The gauge's two figures:
 *
 *  - the backlog: how long since the last "quiet" moment, a moment at
 *    which nothing at all was ready to be read (no socket readable, and
 *    libwebsockets holding no data it read but has not handed on: it then
 *    keeps the loop from waiting). A poll that had to wait (libuv's idle
 *    time grew) was quiet until its wait ended, unless it waited longer
 *    than any timer lets it (OVERLOAD_WAIT_MAX_MS): then the process was
 *    stopped in it, and only the wait's start was surely quiet. The poll
 *    is level-triggered and lws reads at most its rx buffer at a time, so
 *    a socket with more to read stays ready: every frame read at time t
 *    was written by its client after the last quiet moment. A
 *    client keeping to SVC_RATE_LIMIT frames a second (with a second's
 *    frames at once) can have sent at most rate * (1 s + backlog) of them
 *    since; the rate limit allows that (overload_bucket_take). Missing a
 *    quiet moment only lengthens the backlog, so it errs towards the
 *    client, and the backlog allowed is capped by the caller.
 *
 *  - the utilisation: the share of time the loop spent working rather
 *    than waiting in the poll, smoothed over about OVERLOAD_TAU_MS. One
 *    turn counts for at most OVERLOAD_TURN_MAX_MS of it, so that one
 *    stall (a slow fsync, the process descheduled on a busy machine)
 *    moves it a little only.
 *
 * The loop is saturated (overload_saturated) while both say so: the
 * utilisation is OVERLOAD_UTIL_PPM or more AND nothing has been quiet for
 * OVERLOAD_BACKLOG_MS. Either alone misleads: a loop at 95 % that still
 * reads every socket dry is keeping up, and one long turn leaves a
 * backlog behind it without the loop being short of time.
 */
#ifndef NEUVO_OVERLOAD_H
#define NEUVO_OVERLOAD_H

#include <stdbool.h>
#include <stdint.h>

#define OVERLOAD_TAU_MS 500          /* utilisation's smoothing, about */
#define OVERLOAD_TURN_MAX_MS 100     /* one turn's weight in it, at most */
#define OVERLOAD_UTIL_PPM 900000     /* saturated: 90 % busy or more ... */
#define OVERLOAD_BACKLOG_MS 200      /* ... and nothing quiet this long */
/* No poll waits longer than this while the process runs: the service's
 * tick (250 ms) ends every wait before. A longer wait means the process
 * was stopped or starved in it (a paused VM, SIGSTOP, a host too busy to
 * run it), so what it then reads may have come at any time in it: only
 * the wait's start was surely quiet. */
#define OVERLOAD_WAIT_MAX_MS 1000

/* The loop's figures; one per service, all times in microseconds on the
 * caller's monotonic clock. */
struct overload_gauge {
	uint64_t at_us;              /* the last sample */
	uint64_t idle_us;            /* the loop's idle total then */
	uint64_t quiet_us;           /* the last quiet moment, as the
				      * loop saw it (a wait's end) */
	uint64_t sent_us;            /* the same for what clients sent:
				      * a too long wait's start */
	uint64_t busy_us;            /* the last turn less its idle time */
	int64_t util_ppm;            /* utilisation, parts per million */
};

/* Start a gauge at `now_us`, which counts as quiet (nothing was connected
 * before), with the loop's idle total `idle_us` so far. */
void overload_init(struct overload_gauge *g, uint64_t now_us,
		   uint64_t idle_us);

/*
 * The sample just before each poll: the time and the loop's idle total
 * (time spent waiting in the poll, ever growing). If the idle total grew
 * since the last sample, the poll after it waited: nothing was ready to be
 * read from the last sample until the wait ended, the last quiet moment.
 * A time that goes backwards is taken as the last sample's, an idle total
 * that does as no idle time; idle time beyond the turn's length counts as
 * the whole turn. A wait longer than OVERLOAD_WAIT_MAX_MS was quiet only
 * at its start.
 */
void overload_sample(struct overload_gauge *g, uint64_t now_us,
		     uint64_t idle_us);

/* Milliseconds since the last quiet moment at `now_ms`, given the loop's
 * idle total now (during a poll's callbacks: if it has grown since the
 * last sample, this poll waited, and the end of its wait was quiet, or
 * its start if it waited longer than OVERLOAD_WAIT_MAX_MS). 0 if the
 * quiet moment is not before now_ms. */
uint64_t overload_backlog_ms(const struct overload_gauge *g, uint64_t now_ms,
			     uint64_t idle_us);
/* overload_saturated, below, asks whether the loop is short of time, not
 * whether clients wrote in time: it counts every wait as quiet at its end
 * (a process stopped in a wait was not busy then). */

/* The smoothed utilisation, permille (0..1000). */
unsigned overload_utilisation_permille(const struct overload_gauge *g);

/* The last turn's working time (its length less its idle time), ms. */
uint64_t overload_busy_ms(const struct overload_gauge *g);

/* Is the loop too busy to take anyone new at `now_ms`, the loop's idle
 * total being `idle_us` (see above)? */
bool overload_saturated(const struct overload_gauge *g, uint64_t now_ms,
			uint64_t idle_us);

/*
 * A connection's rate limit: a token bucket of 1000 tokens a frame,
 * refilled at `rate` frames a second, `rate` * 1000 full at start. Its
 * depth is one second's frames plus `lag_ms` seconds' worth, where lag_ms
 * is the gauge's backlog (capped by the caller): frames sent in time but
 * read late come in a burst and are allowed; the refill does not change,
 * so over time nobody gets more than `rate` a second.
 */
struct overload_bucket {
	int64_t tokens;
	uint64_t at_ms;              /* when tokens was last brought up */
};

void overload_bucket_init(struct overload_bucket *b, unsigned rate,
			  uint64_t now_ms);

/* Take one frame's tokens at `now_ms`. Returns true if the frame is
 * within the limit (tokens taken), false if it is over (nothing taken). */
bool overload_bucket_take(struct overload_bucket *b, unsigned rate,
			  uint64_t now_ms, uint64_t lag_ms);

#endif

/*
 * overload.c - the loop's backlog and utilisation, and the per-connection
 * rate limit that allows for the backlog (see overload.h for the
 * reasoning). Pure arithmetic on times the caller passes.
 */
#include "overload.h"

#define US_PER_MS 1000u

void
overload_init(struct overload_gauge *g, uint64_t now_us, uint64_t idle_us)
{
	g->at_us = now_us;
	g->idle_us = idle_us;
	g->quiet_us = now_us;
	g->sent_us = now_us;
	g->busy_us = 0;
	g->util_ppm = 0;
}

/* Move the utilisation towards this turn's, by the share its length (at
 * most OVERLOAD_TURN_MAX_MS) has of a time constant: an exponential
 * average over time rather than over turns, so that a thousand short
 * turns weigh what a few long ones do. Parts per million keep the steps
 * of sub-millisecond turns from rounding to nothing. */
static void
smooth(struct overload_gauge *g, uint64_t len_us, uint64_t busy_us)
{
	int64_t turn_ppm, dt, tau = OVERLOAD_TAU_MS * (int64_t)US_PER_MS;

	/* busy_us <= len_us; past 1000 s (no turn is), scale both down so
	 * that the product stays well inside 64 bits. */
	while (len_us > 1000000000u) {
		len_us /= 1000u;
		busy_us /= 1000u;
	}
	if (!len_us)
		return;
	turn_ppm = (int64_t)(busy_us * 1000000u / len_us);
	dt = (int64_t)len_us;
	if (dt > OVERLOAD_TURN_MAX_MS * (int64_t)US_PER_MS)
		dt = OVERLOAD_TURN_MAX_MS * (int64_t)US_PER_MS;
	g->util_ppm += (turn_ppm - g->util_ppm) * dt / (dt + tau);
}

/* The quiet moment of a poll that started waiting at start_us and waited
 * waited_us: the end of its wait, unless no timer would have let it wait
 * so long (OVERLOAD_WAIT_MAX_MS): then the process did not run for part
 * of it, frames may have come in at any time in it, and a client that
 * wrote in time while the server was stopped must not pay for that. */
static uint64_t
wait_quiet(uint64_t start_us, uint64_t waited_us)
{
	if (waited_us > OVERLOAD_WAIT_MAX_MS * (uint64_t)US_PER_MS)
		return start_us;
	return start_us + waited_us;
}

void
overload_sample(struct overload_gauge *g, uint64_t now_us, uint64_t idle_us)
{
	uint64_t len, idle;

	if (now_us < g->at_us)
		now_us = g->at_us;
	len = now_us - g->at_us;
	idle = idle_us > g->idle_us ? idle_us - g->idle_us : 0;
	if (idle > len)
		idle = len;
	/* The poll after the last sample waited: nothing was ready until its
	 * wait ended, `idle` after the sample. */
	if (idle) {
		g->quiet_us = g->at_us + idle;
		g->sent_us = wait_quiet(g->at_us, idle);
	}
	g->busy_us = len - idle;
	smooth(g, len, g->busy_us);
	g->at_us = now_us;
	if (idle_us > g->idle_us)
		g->idle_us = idle_us;
}

/* The last quiet moment, counting the poll under way if it has waited
 * (its idle time is already in idle_us once it hands out events): the
 * end of its wait, not the start. Every moment of the wait was quiet, and
 * taking the start would credit a client with the whole wait (up to the
 * next timer, a quarter of a second), so that twelve frames written at
 * once after a quiet spell passed the limit of ten (the sanitizer CI run
 * caught it). For what clients sent (`sent`), a wait too long to be one
 * counts from its start (wait_quiet); for the loop's own time it does
 * not. */
static uint64_t
quiet_at(const struct overload_gauge *g, uint64_t idle_us, bool sent)
{
	uint64_t waited;

	if (idle_us <= g->idle_us)
		return sent ? g->sent_us : g->quiet_us;
	waited = idle_us - g->idle_us;
	return sent ? wait_quiet(g->at_us, waited) : g->at_us + waited;
}

static uint64_t
backlog_ms(const struct overload_gauge *g, uint64_t now_ms, uint64_t idle_us,
	   bool sent)
{
	uint64_t now_us = now_ms * US_PER_MS, q = quiet_at(g, idle_us, sent);

	if (now_us <= q)
		return 0;
	return (now_us - q) / US_PER_MS;
}

uint64_t
overload_backlog_ms(const struct overload_gauge *g, uint64_t now_ms,
		    uint64_t idle_us)
{
	return backlog_ms(g, now_ms, idle_us, true);
}

unsigned
overload_utilisation_permille(const struct overload_gauge *g)
{
	if (g->util_ppm <= 0)
		return 0;
	if (g->util_ppm >= 1000000)
		return 1000;
	return (unsigned)(g->util_ppm / 1000);
}

uint64_t
overload_busy_ms(const struct overload_gauge *g)
{
	return g->busy_us / US_PER_MS;
}

bool
overload_saturated(const struct overload_gauge *g, uint64_t now_ms,
		   uint64_t idle_us)
{
	return g->util_ppm >= OVERLOAD_UTIL_PPM &&
	       backlog_ms(g, now_ms, idle_us, false) >= OVERLOAD_BACKLOG_MS;
}

void
overload_bucket_init(struct overload_bucket *b, unsigned rate,
		     uint64_t now_ms)
{
	b->tokens = (int64_t)rate * 1000;
	b->at_ms = now_ms;
}

/*
 * Why the depth is enough for an honest client: take the last time s at
 * or before a frame read at t when the bucket was cut to its depth (or
 * the connection's start, full). Every frame read in [s, t] was sent
 * after the quiet moment q(s) before s, so an honest client sent at most
 * rate * (1 s + t - q(s)) of them; the bucket held rate * (1 s + s - q(s))
 * at s and has gained rate * (t - s) since: the same.
 */
bool
overload_bucket_take(struct overload_bucket *b, unsigned rate,
		     uint64_t now_ms, uint64_t lag_ms)
{
	int64_t depth = (int64_t)rate * (int64_t)(1000 + lag_ms);

	if (now_ms > b->at_ms) {
		b->tokens += (int64_t)(now_ms - b->at_ms) * (int64_t)rate;
		b->at_ms = now_ms;
	}
	if (b->tokens > depth)
		b->tokens = depth;
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}

/*
 * bench_hist.h - latency histograms for the load generator (neuvo-load.c).
 *
 * A value is a duration in microseconds. Buckets are exact below 128 us
 * and then 64 to each power of two (under 1.6 % error), up to about 37
 * hours, so a histogram is a fixed array that two processes can add up
 * after sending it through a pipe. Pure logic, no allocation: the caller
 * owns every struct bench_hist (usually inside a larger stats struct).
 */
#ifndef NEUVO_BENCH_HIST_H
#define NEUVO_BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_EXACT 128
#define BENCH_HIST_SUB 64
#define BENCH_HIST_SHIFTS 31
#define BENCH_HIST_BUCKETS (BENCH_HIST_EXACT + BENCH_HIST_SHIFTS * BENCH_HIST_SUB)

struct bench_hist {
	uint64_t count;
	uint64_t max_us;
	uint32_t bucket[BENCH_HIST_BUCKETS];
};

/* Empty h. */
void bench_hist_reset(struct bench_hist *h);

/* Count one value; negative values count as 0, huge ones in the last
 * bucket (max_us keeps the true maximum). */
void bench_hist_add(struct bench_hist *h, int64_t us);

/* Add every count of `from` into `into`. */
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from);

/* The p-th percentile (0 < p <= 100, nearest rank) in microseconds, as the
 * middle of its bucket (the maximum itself for p = 100); 0 when empty. */
double bench_hist_pct(const struct bench_hist *h, double p);

#endif

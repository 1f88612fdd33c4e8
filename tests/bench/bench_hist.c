/*
 * bench_hist.c - fixed-bucket latency histograms (see bench_hist.h).
 *
 * Below BENCH_HIST_EXACT a bucket holds one microsecond. Above it, a value
 * v with its top bit at position b (b >= 7) is shifted right by b - 6, which
 * leaves a mantissa in 64..127; shift and mantissa name the bucket. This is
 * the usual log-linear layout: a percentile is read with a relative error
 * of at most 1/64, whatever the scale.
 */
#include <string.h>

#include "bench_hist.h"

static unsigned
index_of(uint64_t v)
{
	unsigned top, shift;

	if (v < BENCH_HIST_EXACT)
		return (unsigned)v;
	top = 63u - (unsigned)__builtin_clzll(v);
	shift = top - 6u;
	if (shift > BENCH_HIST_SHIFTS)
		return BENCH_HIST_BUCKETS - 1;
	return BENCH_HIST_EXACT + (shift - 1u) * BENCH_HIST_SUB +
	       (unsigned)((v >> shift) - BENCH_HIST_SUB);
}

/* The middle of bucket i, in microseconds. */
static double
middle_of(unsigned i)
{
	unsigned shift, mant;
	double lo;

	if (i < BENCH_HIST_EXACT)
		return i;
	shift = (i - BENCH_HIST_EXACT) / BENCH_HIST_SUB + 1u;
	mant = (i - BENCH_HIST_EXACT) % BENCH_HIST_SUB + BENCH_HIST_SUB;
	lo = (double)((uint64_t)mant << shift);
	return lo + (double)((uint64_t)1 << shift) / 2.0;
}

void
bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
bench_hist_add(struct bench_hist *h, int64_t us)
{
	uint64_t v = us < 0 ? 0 : (uint64_t)us;

	h->bucket[index_of(v)]++;
	h->count++;
	if (v > h->max_us)
		h->max_us = v;
}

void
bench_hist_merge(struct bench_hist *into, const struct bench_hist *from)
{
	unsigned i;

	for (i = 0; i < BENCH_HIST_BUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

double
bench_hist_pct(const struct bench_hist *h, double p)
{
	uint64_t rank, seen = 0;
	unsigned i;
	double m;

	if (!h->count)
		return 0;
	if (p >= 100)
		return (double)h->max_us;
	rank = (uint64_t)(p / 100.0 * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	m = middle_of(i < BENCH_HIST_BUCKETS ? i : BENCH_HIST_BUCKETS - 1);
	return m > (double)h->max_us ? (double)h->max_us : m;
}

/*
 * load_plan.c - the load generator's timeline (load.h): when each step's
 * ramp, warm-up, window, drain and teardown begin. Pure arithmetic on the
 * options, so that the parent and every worker agree without talking.
 */
#include <time.h>

#include "load.h"

int64_t
load_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double
ramp_of(int residents)
{
	double connect = (double)residents / load_opt.connect_rate;
	double take = 0;

	if (load_opt.ramp_s > 0)
		return load_opt.ramp_s;
	/* Taking is paced at one frame a tick per advisor. */
	if (load_opt.mode == MODE_CHAT && load_opt.take && load_opt.advisors)
		take = (double)residents / load_opt.advisors * ADVISOR_TICK_MS / 1e3;
	return (connect > take ? connect : take) + 2.0;
}

void
load_plan_step(int64_t t0, int k, struct phase_times *t)
{
	int64_t at = t0;
	int i;

	for (i = 0; i <= k; i++) {
		t->ramp = at;
		t->warm = t->ramp + (int64_t)(ramp_of(load_opt.steps[i]) * 1e6);
		t->window = t->warm + (int64_t)(load_opt.warm_s * 1e6);
		t->end = t->window + (int64_t)(load_opt.dur_s * 1e6);
		t->drained = t->end + (int64_t)(load_opt.drain_s * 1e6);
		t->next = t->drained + (int64_t)(load_opt.gap_s * 1e6);
		at = t->next;
	}
}

double
load_plan_length_s(void)
{
	struct phase_times t;

	load_plan_step(0, load_opt.n_steps - 1, &t);
	return (double)t.next / 1e6;
}

int
load_largest_step(void)
{
	int i, m = 0;

	for (i = 0; i < load_opt.n_steps; i++)
		if (load_opt.steps[i] > m)
			m = load_opt.steps[i];
	return m;
}

int
load_share_of(int total, int w)
{
	return total > w ? (total - w + load_opt.procs - 1) / load_opt.procs : 0;
}

/*
 * frame_bench.c - what one frame of the message path costs to build: the
 * msg frame (the echo, and the relay with its chat id) and the position
 * push, written by protocol_out.c with jsonw.h against the old way of a
 * jansson object dumped (tests/unit/frames_old.c).
 *
 *   build/neuvo-frame-bench [FRAMES]
 *
 * Not a test: it prints nanoseconds of this process's CPU time per frame
 * (not wall time, which a busy shared machine stretches) and never fails
 * on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frames_old.h"
#include "hours.h"
#include "protocol.h"

typedef char *(*msg_builder)(const struct proto_msg *, json_t *, int64_t);

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* n msg frames, the echo and the relay in turn; `ticks` new seconds in
 * all (1: every frame in one second; n: a new second every frame). */
static double
msgs(msg_builder build, long n, long ticks, size_t *bytes)
{
	struct proto_msg m = {
		.id = 1,
		.from = "resident",
		.text = "Hei, minulla on kysymys asumistuesta ja vuokrasta. "
			"Voisitteko neuvoa, mihin ottaa yhteytt\xc3\xa4\xc3\xa4?",
		.at = 1764284400,
		.redacted = false,
	};
	json_t *cid = json_string("c-000123");
	double t0 = now_ns();
	long i;
	char *f;

	for (i = 0; i < n; i++) {
		m.id = i + 1;
		m.at = 1764284400 + i * ticks / n;
		f = build(&m, i % 2 ? NULL : cid, i % 2 ? 42 : 0);
		if (!f) {
			fprintf(stderr, "frame_bench: out of memory\n");
			exit(1);
		}
		*bytes += strlen(f);
		free(f);
	}
	json_decref(cid);
	return (now_ns() - t0) / (double)n;
}

static double
positions(char *(*build)(size_t, long, bool), long n, size_t *bytes)
{
	double t0 = now_ns();
	long i;
	char *f;

	for (i = 0; i < n; i++) {
		f = build((size_t)(i % 10000) + 1, i % 7 ? 60 * (i % 10000) : -1,
			  i % 5 == 0);
		if (!f) {
			fprintf(stderr, "frame_bench: out of memory\n");
			exit(1);
		}
		*bytes += strlen(f);
		free(f);
	}
	return (now_ns() - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	struct hours zone = { 0 };
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	size_t bytes = 0;
	double old_ns, new_ns;

	if (n < 1) {
		fprintf(stderr, "usage: neuvo-frame-bench [FRAMES]\n");
		return 2;
	}
	snprintf(zone.timezone, sizeof(zone.timezone), "Europe/Helsinki");
	if (hours_tz_apply(&zone)) {
		fprintf(stderr, "frame_bench: no Europe/Helsinki in tzdata\n");
		return 1;
	}
	printf("%-38s %10s %10s %8s\n", "frame (CPU ns each)", "old",
	       "jsonw", "ratio");
	old_ns = msgs(old_out_msg, n, n / 1000 + 1, &bytes);
	new_ns = msgs(proto_out_msg, n, n / 1000 + 1, &bytes);
	printf("%-38s %10.1f %10.1f %7.2fx\n", "msg (1000 frames a second)",
	       old_ns, new_ns, old_ns / new_ns);
	old_ns = msgs(old_out_msg, n, n, &bytes);
	new_ns = msgs(proto_out_msg, n, n, &bytes);
	printf("%-38s %10.1f %10.1f %7.2fx\n", "msg (a new second every frame)",
	       old_ns, new_ns, old_ns / new_ns);
	old_ns = positions(old_out_position, n, &bytes);
	new_ns = positions(proto_out_position, n, &bytes);
	printf("%-38s %10.1f %10.1f %7.2fx\n", "position", old_ns, new_ns,
	       old_ns / new_ns);
	printf("(%ld frames each; %zu bytes built in all)\n", n, bytes);
	return 0;
}

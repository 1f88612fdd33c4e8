/*
 * store_bench.c - how long the store's hot path takes: a message, its
 * statistics event and a touch of the chat per write, many writes per
 * commit (to see the statement cost, not the disk's) and one write per
 * commit (what a quiet server does: one sync per event-loop turn), and a
 * busy server's turns: each message to another of many chats, with a cid,
 * a few hundred per commit, so that every message dirties its chat's own
 * B-tree pages (what the WAL bytes per write show), and their cids
 * forgotten afterwards, chat by chat.
 *
 *   build/neuvo-store-bench [DIR] [WRITES]
 *
 * Not a test: it prints figures and never fails on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* n writes, a commit after every `per_commit`; prints microseconds per
 * write. Returns 0, or -1 on a store error. */
static int
round_of(struct store *st, int64_t chat, int64_t *seq, int n, int per_commit,
	 const char *what)
{
	struct store_msg m = {
		.from = "resident",
		.text = "Hei, minulla on kysymys asumistuesta ja vuokrasta.",
		.at = 1,
	};
	double t0 = now_ms();
	int i;

	for (i = 0; i < n; i++) {
		m.seq = ++*seq;
		if (store_message_add(st, chat, &m) ||
		    store_stat_add(st, 1, "message", 1, "resident", NULL))
			return -1;
		if ((i + 1) % per_commit == 0 && store_commit(st))
			return -1;
	}
	if (store_commit(st))
		return -1;
	printf("%-28s %8d writes  %8.1f us/write\n", what, n,
	       (now_ms() - t0) * 1e3 / n);
	return 0;
}

/* The WAL file's size in bytes (0: none). */
static long
wal_bytes(const char *path)
{
	char p[600];
	FILE *f;
	long n;

	snprintf(p, sizeof(p), "%s-wal", path);
	if (!(f = fopen(p, "rb")))
		return 0;
	n = fseek(f, 0, SEEK_END) ? 0 : ftell(f);
	fclose(f);
	return n;
}

#define SPREAD_CHATS 1000
#define SPREAD_PER_COMMIT 300

/* What the chats of spread_round cost when they end: each chat named in
 * a commit of its own, as the service does one resume grace after its
 * end, then their cids cleared together, as the service does once a
 * grace (here all at once: the cheapest case); per message written, like
 * the round itself. */
static int
forget_round(struct store *st, const char *path, const int64_t *chats,
	     int n)
{
	long w0 = wal_bytes(path);
	double t0 = now_ms();
	int64_t cleared;
	int i;

	for (i = 0; i < SPREAD_CHATS; i++)
		if (store_chat_forget_cids(st, chats[i]) || store_commit(st))
			return -1;
	if (store_forget_cids_due(st, 0, &cleared) || store_commit(st))
		return -1;
	printf("%-28s %8d writes  %8.1f us/write  %6.0f WAL bytes/write\n",
	       "their cids forgotten", n, (now_ms() - t0) * 1e3 / n,
	       (double)(wal_bytes(path) - w0) / n);
	return 0;
}

/* n writes spread over SPREAD_CHATS chats in turn, each with a cid, a
 * commit every SPREAD_PER_COMMIT; the WAL is emptied first and never
 * checkpointed meanwhile, so its growth is what the writes cost in pages. */
static int
spread_round(struct store *st, const char *path, int n)
{
	static int64_t chats[SPREAD_CHATS], seqs[SPREAD_CHATS];
	struct store_msg m = {
		.from = "resident",
		.text = "Hei, minulla on kysymys asumistuesta ja vuokrasta.",
		.at = 1,
	};
	char cid[32];
	double t0;
	long w0;
	int i;

	for (i = 0; i < SPREAD_CHATS; i++)
		if (store_chat_create(st, 2 + i, "fi", NULL, &chats[i]))
			return -1;
	if (store_commit(st) || store_checkpoint(st))
		return -1;
	w0 = wal_bytes(path);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		int c = i % SPREAD_CHATS;

		snprintf(cid, sizeof(cid), "\"c%d\"", i);
		m.seq = ++seqs[c];
		m.cid = cid;
		m.cid_new = true;       /* as the service's cid set vouches */
		/* The service dates a message's event by its chat's start. */
		if (store_message_put(st, chats[c], &m) ||
		    store_stat_add(st, 2 + c, "message", 1, "resident", NULL))
			return -1;
		if ((i + 1) % SPREAD_PER_COMMIT == 0 && store_commit(st))
			return -1;
	}
	if (store_commit(st))
		return -1;
	printf("%-28s %8d writes  %8.1f us/write  %6.0f WAL bytes/write\n",
	       "300 per commit, 1000 chats", n, (now_ms() - t0) * 1e3 / n,
	       (double)(wal_bytes(path) - w0) / n);
	return forget_round(st, path, chats, n);
}

static void
remove_db(const char *path)
{
	static const char *const tails[] = { "", "-wal", "-shm" };
	char p[600];
	size_t i;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, tails[i]);
		unlink(p);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int n = argc > 2 ? atoi(argv[2]) : 20000;
	char path[512];
	struct store *st;
	int64_t chat, seq = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/neuvo-bench-%d.db", dir,
		 (int)getpid());
	if (n < 1 || store_open(path, 1000, &st))
		return 1;
	rc = store_chat_create(st, 1, "fi", NULL, &chat) || store_commit(st) ||
	     round_of(st, chat, &seq, n, 1000, "1000 writes per commit") ||
	     round_of(st, chat, &seq, n / 50 + 1, 1, "1 write per commit") ||
	     store_autocheckpoint(st, 0) || spread_round(st, path, n);
	store_close(st);
	remove_db(path);
	return rc ? 1 : 0;
}

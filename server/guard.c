/*
 * guard.c - per-address counts and blocks under a keyed hash (see
 * guard.h).
 *
 * A chained hash table of struct guard_entry. The keys are HMAC outputs,
 * already uniform, so their first bytes pick the bucket. An entry holds an
 * address's current hour (chats opened, refusals recorded) and its block,
 * and lives while either is in force; guard_sweep frees the rest.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "guard.h"

#define GUARD_BUCKETS 8192
#define SECRET_LEN 32

/* One address's counts and block; owned by its bucket chain. */
struct guard_entry {
	struct guard_entry *next;
	struct guard_key key;
	int64_t hour_start;             /* 0: no hour counted */
	int opened;                     /* chats opened in the hour */
	int refused;                    /* refusals counted in the hour */
	int tally[GUARD_N_TALLIES];     /* questions, bad codes in the hour */
	int64_t blocked_until;          /* 0: not blocked */
};

struct guard {
	unsigned char secret[SECRET_LEN];
	struct guard_entry *bucket[GUARD_BUCKETS];
	size_t entries;
	int64_t full_sweep_at;          /* last sweep forced by a full table */
};

struct guard *
guard_new(void)
{
	struct guard *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	if (RAND_bytes(g->secret, sizeof(g->secret)) != 1) {
		free(g);
		return NULL;
	}
	return g;
}

static void
free_entries(struct guard *g)
{
	size_t i;

	for (i = 0; i < GUARD_BUCKETS; i++) {
		while (g->bucket[i]) {
			struct guard_entry *e = g->bucket[i];

			g->bucket[i] = e->next;
			free(e);
		}
	}
	g->entries = 0;
}

void
guard_free(struct guard *g)
{
	if (!g)
		return;
	free_entries(g);
	OPENSSL_cleanse(g->secret, sizeof(g->secret));
	free(g);
}

int
guard_key_of(const struct guard *g, const char *address,
	     struct guard_key *out)
{
	unsigned int len = 0;

	memset(out, 0, sizeof(*out));
	if (!HMAC(EVP_sha256(), g->secret, sizeof(g->secret),
		  (const unsigned char *)address, strlen(address), out->b,
		  &len) || len != GUARD_KEY_LEN) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

bool
guard_key_unknown(const struct guard_key *k)
{
	static const struct guard_key zero;

	return guard_key_equal(k, &zero);
}

bool
guard_key_equal(const struct guard_key *a, const struct guard_key *b)
{
	return CRYPTO_memcmp(a->b, b->b, GUARD_KEY_LEN) == 0;
}

/* ------------------------------------------------------------ the table */

static size_t
bucket_of(const struct guard_key *k)
{
	return ((size_t)k->b[0] << 8 | k->b[1]) % GUARD_BUCKETS;
}

static struct guard_entry *
find(const struct guard *g, const struct guard_key *k)
{
	struct guard_entry *e = g->bucket[bucket_of(k)];

	while (e && !guard_key_equal(&e->key, k))
		e = e->next;
	return e;
}

/* The entry of k, made when missing and the table holds fewer than `cap`
 * entries. NULL when it cannot be made. */
static struct guard_entry *
find_or_add(struct guard *g, const struct guard_key *k, size_t cap)
{
	struct guard_entry *e = find(g, k);
	size_t b;

	if (e)
		return e;
	if (g->entries >= cap || guard_key_unknown(k))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	b = bucket_of(k);
	e->next = g->bucket[b];
	g->bucket[b] = e;
	g->entries++;
	return e;
}

static bool
hour_over(const struct guard_entry *e, int64_t now)
{
	return e->hour_start == 0 || now - e->hour_start >= GUARD_HOUR_S;
}

static bool
blocked_at(const struct guard_entry *e, int64_t now)
{
	return e->blocked_until > now;
}

/* The entry for counting k at `now`, its hour started or restarted; NULL
 * with the table full (after one sweep a second at most) or OOM. */
static struct guard_entry *
counting_entry(struct guard *g, const struct guard_key *k, int64_t now)
{
	struct guard_entry *e = find(g, k);

	if (!e && g->entries >= GUARD_MAX_COUNTED &&
	    now != g->full_sweep_at) {
		g->full_sweep_at = now;
		guard_sweep(g, now);
	}
	if (!e)
		e = find_or_add(g, k, GUARD_MAX_COUNTED);
	if (!e)
		return NULL;
	if (hour_over(e, now)) {
		e->hour_start = now;
		e->opened = 0;
		e->refused = 0;
		memset(e->tally, 0, sizeof(e->tally));
	}
	return e;
}

/* ------------------------------------------------------------- counting */

int
guard_opened(const struct guard *g, const struct guard_key *k, int64_t now)
{
	const struct guard_entry *e = find(g, k);

	return e && !hour_over(e, now) ? e->opened : 0;
}

bool
guard_open_allowed(const struct guard *g, const struct guard_key *k,
		   int max, int64_t now)
{
	return guard_opened(g, k, now) < max;
}

void
guard_count_open(struct guard *g, const struct guard_key *k, int64_t now)
{
	struct guard_entry *e = counting_entry(g, k, now);

	if (e)
		e->opened++;
}

bool
guard_count_refusal(struct guard *g, const struct guard_key *k, int max,
		    int64_t now)
{
	struct guard_entry *e = counting_entry(g, k, now);

	if (!e || e->refused >= max)
		return false;
	e->refused++;
	return true;
}

int
guard_tally(const struct guard *g, const struct guard_key *k,
	    enum guard_tally t, int64_t now)
{
	const struct guard_entry *e = find(g, k);

	if ((int)t < 0 || t >= GUARD_N_TALLIES)
		return 0;
	return e && !hour_over(e, now) ? e->tally[t] : 0;
}

void
guard_tally_add(struct guard *g, const struct guard_key *k,
		enum guard_tally t, int64_t now)
{
	struct guard_entry *e;

	if ((int)t < 0 || t >= GUARD_N_TALLIES)
		return;
	e = counting_entry(g, k, now);
	if (e)
		e->tally[t]++;
}

/* --------------------------------------------------------------- blocks */

/* With GUARD_MAX_BLOCKS in force: lift the one that would end first. */
static void
make_room_for_block(struct guard *g, int64_t now)
{
	struct guard_entry *e, *first = NULL;
	size_t i, n = 0;

	for (i = 0; i < GUARD_BUCKETS; i++)
		for (e = g->bucket[i]; e; e = e->next) {
			if (!blocked_at(e, now))
				continue;
			n++;
			if (!first || e->blocked_until < first->blocked_until)
				first = e;
		}
	if (n >= GUARD_MAX_BLOCKS && first)
		first->blocked_until = 0;
}

int
guard_block(struct guard *g, const struct guard_key *k, int64_t now,
	    int64_t until)
{
	struct guard_entry *e = find(g, k);

	if (guard_key_unknown(k))
		return -1;
	if (e && blocked_at(e, now)) {
		if (until > e->blocked_until)
			e->blocked_until = until;
		return 0;
	}
	make_room_for_block(g, now);
	e = find_or_add(g, k, GUARD_MAX_COUNTED + GUARD_MAX_BLOCKS);
	if (!e) {
		/* Blocks that ended may still hold entries. */
		guard_sweep(g, now);
		e = find_or_add(g, k, GUARD_MAX_COUNTED + GUARD_MAX_BLOCKS);
	}
	if (!e)
		return -1;
	e->blocked_until = until;
	return 0;
}

bool
guard_blocked(const struct guard *g, const struct guard_key *k, int64_t now)
{
	const struct guard_entry *e = find(g, k);

	return e && blocked_at(e, now);
}

size_t
guard_blocks(const struct guard *g, int64_t now)
{
	const struct guard_entry *e;
	size_t i, n = 0;

	for (i = 0; i < GUARD_BUCKETS; i++)
		for (e = g->bucket[i]; e; e = e->next)
			n += blocked_at(e, now);
	return n;
}

/* ---------------------------------------------------------------- upkeep */

void
guard_sweep(struct guard *g, int64_t now)
{
	size_t i;

	for (i = 0; i < GUARD_BUCKETS; i++) {
		struct guard_entry **pp = &g->bucket[i];

		while (*pp) {
			struct guard_entry *e = *pp;

			if (!hour_over(e, now) || blocked_at(e, now)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			g->entries--;
		}
	}
}

size_t
guard_entries(const struct guard *g)
{
	return g->entries;
}

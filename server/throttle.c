/*
 * throttle.c - failed-login pauses per key (see throttle.h).
 *
 * A singly linked list, newest first: the table holds at most
 * THROTTLE_KEPT entries and is read only on a password login, which costs
 * a scrypt hash anyway, so a walk is cheap next to it.
 */
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

/* One key with a failure since its last success (or a success after
 * failures: then fails = 0 until it is evicted). Owned by the list. */
struct throttle_entry {
	struct throttle_entry *next;
	char key[THROTTLE_KEY_MAX];
	int fails;
	int64_t next_try;               /* no try is checked before this */
};

void
throttle_init(struct throttle *t)
{
	t->newest = NULL;
	t->n = 0;
}

static struct throttle_entry *
find(const struct throttle *t, const char *key)
{
	struct throttle_entry *e;

	for (e = t->newest; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

/* Forget the entry whose first failure is the oldest (the list's tail). */
static void
drop_oldest(struct throttle *t)
{
	struct throttle_entry **pp = &t->newest;

	if (!*pp)
		return;
	while ((*pp)->next)
		pp = &(*pp)->next;
	free(*pp);
	*pp = NULL;
	t->n--;
}

static struct throttle_entry *
add(struct throttle *t, const char *key)
{
	struct throttle_entry *e;

	if (t->n >= THROTTLE_KEPT)
		drop_oldest(t);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->key, key, strlen(key) + 1);
	e->next = t->newest;
	t->newest = e;
	t->n++;
	return e;
}

bool
throttle_allowed(const struct throttle *t, const char *key, int64_t now)
{
	const struct throttle_entry *e = find(t, key);

	return !e || e->next_try <= now;
}

void
throttle_note(struct throttle *t, const char *key, bool ok, int64_t now)
{
	struct throttle_entry *e;
	int over;

	if (strlen(key) >= THROTTLE_KEY_MAX)
		return;
	e = find(t, key);
	if (ok) {
		if (e) {
			e->fails = 0;
			e->next_try = 0;
		}
		return;
	}
	if (!e && !(e = add(t, key)))
		return;
	e->fails++;
	over = e->fails - THROTTLE_FREE;
	if (over > 0)
		e->next_try = now + (over >= 6 ? THROTTLE_MAX_PAUSE_S
					       : (1 << over));
}

int
throttle_failures(const struct throttle *t, const char *key)
{
	const struct throttle_entry *e = find(t, key);

	return e ? e->fails : 0;
}

void
throttle_clear(struct throttle *t)
{
	while (t->newest) {
		struct throttle_entry *e = t->newest;

		t->newest = e->next;
		free(e);
	}
	t->n = 0;
}

/*
 * throttle.c - failed-login pauses per key (see throttle.h).
 *
 * A singly linked list, newest first: the table holds at most
 * THROTTLE_KEPT entries and is read only on a password login, which costs
 * a scrypt hash anyway (or is refused at once, which costs a walk and no
 * more), so a walk is cheap next to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

/* One key with a failure since its last success (or a success after
 * failures: then fails = 0 until it is evicted). Owned by the list. */
struct throttle_entry {
	struct throttle_entry *next;
	char key[THROTTLE_KEY_MAX];
	int fails;
	int64_t last_fail;              /* forgotten THROTTLE_FORGET_S after */
	int64_t next_try;               /* no try is checked before this */
};

void
throttle_init_free(struct throttle *t, int free_fails)
{
	t->newest = NULL;
	t->n = 0;
	t->free = free_fails < 0 ? 0 : free_fails;
}

void
throttle_init(struct throttle *t)
{
	throttle_init_free(t, THROTTLE_FREE);
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

/* Are e's failures too old to count at `now`? A clock set back past them
 * forgets them too, rather than pausing a key for as long as it went back. */
static bool
forgotten(const struct throttle_entry *e, int64_t now)
{
	return now - e->last_fail >= THROTTLE_FORGET_S || now < e->last_fail;
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

int64_t
throttle_wait(const struct throttle *t, const char *key, int64_t now)
{
	const struct throttle_entry *e = find(t, key);

	if (!e || forgotten(e, now) || e->next_try <= now)
		return 0;
	return e->next_try - now;
}

bool
throttle_allowed(const struct throttle *t, const char *key, int64_t now)
{
	return throttle_wait(t, key, now) == 0;
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
	if (forgotten(e, now))
		e->fails = 0;
	e->fails++;
	e->last_fail = now;
	over = e->fails - t->free;
	if (over > 0)
		e->next_try = now + (over >= 6 ? THROTTLE_MAX_PAUSE_S
					       : (1 << over));
}

int
throttle_failures(const struct throttle *t, const char *key, int64_t now)
{
	const struct throttle_entry *e = find(t, key);

	return e && !forgotten(e, now) ? e->fails : 0;
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

/* ------------------------------------------------------- advisor logins */

void
throttle_login_init(struct throttle_login *t)
{
	throttle_init(&t->by_pair);
	throttle_init_free(&t->by_addr, THROTTLE_ADDR_FREE);
}

/* "address\nusername" into key; false when it does not fit (then it is no
 * key). An address holds no newline, so two pairs never share a key. */
static bool
pair_key(const char *addr, const char *user, char key[THROTTLE_KEY_MAX])
{
	int n = snprintf(key, THROTTLE_KEY_MAX, "%s\n%s", addr, user);

	return n > 0 && n < THROTTLE_KEY_MAX;
}

int64_t
throttle_login_wait(const struct throttle_login *t, const char *addr,
		    const char *user, int64_t now)
{
	char key[THROTTLE_KEY_MAX];
	int64_t by_addr = throttle_wait(&t->by_addr, addr, now);
	int64_t by_pair = 0;

	if (pair_key(addr, user, key))
		by_pair = throttle_wait(&t->by_pair, key, now);
	return by_pair > by_addr ? by_pair : by_addr;
}

void
throttle_login_note(struct throttle_login *t, const char *addr,
		    const char *user, bool ok, int64_t now)
{
	char key[THROTTLE_KEY_MAX];

	throttle_note(&t->by_addr, addr, ok, now);
	if (pair_key(addr, user, key))
		throttle_note(&t->by_pair, key, ok, now);
}

void
throttle_login_clear(struct throttle_login *t)
{
	throttle_clear(&t->by_pair);
	throttle_clear(&t->by_addr);
}

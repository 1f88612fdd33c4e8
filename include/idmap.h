/*
 * idmap.h - a map from 64-bit ids to pointers, for finding a chat by its
 * store id without walking every chat.
 *
 * The service keeps every chat, queued and running, in one list; with
 * thousands waiting, an advisor's message walked all of them to find its
 * chat (issue 14's storm profile: 3 % of the server's CPU with 10,600
 * chats). This map makes that lookup constant time.
 *
 * Open addressing with linear probing, grown at half full, deletion by
 * shifting back (no tombstones, so a map that sees many puts and dels
 * never degrades). Keys are server-assigned ids (no visitor chooses them),
 * hashed by Fibonacci multiplication.
 *
 * Pure logic, memory only. The map owns its slot array (idmap_free); the
 * pointers stored in it are borrowed: the caller owns what they point to
 * and must idmap_del a key before freeing its value. One per service,
 * touched only on the event-loop thread.
 */
#ifndef NEUVO_IDMAP_H
#define NEUVO_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	int64_t key;
	void *val;              /* NULL marks an empty slot */
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap;             /* slots: 0, or a power of two >= 16 */
	size_t n;               /* keys held */
};

/* An empty map (no allocation until the first put or reserve). */
void idmap_init(struct idmap *m);

/* Frees the slots (not the values); the map is then empty. */
void idmap_free(struct idmap *m);

/* Makes room for `n` keys, so that puts up to that count cannot fail.
 * 0 on success, -1 out of memory (the map is unchanged). */
int idmap_reserve(struct idmap *m, size_t n);

/* Maps key to val (not NULL), replacing any value it had. 0 on success,
 * -1 out of memory (the map is unchanged). Cannot fail after a reserve
 * that counted this key. */
int idmap_put(struct idmap *m, int64_t key, void *val);

/* The value of key, or NULL. */
void *idmap_get(const struct idmap *m, int64_t key);

/* Removes key; returns the value it had, or NULL when it had none. */
void *idmap_del(struct idmap *m, int64_t key);

#endif

/*
 * cidset.c - the stored cids of one chat as hashes in memory (cidset.h):
 * an open-addressing table of keyed 64-bit hashes (SipHash-2-4) with the
 * seq of each one's message, linear probing, grown at half full. Lets the
 * message path skip the store's lookup for a cid that was never stored,
 * and read a resend's message by its seq.
 */
#include <stdlib.h>

#include "cidset.h"

void
cidset_init(struct cidset *set, bool complete)
{
	set->slots = NULL;
	set->cap = 0;
	set->n = 0;
	set->complete = complete;
}

void
cidset_free(struct cidset *set)
{
	free(set->slots);
	cidset_init(set, false);
}

/* The hash key: secret, drawn at each start (cidset_seed), so a client
 * cannot choose keys that collide or crowd one run of slots. The sets are
 * memory only and rebuilt at a start, so a new key each start is safe. */
static uint64_t key0, key1;

/* The 16 key bytes as SipHash's two little-endian words. */
static void
key_words(const uint8_t key[16], uint64_t *k0, uint64_t *k1)
{
	int i;

	*k0 = *k1 = 0;
	for (i = 7; i >= 0; i--) {
		*k0 = *k0 << 8 | key[i];
		*k1 = *k1 << 8 | key[8 + i];
	}
}

void
cidset_seed(const uint8_t key[16])
{
	key_words(key, &key0, &key1);
}

/* SipHash-2-4 (Aumasson and Bernstein), fed a byte at a time. */
struct sip {
	uint64_t v[4];
	uint64_t m;             /* the bytes of the word being filled */
	size_t len;             /* bytes fed */
};

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static void
sip_word(struct sip *s, uint64_t m)
{
	s->v[3] ^= m;
	sip_round(s->v);
	sip_round(s->v);
	s->v[0] ^= m;
}

static void
sip_init(struct sip *s, uint64_t k0, uint64_t k1)
{
	s->v[0] = k0 ^ 0x736f6d6570736575ULL;
	s->v[1] = k1 ^ 0x646f72616e646f6dULL;
	s->v[2] = k0 ^ 0x6c7967656e657261ULL;
	s->v[3] = k1 ^ 0x7465646279746573ULL;
	s->m = 0;
	s->len = 0;
}

static void
sip_byte(struct sip *s, unsigned char b)
{
	s->m |= (uint64_t)b << (8 * (s->len % 8));
	if (++s->len % 8 == 0) {
		sip_word(s, s->m);
		s->m = 0;
	}
}

static uint64_t
sip_end(struct sip *s)
{
	int i;

	sip_word(s, s->m | (uint64_t)(s->len & 0xff) << 56);
	s->v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(s->v);
	return s->v[0] ^ s->v[1] ^ s->v[2] ^ s->v[3];
}

uint64_t
cidset_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t k0, k1;
	struct sip s;

	key_words(key, &k0, &k1);
	sip_init(&s, k0, k1);
	while (len--)
		sip_byte(&s, *p++);
	return sip_end(&s);
}

uint64_t
cidset_hash(const char *sender, const char *key)
{
	struct sip s;
	uint64_t h;

	sip_init(&s, key0, key1);
	for (; *sender; sender++)
		sip_byte(&s, (unsigned char)*sender);
	sip_byte(&s, 0xff);     /* a separator no UTF-8 text holds */
	for (; *key; key++)
		sip_byte(&s, (unsigned char)*key);
	h = sip_end(&s);
	return h ? h : 1;
}

/* The slot of h, or the empty slot where it would go. cap > 0. */
static size_t
slot_of(const struct cidset *set, uint64_t h)
{
	size_t mask = set->cap - 1, i = (size_t)(h ^ (h >> 32)) & mask;

	while (set->slots[i].h && set->slots[i].h != h)
		i = (i + 1) & mask;
	return i;
}

bool
cidset_maybe(const struct cidset *set, uint64_t h)
{
	if (!set->complete)
		return true;
	if (!set->cap)
		return false;
	return set->slots[slot_of(set, h)].h == h;
}

int64_t
cidset_seq(const struct cidset *set, uint64_t h)
{
	const struct cidset_slot *sl;

	if (!set->complete || !set->cap)
		return 0;
	sl = &set->slots[slot_of(set, h)];
	return sl->h == h ? sl->seq : 0;
}

/* Doubles the table (16 slots at first). false: out of memory. */
static bool
grow(struct cidset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 16, i;
	struct cidset_slot *old = set->slots;
	struct cidset_slot *slots = calloc(cap, sizeof(*slots));
	size_t old_cap = set->cap;

	if (!slots)
		return false;
	set->slots = slots;
	set->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].h)
			set->slots[slot_of(set, old[i].h)] = old[i];
	free(old);
	return true;
}

void
cidset_add(struct cidset *set, uint64_t h, int64_t seq)
{
	size_t i;

	if (!set->complete)
		return;
	if (set->n >= CIDSET_MAX ||
	    ((set->n + 1) * 2 > set->cap && !grow(set))) {
		cidset_free(set);
		return;
	}
	i = slot_of(set, h);
	/* A later message takes it: an earlier one of this hash was rolled
	 * back (or is another key's, a collision, see cidset.h). */
	if (set->slots[i].h != h)
		set->n++;
	set->slots[i].h = h;
	set->slots[i].seq = seq;
}

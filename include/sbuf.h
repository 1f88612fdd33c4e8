/*
 * sbuf.h - a growable heap string for building text piece by piece: the
 * redactor's output, the email copy, the CSV figures and the HTML report.
 *
 * Out of memory is sticky: the first failed append frees the text and
 * marks the buffer failed, and every later append does nothing. So a
 * builder can write a whole section and check once at the end
 * (sbuf_failed, or sbuf_take returning NULL) instead of after every line.
 *
 * Ownership: the struct owns `s` until sbuf_take hands it to the caller
 * or sbuf_free releases it. The text is always NUL-terminated after the
 * first successful append and may hold NUL bytes of its own (sbuf_add
 * copies bytes, not strings); `len` counts them.
 */
#ifndef NEUVO_SBUF_H
#define NEUVO_SBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Lives where its builder declares it (usually on the stack), for one
 * build; touched by that builder's thread only. */
struct sbuf {
	char *s;        /* the text, NUL-terminated; NULL before any append */
	size_t len;     /* bytes of text, the terminator not counted */
	size_t cap;     /* bytes allocated at s */
	bool failed;    /* an allocation failed: s is NULL and stays so */
};

/* An empty buffer that has allocated nothing. Equivalent to = { 0 }. */
void sbuf_init(struct sbuf *b);

/* Make room for `n` more bytes (and the terminator) in one allocation, so
 * that a caller who knows the size avoids regrowing. Returns 0, or -1
 * when the buffer has (now) failed. */
int sbuf_reserve(struct sbuf *b, size_t n);

/* Append n bytes of p (p may be NULL when n is 0). */
void sbuf_add(struct sbuf *b, const char *p, size_t n);

/* Append a NUL-terminated string. */
void sbuf_adds(struct sbuf *b, const char *s);

/* Append one byte. */
void sbuf_addc(struct sbuf *b, char c);

/* Append printf output of any length. A format error fails the buffer. */
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Mark the buffer failed and free its text: for a builder whose own
 * helper allocation failed, so that the one check at the end sees it. */
void sbuf_fail(struct sbuf *b);

/* Has an allocation (or a format) failed since sbuf_init? */
bool sbuf_failed(const struct sbuf *b);

/*
 * Hand the text to the caller, who frees it; "" (allocated) when nothing
 * was appended. Returns NULL when the buffer failed or that last
 * allocation fails. Either way the buffer is empty and reusable after.
 */
char *sbuf_take(struct sbuf *b);

/* Free the text and make the buffer empty (and not failed) again. */
void sbuf_free(struct sbuf *b);

#endif

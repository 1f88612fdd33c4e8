/*
 * mail.h - the email copy of a conversation: the address check and the
 * rendering of one complete RFC 5322 message (issue 5).
 *
 * Pure logic: no libwebsockets, no SQLite, no curl. The service reads the
 * redacted messages from the store and hands them here; the SMTP worker
 * (smtp.h) only sends what this module rendered.
 *
 * Times are shown in the process's local zone (the configured [hours]
 * timezone, applied by hours_tz_apply before anything is rendered).
 */
#ifndef NEUVO_MAIL_H
#define NEUVO_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hours;

#define MAIL_ADDRESS_MAX 254    /* RFC 5321 path limit */
#define MAIL_LINE_MAX 998       /* RFC 5322 line limit, CRLF excluded */

/*
 * Is `addr` one plain address we may send to: local@domain, at most 254
 * bytes, printable ASCII only (no CR, LF, space or other control), no list,
 * no display name or angle brackets, a domain of dot-separated labels of
 * letters, digits and hyphens with at least one dot. NULL is refused.
 */
bool mail_address_ok(const char *addr);

/* One chat message for the copy; strings borrowed from the caller. */
struct mail_line {
	bool advisor;           /* false = the resident */
	int64_t at;             /* Unix time */
	const char *text;       /* already redacted, UTF-8 */
};

/* Everything one copy needs; every pointer is borrowed for the call. */
struct mail_copy {
	const char *lang;       /* "fi" | "sv" | "en" (others render as en) */
	const char *from;       /* sender address ([smtp] from) */
	const char *to;         /* recipient, passed mail_address_ok */
	const char *msgid;      /* unique left part of Message-ID ([0-9a-f]) */
	int64_t now;            /* Date: header */
	const struct hours *hours; /* opening hours listed in the body */
	const struct mail_line *lines;
	size_t n_lines;
};

/*
 * Render the whole message (headers, blank line, base64 body of UTF-8
 * text/plain), every line ending in CRLF and shorter than 998 octets.
 * Returns a NUL-terminated heap string the caller frees, or NULL on OOM or
 * when `to` or `from` fails mail_address_ok.
 */
char *mail_render(const struct mail_copy *m);

/*
 * The email with the answer to a question left while closed (CONTRACT.md
 * section 9): as mail_render, with the subject and words of the answer in
 * m->lang (fi, sv, en; others as en), the question and the answer (both
 * already redacted) in the body, and the opening hours. m->lines is not
 * read. Heap string or NULL, as mail_render.
 */
char *mail_render_answer(const struct mail_copy *m, const char *question,
			 const char *answer);

/* Its body text alone (before base64), for tests. Heap string or NULL. */
char *mail_answer_body_text(const struct mail_copy *m, const char *question,
			    const char *answer);

/*
 * The body text alone (before base64), for tests and for the renderer:
 * heap string with CRLF line ends, caller frees; NULL on OOM.
 */
char *mail_body_text(const struct mail_copy *m);

/* `text` as RFC 2047 encoded words ("=?UTF-8?B?...?="), each at most 75
 * characters and holding whole UTF-8 characters, folded with CRLF SP
 * between them, into buf (n bytes). Returns 0, or -1 when it does not fit. */
int mail_encode_header(const char *text, char *buf, size_t n);

/* RFC 5322 date of t in the local zone ("Sun, 22 Nov 2026 21:16:03
 * +0200") into buf (>= 40 bytes). */
void mail_format_date(int64_t t, char *buf, size_t n);

#endif

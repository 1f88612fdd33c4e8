/*
 * mail.c - the email copy of a chat (see mail.h): the address check and the
 * message text. Pure: the service gives it redacted messages read from the
 * store, and the SMTP worker sends the string it returns.
 *
 * The body is base64, so whatever the residents typed (long lines, lone
 * dots, any UTF-8) can never break the SMTP stream or the 998-octet line
 * limit; headers are ASCII with the Subject as an RFC 2047 encoded word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hours.h"
#include "mail.h"

#define B64_LINE 76             /* base64 characters per body line */

/* A growing string; `s` is NULL after an allocation failed. */
struct buf {
	char *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t n)
{
	char *grown;

	if (!b->s)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;

		grown = realloc(b->s, cap);
		if (!grown) {
			free(b->s);
			b->s = NULL;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		free(b->s);
		b->s = NULL;
		return;
	}
	buf_add(b, tmp, (size_t)n);
}

static int
buf_init(struct buf *b)
{
	b->len = 0;
	b->cap = 1024;
	b->s = malloc(b->cap);
	if (!b->s)
		return -1;
	b->s[0] = '\0';
	return 0;
}

/* ------------------------------------------------------------- address */

static bool
label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-';
}

/* Labels of [A-Za-z0-9-], not starting or ending with '-', >= 2 of them. */
static bool
domain_ok(const char *d)
{
	size_t label = 0, labels = 0;
	const char *p;

	for (p = d; ; p++) {
		if (*p == '.' || !*p) {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			labels++;
			label = 0;
			if (!*p)
				break;
			continue;
		}
		if (!label_char(*p) || (label == 0 && *p == '-'))
			return false;
		label++;
	}
	return labels >= 2;
}

/* Printable ASCII without the specials that would need quoting. */
static bool
local_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 127 || strchr("<>()[]\\,;:\"@", ch))
			return false;
		if (ch == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

bool
mail_address_ok(const char *addr)
{
	const char *at;
	size_t n;

	if (!addr)
		return false;
	n = strlen(addr);
	if (n == 0 || n > MAIL_ADDRESS_MAX)
		return false;
	at = strchr(addr, '@');
	if (!at || strchr(at + 1, '@'))
		return false;
	return local_ok(addr, (size_t)(at - addr)) && domain_ok(at + 1);
}

/* -------------------------------------------------------------- base64 */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode 1-3 bytes as 4 characters. */
static void
b64_quad(const unsigned char *in, size_t n, char out[4])
{
	unsigned v = (unsigned)in[0] << 16;

	if (n > 1)
		v |= (unsigned)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out[0] = b64[(v >> 18) & 63];
	out[1] = b64[(v >> 12) & 63];
	out[2] = n > 1 ? b64[(v >> 6) & 63] : '=';
	out[3] = n > 2 ? b64[v & 63] : '=';
}

/* Base64 of data in lines of B64_LINE characters, each ending in CRLF. */
static void
b64_lines(struct buf *b, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < len; i += 3) {
		b64_quad(p + i, len - i < 3 ? len - i : 3, q);
		buf_add(b, q, 4);
		col += 4;
		if (col >= B64_LINE) {
			buf_add(b, "\r\n", 2);
			col = 0;
		}
	}
	if (col)
		buf_add(b, "\r\n", 2);
}

/* Bytes of text that fit one encoded word: at most 45 (60 base64
 * characters, 72 with the wrapper, under RFC 2047's 75), never splitting a
 * UTF-8 character. */
static size_t
word_chunk(const char *text, size_t len)
{
	size_t n = len < 45 ? len : 45;

	while (n < len && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int
mail_encode_header(const char *text, char *buf, size_t n)
{
	size_t len = strlen(text), i, o = 0, chunk;
	char q[4];

	do {
		chunk = word_chunk(text, len);
		if (o + 3 + 12 + (chunk + 2) / 3 * 4 + 1 > n)
			return -1;
		if (o) {
			memcpy(buf + o, "\r\n ", 3);
			o += 3;
		}
		memcpy(buf + o, "=?UTF-8?B?", 10);
		o += 10;
		for (i = 0; i < chunk; i += 3) {
			b64_quad((const unsigned char *)text + i,
				 chunk - i < 3 ? chunk - i : 3, q);
			memcpy(buf + o, q, 4);
			o += 4;
		}
		memcpy(buf + o, "?=", 2);
		o += 2;
		text += chunk;
		len -= chunk;
	} while (len > 0 && chunk > 0);
	buf[o] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- text */

/* The words of one language. */
struct words {
	const char *code;
	const char *subject;
	const char *intro;      /* followed by the date */
	const char *resident, *advisor;
	const char *hours_head;
	const char *closed;
	const char *days[7];
	const char *footer1, *footer2;
	const char *empty;
};

static const struct words langs[] = {
	{ "fi", "Jäljennös neuvontachatin keskustelusta – älä vastaa",
	  "Neuvontachat: keskustelu",
	  "Asiakas", "Neuvoja", "Neuvontachatin aukioloajat:", "suljettu",
	  { "ma", "ti", "ke", "to", "pe", "la", "su" },
	  "Tämä kopio lähetettiin pyynnöstäsi. Osoitettasi ei tallennettu.",
	  "Vastauksia tähän viestiin ei lueta.",
	  "(ei viestejä)" },
	{ "sv", "Kopia av samtalet i rådgivningschatten – svara inte",
	  "Rådgivningschatten: samtal",
	  "Klient", "Rådgivare", "Rådgivningschattens öppettider:", "stängt",
	  { "mån", "tis", "ons", "tor", "fre", "lör", "sön" },
	  "Kopian skickades på din begäran. Din adress har inte sparats.",
	  "Svar på detta meddelande läses inte.",
	  "(inga meddelanden)" },
	{ "en", "Copy of your advice chat – do not reply",
	  "Advice chat: conversation on",
	  "Resident", "Advisor", "Opening hours of the advice chat:", "closed",
	  { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" },
	  "This copy was sent at your request. Your address was not kept.",
	  "Replies to this message are not read.",
	  "(no messages)" },
};

static const struct words *
words_for(const char *lang)
{
	size_t i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (lang && !strcmp(lang, langs[i].code))
			return &langs[i];
	return &langs[2];
}

/* Message text with every line break as CRLF and no lone CR. */
static void
add_text(struct buf *b, const char *t)
{
	for (; *t; t++) {
		if (*t == '\r')
			continue;
		if (*t == '\n')
			buf_add(b, "\r\n", 2);
		else
			buf_add(b, t, 1);
	}
	buf_add(b, "\r\n", 2);
}

static void
add_line(struct buf *b, const struct words *w, const struct mail_line *l)
{
	time_t t = (time_t)l->at;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	buf_printf(b, "%s %02d:%02d:%02d\r\n",
		   l->advisor ? w->advisor : w->resident,
		   tm.tm_hour, tm.tm_min, tm.tm_sec);
	add_text(b, l->text);
	buf_add(b, "\r\n", 2);
}

static void
add_hours(struct buf *b, const struct words *w, const struct hours *h)
{
	char ranges[128];
	int d;

	if (!h)
		return;
	buf_printf(b, "%s\r\n", w->hours_head);
	for (d = 0; d < 7; d++) {
		hours_format_day(&h->week[d], ranges, sizeof(ranges));
		buf_printf(b, "%s %s\r\n", w->days[d],
			   h->week[d].n ? ranges : w->closed);
	}
	buf_add(b, "\r\n", 2);
}

char *
mail_body_text(const struct mail_copy *m)
{
	const struct words *w = words_for(m->lang);
	time_t start = (time_t)(m->n_lines ? m->lines[0].at : m->now);
	struct tm tm;
	char date[48];
	struct buf b;
	size_t i;

	if (buf_init(&b))
		return NULL;
	if (!localtime_r(&start, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(date, sizeof(date), "%d.%d.%04d", tm.tm_mday, tm.tm_mon + 1,
		 tm.tm_year + 1900);
	buf_printf(&b, "%s %s\r\n\r\n", w->intro, date);
	for (i = 0; i < m->n_lines; i++)
		add_line(&b, w, &m->lines[i]);
	if (m->n_lines == 0)
		buf_printf(&b, "%s\r\n\r\n", w->empty);
	buf_add(&b, "-- \r\n", 5);
	add_hours(&b, w, m->hours);
	buf_printf(&b, "%s\r\n%s\r\n", w->footer1, w->footer2);
	return b.s;
}

/* ------------------------------------------------------------- headers */

void
mail_format_date(int64_t t, char *buf, size_t n)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
				      "Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
					 "Jun", "Jul", "Aug", "Sep", "Oct",
					 "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	if (!localtime_r(&tt, &tm)) {
		snprintf(buf, n, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	off = tm.tm_gmtoff / 60;
	snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static void
add_headers(struct buf *b, const struct mail_copy *m, const struct words *w)
{
	char date[40], subject[256];
	const char *domain = strchr(m->from, '@') + 1;

	mail_format_date(m->now, date, sizeof(date));
	if (mail_encode_header(w->subject, subject, sizeof(subject))) {
		free(b->s);
		b->s = NULL;
		return;
	}
	buf_printf(b, "Date: %s\r\n", date);
	buf_printf(b, "From: %s\r\n", m->from);
	buf_printf(b, "To: %s\r\n", m->to);
	buf_printf(b, "Subject: %s\r\n", subject);
	buf_printf(b, "Message-ID: <%s@%s>\r\n", m->msgid, domain);
	buf_printf(b, "MIME-Version: 1.0\r\n");
	buf_printf(b, "Content-Type: text/plain; charset=UTF-8\r\n");
	buf_printf(b, "Content-Transfer-Encoding: base64\r\n");
	buf_printf(b, "Content-Language: %s\r\n", w->code);
	buf_printf(b, "Auto-Submitted: auto-generated\r\n\r\n");
}

static bool
msgid_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0, i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

char *
mail_render(const struct mail_copy *m)
{
	const struct words *w = words_for(m->lang);
	struct buf b;
	char *body;

	if (!mail_address_ok(m->to) || !mail_address_ok(m->from) ||
	    !msgid_ok(m->msgid))
		return NULL;
	body = mail_body_text(m);
	if (!body)
		return NULL;
	if (buf_init(&b)) {
		free(body);
		return NULL;
	}
	add_headers(&b, m, w);
	b64_lines(&b, body, strlen(body));
	free(body);
	return b.s;
}

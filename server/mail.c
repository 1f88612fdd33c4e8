/*
 * mail.c - the email copy of a chat (see mail.h): the address check and the
 * message text. Pure: the service gives it redacted messages read from the
 * store, and the SMTP worker sends the string it returns.
 *
 * The body is base64, so whatever the residents typed (long lines, lone
 * dots, any UTF-8) can never break the SMTP stream or the 998-octet line
 * limit; headers are ASCII with the Subject as an RFC 2047 encoded word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "hours.h"
#include "mail.h"
#include "sbuf.h"

#define B64_LINE 76             /* base64 characters per body line */
#define B64_LINE_BYTES (B64_LINE / 4 * 3)     /* the bytes they encode */
#define WORD_BYTES 45           /* text bytes in one encoded word */

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

/* Base64 of data in lines of B64_LINE characters, each ending in CRLF. */
static void
b64_lines(struct sbuf *b, const char *data, size_t len)
{
	char line[B64_LINE + 1];
	size_t i, chunk, n;

	for (i = 0; i < len; i += chunk) {
		chunk = len - i < B64_LINE_BYTES ? len - i : B64_LINE_BYTES;
		n = b64_encode(data + i, chunk, line, 0);
		sbuf_add(b, line, n);
		sbuf_add(b, "\r\n", 2);
	}
}

/* Bytes of text that fit one encoded word: at most WORD_BYTES (60 base64
 * characters, 72 with the wrapper, under RFC 2047's 75), never splitting a
 * UTF-8 character. */
static size_t
word_chunk(const char *text, size_t len)
{
	size_t n = len < WORD_BYTES ? len : WORD_BYTES;

	while (n < len && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int
mail_encode_header(const char *text, char *buf, size_t n)
{
	size_t len = strlen(text), o = 0, chunk;

	do {
		chunk = word_chunk(text, len);
		if (o + 3 + 12 + b64_encoded_len(chunk, 0) + 1 > n)
			return -1;
		if (o) {
			memcpy(buf + o, "\r\n ", 3);
			o += 3;
		}
		memcpy(buf + o, "=?UTF-8?B?", 10);
		o += 10;
		o += b64_encode(text, chunk, buf + o, 0);
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
add_text(struct sbuf *b, const char *t)
{
	for (; *t; t++) {
		if (*t == '\r')
			continue;
		if (*t == '\n')
			sbuf_add(b, "\r\n", 2);
		else
			sbuf_add(b, t, 1);
	}
	sbuf_add(b, "\r\n", 2);
}

static void
add_line(struct sbuf *b, const struct words *w, const struct mail_line *l)
{
	time_t t = (time_t)l->at;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	sbuf_addf(b, "%s %02d:%02d:%02d\r\n",
		   l->advisor ? w->advisor : w->resident,
		   tm.tm_hour, tm.tm_min, tm.tm_sec);
	add_text(b, l->text);
	sbuf_add(b, "\r\n", 2);
}

static void
add_hours(struct sbuf *b, const struct words *w, const struct hours *h)
{
	char ranges[128];
	int d;

	if (!h)
		return;
	sbuf_addf(b, "%s\r\n", w->hours_head);
	for (d = 0; d < 7; d++) {
		hours_format_day(&h->week[d], ranges, sizeof(ranges));
		sbuf_addf(b, "%s %s\r\n", w->days[d],
			   h->week[d].n ? ranges : w->closed);
	}
	sbuf_add(b, "\r\n", 2);
}

char *
mail_body_text(const struct mail_copy *m)
{
	const struct words *w = words_for(m->lang);
	time_t start = (time_t)(m->n_lines ? m->lines[0].at : m->now);
	struct tm tm;
	char date[48];
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	if (!localtime_r(&start, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(date, sizeof(date), "%d.%d.%04d", tm.tm_mday, tm.tm_mon + 1,
		 tm.tm_year + 1900);
	sbuf_addf(&b, "%s %s\r\n\r\n", w->intro, date);
	for (i = 0; i < m->n_lines; i++)
		add_line(&b, w, &m->lines[i]);
	if (m->n_lines == 0)
		sbuf_addf(&b, "%s\r\n\r\n", w->empty);
	sbuf_add(&b, "-- \r\n", 5);
	add_hours(&b, w, m->hours);
	sbuf_addf(&b, "%s\r\n%s\r\n", w->footer1, w->footer2);
	return sbuf_take(&b);
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

/* Returns 0, or -1 when the Subject does not fit its encoded form. */
static int
add_headers(struct sbuf *b, const struct mail_copy *m, const struct words *w,
	    const char *subject_text)
{
	char date[40], subject[256];
	const char *domain = strchr(m->from, '@') + 1;

	mail_format_date(m->now, date, sizeof(date));
	if (mail_encode_header(subject_text, subject, sizeof(subject)))
		return -1;
	sbuf_addf(b, "Date: %s\r\n", date);
	sbuf_addf(b, "From: %s\r\n", m->from);
	sbuf_addf(b, "To: %s\r\n", m->to);
	sbuf_addf(b, "Subject: %s\r\n", subject);
	sbuf_addf(b, "Message-ID: <%s@%s>\r\n", m->msgid, domain);
	sbuf_addf(b, "MIME-Version: 1.0\r\n");
	sbuf_addf(b, "Content-Type: text/plain; charset=UTF-8\r\n");
	sbuf_addf(b, "Content-Transfer-Encoding: base64\r\n");
	sbuf_addf(b, "Content-Language: %s\r\n", w->code);
	sbuf_addf(b, "Auto-Submitted: auto-generated\r\n\r\n");
	return 0;
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

/* Headers for `subject`, then `body` (taken; NULL: out of memory) in
 * base64. */
static char *
render_with(const struct mail_copy *m, const char *subject, char *body)
{
	const struct words *w = words_for(m->lang);
	struct sbuf b;

	if (!mail_address_ok(m->to) || !mail_address_ok(m->from) ||
	    !msgid_ok(m->msgid)) {
		free(body);
		return NULL;
	}
	if (!body)
		return NULL;
	sbuf_init(&b);
	if (add_headers(&b, m, w, subject)) {
		sbuf_free(&b);
		free(body);
		return NULL;
	}
	b64_lines(&b, body, strlen(body));
	free(body);
	return sbuf_take(&b);
}

char *
mail_render(const struct mail_copy *m)
{
	return render_with(m, words_for(m->lang)->subject, mail_body_text(m));
}

/* ------------------------------------------- the answer to a question */

/* The words of an answer's email, by language as `langs`. */
struct answer_words {
	const char *code;
	const char *subject;
	const char *question, *answer;
	const char *footer1, *footer2;
};

static const struct answer_words answer_langs[] = {
	{ "fi", "Vastaus kysymykseesi neuvontachatissa – älä vastaa",
	  "Kysymyksesi:", "Vastaus:",
	  "Tämä viesti lähetettiin pyynnöstäsi kerran. Osoitettasi ei "
	  "säilytetä.",
	  "Vastauksia tähän viestiin ei lueta." },
	{ "sv", "Svar på din fråga i rådgivningschatten – svara inte",
	  "Din fråga:", "Svar:",
	  "Meddelandet skickades en gång på din begäran. Din adress sparas "
	  "inte.",
	  "Svar på detta meddelande läses inte." },
	{ "en", "Answer to your question in the advice chat – do not reply",
	  "Your question:", "Answer:",
	  "This message was sent once at your request. Your address is not "
	  "kept.",
	  "Replies to this message are not read." },
};

static const struct answer_words *
answer_words_for(const char *lang)
{
	size_t i;

	for (i = 0; i < sizeof(answer_langs) / sizeof(answer_langs[0]); i++)
		if (lang && !strcmp(lang, answer_langs[i].code))
			return &answer_langs[i];
	return &answer_langs[2];
}

char *
mail_answer_body_text(const struct mail_copy *m, const char *question,
		      const char *answer)
{
	const struct answer_words *w = answer_words_for(m->lang);
	struct sbuf b;

	sbuf_init(&b);
	sbuf_addf(&b, "%s\r\n", w->question);
	add_text(&b, question);
	sbuf_addf(&b, "\r\n%s\r\n", w->answer);
	add_text(&b, answer);
	sbuf_add(&b, "\r\n-- \r\n", 7);
	add_hours(&b, words_for(m->lang), m->hours);
	sbuf_addf(&b, "%s\r\n%s\r\n", w->footer1, w->footer2);
	return sbuf_take(&b);
}

char *
mail_render_answer(const struct mail_copy *m, const char *question,
		   const char *answer)
{
	if (!question || !answer)
		return NULL;
	return render_with(m, answer_words_for(m->lang)->subject,
			   mail_answer_body_text(m, question, answer));
}

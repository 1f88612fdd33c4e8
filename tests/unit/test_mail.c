/* test_mail.c - the email copy: the address check and the rendered message
 * (headers present and well-formed, the Subject decoding back to its UTF-8,
 * the base64 body, CRLF everywhere, every line under 998 octets). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hours.h"
#include "mail.h"
#include "unit.h"

/* 2026-11-23 09:26:22 in Helsinki (+02:00). */
#define T0 ((int64_t)1795418782)

static struct hours test_hours;

static const struct mail_line lines3[] = {
	{ false, T0, "Hei, tarvitsisin apua toimeentulotuen kanssa." },
	{ true, T0 + 31, "Hei! Autan mielelläni.\nKerro lisää." },
	{ false, T0 + 95, "Hetuni on [hetu] ja puhelin [phone]." },
};

static struct mail_copy
copy_in(const char *lang)
{
	unit_weekday_hours(&test_hours);
	return (struct mail_copy){ lang, "neuvonta@example.fi",
				   "asukas@example.org", "0123456789abcdef",
				   T0 + 200, &test_hours, lines3, 3 };
}

static char *
render(const char *lang)
{
	struct mail_copy m = copy_in(lang);
	char *s = mail_render(&m);

	assert_non_null(s);
	return s;
}

/* The value of header `name` (up to its CRLF), in a static buffer. */
static const char *
header(const char *msg, const char *name)
{
	static char val[512];
	const char *end = strstr(msg, "\r\n\r\n");
	size_t n = strlen(name);
	const char *p = msg;

	while (p && p < end) {
		if (!strncmp(p, name, n) && p[n] == ':') {
			const char *e = strstr(p, "\r\n");

			p += n + 2;
			while (e && e[2] == ' ')        /* folded */
				e = strstr(e + 2, "\r\n");
			snprintf(val, sizeof(val), "%.*s", (int)(e - p), p);
			return val;
		}
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return NULL;
}

static int
b64_val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/";
	const char *p = c ? strchr(t, c) : NULL;

	return p ? (int)(p - t) : -1;
}

/* Decode base64 text, skipping CR, LF and spaces; heap string. */
static char *
b64_decode(const char *s, size_t n)
{
	char *out = calloc(n + 1, 1);
	unsigned v = 0;
	size_t i, o = 0;
	int bits = 0, x;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		x = b64_val(s[i]);
		if (x < 0)
			continue;
		v = (v << 6) | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xFF);
		}
	}
	return out;
}

/* Decode a header of encoded words; heap string. */
static char *
decode_words(const char *h)
{
	char *out = calloc(strlen(h) + 1, 1), *part;
	const char *p = h, *q;

	assert_non_null(out);
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		q = strstr(p, "?=");
		assert_non_null(q);
		part = b64_decode(p, (size_t)(q - p));
		strcat(out, part);
		free(part);
		p = q + 2;
	}
	return out;
}

static char *
body_of(const char *msg)
{
	const char *b = strstr(msg, "\r\n\r\n");

	assert_non_null(b);
	return b64_decode(b + 4, strlen(b + 4));
}

/* ------------------------------------------------------------- address */

static void
address_plain_accepted(void **state)
{
	(void)state;
	assert_true(mail_address_ok("asukas@example.org"));
}

static void
address_with_plus_and_dots_accepted(void **state)
{
	(void)state;
	assert_true(mail_address_ok("etu.suku+kopio@posti.kunta.fi"));
}

static void
address_with_hyphen_domain_accepted(void **state)
{
	(void)state;
	assert_true(mail_address_ok("a@b-c.fi"));
}

static void
address_null_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok(NULL));
}

static void
address_empty_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok(""));
}

static void
address_without_at_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("asukas.example.org"));
}

static void
address_two_ats_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("a@b@example.org"));
}

static void
address_crlf_injection_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("a@example.org\r\nBcc: x@evil.example"));
	assert_false(mail_address_ok("a@example.org\nBcc: x@evil.example"));
	assert_false(mail_address_ok("a@example.org\r"));
}

static void
address_control_char_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("a\t@example.org"));
	assert_false(mail_address_ok("a@exam\x01ple.org"));
	assert_false(mail_address_ok("a@example.org\x7f"));
}

static void
address_list_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("a@example.org,b@example.org"));
	assert_false(mail_address_ok("a@example.org;b@example.org"));
	assert_false(mail_address_ok("a@example.org b@example.org"));
}

static void
address_display_name_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("Asukas <a@example.org>"));
	assert_false(mail_address_ok("<a@example.org>"));
}

static void
address_non_ascii_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("äiti@example.org"));
}

static void
address_domain_without_dot_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("a@localhost"));
}

static void
address_bad_domain_labels_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok("a@.example.org"));
	assert_false(mail_address_ok("a@example..org"));
	assert_false(mail_address_ok("a@example.org."));
	assert_false(mail_address_ok("a@-example.org"));
	assert_false(mail_address_ok("a@example-.org"));
	assert_false(mail_address_ok("a@exa_mple.org"));
}

static void
address_bad_local_dots_refused(void **state)
{
	(void)state;
	assert_false(mail_address_ok(".a@example.org"));
	assert_false(mail_address_ok("a.@example.org"));
	assert_false(mail_address_ok("a..b@example.org"));
	assert_false(mail_address_ok("@example.org"));
}

static void
address_of_254_accepted(void **state)
{
	char a[255];

	(void)state;
	/* 64 + '@' + 3 labels of 60 + dots + "fi" = 254 */
	memset(a, 'x', 64);
	a[64] = '@';
	memset(a + 65, 'd', 60); a[125] = '.';
	memset(a + 126, 'd', 60); a[186] = '.';
	memset(a + 187, 'd', 60); a[247] = '.';
	memset(a + 248, 'd', 3); a[251] = '.';
	a[252] = 'f'; a[253] = 'i'; a[254] = '\0';
	assert_int_equal(strlen(a), 254);
	assert_true(mail_address_ok(a));
}

static void
address_of_255_refused(void **state)
{
	char a[256];

	(void)state;
	memset(a, 'x', 64);
	a[64] = '@';
	memset(a + 65, 'd', 60); a[125] = '.';
	memset(a + 126, 'd', 60); a[186] = '.';
	memset(a + 187, 'd', 60); a[247] = '.';
	memset(a + 248, 'd', 4); a[252] = '.';
	a[253] = 'f'; a[254] = 'i'; a[255] = '\0';
	assert_false(mail_address_ok(a));
}

static void
address_of_300_refused(void **state)
{
	char a[301];

	(void)state;
	memset(a, 'a', 300);
	a[10] = '@';
	a[200] = '.';
	a[300] = '\0';
	assert_false(mail_address_ok(a));
}

static void
address_long_local_part_refused(void **state)
{
	char a[100];

	(void)state;
	memset(a, 'x', 65);
	snprintf(a + 65, sizeof(a) - 65, "@example.org");
	assert_false(mail_address_ok(a));
}

/* ------------------------------------------------------------- headers */

static void
render_refuses_bad_to(void **state)
{
	struct mail_copy m = copy_in("fi");

	(void)state;
	m.to = "a@example.org\r\nBcc: x@evil.example";
	assert_null(mail_render(&m));
}

static void
render_refuses_bad_msgid(void **state)
{
	struct mail_copy m = copy_in("fi");

	(void)state;
	m.msgid = "abc>\r\nX: y";
	assert_null(mail_render(&m));
}

static void
headers_all_present(void **state)
{
	static const char *names[] = { "Date", "From", "To", "Subject",
		"Message-ID", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding" };
	char *s = render("fi");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(header(s, names[i]));
	free(s);
}

static void
header_from_and_to(void **state)
{
	char *s = render("fi");

	(void)state;
	assert_string_equal(header(s, "From"), "neuvonta@example.fi");
	assert_string_equal(header(s, "To"), "asukas@example.org");
	free(s);
}

static void
header_date_rfc5322(void **state)
{
	char *s = render("fi");

	(void)state;
	/* T0 + 200 = 09:29:42 local */
	assert_string_equal(header(s, "Date"), "Mon, 23 Nov 2026 09:29:42 +0200");
	free(s);
}

static void
date_in_summer_has_plus_0300(void **state)
{
	char buf[40];

	(void)state;
	mail_format_date(1782043200, buf, sizeof(buf));  /* 2026-06-21 */
	assert_non_null(strstr(buf, "+0300"));
	assert_non_null(strstr(buf, " Jun 2026 "));
}

static void
header_message_id_form(void **state)
{
	char *s = render("fi");

	(void)state;
	assert_string_equal(header(s, "Message-ID"),
			    "<0123456789abcdef@example.fi>");
	free(s);
}

static void
header_mime(void **state)
{
	char *s = render("fi");

	(void)state;
	assert_string_equal(header(s, "MIME-Version"), "1.0");
	assert_string_equal(header(s, "Content-Type"),
			    "text/plain; charset=UTF-8");
	assert_string_equal(header(s, "Content-Transfer-Encoding"), "base64");
	free(s);
}

static void
headers_are_ascii(void **state)
{
	char *s = render("sv");
	const char *end = strstr(s, "\r\n\r\n");
	const char *p;

	(void)state;
	for (p = s; p < end; p++)
		assert_true((unsigned char)*p < 128);
	free(s);
}

static void
subject_fi_decodes_with_a_and_o(void **state)
{
	char *s = render("fi");
	char *subj = decode_words(header(s, "Subject"));

	(void)state;
	assert_string_equal(subj,
		"Jäljennös neuvontachatin keskustelusta – älä vastaa");
	free(subj);
	free(s);
}

static void
subject_sv_decodes(void **state)
{
	char *s = render("sv");
	char *subj = decode_words(header(s, "Subject"));

	(void)state;
	assert_non_null(strstr(subj, "rådgivningschatten"));
	free(subj);
	free(s);
}

static void
subject_words_at_most_75(void **state)
{
	char *s = render("fi");
	const char *p = header(s, "Subject"), *q;

	(void)state;
	while ((p = strstr(p, "=?")) != NULL) {
		q = strstr(p + 10, "?=");
		assert_non_null(q);
		assert_true(q + 2 - p <= 75);
		p = q + 2;
	}
	free(s);
}

static void
encode_header_keeps_utf8_whole(void **state)
{
	char buf[512], *back;
	const char *text = "ääääääääääääääääääääääääääääääääääääääää öö";

	(void)state;
	assert_int_equal(mail_encode_header(text, buf, sizeof(buf)), 0);
	back = decode_words(buf);
	assert_string_equal(back, text);
	free(back);
}

static void
encode_header_too_small(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(mail_encode_header("Jäljennös", buf, sizeof(buf)), -1);
}

/* --------------------------------------------------------------- lines */

static void
every_line_ends_crlf(void **state)
{
	char *s = render("fi");
	size_t i;

	(void)state;
	for (i = 0; s[i]; i++) {
		if (s[i] == '\n')
			assert_true(i > 0 && s[i - 1] == '\r');
		if (s[i] == '\r')
			assert_int_equal(s[i + 1], '\n');
	}
	assert_int_equal(s[strlen(s) - 1], '\n');
	free(s);
}

static void
every_line_under_998(void **state)
{
	struct mail_line big[1];
	struct mail_copy m = copy_in("en");
	char *text = malloc(8001), *s;
	const char *p, *e;

	(void)state;
	assert_non_null(text);
	memset(text, 'x', 8000);
	text[8000] = '\0';
	big[0] = (struct mail_line){ false, T0, text };
	m.lines = big;
	m.n_lines = 1;
	s = mail_render(&m);
	assert_non_null(s);
	for (p = s; (e = strstr(p, "\r\n")) != NULL; p = e + 2)
		assert_true(e - p < MAIL_LINE_MAX);
	free(s);
	free(text);
}

/* ---------------------------------------------------------------- body */

static void
body_decodes_to_body_text(void **state)
{
	struct mail_copy m = copy_in("fi");
	char *s = mail_render(&m), *body = body_of(s), *want;

	(void)state;
	want = mail_body_text(&m);
	assert_string_equal(body, want);
	free(want);
	free(body);
	free(s);
}

static void
body_fi_roles_and_times(void **state)
{
	char *s = render("fi"), *b = body_of(s);

	(void)state;
	assert_non_null(strstr(b, "Asiakas 09:26:22\r\n"));
	assert_non_null(strstr(b, "Neuvoja 09:26:53\r\n"));
	assert_non_null(strstr(b, "Asiakas 09:27:57\r\n"));
	free(b);
	free(s);
}

static void
body_sv_roles(void **state)
{
	char *s = render("sv"), *b = body_of(s);

	(void)state;
	assert_non_null(strstr(b, "Klient 09:26:22"));
	assert_non_null(strstr(b, "Rådgivare 09:26:53"));
	free(b);
	free(s);
}

static void
body_en_roles(void **state)
{
	char *s = render("en"), *b = body_of(s);

	(void)state;
	assert_non_null(strstr(b, "Resident 09:26:22"));
	assert_non_null(strstr(b, "Advisor 09:26:53"));
	free(b);
	free(s);
}

static void
body_unknown_lang_is_english(void **state)
{
	char *s = render("de"), *b = body_of(s);

	(void)state;
	assert_non_null(strstr(b, "Resident 09:26:22"));
	free(b);
	free(s);
}

static void
body_keeps_texts_in_order(void **state)
{
	char *s = render("fi"), *b = body_of(s);
	const char *a1 = strstr(b, "toimeentulotuen");
	const char *a2 = strstr(b, "Autan mielelläni.\r\nKerro lisää.");
	const char *a3 = strstr(b, "[hetu]");

	(void)state;
	assert_true(a1 && a2 && a3 && a1 < a2 && a2 < a3);
	free(b);
	free(s);
}

static void
body_has_date_of_chat(void **state)
{
	char *s = render("fi"), *b = body_of(s);

	(void)state;
	assert_non_null(strstr(b, "23.11.2026"));
	free(b);
	free(s);
}

static void
body_lists_opening_hours(void **state)
{
	char *s = render("fi"), *b = body_of(s);

	(void)state;
	assert_non_null(strstr(b, "ma 09:00-11:00\r\n"));
	assert_non_null(strstr(b, "la suljettu\r\n"));
	free(b);
	free(s);
}

static void
body_says_sent_on_request_and_not_read(void **state)
{
	char *fi = render("fi"), *bfi = body_of(fi);
	char *en = render("en"), *ben = body_of(en);

	(void)state;
	assert_non_null(strstr(bfi, "pyynnöstäsi"));
	assert_non_null(strstr(bfi, "ei lueta"));
	assert_non_null(strstr(ben, "at your request"));
	assert_non_null(strstr(ben, "not read"));
	free(bfi);
	free(fi);
	free(ben);
	free(en);
}

static void
body_does_not_hold_the_address(void **state)
{
	char *s = render("fi"), *b = body_of(s);

	(void)state;
	assert_null(strstr(b, "asukas@example.org"));
	free(b);
	free(s);
}

static void
body_without_messages(void **state)
{
	struct mail_copy m = copy_in("en");
	char *b;

	(void)state;
	m.n_lines = 0;
	b = mail_body_text(&m);
	assert_non_null(strstr(b, "(no messages)"));
	free(b);
}

static void
body_lone_cr_dropped(void **state)
{
	struct mail_line l[1] = { { false, T0, "a\rb\r\nc" } };
	struct mail_copy m = copy_in("en");
	char *b;

	(void)state;
	m.lines = l;
	m.n_lines = 1;
	b = mail_body_text(&m);
	assert_non_null(strstr(b, "ab\r\nc\r\n"));
	free(b);
}

int
test_mail_run(void)
{
#define T(f) cmocka_unit_test(f)
	const struct CMUnitTest tests[] = {
		T(address_plain_accepted),
		T(address_with_plus_and_dots_accepted),
		T(address_with_hyphen_domain_accepted),
		T(address_null_refused), T(address_empty_refused),
		T(address_without_at_refused), T(address_two_ats_refused),
		T(address_crlf_injection_refused),
		T(address_control_char_refused), T(address_list_refused),
		T(address_display_name_refused), T(address_non_ascii_refused),
		T(address_domain_without_dot_refused),
		T(address_bad_domain_labels_refused),
		T(address_bad_local_dots_refused), T(address_of_254_accepted),
		T(address_of_255_refused), T(address_of_300_refused),
		T(address_long_local_part_refused),

		T(render_refuses_bad_to), T(render_refuses_bad_msgid),
		T(headers_all_present), T(header_from_and_to),
		T(header_date_rfc5322), T(date_in_summer_has_plus_0300),
		T(header_message_id_form), T(header_mime),
		T(headers_are_ascii), T(subject_fi_decodes_with_a_and_o),
		T(subject_sv_decodes), T(subject_words_at_most_75),
		T(encode_header_keeps_utf8_whole), T(encode_header_too_small),

		T(every_line_ends_crlf), T(every_line_under_998),

		T(body_decodes_to_body_text), T(body_fi_roles_and_times),
		T(body_sv_roles), T(body_en_roles),
		T(body_unknown_lang_is_english), T(body_keeps_texts_in_order),
		T(body_has_date_of_chat), T(body_lists_opening_hours),
		T(body_says_sent_on_request_and_not_read),
		T(body_does_not_hold_the_address), T(body_without_messages),
		T(body_lone_cr_dropped),
	};
#undef T

	return cmocka_run_group_tests_name("mail", tests, unit_setup_helsinki, NULL);
}

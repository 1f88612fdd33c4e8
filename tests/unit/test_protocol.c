/*
 * test_protocol.c - proto_parse for every client message type, for the role
 * that may send it and the one that may not; malformed frames of every
 * kind; strict UTF-8 counting; the error and dump builders.
 *
 * Most cases are one line through the REFUSES / REFUSES_FIELD macros: a
 * frame, a role, and the error code it must get (and the field its message
 * must name).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol.h"
#include "unit.h"

#define R PROTO_RESIDENT
#define A PROTO_ADVISOR

static const struct proto_limits lim = { 2000 };

/* ------------------------------------------------------------ helpers */

/* Parse `len` bytes; on refusal `in` must come back empty. */
static int
parse_n(const char *frame, size_t len, enum proto_role role,
	const struct proto_limits *l, struct proto_in *in, const char **code,
	const char **message)
{
	int rc;

	*code = NULL;
	*message = NULL;
	rc = proto_parse(frame, len, role, l, in, code, message);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_non_null(*code);
		assert_non_null(*message);
		assert_null(in->root);
		assert_null(in->text);
		assert_null(in->token);
	}
	return rc;
}

/* Expect `frame` accepted for `role` as `type`; free `in` when done. */
static void
accept_frame(const char *frame, enum proto_role role, enum proto_type type,
	     struct proto_in *in)
{
	const char *code, *message;

	if (parse_n(frame, strlen(frame), role, &lim, in, &code, &message))
		fail_msg("%s refused: %s (%s)", frame, code, message);
	assert_int_equal(in->type, type);
	assert_non_null(in->root);
}

/* Expect `len` bytes refused with `want`; returns the message. */
static const char *
refuse_n(const char *frame, size_t len, enum proto_role role,
	 const struct proto_limits *l, const char *want)
{
	struct proto_in in;
	const char *code, *message;

	if (parse_n(frame, len, role, l, &in, &code, &message) == 0) {
		proto_in_free(&in);
		fail_msg("%s accepted, wanted %s", frame, want);
	}
	if (strcmp(code, want) != 0)
		fail_msg("%s: got %s (%s), wanted %s", frame, code, message,
			 want);
	return message;
}

static const char *
refuse(const char *frame, enum proto_role role, const char *want)
{
	return refuse_n(frame, strlen(frame), role, &lim, want);
}

/* Expect a refusal whose message names `name` in quotes. */
static void
refuse_naming(const char *frame, enum proto_role role, const char *want,
	      const char *name)
{
	const char *message = refuse(frame, role, want);
	char quoted[64];

	snprintf(quoted, sizeof(quoted), "'%s'", name);
	if (!strstr(message, quoted))
		fail_msg("%s: message \"%s\" does not name %s", frame, message,
			 quoted);
}

/* A heap frame {"type":"msg",<prefix>"text":"<unit * n>"}. */
static char *
msg_frame(const char *prefix, const char *unit, size_t n)
{
	size_t ulen = strlen(unit), plen = strlen(prefix), i;
	char *buf = malloc(40 + plen + ulen * n), *p;

	assert_non_null(buf);
	p = buf + sprintf(buf, "{\"type\":\"msg\",%s\"text\":\"", prefix);
	for (i = 0; i < n; i++, p += ulen)
		memcpy(p, unit, ulen);
	strcpy(p, "\"}");
	return buf;
}

/* A string of n copies of c, for length limits. */
static char *
repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* A frame with one string field of n copies of `ch` after `head`. */
static char *
string_frame(const char *head, const char *key, char ch, size_t n)
{
	char *s = repeat(ch, n);
	char *buf = malloc(strlen(head) + strlen(key) + n + 16);

	assert_non_null(buf);
	sprintf(buf, "{%s,\"%s\":\"%s\"}", head, key, s);
	free(s);
	return buf;
}

#define REFUSES(name, role, code, frame)                                 \
	static void name(void **state)                                   \
	{                                                                \
		(void)state;                                             \
		refuse(frame, role, code);                               \
	}

#define REFUSES_FIELD(name, role, code, frame, fieldname)                \
	static void name(void **state)                                   \
	{                                                                \
		(void)state;                                             \
		refuse_naming(frame, role, code, fieldname);             \
	}

#define ACCEPTS(name, role, type, frame)                                 \
	static void name(void **state)                                   \
	{                                                                \
		struct proto_in in;                                      \
		(void)state;                                             \
		accept_frame(frame, role, type, &in);                    \
		proto_in_free(&in);                                      \
	}

/* ------------------------------------------------------------- UTF-8 */

static void
utf8_counts_ascii(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("hello", 5), 5);
}

static void
utf8_empty_is_zero(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("", 0), 0);
	assert_int_equal(proto_utf8_chars(NULL, 0), 0);
}

static void
utf8_counts_code_points_not_bytes(void **state)
{
	(void)state;
	/* ä (2 bytes), € (3), 😀 (4) */
	assert_int_equal(proto_utf8_chars("\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80",
					  9), 3);
}

static void
utf8_counts_embedded_nul(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("a\0b", 3), 3);
}

static void
utf8_accepts_highest_code_point(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xf4\x8f\xbf\xbf", 4), 1);
}

static void
utf8_refuses_two_byte_overlong(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xc0\xaf", 2), -1);
	assert_int_equal(proto_utf8_chars("\xc1\xbf", 2), -1);
}

static void
utf8_refuses_three_byte_overlong(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xe0\x80\xaf", 3), -1);
	assert_int_equal(proto_utf8_chars("\xe0\x9f\xbf", 3), -1);
}

static void
utf8_refuses_four_byte_overlong(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xf0\x8f\xbf\xbf", 4), -1);
}

static void
utf8_refuses_surrogates(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xed\xa0\x80", 3), -1);
	assert_int_equal(proto_utf8_chars("\xed\xbf\xbf", 3), -1);
}

static void
utf8_accepts_around_surrogates(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xed\x9f\xbf\xee\x80\x80", 6), 2);
}

static void
utf8_refuses_above_u10ffff(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xf4\x90\x80\x80", 4), -1);
	assert_int_equal(proto_utf8_chars("\xf5\x80\x80\x80", 4), -1);
}

static void
utf8_refuses_lone_continuation(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("a\x80", 2), -1);
}

static void
utf8_refuses_truncated_sequence(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xc3", 1), -1);
	assert_int_equal(proto_utf8_chars("\xe2\x82", 2), -1);
	assert_int_equal(proto_utf8_chars("\xf0\x9f\x98", 3), -1);
}

static void
utf8_refuses_broken_continuation(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xe2\x28\xac", 3), -1);
}

static void
utf8_refuses_ff_and_fe(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("\xff", 1), -1);
	assert_int_equal(proto_utf8_chars("\xfe", 1), -1);
}

static void
utf8_respects_len(void **state)
{
	(void)state;
	/* The second byte lies outside len: truncated. */
	assert_int_equal(proto_utf8_chars("\xc3\xa4", 1), -1);
	assert_int_equal(proto_utf8_chars("abc", 2), 2);
}

/* ------------------------------------------------------------- hello */

static void
hello_with_lang_and_topic(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"hello\",\"lang\":\"sv\",\"topic\":\"housing\"}",
		     R, PROTO_HELLO, &in);
	assert_string_equal(in.lang, "sv");
	assert_string_equal(in.topic, "housing");
	proto_in_free(&in);
}

static void
hello_without_fields(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"hello\"}", R, PROTO_HELLO, &in);
	assert_null(in.lang);
	assert_null(in.topic);
	proto_in_free(&in);
}

static void
hello_null_fields_count_as_absent(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"hello\",\"lang\":null,\"topic\":null}", R,
		     PROTO_HELLO, &in);
	assert_null(in.lang);
	assert_null(in.topic);
	proto_in_free(&in);
}

static void
hello_ignores_unknown_fields(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"hello\",\"lang\":\"fi\",\"x\":[1,{\"y\":2}]}",
		     R, PROTO_HELLO, &in);
	assert_string_equal(in.lang, "fi");
	proto_in_free(&in);
}

static void
hello_lang_of_eight_letters(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"hello\",\"lang\":\"abcdefgh\"}", R,
		     PROTO_HELLO, &in);
	assert_string_equal(in.lang, "abcdefgh");
	proto_in_free(&in);
}

static void
hello_topic_of_31_chars(void **state)
{
	char *f = string_frame("\"type\":\"hello\"", "topic", 'a', 31);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_HELLO, &in);
	assert_int_equal(strlen(in.topic), 31);
	proto_in_free(&in);
	free(f);
}

static void
hello_topic_of_32_chars(void **state)
{
	char *f = string_frame("\"type\":\"hello\"", "topic", 'a', 32);

	(void)state;
	refuse_naming(f, R, "bad_field", "topic");
	free(f);
}

REFUSES_FIELD(hello_lang_number, R, "bad_field",
	      "{\"type\":\"hello\",\"lang\":5}", "lang")
REFUSES_FIELD(hello_lang_uppercase, R, "bad_field",
	      "{\"type\":\"hello\",\"lang\":\"FI\"}", "lang")
REFUSES_FIELD(hello_lang_one_letter, R, "bad_field",
	      "{\"type\":\"hello\",\"lang\":\"f\"}", "lang")
REFUSES_FIELD(hello_lang_nine_letters, R, "bad_field",
	      "{\"type\":\"hello\",\"lang\":\"abcdefghi\"}", "lang")
REFUSES_FIELD(hello_lang_empty, R, "bad_field",
	      "{\"type\":\"hello\",\"lang\":\"\"}", "lang")
REFUSES_FIELD(hello_lang_with_region, R, "bad_field",
	      "{\"type\":\"hello\",\"lang\":\"fi-FI\"}", "lang")
REFUSES_FIELD(hello_topic_list, R, "bad_field",
	      "{\"type\":\"hello\",\"topic\":[\"housing\"]}", "topic")
REFUSES_FIELD(hello_topic_bad_chars, R, "bad_field",
	      "{\"type\":\"hello\",\"topic\":\"Housing!\"}", "topic")
REFUSES_FIELD(hello_topic_digit, R, "bad_field",
	      "{\"type\":\"hello\",\"topic\":\"topic1\"}", "topic")
REFUSES_FIELD(hello_topic_empty, R, "bad_field",
	      "{\"type\":\"hello\",\"topic\":\"\"}", "topic")
REFUSES_FIELD(hello_topic_false, R, "bad_field",
	      "{\"type\":\"hello\",\"topic\":false}", "topic")
REFUSES_FIELD(hello_topic_with_nul, R, "bad_field",
	      "{\"type\":\"hello\",\"topic\":\"housing\\u0000x\"}", "topic")

/* ------------------------------------------------------------ resume */

static void
resume_with_token(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"resume\",\"token\":\"abc\"}", R, PROTO_RESUME,
		     &in);
	assert_string_equal(in.token, "abc");
	proto_in_free(&in);
}

static void
resume_token_of_max_length(void **state)
{
	char *f = string_frame("\"type\":\"resume\"", "token", 't',
			       PROTO_MAX_TOKEN);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_RESUME, &in);
	assert_int_equal(strlen(in.token), PROTO_MAX_TOKEN);
	proto_in_free(&in);
	free(f);
}

static void
resume_token_over_max_length(void **state)
{
	char *f = string_frame("\"type\":\"resume\"", "token", 't',
			       PROTO_MAX_TOKEN + 1);

	(void)state;
	refuse_naming(f, R, "bad_field", "token");
	free(f);
}

REFUSES_FIELD(resume_without_token, R, "bad_field",
	      "{\"type\":\"resume\"}", "token")
REFUSES_FIELD(resume_empty_token, R, "bad_field",
	      "{\"type\":\"resume\",\"token\":\"\"}", "token")
REFUSES_FIELD(resume_token_number, R, "bad_field",
	      "{\"type\":\"resume\",\"token\":12345}", "token")
REFUSES_FIELD(resume_token_null, R, "bad_field",
	      "{\"type\":\"resume\",\"token\":null}", "token")
REFUSES_FIELD(resume_token_with_nul, R, "bad_field",
	      "{\"type\":\"resume\",\"token\":\"ab\\u0000cd\"}", "token")

/* --------------------------------------------------------- msg: text */

static void
resident_msg_text(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"Hei!\"}", R, PROTO_MSG, &in);
	assert_string_equal(in.text, "Hei!");
	assert_null(in.cid);
	assert_false(in.has_chat);
	proto_in_free(&in);
}

static void
resident_msg_string_cid(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"Hei\",\"cid\":\"c-1\"}", R,
		     PROTO_MSG, &in);
	assert_true(json_is_string(in.cid));
	assert_string_equal(json_string_value(in.cid), "c-1");
	proto_in_free(&in);
}

static void
resident_msg_integer_cid(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"x\",\"cid\":-7}", R,
		     PROTO_MSG, &in);
	assert_true(json_is_integer(in.cid));
	assert_int_equal(json_integer_value(in.cid), -7);
	proto_in_free(&in);
}

static void
resident_msg_empty_cid(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"x\",\"cid\":\"\"}", R,
		     PROTO_MSG, &in);
	assert_string_equal(json_string_value(in.cid), "");
	proto_in_free(&in);
}

static void
resident_msg_null_cid_is_absent(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"x\",\"cid\":null}", R,
		     PROTO_MSG, &in);
	assert_null(in.cid);
	proto_in_free(&in);
}

static void
resident_msg_cid_of_max_length(void **state)
{
	char *f = string_frame("\"type\":\"msg\",\"text\":\"x\"", "cid", 'c',
			       PROTO_MAX_CID);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_MSG, &in);
	assert_int_equal(json_string_length(in.cid), PROTO_MAX_CID);
	proto_in_free(&in);
	free(f);
}

static void
resident_msg_cid_over_max_length(void **state)
{
	char *f = string_frame("\"type\":\"msg\",\"text\":\"x\"", "cid", 'c',
			       PROTO_MAX_CID + 1);

	(void)state;
	refuse_naming(f, R, "bad_field", "cid");
	free(f);
}

REFUSES_FIELD(msg_cid_real, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"x\",\"cid\":1.5}", "cid")
REFUSES_FIELD(msg_cid_object, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"x\",\"cid\":{}}", "cid")
REFUSES_FIELD(msg_cid_true, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"x\",\"cid\":true}", "cid")
REFUSES_FIELD(msg_without_text, R, "bad_field",
	      "{\"type\":\"msg\"}", "text")
REFUSES_FIELD(msg_text_number, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":5}", "text")
REFUSES_FIELD(msg_text_null, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":null}", "text")
REFUSES_FIELD(msg_text_array, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":[\"hei\"]}", "text")
REFUSES_FIELD(msg_text_empty, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"\"}", "text")
REFUSES_FIELD(msg_text_only_spaces, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"   \"}", "text")
REFUSES_FIELD(msg_text_only_newlines_and_tabs, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\" \\n\\t\\r\\n \"}", "text")
REFUSES_FIELD(msg_text_only_nbsp, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"\\u00a0\\u00a0\"}", "text")
REFUSES_FIELD(msg_text_only_ideographic_space, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"\\u3000\\u2003\\u200b\"}", "text")
REFUSES_FIELD(msg_text_nul, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"a\\u0000b\"}", "text")
REFUSES_FIELD(msg_text_bell, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"ding\\u0007\"}", "text")
REFUSES_FIELD(msg_text_escape, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"\\u001b[31mred\"}", "text")
REFUSES_FIELD(msg_text_backspace, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"ab\\bc\"}", "text")
REFUSES_FIELD(msg_text_form_feed, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"a\\fb\"}", "text")
REFUSES_FIELD(msg_text_unit_separator, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"a\\u001fb\"}", "text")
REFUSES_FIELD(msg_text_delete, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"a\\u007fb\"}", "text")
REFUSES_FIELD(msg_text_c1_control, R, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"a\\u0085b\"}", "text")
REFUSES(msg_text_lone_surrogate_escape, R, "bad_json",
	"{\"type\":\"msg\",\"text\":\"a\\ud800b\"}")

static void
msg_text_keeps_newline_tab_and_cr(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"a\\nb\\tc\\r\\nd\"}", R,
		     PROTO_MSG, &in);
	assert_string_equal(in.text, "a\nb\tc\r\nd");
	proto_in_free(&in);
}

static void
msg_text_escaped_surrogate_pair(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"\\u00e4\\ud83d\\ude00\"}", R,
		     PROTO_MSG, &in);
	assert_string_equal(in.text, "\xc3\xa4\xf0\x9f\x98\x80");
	proto_in_free(&in);
}

static void
msg_text_with_surrounding_spaces_kept(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"text\":\"  moi  \"}", R, PROTO_MSG,
		     &in);
	assert_string_equal(in.text, "  moi  ");
	proto_in_free(&in);
}

static void
msg_text_2000_two_byte_chars_pass(void **state)
{
	char *f = msg_frame("", "\xc3\xa4", 2000);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_MSG, &in);
	assert_int_equal(strlen(in.text), 4000);
	proto_in_free(&in);
	free(f);
}

static void
msg_text_2001_two_byte_chars_too_long(void **state)
{
	char *f = msg_frame("", "\xc3\xa4", 2001);

	(void)state;
	refuse_naming(f, R, "too_long", "text");
	free(f);
}

static void
msg_text_2000_four_byte_chars_pass(void **state)
{
	char *f = msg_frame("", "\xf0\x9f\x98\x80", 2000);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_MSG, &in);
	proto_in_free(&in);
	free(f);
}

static void
msg_text_2000_escaped_pairs_pass(void **state)
{
	char *f = msg_frame("", "\\ud83d\\ude00", 2000);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_MSG, &in);
	proto_in_free(&in);
	free(f);
}

static void
msg_text_2001_ascii_too_long(void **state)
{
	char *f = msg_frame("", "a", 2001);

	(void)state;
	refuse(f, R, "too_long");
	free(f);
}

static void
msg_text_limit_comes_from_limits(void **state)
{
	static const struct proto_limits ten = { 10 };
	const char *ok = "{\"type\":\"msg\",\"text\":\"\xe2\x82\xac\xe2\x82\xac"
		"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}";
	const char *over = "{\"type\":\"msg\",\"text\":\"aaaaaaaaaaa\"}";
	struct proto_in in;
	const char *code, *message;

	(void)state;
	assert_int_equal(parse_n(ok, strlen(ok), R, &ten, &in, &code,
				 &message), 0);
	proto_in_free(&in);
	refuse_n(over, strlen(over), R, &ten, "too_long");
}

static void
msg_text_long_blank_is_too_long(void **state)
{
	char *f = msg_frame("", " ", 2001);

	(void)state;
	refuse(f, R, "too_long");
	free(f);
}

/* ------------------------------------------------------ msg: advisor */

static void
advisor_msg_chat_and_text(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"chat\":3,\"text\":\"Moi\"}", A,
		     PROTO_MSG, &in);
	assert_int_equal(in.chat, 3);
	assert_true(in.has_chat);
	assert_string_equal(in.text, "Moi");
	proto_in_free(&in);
}

static void
advisor_msg_with_cid(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"chat\":3,\"text\":\"Moi\",\"cid\":\"a1\"}",
		     A, PROTO_MSG, &in);
	assert_string_equal(json_string_value(in.cid), "a1");
	proto_in_free(&in);
}

static void
advisor_msg_largest_chat_id(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"msg\",\"chat\":9223372036854775807,"
		     "\"text\":\"x\"}", A, PROTO_MSG, &in);
	assert_true(in.chat == INT64_MAX);
	proto_in_free(&in);
}

static void
advisor_msg_too_long(void **state)
{
	char *f = msg_frame("\"chat\":1,", "\xc3\xa4", 2001);

	(void)state;
	refuse(f, A, "too_long");
	free(f);
}

REFUSES_FIELD(advisor_msg_without_chat, A, "bad_field",
	      "{\"type\":\"msg\",\"text\":\"x\"}", "chat")
REFUSES_FIELD(advisor_msg_chat_zero, A, "bad_field",
	      "{\"type\":\"msg\",\"chat\":0,\"text\":\"x\"}", "chat")
REFUSES_FIELD(advisor_msg_chat_negative, A, "bad_field",
	      "{\"type\":\"msg\",\"chat\":-4,\"text\":\"x\"}", "chat")
REFUSES_FIELD(advisor_msg_chat_real, A, "bad_field",
	      "{\"type\":\"msg\",\"chat\":1.0,\"text\":\"x\"}", "chat")
REFUSES_FIELD(advisor_msg_chat_string, A, "bad_field",
	      "{\"type\":\"msg\",\"chat\":\"1\",\"text\":\"x\"}", "chat")
REFUSES_FIELD(advisor_msg_without_text, A, "bad_field",
	      "{\"type\":\"msg\",\"chat\":1}", "text")
REFUSES_FIELD(advisor_msg_blank_text, A, "bad_field",
	      "{\"type\":\"msg\",\"chat\":1,\"text\":\"\\n\"}", "text")

/* ------------------------------------------------------------ typing */

static void
resident_typing_on(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"typing\",\"on\":true}", R, PROTO_TYPING, &in);
	assert_true(in.on);
	proto_in_free(&in);
}

static void
resident_typing_off(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"typing\",\"on\":false}", R, PROTO_TYPING, &in);
	assert_false(in.on);
	proto_in_free(&in);
}

static void
advisor_typing_with_chat(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"typing\",\"chat\":7,\"on\":true}", A,
		     PROTO_TYPING, &in);
	assert_int_equal(in.chat, 7);
	assert_true(in.on);
	proto_in_free(&in);
}

REFUSES_FIELD(typing_on_string, R, "bad_field",
	      "{\"type\":\"typing\",\"on\":\"yes\"}", "on")
REFUSES_FIELD(typing_on_number, R, "bad_field",
	      "{\"type\":\"typing\",\"on\":1}", "on")
REFUSES_FIELD(typing_without_on, R, "bad_field",
	      "{\"type\":\"typing\"}", "on")
REFUSES_FIELD(advisor_typing_without_chat, A, "bad_field",
	      "{\"type\":\"typing\",\"on\":true}", "chat")
REFUSES_FIELD(advisor_typing_without_on, A, "bad_field",
	      "{\"type\":\"typing\",\"chat\":2}", "on")

/* --------------------------------------------------------------- end */

ACCEPTS(resident_end, R, PROTO_END, "{\"type\":\"end\"}")

static void
resident_end_ignores_chat(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"end\",\"chat\":\"whatever\"}", R, PROTO_END,
		     &in);
	assert_false(in.has_chat);
	proto_in_free(&in);
}

static void
advisor_end_with_chat(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"end\",\"chat\":12}", A, PROTO_END, &in);
	assert_int_equal(in.chat, 12);
	proto_in_free(&in);
}

REFUSES_FIELD(advisor_end_without_chat, A, "bad_field",
	      "{\"type\":\"end\"}", "chat")
REFUSES_FIELD(advisor_end_chat_null, A, "bad_field",
	      "{\"type\":\"end\",\"chat\":null}", "chat")

/* ------------------------------------------------------------- email */

static void
email_with_address(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"email\",\"to\":\"a@b.fi\"}", R, PROTO_EMAIL,
		     &in);
	assert_string_equal(in.to, "a@b.fi");
	proto_in_free(&in);
}

static void
email_of_max_length(void **state)
{
	char *f = string_frame("\"type\":\"email\"", "to", 'e',
			       PROTO_MAX_EMAIL);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_EMAIL, &in);
	proto_in_free(&in);
	free(f);
}

/* Longer than an address may be: parsed, so the service can answer
 * invalid_email (mail_address_ok refuses it). */
static void
email_of_300_bytes_parsed(void **state)
{
	char *f = string_frame("\"type\":\"email\"", "to", 'e', 300);
	struct proto_in in;

	(void)state;
	accept_frame(f, R, PROTO_EMAIL, &in);
	proto_in_free(&in);
	free(f);
}

static void
email_over_max_length(void **state)
{
	char *f = string_frame("\"type\":\"email\"", "to", 'e',
			       PROTO_MAX_EMAIL_FIELD + 1);

	(void)state;
	refuse_naming(f, R, "bad_field", "to");
	free(f);
}

REFUSES_FIELD(email_without_to, R, "bad_field", "{\"type\":\"email\"}", "to")
REFUSES_FIELD(email_empty_to, R, "bad_field",
	      "{\"type\":\"email\",\"to\":\"\"}", "to")
REFUSES_FIELD(email_to_number, R, "bad_field",
	      "{\"type\":\"email\",\"to\":42}", "to")
REFUSES_FIELD(email_to_list, R, "bad_field",
	      "{\"type\":\"email\",\"to\":[\"a@b.fi\"]}", "to")

/* ---------------------------------------------------------- feedback */

static void
feedback_ratings_one_to_five(void **state)
{
	char frame[64];
	struct proto_in in;
	int r;

	(void)state;
	for (r = 1; r <= 5; r++) {
		snprintf(frame, sizeof(frame),
			 "{\"type\":\"feedback\",\"rating\":%d}", r);
		accept_frame(frame, R, PROTO_FEEDBACK, &in);
		assert_int_equal(in.rating, r);
		proto_in_free(&in);
	}
}

REFUSES_FIELD(feedback_rating_zero, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":0}", "rating")
REFUSES_FIELD(feedback_rating_six, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":6}", "rating")
REFUSES_FIELD(feedback_rating_negative, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":-1}", "rating")
REFUSES_FIELD(feedback_rating_string, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":\"5\"}", "rating")
REFUSES_FIELD(feedback_rating_real, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":5.0}", "rating")
REFUSES_FIELD(feedback_rating_exponent, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":5e0}", "rating")
REFUSES_FIELD(feedback_rating_beyond_int, R, "bad_field",
	      "{\"type\":\"feedback\",\"rating\":4294967299}", "rating")
REFUSES_FIELD(feedback_without_rating, R, "bad_field",
	      "{\"type\":\"feedback\"}", "rating")

/* -------------------------------------------------------------- ping */

ACCEPTS(resident_ping, R, PROTO_PING, "{\"type\":\"ping\"}")

/* ------------------------------------------------------------- login */

static void
login_with_password(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"login\",\"username\":\"liisa\","
		     "\"password\":\"s\xc3\xa4lasana\"}", A, PROTO_LOGIN, &in);
	assert_string_equal(in.username, "liisa");
	assert_string_equal(in.password, "s\xc3\xa4lasana");
	assert_null(in.token);
	proto_in_free(&in);
}

static void
login_with_token(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"login\",\"token\":\"t0k3n\"}", A, PROTO_LOGIN,
		     &in);
	assert_string_equal(in.token, "t0k3n");
	assert_null(in.username);
	assert_null(in.password);
	proto_in_free(&in);
}

static void
login_password_of_max_length(void **state)
{
	char *f = string_frame("\"type\":\"login\",\"username\":\"u\"",
			       "password", 'p', PROTO_MAX_SHORT);
	struct proto_in in;

	(void)state;
	accept_frame(f, A, PROTO_LOGIN, &in);
	assert_int_equal(strlen(in.password), PROTO_MAX_SHORT);
	proto_in_free(&in);
	free(f);
}

static void
login_password_over_max_length(void **state)
{
	char *f = string_frame("\"type\":\"login\",\"username\":\"u\"",
			       "password", 'p', PROTO_MAX_SHORT + 1);

	(void)state;
	refuse_naming(f, A, "bad_field", "password");
	free(f);
}

static void
login_username_over_max_length(void **state)
{
	char *f = string_frame("\"type\":\"login\",\"password\":\"p\"",
			       "username", 'u', PROTO_MAX_SHORT + 1);

	(void)state;
	refuse_naming(f, A, "bad_field", "username");
	free(f);
}

REFUSES_FIELD(login_with_both_forms, A, "bad_field",
	      "{\"type\":\"login\",\"token\":\"t\",\"username\":\"u\","
	      "\"password\":\"p\"}", "token")
REFUSES_FIELD(login_with_token_and_username, A, "bad_field",
	      "{\"type\":\"login\",\"token\":\"t\",\"username\":\"u\"}",
	      "username")
REFUSES_FIELD(login_with_neither_form, A, "bad_field",
	      "{\"type\":\"login\"}", "token")
REFUSES_FIELD(login_username_only, A, "bad_field",
	      "{\"type\":\"login\",\"username\":\"u\"}", "password")
REFUSES_FIELD(login_password_only, A, "bad_field",
	      "{\"type\":\"login\",\"password\":\"p\"}", "username")
REFUSES_FIELD(login_username_number, A, "bad_field",
	      "{\"type\":\"login\",\"username\":5,\"password\":\"x\"}",
	      "username")
REFUSES_FIELD(login_empty_password, A, "bad_field",
	      "{\"type\":\"login\",\"username\":\"u\",\"password\":\"\"}",
	      "password")
REFUSES_FIELD(login_token_number, A, "bad_field",
	      "{\"type\":\"login\",\"token\":1}", "token")
REFUSES_FIELD(login_password_with_nul, A, "bad_field",
	      "{\"type\":\"login\",\"username\":\"u\",\"password\":\"a\\u0000\"}",
	      "password")

/* ------------------------------------------------------------ status */

static void
status_available(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"status\",\"available\":true}", A,
		     PROTO_STATUS, &in);
	assert_true(in.available);
	proto_in_free(&in);
}

static void
status_unavailable(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"status\",\"available\":false}", A,
		     PROTO_STATUS, &in);
	assert_false(in.available);
	proto_in_free(&in);
}

REFUSES_FIELD(status_available_number, A, "bad_field",
	      "{\"type\":\"status\",\"available\":1}", "available")
REFUSES_FIELD(status_available_string, A, "bad_field",
	      "{\"type\":\"status\",\"available\":\"true\"}", "available")
REFUSES_FIELD(status_without_available, A, "bad_field",
	      "{\"type\":\"status\"}", "available")

/* -------------------------------------------------------------- take */

static void
take_next(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"take\"}", A, PROTO_TAKE, &in);
	assert_false(in.has_chat);
	proto_in_free(&in);
}

static void
take_given_chat(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"take\",\"chat\":2}", A, PROTO_TAKE, &in);
	assert_true(in.has_chat);
	assert_int_equal(in.chat, 2);
	proto_in_free(&in);
}

static void
take_null_chat_is_next(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"take\",\"chat\":null}", A, PROTO_TAKE, &in);
	assert_false(in.has_chat);
	proto_in_free(&in);
}

REFUSES_FIELD(take_chat_zero, A, "bad_field",
	      "{\"type\":\"take\",\"chat\":0}", "chat")
REFUSES_FIELD(take_chat_string, A, "bad_field",
	      "{\"type\":\"take\",\"chat\":\"2\"}", "chat")
REFUSES_FIELD(take_chat_real, A, "bad_field",
	      "{\"type\":\"take\",\"chat\":2.5}", "chat")

/* --------------------------------------------------------------- tag */

static void
tag_full(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"tag\",\"chat\":1,\"topics\":[\"housing\","
		     "\"daily_life\"],\"outcome\":\"answered\"}", A, PROTO_TAG,
		     &in);
	assert_int_equal(in.chat, 1);
	assert_int_equal(in.n_topics, 2);
	assert_string_equal(in.topics[0], "housing");
	assert_string_equal(in.topics[1], "daily_life");
	assert_string_equal(in.outcome, "answered");
	proto_in_free(&in);
}

static void
tag_outcome_id_forms(void **state)
{
	static const char *ok[] = { "guidance_given", "referred-2",
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct proto_in in;
	char frame[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(frame, sizeof(frame), "{\"type\":\"tag\",\"chat\":1,"
			 "\"topics\":[],\"outcome\":\"%s\"}", ok[i]);
		accept_frame(frame, A, PROTO_TAG, &in);
		assert_string_equal(in.outcome, ok[i]);
		proto_in_free(&in);
	}
}

static void
tag_no_topics_no_outcome(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"tag\",\"chat\":1,\"topics\":[]}", A,
		     PROTO_TAG, &in);
	assert_int_equal(in.n_topics, 0);
	assert_null(in.outcome);
	proto_in_free(&in);
}

/* A tag frame with n topics "a", "b", ... */
static char *
tag_frame(int n)
{
	char *buf = malloc(64 + (size_t)n * 5);
	char *p;
	int i;

	assert_non_null(buf);
	p = buf + sprintf(buf, "{\"type\":\"tag\",\"chat\":1,\"topics\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"%c\"", i ? "," : "", 'a' + i);
	strcpy(p, "]}");
	return buf;
}

static void
tag_max_topics(void **state)
{
	char *f = tag_frame(PROTO_MAX_TOPICS);
	struct proto_in in;

	(void)state;
	accept_frame(f, A, PROTO_TAG, &in);
	assert_int_equal(in.n_topics, PROTO_MAX_TOPICS);
	assert_string_equal(in.topics[PROTO_MAX_TOPICS - 1], "p");
	proto_in_free(&in);
	free(f);
}

static void
tag_too_many_topics(void **state)
{
	char *f = tag_frame(PROTO_MAX_TOPICS + 1);

	(void)state;
	refuse_naming(f, A, "bad_field", "topics");
	free(f);
}

REFUSES_FIELD(tag_without_chat, A, "bad_field",
	      "{\"type\":\"tag\",\"topics\":[]}", "chat")
REFUSES_FIELD(tag_without_topics, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1}", "topics")
REFUSES_FIELD(tag_topics_string, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":\"housing\"}", "topics")
REFUSES_FIELD(tag_topic_number, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[1]}", "topics")
REFUSES_FIELD(tag_topic_bad_chars, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[\"Housing\"]}", "topics")
REFUSES_FIELD(tag_topic_empty, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[\"\"]}", "topics")
REFUSES_FIELD(tag_outcome_empty, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[],\"outcome\":\"\"}",
	      "outcome")
REFUSES_FIELD(tag_outcome_number, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[],\"outcome\":3}",
	      "outcome")
REFUSES_FIELD(tag_outcome_free_text, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[],"
	      "\"outcome\":\"called Matti Virtanen back\"}", "outcome")
REFUSES_FIELD(tag_outcome_upper_case, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[],"
	      "\"outcome\":\"Answered\"}", "outcome")
REFUSES_FIELD(tag_outcome_too_long, A, "bad_field",
	      "{\"type\":\"tag\",\"chat\":1,\"topics\":[],"
	      "\"outcome\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "outcome")

/* ----------------------------------------------------- wrong role */

static void
wrong_role(const char *frame, enum proto_role role, const char *type)
{
	refuse_naming(frame, role, "bad_type", type);
}

#define WRONG_ROLE(name, role, type, frame)                              \
	static void name(void **state)                                   \
	{                                                                \
		(void)state;                                             \
		wrong_role(frame, role, type);                           \
	}

WRONG_ROLE(advisor_may_not_hello, A, "hello",
	   "{\"type\":\"hello\",\"lang\":\"fi\"}")
WRONG_ROLE(advisor_may_not_resume, A, "resume",
	   "{\"type\":\"resume\",\"token\":\"abc\"}")
WRONG_ROLE(advisor_may_not_email, A, "email",
	   "{\"type\":\"email\",\"to\":\"a@b.fi\"}")
WRONG_ROLE(advisor_may_not_feedback, A, "feedback",
	   "{\"type\":\"feedback\",\"rating\":5}")
WRONG_ROLE(advisor_may_not_ping, A, "ping", "{\"type\":\"ping\"}")
WRONG_ROLE(resident_may_not_login, R, "login",
	   "{\"type\":\"login\",\"token\":\"t\"}")
WRONG_ROLE(resident_may_not_status, R, "status",
	   "{\"type\":\"status\",\"available\":true}")
WRONG_ROLE(resident_may_not_take, R, "take", "{\"type\":\"take\"}")
WRONG_ROLE(resident_may_not_tag, R, "tag",
	   "{\"type\":\"tag\",\"chat\":1,\"topics\":[]}")
WRONG_ROLE(resident_may_not_logout, R, "logout", "{\"type\":\"logout\"}")

static void
logout_has_no_fields(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"logout\"}", A, PROTO_LOGOUT, &in);
	proto_in_free(&in);
}

/* The role is checked before the fields: a wrong-role frame with broken
 * fields still says bad_type. */
REFUSES(role_checked_before_fields, R, "bad_type",
	"{\"type\":\"login\",\"username\":5}")

/* --------------------------------------------------------- malformed */

REFUSES(not_json, R, "bad_json", "not json at all")
REFUSES(empty_frame, R, "bad_json", "")
REFUSES(only_whitespace, R, "bad_json", "  \n ")
REFUSES(truncated_object, R, "bad_json", "{\"type\": \"hello\",")
REFUSES(trailing_garbage, R, "bad_json", "{\"type\":\"end\"} x")
REFUSES(two_objects, R, "bad_json", "{\"type\":\"end\"}{\"type\":\"end\"}")
REFUSES(array_top_level, R, "bad_json", "[\"hello\"]")
REFUSES(string_top_level, R, "bad_json", "\"hello\"")
REFUSES(number_top_level, R, "bad_json", "42")
REFUSES(null_top_level, R, "bad_json", "null")
REFUSES(single_quotes, R, "bad_json", "{'type':'end'}")
REFUSES(trailing_comma, R, "bad_json", "{\"type\":\"end\",}")
REFUSES(duplicate_keys, R, "bad_json",
	"{\"type\":\"msg\",\"text\":\"a\",\"text\":\"b\"}")
REFUSES(duplicate_type_key, R, "bad_json",
	"{\"type\":\"hello\",\"type\":\"end\"}")
REFUSES(huge_integer, R, "bad_json",
	"{\"type\":\"feedback\",\"rating\":100000000000000000000000000000}")
REFUSES(huge_negative_integer, A, "bad_json",
	"{\"type\":\"take\",\"chat\":-100000000000000000000000000000}")
REFUSES(huge_real, R, "bad_json",
	"{\"type\":\"feedback\",\"rating\":1e400}")
REFUSES(nan_literal, R, "bad_json", "{\"type\":\"feedback\",\"rating\":NaN}")
REFUSES(key_with_nul, R, "bad_json", "{\"type\":\"end\",\"a\\u0000b\":1}")
REFUSES_FIELD(missing_type, R, "bad_type", "{\"text\":\"hei\"}", "type")
REFUSES_FIELD(number_type, R, "bad_type", "{\"type\":5}", "type")
REFUSES_FIELD(null_type, R, "bad_type", "{\"type\":null}", "type")
REFUSES_FIELD(object_type, R, "bad_type", "{\"type\":{\"x\":1}}", "type")
REFUSES(unknown_type, R, "bad_type", "{\"type\":\"frobnicate\"}")
REFUSES(unknown_type_for_advisor, A, "bad_type", "{\"type\":\"frobnicate\"}")
REFUSES(empty_type, R, "bad_type", "{\"type\":\"\"}")
REFUSES(uppercase_type, R, "bad_type", "{\"type\":\"HELLO\"}")
REFUSES(type_with_nul_suffix, R, "bad_type", "{\"type\":\"end\\u0000x\"}")
REFUSES(type_with_trailing_space, R, "bad_type", "{\"type\":\"end \"}")

static void
huge_real_message_says_number(void **state)
{
	const char *m;

	(void)state;
	m = refuse("{\"type\":\"feedback\",\"rating\":1e400}", R, "bad_json");
	assert_non_null(strstr(m, "number"));
}

static void
duplicate_message_says_duplicate(void **state)
{
	const char *m;

	(void)state;
	m = refuse("{\"type\":\"end\",\"type\":\"end\"}", R, "bad_json");
	assert_non_null(strstr(m, "duplicate"));
}

static void
invalid_utf8_byte_in_string(void **state)
{
	static const char f[] = "{\"type\":\"msg\",\"text\":\"a\xff" "b\"}";
	const char *m;

	(void)state;
	m = refuse_n(f, sizeof(f) - 1, R, &lim, "bad_json");
	assert_non_null(strstr(m, "UTF-8"));
}

static void
overlong_utf8_in_string(void **state)
{
	static const char f[] = "{\"type\":\"msg\",\"text\":\"\xc0\xaf\"}";

	(void)state;
	refuse_n(f, sizeof(f) - 1, R, &lim, "bad_json");
}

static void
surrogate_bytes_in_string(void **state)
{
	static const char f[] = "{\"type\":\"msg\",\"text\":\"\xed\xa0\x80\"}";

	(void)state;
	refuse_n(f, sizeof(f) - 1, R, &lim, "bad_json");
}

static void
truncated_utf8_at_end_of_frame(void **state)
{
	static const char f[] = "{\"type\":\"end\"}\xe2\x82";

	(void)state;
	refuse_n(f, sizeof(f) - 1, R, &lim, "bad_json");
}

static void
raw_nul_byte_in_frame(void **state)
{
	static const char f[] = "{\"type\":\"msg\",\"text\":\"a\0b\"}";

	(void)state;
	refuse_n(f, sizeof(f) - 1, R, &lim, "bad_json");
}

static void
deep_nesting_is_bad_json(void **state)
{
	/* Deeper than jansson's parser limit, within one 16 KiB frame. */
	char *f = malloc(PROTO_MAX_FRAME + 1);
	size_t n = 0;

	(void)state;
	assert_non_null(f);
	n += (size_t)sprintf(f, "{\"type\":\"end\",\"x\":");
	while (n < PROTO_MAX_FRAME - 1)
		f[n++] = '[';
	f[n++] = '}';
	f[n] = '\0';
	refuse_n(f, n, R, &lim, "bad_json");
	free(f);
}

static void
frame_length_is_respected(void **state)
{
	/* Only the first 14 bytes are the frame; the rest must be unseen. */
	static const char f[] = "{\"type\":\"end\"}garbage";
	struct proto_in in;
	const char *code, *message;

	(void)state;
	assert_int_equal(parse_n(f, 14, R, &lim, &in, &code, &message), 0);
	assert_int_equal(in.type, PROTO_END);
	proto_in_free(&in);
}

static void
null_buffer_is_bad_json(void **state)
{
	struct proto_in in;
	const char *code, *message;

	(void)state;
	assert_int_equal(proto_parse(NULL, 0, R, &lim, &in, &code, &message),
			 -1);
	assert_string_equal(code, "bad_json");
	assert_null(in.root);
}

static void
refusal_leaves_in_empty(void **state)
{
	static const char f[] = "{\"type\":\"msg\",\"text\":\"\"}";
	struct proto_in in;
	const char *code, *message;

	(void)state;
	memset(&in, 0x5a, sizeof(in));
	assert_int_equal(proto_parse(f, strlen(f), R, &lim, &in, &code,
				     &message), -1);
	assert_null(in.root);
	assert_null(in.text);
	assert_null(in.cid);
	assert_int_equal(in.n_topics, 0);
}

static void
free_twice_is_harmless(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"end\"}", R, PROTO_END, &in);
	proto_in_free(&in);
	proto_in_free(&in);
	assert_null(in.root);
}

static void
free_of_refused_is_harmless(void **state)
{
	struct proto_in in;
	const char *code, *message;

	(void)state;
	assert_int_equal(proto_parse("[]", 2, R, &lim, &in, &code, &message),
			 -1);
	proto_in_free(&in);
	proto_in_free(NULL);
}

static void
messages_are_short_and_plain(void **state)
{
	static const char *frames[] = {
		"x", "[]", "{}", "{\"type\":\"login\"}",
		"{\"type\":\"feedback\",\"rating\":9}",
		"{\"type\":\"msg\",\"text\":\"\\u0001\"}",
		"{\"type\":\"tag\",\"chat\":1,\"topics\":[9]}",
	};
	struct proto_in in;
	const char *code, *message;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		assert_int_equal(proto_parse(frames[i], strlen(frames[i]), R,
					     &lim, &in, &code, &message), -1);
		assert_true(strlen(message) > 5 && strlen(message) < 100);
	}
}

/* ---------------------------------------------------------- builders */

static void
error_frame_has_type_code_message(void **state)
{
	char *s = proto_error("bad_field",
			      "field 'rating' must be an integer 1-5");
	json_t *o;

	(void)state;
	assert_non_null(s);
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "type")),
			    "error");
	assert_string_equal(json_string_value(json_object_get(o, "code")),
			    "bad_field");
	assert_string_equal(json_string_value(json_object_get(o, "message")),
			    "field 'rating' must be an integer 1-5");
	assert_int_equal(json_object_size(o), 3);
	json_decref(o);
	free(s);
}

static void
error_frame_is_compact(void **state)
{
	char *s = proto_error("too_long", "x");

	(void)state;
	assert_non_null(s);
	assert_null(strchr(s, ' '));
	assert_null(strchr(s, '\n'));
	free(s);
}

static void
error_frame_escapes_quotes(void **state)
{
	char *s = proto_error("bad_json", "a \"quoted\" \\ word");
	json_t *o;

	(void)state;
	assert_non_null(s);
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "message")),
			    "a \"quoted\" \\ word");
	json_decref(o);
	free(s);
}

static void
error_frame_of_null_is_null(void **state)
{
	(void)state;
	assert_null(proto_error(NULL, "x"));
	assert_null(proto_error("x", NULL));
}

static void
dump_is_compact_text(void **state)
{
	char *s = proto_dump(json_pack("{s:s, s:i}", "type", "pong", "n", 1));

	(void)state;
	assert_non_null(s);
	assert_true(strcmp(s, "{\"type\":\"pong\",\"n\":1}") == 0 ||
		    strcmp(s, "{\"n\":1,\"type\":\"pong\"}") == 0);
	free(s);
}

static void
dump_drops_the_reference(void **state)
{
	json_t *o = json_object();
	char *s;

	(void)state;
	json_incref(o);
	s = proto_dump(o);
	assert_string_equal(s, "{}");
	/* One reference left: ours. */
	assert_int_equal(o->refcount, 1);
	json_decref(o);
	free(s);
}

static void
dump_of_null_is_null(void **state)
{
	(void)state;
	assert_null(proto_dump(NULL));
}

/* A parsed error frame round-trips through our own parser as bad_type for
 * clients: the server never sends a type a client may send back. */
static void
error_frame_is_not_a_client_type(void **state)
{
	char *s = proto_error("bad_json", "x");

	(void)state;
	refuse(s, R, "bad_type");
	refuse(s, A, "bad_type");
	free(s);
}

/* ------------------------------------------------------------ runner */

/* ------------------------------------------------ the supervisors' desk */

static void
desk_frames_parse_for_advisors(void **state)
{
	struct proto_in in;

	(void)state;
	accept_frame("{\"type\":\"board\"}", A, PROTO_BOARD, &in);
	proto_in_free(&in);
	accept_frame("{\"type\":\"watch\",\"chat\":3}", A, PROTO_WATCH, &in);
	assert_int_equal(in.chat, 3);
	proto_in_free(&in);
	accept_frame("{\"type\":\"unwatch\",\"chat\":3}", A, PROTO_UNWATCH,
		     &in);
	proto_in_free(&in);
	accept_frame("{\"type\":\"whisper\",\"chat\":3,\"text\":\"hei\"}", A,
		     PROTO_WHISPER, &in);
	assert_string_equal(in.text, "hei");
	proto_in_free(&in);
	accept_frame("{\"type\":\"urgent\",\"chat\":3,\"on\":false}", A,
		     PROTO_URGENT, &in);
	assert_false(in.on);
	proto_in_free(&in);
	accept_frame("{\"type\":\"transfer\",\"chat\":3,\"to\":\"bertta\"}",
		     A, PROTO_TRANSFER, &in);
	assert_string_equal(in.to, "bertta");
	assert_null(in.note);
	proto_in_free(&in);
	accept_frame("{\"type\":\"transfer\",\"chat\":3,\"to\":\"b\","
		     "\"note\":\"tuttu\"}", A, PROTO_TRANSFER, &in);
	assert_string_equal(in.note, "tuttu");
	proto_in_free(&in);
	accept_frame("{\"type\":\"transfer\",\"chat\":3,\"to\":\"b\","
		     "\"note\":null}", A, PROTO_TRANSFER, &in);
	assert_null(in.note);
	proto_in_free(&in);
}

static void
desk_frames_with_bad_fields_are_refused_naming_them(void **state)
{
	struct proto_limits two = { 2 };

	(void)state;
	refuse_naming("{\"type\":\"watch\"}", A, "bad_field", "chat");
	refuse_naming("{\"type\":\"unwatch\",\"chat\":0}", A, "bad_field",
		      "chat");
	refuse_naming("{\"type\":\"whisper\",\"chat\":1}", A, "bad_field",
		      "text");
	refuse_naming("{\"type\":\"whisper\",\"chat\":1,\"text\":\" \"}", A,
		      "bad_field", "text");
	refuse_naming("{\"type\":\"urgent\",\"chat\":1,\"on\":1}", A,
		      "bad_field", "on");
	refuse_naming("{\"type\":\"transfer\",\"chat\":1}", A, "bad_field",
		      "to");
	refuse_naming("{\"type\":\"transfer\",\"chat\":1,\"to\":\"\"}", A,
		      "bad_field", "to");
	refuse_naming("{\"type\":\"transfer\",\"chat\":1,\"to\":\"b\","
		      "\"note\":7}", A, "bad_field", "note");
	refuse_naming("{\"type\":\"transfer\",\"chat\":1,\"to\":\"b\","
		      "\"note\":\"a\\u0001\"}", A, "bad_field", "note");
	refuse_n("{\"type\":\"whisper\",\"chat\":1,\"text\":\"abc\"}", 40, A,
		 &two, "too_long");
	refuse_n("{\"type\":\"transfer\",\"chat\":1,\"to\":\"b\",\"note\":"
		 "\"abc\"}", 50, A, &two, "too_long");
}

static void
desk_frames_are_not_for_residents(void **state)
{
	(void)state;
	refuse("{\"type\":\"board\"}", R, "bad_type");
	refuse("{\"type\":\"watch\",\"chat\":1}", R, "bad_type");
	refuse("{\"type\":\"whisper\",\"chat\":1,\"text\":\"x\"}", R,
	       "bad_type");
	refuse("{\"type\":\"urgent\",\"chat\":1,\"on\":true}", R, "bad_type");
	refuse("{\"type\":\"transfer\",\"chat\":1,\"to\":\"b\"}", R,
	       "bad_type");
}

int
test_protocol_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_counts_ascii),
		cmocka_unit_test(utf8_empty_is_zero),
		cmocka_unit_test(utf8_counts_code_points_not_bytes),
		cmocka_unit_test(utf8_counts_embedded_nul),
		cmocka_unit_test(utf8_accepts_highest_code_point),
		cmocka_unit_test(utf8_refuses_two_byte_overlong),
		cmocka_unit_test(utf8_refuses_three_byte_overlong),
		cmocka_unit_test(utf8_refuses_four_byte_overlong),
		cmocka_unit_test(utf8_refuses_surrogates),
		cmocka_unit_test(utf8_accepts_around_surrogates),
		cmocka_unit_test(utf8_refuses_above_u10ffff),
		cmocka_unit_test(utf8_refuses_lone_continuation),
		cmocka_unit_test(utf8_refuses_truncated_sequence),
		cmocka_unit_test(utf8_refuses_broken_continuation),
		cmocka_unit_test(utf8_refuses_ff_and_fe),
		cmocka_unit_test(utf8_respects_len),

		cmocka_unit_test(hello_with_lang_and_topic),
		cmocka_unit_test(hello_without_fields),
		cmocka_unit_test(hello_null_fields_count_as_absent),
		cmocka_unit_test(hello_ignores_unknown_fields),
		cmocka_unit_test(hello_lang_of_eight_letters),
		cmocka_unit_test(hello_topic_of_31_chars),
		cmocka_unit_test(hello_topic_of_32_chars),
		cmocka_unit_test(hello_lang_number),
		cmocka_unit_test(hello_lang_uppercase),
		cmocka_unit_test(hello_lang_one_letter),
		cmocka_unit_test(hello_lang_nine_letters),
		cmocka_unit_test(hello_lang_empty),
		cmocka_unit_test(hello_lang_with_region),
		cmocka_unit_test(hello_topic_list),
		cmocka_unit_test(hello_topic_bad_chars),
		cmocka_unit_test(hello_topic_digit),
		cmocka_unit_test(hello_topic_empty),
		cmocka_unit_test(hello_topic_false),
		cmocka_unit_test(hello_topic_with_nul),

		cmocka_unit_test(resume_with_token),
		cmocka_unit_test(resume_token_of_max_length),
		cmocka_unit_test(resume_token_over_max_length),
		cmocka_unit_test(resume_without_token),
		cmocka_unit_test(resume_empty_token),
		cmocka_unit_test(resume_token_number),
		cmocka_unit_test(resume_token_null),
		cmocka_unit_test(resume_token_with_nul),

		cmocka_unit_test(resident_msg_text),
		cmocka_unit_test(resident_msg_string_cid),
		cmocka_unit_test(resident_msg_integer_cid),
		cmocka_unit_test(resident_msg_empty_cid),
		cmocka_unit_test(resident_msg_null_cid_is_absent),
		cmocka_unit_test(resident_msg_cid_of_max_length),
		cmocka_unit_test(resident_msg_cid_over_max_length),
		cmocka_unit_test(msg_cid_real),
		cmocka_unit_test(msg_cid_object),
		cmocka_unit_test(msg_cid_true),
		cmocka_unit_test(msg_without_text),
		cmocka_unit_test(msg_text_number),
		cmocka_unit_test(msg_text_null),
		cmocka_unit_test(msg_text_array),
		cmocka_unit_test(msg_text_empty),
		cmocka_unit_test(msg_text_only_spaces),
		cmocka_unit_test(msg_text_only_newlines_and_tabs),
		cmocka_unit_test(msg_text_only_nbsp),
		cmocka_unit_test(msg_text_only_ideographic_space),
		cmocka_unit_test(msg_text_nul),
		cmocka_unit_test(msg_text_bell),
		cmocka_unit_test(msg_text_escape),
		cmocka_unit_test(msg_text_backspace),
		cmocka_unit_test(msg_text_form_feed),
		cmocka_unit_test(msg_text_unit_separator),
		cmocka_unit_test(msg_text_delete),
		cmocka_unit_test(msg_text_c1_control),
		cmocka_unit_test(msg_text_lone_surrogate_escape),
		cmocka_unit_test(msg_text_keeps_newline_tab_and_cr),
		cmocka_unit_test(msg_text_escaped_surrogate_pair),
		cmocka_unit_test(msg_text_with_surrounding_spaces_kept),
		cmocka_unit_test(msg_text_2000_two_byte_chars_pass),
		cmocka_unit_test(msg_text_2001_two_byte_chars_too_long),
		cmocka_unit_test(msg_text_2000_four_byte_chars_pass),
		cmocka_unit_test(msg_text_2000_escaped_pairs_pass),
		cmocka_unit_test(msg_text_2001_ascii_too_long),
		cmocka_unit_test(msg_text_limit_comes_from_limits),
		cmocka_unit_test(msg_text_long_blank_is_too_long),

		cmocka_unit_test(advisor_msg_chat_and_text),
		cmocka_unit_test(advisor_msg_with_cid),
		cmocka_unit_test(advisor_msg_largest_chat_id),
		cmocka_unit_test(advisor_msg_too_long),
		cmocka_unit_test(advisor_msg_without_chat),
		cmocka_unit_test(advisor_msg_chat_zero),
		cmocka_unit_test(advisor_msg_chat_negative),
		cmocka_unit_test(advisor_msg_chat_real),
		cmocka_unit_test(advisor_msg_chat_string),
		cmocka_unit_test(advisor_msg_without_text),
		cmocka_unit_test(advisor_msg_blank_text),

		cmocka_unit_test(resident_typing_on),
		cmocka_unit_test(resident_typing_off),
		cmocka_unit_test(advisor_typing_with_chat),
		cmocka_unit_test(typing_on_string),
		cmocka_unit_test(typing_on_number),
		cmocka_unit_test(typing_without_on),
		cmocka_unit_test(advisor_typing_without_chat),
		cmocka_unit_test(advisor_typing_without_on),

		cmocka_unit_test(resident_end),
		cmocka_unit_test(resident_end_ignores_chat),
		cmocka_unit_test(advisor_end_with_chat),
		cmocka_unit_test(advisor_end_without_chat),
		cmocka_unit_test(advisor_end_chat_null),

		cmocka_unit_test(email_with_address),
		cmocka_unit_test(email_of_max_length),
		cmocka_unit_test(email_of_300_bytes_parsed),
		cmocka_unit_test(email_over_max_length),
		cmocka_unit_test(email_without_to),
		cmocka_unit_test(email_empty_to),
		cmocka_unit_test(email_to_number),
		cmocka_unit_test(email_to_list),

		cmocka_unit_test(feedback_ratings_one_to_five),
		cmocka_unit_test(feedback_rating_zero),
		cmocka_unit_test(feedback_rating_six),
		cmocka_unit_test(feedback_rating_negative),
		cmocka_unit_test(feedback_rating_string),
		cmocka_unit_test(feedback_rating_real),
		cmocka_unit_test(feedback_rating_exponent),
		cmocka_unit_test(feedback_rating_beyond_int),
		cmocka_unit_test(feedback_without_rating),

		cmocka_unit_test(resident_ping),

		cmocka_unit_test(login_with_password),
		cmocka_unit_test(login_with_token),
		cmocka_unit_test(login_password_of_max_length),
		cmocka_unit_test(login_password_over_max_length),
		cmocka_unit_test(login_username_over_max_length),
		cmocka_unit_test(login_with_both_forms),
		cmocka_unit_test(login_with_token_and_username),
		cmocka_unit_test(login_with_neither_form),
		cmocka_unit_test(login_username_only),
		cmocka_unit_test(login_password_only),
		cmocka_unit_test(login_username_number),
		cmocka_unit_test(login_empty_password),
		cmocka_unit_test(login_token_number),
		cmocka_unit_test(login_password_with_nul),

		cmocka_unit_test(status_available),
		cmocka_unit_test(status_unavailable),
		cmocka_unit_test(status_available_number),
		cmocka_unit_test(status_available_string),
		cmocka_unit_test(status_without_available),

		cmocka_unit_test(take_next),
		cmocka_unit_test(take_given_chat),
		cmocka_unit_test(take_null_chat_is_next),
		cmocka_unit_test(take_chat_zero),
		cmocka_unit_test(take_chat_string),
		cmocka_unit_test(take_chat_real),

		cmocka_unit_test(tag_full),
		cmocka_unit_test(tag_no_topics_no_outcome),
		cmocka_unit_test(tag_outcome_id_forms),
		cmocka_unit_test(tag_max_topics),
		cmocka_unit_test(tag_too_many_topics),
		cmocka_unit_test(tag_without_chat),
		cmocka_unit_test(tag_without_topics),
		cmocka_unit_test(tag_topics_string),
		cmocka_unit_test(tag_topic_number),
		cmocka_unit_test(tag_topic_bad_chars),
		cmocka_unit_test(tag_topic_empty),
		cmocka_unit_test(tag_outcome_empty),
		cmocka_unit_test(tag_outcome_number),
		cmocka_unit_test(tag_outcome_free_text),
		cmocka_unit_test(tag_outcome_upper_case),
		cmocka_unit_test(tag_outcome_too_long),

		cmocka_unit_test(advisor_may_not_hello),
		cmocka_unit_test(advisor_may_not_resume),
		cmocka_unit_test(advisor_may_not_email),
		cmocka_unit_test(advisor_may_not_feedback),
		cmocka_unit_test(advisor_may_not_ping),
		cmocka_unit_test(resident_may_not_login),
		cmocka_unit_test(resident_may_not_status),
		cmocka_unit_test(resident_may_not_take),
		cmocka_unit_test(resident_may_not_tag),
		cmocka_unit_test(resident_may_not_logout),
		cmocka_unit_test(logout_has_no_fields),
		cmocka_unit_test(role_checked_before_fields),

		cmocka_unit_test(not_json),
		cmocka_unit_test(empty_frame),
		cmocka_unit_test(only_whitespace),
		cmocka_unit_test(truncated_object),
		cmocka_unit_test(trailing_garbage),
		cmocka_unit_test(two_objects),
		cmocka_unit_test(array_top_level),
		cmocka_unit_test(string_top_level),
		cmocka_unit_test(number_top_level),
		cmocka_unit_test(null_top_level),
		cmocka_unit_test(single_quotes),
		cmocka_unit_test(trailing_comma),
		cmocka_unit_test(duplicate_keys),
		cmocka_unit_test(duplicate_type_key),
		cmocka_unit_test(huge_integer),
		cmocka_unit_test(huge_negative_integer),
		cmocka_unit_test(huge_real),
		cmocka_unit_test(nan_literal),
		cmocka_unit_test(key_with_nul),
		cmocka_unit_test(missing_type),
		cmocka_unit_test(number_type),
		cmocka_unit_test(null_type),
		cmocka_unit_test(object_type),
		cmocka_unit_test(unknown_type),
		cmocka_unit_test(unknown_type_for_advisor),
		cmocka_unit_test(empty_type),
		cmocka_unit_test(uppercase_type),
		cmocka_unit_test(type_with_nul_suffix),
		cmocka_unit_test(type_with_trailing_space),
		cmocka_unit_test(huge_real_message_says_number),
		cmocka_unit_test(duplicate_message_says_duplicate),
		cmocka_unit_test(invalid_utf8_byte_in_string),
		cmocka_unit_test(overlong_utf8_in_string),
		cmocka_unit_test(surrogate_bytes_in_string),
		cmocka_unit_test(truncated_utf8_at_end_of_frame),
		cmocka_unit_test(raw_nul_byte_in_frame),
		cmocka_unit_test(deep_nesting_is_bad_json),
		cmocka_unit_test(frame_length_is_respected),
		cmocka_unit_test(null_buffer_is_bad_json),
		cmocka_unit_test(refusal_leaves_in_empty),
		cmocka_unit_test(free_twice_is_harmless),
		cmocka_unit_test(free_of_refused_is_harmless),
		cmocka_unit_test(messages_are_short_and_plain),

		cmocka_unit_test(error_frame_has_type_code_message),
		cmocka_unit_test(error_frame_is_compact),
		cmocka_unit_test(error_frame_escapes_quotes),
		cmocka_unit_test(error_frame_of_null_is_null),
		cmocka_unit_test(dump_is_compact_text),
		cmocka_unit_test(dump_drops_the_reference),
		cmocka_unit_test(dump_of_null_is_null),
		cmocka_unit_test(error_frame_is_not_a_client_type),
		cmocka_unit_test(desk_frames_parse_for_advisors),
		cmocka_unit_test(desk_frames_with_bad_fields_are_refused_naming_them),
		cmocka_unit_test(desk_frames_are_not_for_residents),
	};

	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}

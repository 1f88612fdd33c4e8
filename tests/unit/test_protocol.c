/* test_protocol.c - parsing every client message type, for the right and
 * the wrong role, and malformed input of every kind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol.h"
#include "unit.h"

static const struct proto_limits lim = { 2000 };

static int
parse(const char *text, enum proto_role role, struct proto_in *in,
      const char **code)
{
	const char *msg;

	return proto_parse(text, strlen(text), role, &lim, in, code, &msg);
}

/* Expect success; returns the parsed type (in must be freed). */
static void
ok(const char *text, enum proto_role role, struct proto_in *in)
{
	const char *code = NULL;

	if (parse(text, role, in, &code))
		fail_msg("'%s' refused: %s", text, code);
}

static void
refused(const char *text, enum proto_role role, const char *want)
{
	struct proto_in in;
	const char *code = NULL;

	if (parse(text, role, &in, &code) == 0)
		fail_msg("'%s' accepted", text);
	assert_string_equal(code, want);
	assert_null(in.root);
}

#define R PROTO_RESIDENT
#define A PROTO_ADVISOR

static void
hello_with_fields(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"hello\",\"lang\":\"sv\",\"topic\":\"housing\"}", R, &in);
	assert_int_equal(in.type, PROTO_HELLO);
	assert_string_equal(in.lang, "sv");
	assert_string_equal(in.topic, "housing");
	proto_in_free(&in);
}

static void
hello_without_fields(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"hello\"}", R, &in);
	assert_null(in.lang);
	assert_null(in.topic);
	proto_in_free(&in);
}

static void
hello_bad_fields(void **state)
{
	(void)state;
	refused("{\"type\":\"hello\",\"lang\":5}", R, "bad_field");
	refused("{\"type\":\"hello\",\"lang\":\"FI\"}", R, "bad_field");
	refused("{\"type\":\"hello\",\"topic\":\"Housing!\"}", R, "bad_field");
}

static void
resume_needs_token(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"resume\",\"token\":\"abc\"}", R, &in);
	assert_string_equal(in.token, "abc");
	proto_in_free(&in);
	refused("{\"type\":\"resume\"}", R, "bad_field");
	refused("{\"type\":\"resume\",\"token\":\"\"}", R, "bad_field");
}

static void
resident_msg_with_cid(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"msg\",\"text\":\"Hei!\",\"cid\":\"c-1\"}", R, &in);
	assert_int_equal(in.type, PROTO_MSG);
	assert_string_equal(in.text, "Hei!");
	assert_string_equal(json_string_value(in.cid), "c-1");
	proto_in_free(&in);
	ok("{\"type\":\"msg\",\"text\":\"x\",\"cid\":7}", R, &in);
	assert_int_equal(json_integer_value(in.cid), 7);
	proto_in_free(&in);
}

static void
msg_text_checks(void **state)
{
	(void)state;
	refused("{\"type\":\"msg\"}", R, "bad_field");
	refused("{\"type\":\"msg\",\"text\":\"\"}", R, "bad_field");
	refused("{\"type\":\"msg\",\"text\":\"  \\n \"}", R, "bad_field");
	/* jansson refuses \\u0000 itself: a JSON-level error. */
	refused("{\"type\":\"msg\",\"text\":\"a\\u0000b\"}", R, "bad_json");
	refused("{\"type\":\"msg\",\"text\":\"a\\u0007b\"}", R, "bad_field");
	refused("{\"type\":\"msg\",\"text\":12}", R, "bad_field");
	refused("{\"type\":\"msg\",\"text\":\"x\",\"cid\":{}}", R, "bad_field");
}

static void
text_length_counts_characters(void **state)
{
	/* 2000 'ä' are 4000 bytes but 2000 characters: allowed. */
	size_t n = 2000, i;
	char *buf = malloc(64 + 2 * (n + 1));
	struct proto_in in;
	const char *code, *msg;

	(void)state;
	strcpy(buf, "{\"type\":\"msg\",\"text\":\"");
	for (i = 0; i < n; i++)
		strcat(buf, "\xc3\xa4");
	strcat(buf, "\"}");
	assert_int_equal(proto_parse(buf, strlen(buf), R, &lim, &in, &code,
				     &msg), 0);
	proto_in_free(&in);
	strcpy(buf + strlen(buf) - 2, "\xc3\xa4\"}");
	assert_int_equal(proto_parse(buf, strlen(buf), R, &lim, &in, &code,
				     &msg), -1);
	assert_string_equal(code, "too_long");
	free(buf);
}

static void
typing_needs_boolean(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"typing\",\"on\":true}", R, &in);
	assert_true(in.on);
	proto_in_free(&in);
	refused("{\"type\":\"typing\",\"on\":1}", R, "bad_field");
	refused("{\"type\":\"typing\"}", R, "bad_field");
}

static void
resident_end_and_ping(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"end\"}", R, &in);
	assert_int_equal(in.type, PROTO_END);
	proto_in_free(&in);
	ok("{\"type\":\"ping\"}", R, &in);
	assert_int_equal(in.type, PROTO_PING);
	proto_in_free(&in);
}

static void
email_needs_address_string(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"email\",\"to\":\"a@example.fi\"}", R, &in);
	assert_string_equal(in.to, "a@example.fi");
	proto_in_free(&in);
	refused("{\"type\":\"email\"}", R, "bad_field");
	refused("{\"type\":\"email\",\"to\":[]}", R, "bad_field");
}

static void
feedback_rating_range(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"feedback\",\"rating\":5}", R, &in);
	assert_int_equal(in.rating, 5);
	proto_in_free(&in);
	refused("{\"type\":\"feedback\",\"rating\":0}", R, "bad_field");
	refused("{\"type\":\"feedback\",\"rating\":6}", R, "bad_field");
	refused("{\"type\":\"feedback\",\"rating\":4.0}", R, "bad_field");
	refused("{\"type\":\"feedback\",\"rating\":\"5\"}", R, "bad_field");
}

static void
login_with_password_or_token(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"login\",\"username\":\"anna\",\"password\":\"pw\"}", A,
	   &in);
	assert_string_equal(in.username, "anna");
	assert_null(in.token);
	proto_in_free(&in);
	ok("{\"type\":\"login\",\"token\":\"t\"}", A, &in);
	assert_string_equal(in.token, "t");
	proto_in_free(&in);
}

static void
login_needs_exactly_one_form(void **state)
{
	(void)state;
	refused("{\"type\":\"login\"}", A, "bad_field");
	refused("{\"type\":\"login\",\"username\":\"anna\"}", A, "bad_field");
	refused("{\"type\":\"login\",\"token\":\"t\",\"username\":\"a\","
		"\"password\":\"p\"}", A, "bad_field");
}

static void
status_take_and_tag(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"status\",\"available\":false}", A, &in);
	assert_false(in.available);
	proto_in_free(&in);
	ok("{\"type\":\"take\"}", A, &in);
	assert_false(in.has_chat);
	proto_in_free(&in);
	ok("{\"type\":\"take\",\"chat\":12}", A, &in);
	assert_true(in.has_chat);
	assert_int_equal(in.chat, 12);
	proto_in_free(&in);
	ok("{\"type\":\"tag\",\"chat\":3,\"topics\":[\"housing\",\"other\"],"
	   "\"outcome\":\"answered\"}", A, &in);
	assert_int_equal(in.n_topics, 2);
	assert_string_equal(in.topics[1], "other");
	assert_string_equal(in.outcome, "answered");
	proto_in_free(&in);
}

static void
advisor_chat_fields_required(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"msg\",\"chat\":4,\"text\":\"Moi\"}", A, &in);
	assert_int_equal(in.chat, 4);
	proto_in_free(&in);
	refused("{\"type\":\"msg\",\"text\":\"Moi\"}", A, "bad_field");
	refused("{\"type\":\"typing\",\"on\":true}", A, "bad_field");
	refused("{\"type\":\"end\"}", A, "bad_field");
	refused("{\"type\":\"end\",\"chat\":0}", A, "bad_field");
	refused("{\"type\":\"end\",\"chat\":\"4\"}", A, "bad_field");
	refused("{\"type\":\"take\",\"chat\":-1}", A, "bad_field");
	refused("{\"type\":\"tag\",\"chat\":1,\"topics\":\"housing\"}", A,
		"bad_field");
	refused("{\"type\":\"tag\",\"chat\":1,\"topics\":[1]}", A, "bad_field");
}

static void
types_refused_for_the_wrong_role(void **state)
{
	(void)state;
	refused("{\"type\":\"login\",\"token\":\"t\"}", R, "bad_type");
	refused("{\"type\":\"take\"}", R, "bad_type");
	refused("{\"type\":\"status\",\"available\":true}", R, "bad_type");
	refused("{\"type\":\"tag\",\"chat\":1,\"topics\":[]}", R, "bad_type");
	refused("{\"type\":\"hello\"}", A, "bad_type");
	refused("{\"type\":\"resume\",\"token\":\"t\"}", A, "bad_type");
	refused("{\"type\":\"email\",\"to\":\"a@b.fi\"}", A, "bad_type");
	refused("{\"type\":\"feedback\",\"rating\":3}", A, "bad_type");
}

static void
malformed_json(void **state)
{
	(void)state;
	refused("", R, "bad_json");
	refused("hello", R, "bad_json");
	refused("{\"type\":\"hello\"", R, "bad_json");
	refused("[\"hello\"]", R, "bad_json");
	refused("\"hello\"", R, "bad_json");
	refused("{\"type\":\"hello\",\"type\":\"end\"}", R, "bad_json");
}

static void
missing_or_odd_type(void **state)
{
	(void)state;
	refused("{}", R, "bad_type");
	refused("{\"type\":5}", R, "bad_type");
	refused("{\"type\":\"shout\"}", R, "bad_type");
	refused("{\"type\":null}", A, "bad_type");
}

static void
invalid_utf8_refused(void **state)
{
	struct proto_in in;
	const char *code, *msg;
	const char bad[] = "{\"type\":\"msg\",\"text\":\"\xc3\x28\"}";

	(void)state;
	assert_int_equal(proto_parse(bad, sizeof(bad) - 1, R, &lim, &in, &code,
				     &msg), -1);
	assert_string_equal(code, "bad_json");
}

static void
unknown_fields_ignored(void **state)
{
	struct proto_in in;

	(void)state;
	ok("{\"type\":\"end\",\"future\":[1,2,3]}", R, &in);
	proto_in_free(&in);
}

static void
utf8_counting(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_chars("abc", 3), 3);
	assert_int_equal(proto_utf8_chars("\xc3\xa4\xe2\x82\xac", 5), 2);
	assert_int_equal(proto_utf8_chars("\xf0\x9f\x98\x80", 4), 1);
	assert_int_equal(proto_utf8_chars("\xc0\xaf", 2), -1);      /* overlong */
	assert_int_equal(proto_utf8_chars("\xed\xa0\x80", 3), -1);  /* surrogate */
	assert_int_equal(proto_utf8_chars("\xe2\x82", 2), -1);      /* cut */
	assert_int_equal(proto_utf8_chars("\xf4\x90\x80\x80", 4), -1);
}

static void
error_frame_shape(void **state)
{
	char *t = proto_error("bad_json", "not JSON");

	(void)state;
	assert_string_equal(t, "{\"type\":\"error\",\"code\":\"bad_json\","
			       "\"message\":\"not JSON\"}");
	free(t);
}

int
test_protocol_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello_with_fields),
		cmocka_unit_test(hello_without_fields),
		cmocka_unit_test(hello_bad_fields),
		cmocka_unit_test(resume_needs_token),
		cmocka_unit_test(resident_msg_with_cid),
		cmocka_unit_test(msg_text_checks),
		cmocka_unit_test(text_length_counts_characters),
		cmocka_unit_test(typing_needs_boolean),
		cmocka_unit_test(resident_end_and_ping),
		cmocka_unit_test(email_needs_address_string),
		cmocka_unit_test(feedback_rating_range),
		cmocka_unit_test(login_with_password_or_token),
		cmocka_unit_test(login_needs_exactly_one_form),
		cmocka_unit_test(status_take_and_tag),
		cmocka_unit_test(advisor_chat_fields_required),
		cmocka_unit_test(types_refused_for_the_wrong_role),
		cmocka_unit_test(malformed_json),
		cmocka_unit_test(missing_or_odd_type),
		cmocka_unit_test(invalid_utf8_refused),
		cmocka_unit_test(unknown_fields_ignored),
		cmocka_unit_test(utf8_counting),
		cmocka_unit_test(error_frame_shape),
	};

	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}

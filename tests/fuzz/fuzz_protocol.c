/*
 * fuzz_protocol.c - libFuzzer target for proto_parse.
 *
 * Any bytes, parsed for both roles and with a large and a tiny text limit,
 * must give either a refusal with one of the four parse error codes and a
 * message, leaving struct proto_in empty, or a struct proto_in in which
 * every field the type requires is present and within its rules (every
 * type has its case below: a new type without one aborts). Whatever
 * happens, proto_in_free must be safe (twice, too), and an error frame can
 * be built from the code and message. A parsed msg echoed back
 * (proto_out_msg, written by jsonw.h) is the same JSON as the jansson
 * object of the history (proto_msg_json); and any bytes at all, written as
 * a JSON string by jsonw_strn, parse back as one, the very bytes when they
 * are UTF-8. A broken rule aborts, so libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(bool ok)
{
	if (!ok)
		abort();
}

static bool
only(const char *s, const char *set, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, set) == n;
}

static bool
is_topic(const char *s)
{
	return s && only(s, "abcdefghijklmnopqrstuvwxyz_", 1, 31);
}

static bool
string_within(const char *s, size_t min, size_t max)
{
	return s && strlen(s) >= min && strlen(s) <= max;
}

/* A borrowed string is all of its JSON value: no NUL cut it short. */
static void
whole(const struct proto_in *in, const char *key, const char *s)
{
	json_t *v = json_object_get(in->root, key);

	if (s)
		require(json_is_string(v) && json_string_value(v) == s &&
			strlen(s) == json_string_length(v));
}

/* A text field (text, note): whole, 1..max code points, no control
 * character but newline, tab and carriage return. */
static void
check_text_field(const struct proto_in *in, const char *key, const char *s,
		 const struct proto_limits *lim)
{
	long chars;
	const unsigned char *p;

	require(s != NULL);
	whole(in, key, s);
	chars = proto_utf8_chars(s, strlen(s));
	require(chars >= 1 && chars <= lim->max_message_chars);
	for (p = (const unsigned char *)s; *p; p++)
		require(*p >= 0x20 || *p == '\n' || *p == '\t' || *p == '\r');
}

static void
check_text(const struct proto_in *in, const struct proto_limits *lim)
{
	check_text_field(in, "text", in->text, lim);
	require(in->cid == NULL || json_is_integer(in->cid) ||
		(json_is_string(in->cid) &&
		 json_string_length(in->cid) <= PROTO_MAX_CID));
}

static void
check_chat(const struct proto_in *in)
{
	require(in->has_chat && in->chat >= 1);
}

/* The fields a successfully parsed type promises. */
static void
check(const struct proto_in *in, enum proto_role role,
      const struct proto_limits *lim)
{
	bool adv = role == PROTO_ADVISOR;
	int i;

	require(in->root != NULL && json_is_object(in->root));
	whole(in, "lang", in->lang);
	whole(in, "topic", in->topic);
	whole(in, "token", in->token);
	/* a question's address is its `email`; everywhere else `to` */
	whole(in, in->type == PROTO_QUESTION ? "email" : "to", in->to);
	whole(in, "note", in->note);
	whole(in, "code", in->code);
	whole(in, "username", in->username);
	whole(in, "password", in->password);
	whole(in, "outcome", in->outcome);
	switch (in->type) {
	case PROTO_MSG:
		check_text(in, lim);
		if (adv)
			check_chat(in);
		break;
	case PROTO_TYPING:
	case PROTO_END:
		if (adv)
			check_chat(in);
		break;
	case PROTO_HELLO:
		require(!adv);
		require(!in->lang ||
			only(in->lang, "abcdefghijklmnopqrstuvwxyz", 2, 8));
		require(!in->topic || is_topic(in->topic));
		break;
	case PROTO_RESUME:
		require(!adv && string_within(in->token, 1, PROTO_MAX_TOKEN));
		break;
	case PROTO_EMAIL:
		require(!adv && string_within(in->to, 1, PROTO_MAX_EMAIL_FIELD));
		break;
	case PROTO_FEEDBACK:
		require(!adv && in->rating >= 1 && in->rating <= 5);
		break;
	case PROTO_PING:
		require(!adv);
		break;
	case PROTO_LOGIN:
		require(adv);
		if (in->token)
			require(!in->username && !in->password &&
				string_within(in->token, 1, PROTO_MAX_TOKEN));
		else
			require(string_within(in->username, 1,
					      PROTO_MAX_SHORT) &&
				string_within(in->password, 1,
					      PROTO_MAX_SHORT));
		break;
	case PROTO_STATUS:
	case PROTO_LOGOUT:
		require(adv);
		break;
	case PROTO_TAKE:
		require(adv && (!in->has_chat || in->chat >= 1));
		break;
	case PROTO_TAG:
		require(adv);
		check_chat(in);
		require(in->n_topics >= 0 && in->n_topics <= PROTO_MAX_TOPICS);
		for (i = 0; i < in->n_topics; i++)
			require(is_topic(in->topics[i]));
		require(!in->outcome ||
			string_within(in->outcome, 1, PROTO_MAX_SHORT));
		break;
	case PROTO_BLOCK:
		require(adv);
		check_chat(in);
		require(in->hours >= PROTO_BLOCK_HOURS_MIN &&
			in->hours <= PROTO_BLOCK_HOURS_MAX);
		break;
	/* the supervisors' desk (CONTRACT.md section 8) */
	case PROTO_BOARD:
	case PROTO_QUESTIONS:
		require(adv);
		break;
	case PROTO_WATCH:
	case PROTO_UNWATCH:
	case PROTO_URGENT:
		require(adv);
		check_chat(in);
		break;
	case PROTO_WHISPER:
		require(adv);
		check_chat(in);
		check_text_field(in, "text", in->text, lim);
		break;
	case PROTO_TRANSFER:
		require(adv);
		check_chat(in);
		require(string_within(in->to, 1, PROTO_MAX_SHORT));
		if (in->note)
			check_text_field(in, "note", in->note, lim);
		break;
	/* questions left while closed (section 9) */
	case PROTO_QUESTION:
		require(!adv);
		check_text_field(in, "text", in->text, lim);
		require(!in->lang ||
			only(in->lang, "abcdefghijklmnopqrstuvwxyz", 2, 8));
		require(!in->to ||
			string_within(in->to, 1, PROTO_MAX_EMAIL_FIELD));
		break;
	case PROTO_PICKUP:
		require(!adv && string_within(in->code, 1, PROTO_MAX_SHORT));
		break;
	case PROTO_ANSWER:
		require(adv && in->question >= 1);
		check_text_field(in, "text", in->text, lim);
		break;
	default:
		abort();
	}
}

/* The echo of a parsed msg, written by jsonw, equals jansson's object. */
static void
check_echo(const struct proto_in *in)
{
	struct proto_msg m = { 1, "resident", in->text, 1764284400, false };
	json_t *want = proto_msg_json(&m, in->cid, in->chat);
	char *text = proto_out_msg(&m, in->cid, in->chat);
	json_t *got;

	require(want != NULL && text != NULL);
	got = json_loads(text, 0, NULL);
	require(got != NULL && json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(text);
}

/* Any bytes as a JSON string: valid JSON, and the same bytes when they
 * were UTF-8 (jsonw.h replaces only what is not). */
static void
check_string(const uint8_t *data, size_t size)
{
	struct sbuf b;
	json_t *v;
	char *text;

	sbuf_init(&b);
	jsonw_strn(&b, (const char *)data, size);
	text = sbuf_take(&b);
	require(text != NULL);
	v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	require(json_is_string(v));
	if (proto_utf8_chars((const char *)data, size) >= 0)
		require(json_string_length(v) == size &&
			memcmp(json_string_value(v), data, size) == 0);
	json_decref(v);
	free(text);
}

static bool
known_code(const char *code)
{
	return code && (!strcmp(code, "bad_json") ||
			!strcmp(code, "bad_type") ||
			!strcmp(code, "bad_field") ||
			!strcmp(code, "too_long"));
}

static void
one(const uint8_t *data, size_t size, enum proto_role role,
    const struct proto_limits *lim)
{
	struct proto_in in;
	const char *code = NULL, *message = NULL;
	char *frame;

	if (proto_parse((const char *)data, size, role, lim, &in, &code,
			&message) == 0) {
		check(&in, role, lim);
		if (in.type == PROTO_MSG)
			check_echo(&in);
	} else {
		require(known_code(code) && message && *message);
		require(!in.root && !in.text && !in.token && !in.cid);
		frame = proto_error(code, message);
		require(frame != NULL);
		free(frame);
	}
	proto_in_free(&in);
	proto_in_free(&in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct proto_limits big = { 2000 }, tiny = { 8 };
	long chars;

	if (size > PROTO_MAX_FRAME)
		return 0;       /* the network layer closes these with 1009 */
	chars = proto_utf8_chars((const char *)data, size);
	require(chars >= -1 && (size_t)(chars < 0 ? 0 : chars) <= size);
	one(data, size, PROTO_RESIDENT, &big);
	one(data, size, PROTO_ADVISOR, &big);
	one(data, size, PROTO_RESIDENT, &tiny);
	one(data, size, PROTO_ADVISOR, &tiny);
	check_string(data, size);
	return 0;
}

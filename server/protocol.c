/*
 * protocol.c - parsing and checking client frames; building error frames
 * (see protocol.h).
 *
 * One table says which message types each role may send; one small
 * function per type checks that type's fields. A field check either fills
 * struct proto_in or names the field in the error, so a client developer
 * sees at once what was wrong.
 */
#include <ctype.h>
#include <string.h>

#include "protocol.h"

/* Why a parse failed; filled by the field checks. */
struct perr {
	const char *code;
	const char *message;
};

static int
bad(struct perr *e, const char *code, const char *message)
{
	e->code = code;
	e->message = message;
	return -1;
}

long
proto_utf8_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	long n = 0;

	while (i < len) {
		unsigned c = p[i], need, cp, k;

		if (c < 0x80) {
			i++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if (i + need >= len)
			return -1;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlongs, surrogates, beyond U+10FFFF */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return -1;
		i += need + 1;
		n++;
	}
	return n;
}

/* [a-z_]{1,31} */
static bool
is_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 31)
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && s[i] != '_')
			return false;
	return true;
}

/* A language tag: 2-8 of [a-z]. */
static bool
is_lang(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 8)
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z'))
			return false;
	return true;
}

/*
 * Fetch an optional string field of 1..max code points. Returns 0 with *out
 * NULL when absent, 0 with *out set when valid, -1 (error set) otherwise.
 */
static int
opt_string(json_t *root, const char *key, size_t max, const char **out,
	   struct perr *e, const char *msg)
{
	json_t *v = json_object_get(root, key);
	long chars;

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return bad(e, "bad_field", msg);
	chars = proto_utf8_chars(json_string_value(v), json_string_length(v));
	if (chars < 1 || (size_t)chars > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(e, "bad_field", msg);
	*out = json_string_value(v);
	return 0;
}

static int
req_string(json_t *root, const char *key, size_t max, const char **out,
	   struct perr *e, const char *msg)
{
	if (opt_string(root, key, max, out, e, msg))
		return -1;
	return *out ? 0 : bad(e, "bad_field", msg);
}

static int
req_bool(json_t *root, const char *key, bool *out, struct perr *e,
	 const char *msg)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_boolean(v))
		return bad(e, "bad_field", msg);
	*out = json_is_true(v);
	return 0;
}

/* A chat id: a positive JSON integer. */
static int
chat_id(json_t *root, bool required, struct proto_in *in, struct perr *e)
{
	json_t *v = json_object_get(root, "chat");

	in->has_chat = false;
	if (!v && !required)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return bad(e, "bad_field", "field 'chat' must be a positive integer");
	in->chat = (int64_t)json_integer_value(v);
	in->has_chat = true;
	return 0;
}

/* Message text: non-blank, no control characters but \n \t \r, at most
 * max_message_chars code points. */
static int
text_field(json_t *root, const struct proto_limits *lim, struct proto_in *in,
	   struct perr *e)
{
	json_t *v = json_object_get(root, "text");
	const char *s;
	size_t i, len;
	bool blank = true;
	long chars;

	if (!json_is_string(v))
		return bad(e, "bad_field", "field 'text' must be a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		return bad(e, "bad_field", "field 'text' contains NUL");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') ||
		    c == 0x7f)
			return bad(e, "bad_field",
				   "field 'text' contains control characters");
		if (!isspace(c))
			blank = false;
	}
	if (blank)
		return bad(e, "bad_field", "field 'text' is empty");
	chars = proto_utf8_chars(s, len);
	if (chars < 0)
		return bad(e, "bad_json", "text is not valid UTF-8");
	if (chars > lim->max_message_chars)
		return bad(e, "too_long", "field 'text' is longer than allowed");
	in->text = s;
	return 0;
}

static int
cid_field(json_t *root, struct proto_in *in, struct perr *e)
{
	json_t *v = json_object_get(root, "cid");

	if (!v)
		return 0;
	if (json_is_integer(v) ||
	    (json_is_string(v) && json_string_length(v) <= PROTO_MAX_CID &&
	     json_string_length(v) > 0)) {
		in->cid = v;
		return 0;
	}
	return bad(e, "bad_field",
		   "field 'cid' must be an integer or a short string");
}

/* ------------------------------------------------------------ resident */

static int
parse_hello(json_t *r, struct proto_in *in, struct perr *e)
{
	if (opt_string(r, "lang", 8, &in->lang, e,
		       "field 'lang' must be a language code like \"fi\"") ||
	    opt_string(r, "topic", 31, &in->topic, e,
		       "field 'topic' must be a topic id"))
		return -1;
	if (in->lang && !is_lang(in->lang))
		return bad(e, "bad_field",
			   "field 'lang' must be a language code like \"fi\"");
	if (in->topic && !is_id(in->topic))
		return bad(e, "bad_field", "field 'topic' must be a topic id");
	return 0;
}

static int
parse_feedback(json_t *r, struct proto_in *in, struct perr *e)
{
	json_t *v = json_object_get(r, "rating");

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 5)
		return bad(e, "bad_field", "field 'rating' must be an integer 1-5");
	in->rating = (int)json_integer_value(v);
	return 0;
}

/* ------------------------------------------------------------- advisor */

static int
parse_login(json_t *r, struct proto_in *in, struct perr *e)
{
	if (opt_string(r, "token", PROTO_MAX_TOKEN, &in->token, e,
		       "field 'token' must be a string") ||
	    opt_string(r, "username", PROTO_MAX_SHORT, &in->username, e,
		       "field 'username' must be a string") ||
	    opt_string(r, "password", PROTO_MAX_SHORT, &in->password, e,
		       "field 'password' must be a string"))
		return -1;
	if (in->token && !in->username && !in->password)
		return 0;
	if (!in->token && in->username && in->password)
		return 0;
	return bad(e, "bad_field",
		   "give either 'token' or 'username' and 'password'");
}

static int
parse_tag(json_t *r, struct proto_in *in, struct perr *e)
{
	json_t *arr = json_object_get(r, "topics"), *v;
	size_t i;

	if (chat_id(r, true, in, e))
		return -1;
	if (!json_is_array(arr) || json_array_size(arr) > PROTO_MAX_TOPICS)
		return bad(e, "bad_field",
			   "field 'topics' must be an array of topic ids");
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || !is_id(json_string_value(v)))
			return bad(e, "bad_field",
				   "field 'topics' must be an array of topic ids");
		in->topics[in->n_topics++] = json_string_value(v);
	}
	return opt_string(r, "outcome", PROTO_MAX_SHORT, &in->outcome, e,
			  "field 'outcome' must be a short string");
}

/* ------------------------------------------------------------ dispatch */

struct type_rule {
	const char *name;
	enum proto_type type;
	bool resident, advisor;
};

static const struct type_rule rules[] = {
	{ "hello", PROTO_HELLO, true, false },
	{ "resume", PROTO_RESUME, true, false },
	{ "msg", PROTO_MSG, true, true },
	{ "typing", PROTO_TYPING, true, true },
	{ "end", PROTO_END, true, true },
	{ "email", PROTO_EMAIL, true, false },
	{ "feedback", PROTO_FEEDBACK, true, false },
	{ "ping", PROTO_PING, true, true },
	{ "login", PROTO_LOGIN, false, true },
	{ "status", PROTO_STATUS, false, true },
	{ "take", PROTO_TAKE, false, true },
	{ "tag", PROTO_TAG, false, true },
};

static int
find_type(json_t *root, enum proto_role role, enum proto_type *out,
	  struct perr *e)
{
	json_t *t = json_object_get(root, "type");
	size_t i;

	if (!json_is_string(t))
		return bad(e, "bad_type", "field 'type' must be a string");
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp(rules[i].name, json_string_value(t)))
			continue;
		if (role == PROTO_RESIDENT ? !rules[i].resident
					   : !rules[i].advisor)
			return bad(e, "bad_type",
				   "message type not allowed for this role");
		*out = rules[i].type;
		return 0;
	}
	return bad(e, "bad_type", "unknown message type");
}

static int
parse_fields(json_t *r, enum proto_role role, const struct proto_limits *lim,
	     struct proto_in *in, struct perr *e)
{
	bool adv = role == PROTO_ADVISOR;

	switch (in->type) {
	case PROTO_HELLO:
		return parse_hello(r, in, e);
	case PROTO_RESUME:
		return req_string(r, "token", PROTO_MAX_TOKEN, &in->token, e,
				  "field 'token' must be a string");
	case PROTO_MSG:
		if (adv && chat_id(r, true, in, e))
			return -1;
		return text_field(r, lim, in, e) ? -1 : cid_field(r, in, e);
	case PROTO_TYPING:
		if (adv && chat_id(r, true, in, e))
			return -1;
		return req_bool(r, "on", &in->on, e,
				"field 'on' must be true or false");
	case PROTO_END:
		return adv ? chat_id(r, true, in, e) : 0;
	case PROTO_EMAIL:
		return req_string(r, "to", PROTO_MAX_EMAIL, &in->to, e,
				  "field 'to' must be an email address");
	case PROTO_FEEDBACK:
		return parse_feedback(r, in, e);
	case PROTO_PING:
		return 0;
	case PROTO_LOGIN:
		return parse_login(r, in, e);
	case PROTO_STATUS:
		return req_bool(r, "available", &in->available, e,
				"field 'available' must be true or false");
	case PROTO_TAKE:
		return chat_id(r, false, in, e);
	case PROTO_TAG:
		return parse_tag(r, in, e);
	}
	return bad(e, "bad_type", "unknown message type");
}

int
proto_parse(const char *buf, size_t len, enum proto_role role,
	    const struct proto_limits *lim, struct proto_in *in,
	    const char **code, const char **message)
{
	struct perr e = { "bad_json", "not a JSON object" };
	json_error_t jerr;
	json_t *root;

	memset(in, 0, sizeof(*in));
	if (proto_utf8_chars(buf, len) < 0) {
		*code = "bad_json";
		*message = "frame is not valid UTF-8";
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		*code = e.code;
		*message = e.message;
		return -1;
	}
	in->root = root;
	if (find_type(root, role, &in->type, &e) ||
	    parse_fields(root, role, lim, in, &e)) {
		proto_in_free(in);
		*code = e.code;
		*message = e.message;
		return -1;
	}
	return 0;
}

void
proto_in_free(struct proto_in *in)
{
	json_decref(in->root);
	memset(in, 0, sizeof(*in));
}

char *
proto_error(const char *code, const char *message)
{
	return proto_dump(json_pack("{s:s, s:s, s:s}", "type", "error",
				    "code", code, "message", message));
}

char *
proto_dump(json_t *obj)
{
	char *text;

	if (!obj)
		return NULL;
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

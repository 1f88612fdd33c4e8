/*
 * protocol.c - the WebSocket protocol of CONTRACT.md section 4, inbound:
 * turning one client frame into a checked struct proto_in (see protocol.h).
 * Its other half, protocol_out.c, builds every frame the server sends. The
 * service decides what to say; only these two files know how it is spelled
 * on the wire.
 *
 * The frame is checked in layers: valid UTF-8, valid JSON whose top level
 * is an object, a string `type` that the connection's role may send, then
 * that type's fields. Each layer has its own error code so a client
 * developer can tell at once what was wrong, and every field error names
 * the field.
 *
 * Rules common to all fields:
 * - Integers are JSON integers only; 1.0 is a real and is refused.
 * - An optional field that is absent or JSON null counts as not given.
 *   Clients that echo the server's `topic: null` back are not punished.
 * - No string we hand out may hold a NUL: we parse with JSON_ALLOW_NUL so
 *   that "\u0000" is reported against its field, then refuse it ourselves,
 *   which keeps every borrowed `const char *` a faithful C string.
 * - Short strings (token, cid, to, username, password, outcome) are limited
 *   in bytes, because the server copies them into byte-sized buffers. Only
 *   `text` is limited in Unicode code points, as the contract says.
 * - Unknown extra fields are ignored (forward compatibility).
 */
#include <string.h>

#include "hours.h"
#include "protocol.h"
#include "utf8.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define ID_MAX 31        /* a topic id: [a-z_]{1,31} */
#define LANG_MIN 2       /* a language code: [a-z]{2,8} */
#define LANG_MAX 8

/* Everything a field check needs, and where it writes why it failed. */
struct ctx {
	json_t *root;
	enum proto_role role;
	const struct proto_limits *lim;
	struct proto_in *in;
	const char *code;
	const char *message;
};

static int
fail(struct ctx *c, const char *code, const char *message)
{
	c->code = code;
	c->message = message;
	return -1;
}

static int
bad_field(struct ctx *c, const char *message)
{
	return fail(c, "bad_field", message);
}

/* ------------------------------------------------------------- UTF-8 */

/* Contract in protocol.h; the decoding itself is utf8.c's. */
long
proto_utf8_chars(const char *s, size_t len)
{
	return utf8_count(s, len);
}

/* ------------------------------------------------------- field helpers */

/*
 * Look a field up. An absent field and JSON null are both NULL, so that
 * callers have one case for "not given".
 */
static json_t *
field(struct ctx *c, const char *key)
{
	json_t *v = json_object_get(c->root, key);

	return json_is_null(v) ? NULL : v;
}

/* A string of min..max bytes without NUL; the value, or NULL. */
static const char *
short_string(json_t *v, size_t min, size_t max)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len < min || len > max || memchr(s, '\0', len))
		return NULL;
	return s;
}

/*
 * A required (opt false) or optional string field of 1..max bytes.
 * Returns 0 with *out the value or NULL (optional and not given), or -1
 * with `message` as the error.
 */
static int
string_field(struct ctx *c, const char *key, bool opt, size_t max,
	     const char **out, const char *message)
{
	json_t *v = field(c, key);

	*out = NULL;
	if (!v)
		return opt ? 0 : bad_field(c, message);
	*out = short_string(v, 1, max);
	return *out ? 0 : bad_field(c, message);
}

static int
bool_field(struct ctx *c, const char *key, bool *out, const char *message)
{
	json_t *v = field(c, key);

	if (!json_is_boolean(v))
		return bad_field(c, message);
	*out = json_is_true(v);
	return 0;
}

/* 1-31 bytes, each a-z or one of `more`. */
static bool
is_id(const char *s, const char *more)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((s[i] < 'a' || s[i] > 'z') && !strchr(more, s[i]))
			return false;
	return true;
}

/* [a-z_]{1,31}: the form of a topic id in the config. */
static bool
is_topic_id(const char *s)
{
	return is_id(s, "_");
}

/* [a-z0-9_-]{1,31}: an outcome is counted by id in the figures, which are
 * never purged, so free text (and with it anything personal) stays out. */
static bool
is_outcome_id(const char *s)
{
	return is_id(s, "_-0123456789");
}

/* [a-z]{2,8}: the form of a language code in the config. */
static bool
is_lang(const char *s)
{
	size_t i, n = strlen(s);

	if (n < LANG_MIN || n > LANG_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/*
 * `chat`: a positive JSON integer. Required for the advisor's msg, typing,
 * end and tag; optional for take, where has_chat says whether it was given.
 */
static int
chat_field(struct ctx *c, bool opt)
{
	json_t *v = field(c, "chat");

	c->in->has_chat = false;
	if (!v && opt)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return bad_field(c, "field 'chat' must be a positive integer");
	c->in->chat = (int64_t)json_integer_value(v);
	c->in->has_chat = true;
	return 0;
}

/* `cid`: optional; any JSON integer, or a string of at most
 * PROTO_MAX_CID bytes. Kept as a jansson value so it echoes back as sent. */
static int
cid_field(struct ctx *c)
{
	json_t *v = field(c, "cid");

	if (!v)
		return 0;
	if (!json_is_integer(v) && !short_string(v, 0, PROTO_MAX_CID))
		return bad_field(c, "field 'cid' must be an integer or a string "
				    "of at most " STR(PROTO_MAX_CID) " bytes");
	c->in->cid = v;
	return 0;
}

/*
 * Code points that show nothing: Unicode White_Space (those that are not
 * control characters, which are refused before this matters) plus the
 * zero-width space and the byte order mark. A text of only these is empty.
 */
static bool
is_blank(uint32_t cp)
{
	switch (cp) {
	case 0x09: case 0x0a: case 0x0d: case 0x20:
	case 0xa0: case 0x1680: case 0x2028: case 0x2029: case 0x202f:
	case 0x205f: case 0x3000: case 0x200b: case 0xfeff:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200a;
	}
}

/* Unicode general category Cc (C0, DEL, C1), less \t \n \r. */
static bool
is_refused_control(uint32_t cp)
{
	if (cp == '\t' || cp == '\n' || cp == '\r')
		return false;
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * `text`: a required string with no control characters but \t \n \r, at
 * most lim->max_message_chars code points, and not only blanks. Control
 * characters are checked first, then the length, then blankness.
 */
/* What text_named says about each field it checks. */
struct text_says {
	const char *key, *not_string, *control, *too_long, *empty;
};

static const struct text_says says_text = {
	"text", "field 'text' must be a string",
	"field 'text' must not contain control characters",
	"field 'text' has more characters than max_message_chars",
	"field 'text' must not be empty",
};

static const struct text_says says_note = {
	"note", "field 'note' must be a string",
	"field 'note' must not contain control characters",
	"field 'note' has more characters than max_message_chars",
	"field 'note' must not be empty",
};

static int
text_named(struct ctx *c, const struct text_says *say, const char **out)
{
	json_t *v = field(c, say->key);
	const char *s;
	size_t len, i = 0, step;
	uint32_t cp;
	long chars = 0;
	bool blank = true;

	if (!json_is_string(v))
		return bad_field(c, say->not_string);
	s = json_string_value(v);
	len = json_string_length(v);
	while (i < len) {
		step = utf8_decode(s + i, len - i, &cp);
		if (!step)      /* jansson should never let this through */
			return fail(c, "bad_json", "frame is not valid UTF-8");
		if (is_refused_control(cp))
			return bad_field(c, say->control);
		if (!is_blank(cp))
			blank = false;
		chars++;
		i += step;
	}
	if (c->lim && chars > c->lim->max_message_chars)
		return fail(c, "too_long", say->too_long);
	if (blank)
		return bad_field(c, say->empty);
	*out = s;
	return 0;
}

static int
text_field(struct ctx *c)
{
	return text_named(c, &says_text, &c->in->text);
}

/* ---------------------------------------------------------- per type */

static int
parse_hello(struct ctx *c)
{
	static const char lang_msg[] = "field 'lang' must be a language code "
		"of 2-8 letters a-z";
	static const char topic_msg[] = "field 'topic' must be a topic id "
		"of 1-31 characters a-z or _";

	if (string_field(c, "lang", true, LANG_MAX, &c->in->lang, lang_msg))
		return -1;
	if (c->in->lang && !is_lang(c->in->lang))
		return bad_field(c, lang_msg);
	if (string_field(c, "topic", true, ID_MAX, &c->in->topic, topic_msg))
		return -1;
	if (c->in->topic && !is_topic_id(c->in->topic))
		return bad_field(c, topic_msg);
	return 0;
}

static int
parse_resume(struct ctx *c)
{
	return string_field(c, "token", false, PROTO_MAX_TOKEN, &c->in->token,
			    "field 'token' must be a string of 1-"
			    STR(PROTO_MAX_TOKEN) " bytes");
}

/* Both roles may send a cid; the advisor console does. */
static int
parse_msg(struct ctx *c)
{
	if (c->role == PROTO_ADVISOR && chat_field(c, false))
		return -1;
	if (text_field(c))
		return -1;
	return cid_field(c);
}

static int
parse_typing(struct ctx *c)
{
	if (c->role == PROTO_ADVISOR && chat_field(c, false))
		return -1;
	return bool_field(c, "on", &c->in->on,
			  "field 'on' must be true or false");
}

static int
parse_end(struct ctx *c)
{
	return c->role == PROTO_ADVISOR ? chat_field(c, false) : 0;
}

static int
parse_email(struct ctx *c)
{
	return string_field(c, "to", false, PROTO_MAX_EMAIL_FIELD, &c->in->to,
			    "field 'to' must be a string of 1-"
			    STR(PROTO_MAX_EMAIL_FIELD) " bytes");
}

static int
parse_feedback(struct ctx *c)
{
	json_t *v = field(c, "rating");

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 5)
		return bad_field(c, "field 'rating' must be an integer 1-5");
	c->in->rating = (int)json_integer_value(v);
	return 0;
}

static int
parse_ping(struct ctx *c)
{
	(void)c;
	return 0;
}

/* Exactly one of the two forms: token, or username and password. */
static int
parse_login(struct ctx *c)
{
	struct proto_in *in = c->in;

	if (string_field(c, "token", true, PROTO_MAX_TOKEN, &in->token,
			 "field 'token' must be a string of 1-"
			 STR(PROTO_MAX_TOKEN) " bytes") ||
	    string_field(c, "username", true, PROTO_MAX_SHORT, &in->username,
			 "field 'username' must be a string of 1-"
			 STR(PROTO_MAX_SHORT) " bytes") ||
	    string_field(c, "password", true, PROTO_MAX_SHORT, &in->password,
			 "field 'password' must be a string of 1-"
			 STR(PROTO_MAX_SHORT) " bytes"))
		return -1;
	if (in->token && !in->username && !in->password)
		return 0;
	if (!in->token && in->username && in->password)
		return 0;
	return bad_field(c, "login needs either 'token' or 'username' and "
			    "'password', not both");
}

/* {"type":"logout"}: no fields; any others are ignored, as elsewhere. */
static int
parse_logout(struct ctx *c)
{
	(void)c;
	return 0;
}

static int
parse_status(struct ctx *c)
{
	return bool_field(c, "available", &c->in->available,
			  "field 'available' must be true or false");
}

static int
parse_take(struct ctx *c)
{
	return chat_field(c, true);
}

static int
parse_tag(struct ctx *c)
{
	static const char topics_msg[] = "field 'topics' must be an array of "
		"at most " STR(PROTO_MAX_TOPICS) " topic ids (a-z or _, 1-31)";
	static const char outcome_msg[] = "field 'outcome' must be an id "
		"(a-z, 0-9, _ or -, 1-31 bytes)";
	json_t *arr, *v;
	const char *s;
	size_t i;

	if (chat_field(c, false))
		return -1;
	arr = field(c, "topics");
	if (!json_is_array(arr) || json_array_size(arr) > PROTO_MAX_TOPICS)
		return bad_field(c, topics_msg);
	json_array_foreach(arr, i, v) {
		s = short_string(v, 1, ID_MAX);
		if (!s || !is_topic_id(s))
			return bad_field(c, topics_msg);
		c->in->topics[c->in->n_topics++] = s;
	}
	if (string_field(c, "outcome", true, ID_MAX, &c->in->outcome,
			 outcome_msg))
		return -1;
	if (c->in->outcome && !is_outcome_id(c->in->outcome))
		return bad_field(c, outcome_msg);
	return 0;
}

static int
parse_block(struct ctx *c)
{
	json_t *v;

	if (chat_field(c, false))
		return -1;
	v = field(c, "hours");
	if (!json_is_integer(v) ||
	    json_integer_value(v) < PROTO_BLOCK_HOURS_MIN ||
	    json_integer_value(v) > PROTO_BLOCK_HOURS_MAX)
		return bad_field(c, "field 'hours' must be an integer "
				    STR(PROTO_BLOCK_HOURS_MIN) "-"
				    STR(PROTO_BLOCK_HOURS_MAX));
	c->in->hours = (int)json_integer_value(v);
	return 0;
}

/* {"type":"question","text":S,"lang":L?,"email":ADDR?}; the address is
 * checked by the service (invalid_email), like the `to` of `email`. */
static int
parse_question(struct ctx *c)
{
	static const char lang_msg[] = "field 'lang' must be a language code "
		"of 2-8 letters a-z";

	if (text_field(c))
		return -1;
	if (string_field(c, "lang", true, LANG_MAX, &c->in->lang, lang_msg))
		return -1;
	if (c->in->lang && !is_lang(c->in->lang))
		return bad_field(c, lang_msg);
	return string_field(c, "email", true, PROTO_MAX_EMAIL_FIELD,
			    &c->in->to, "field 'email' must be a string of 1-"
			    STR(PROTO_MAX_EMAIL_FIELD) " bytes");
}

/* {"type":"pickup","code":C}: any short string; a malformed code is a
 * wrong code, which the service counts (qcode.h reads it). */
static int
parse_pickup(struct ctx *c)
{
	return string_field(c, "code", false, PROTO_MAX_SHORT, &c->in->code,
			    "field 'code' must be a string of 1-"
			    STR(PROTO_MAX_SHORT) " bytes");
}

/* {"type":"board"}, {"type":"questions"}: no fields. */
static int
parse_no_fields(struct ctx *c)
{
	(void)c;
	return 0;
}

/* watch, unwatch: the chat. */
static int
parse_chat_only(struct ctx *c)
{
	return chat_field(c, false);
}

static int
parse_whisper(struct ctx *c)
{
	if (chat_field(c, false))
		return -1;
	return text_field(c);
}

static int
parse_urgent(struct ctx *c)
{
	if (chat_field(c, false))
		return -1;
	return bool_field(c, "on", &c->in->on,
			  "field 'on' must be true or false");
}

/* `to` is a username; `note` optional, checked as a message's text. */
static int
parse_transfer(struct ctx *c)
{
	if (chat_field(c, false) ||
	    string_field(c, "to", false, PROTO_MAX_SHORT, &c->in->to,
			 "field 'to' must be a username of 1-"
			 STR(PROTO_MAX_SHORT) " bytes"))
		return -1;
	if (!field(c, "note"))
		return 0;
	return text_named(c, &says_note, &c->in->note);
}

/* {"type":"answer","question":ID,"text":S} */
static int
parse_answer(struct ctx *c)
{
	json_t *v = field(c, "question");

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return bad_field(c, "field 'question' must be a positive "
				    "integer");
	c->in->question = (int64_t)json_integer_value(v);
	return text_field(c);
}

/* ---------------------------------------------------------- dispatch */

/* Who may send a type, and what to say to the other role. */
struct type_rule {
	const char *name;
	enum proto_type type;
	bool resident, advisor;
	const char *wrong_role;
	int (*parse)(struct ctx *c);
};

static const struct type_rule rules[] = {
	{ "hello", PROTO_HELLO, true, false,
	  "type 'hello' is only for residents", parse_hello },
	{ "resume", PROTO_RESUME, true, false,
	  "type 'resume' is only for residents", parse_resume },
	{ "msg", PROTO_MSG, true, true, NULL, parse_msg },
	{ "typing", PROTO_TYPING, true, true, NULL, parse_typing },
	{ "end", PROTO_END, true, true, NULL, parse_end },
	{ "email", PROTO_EMAIL, true, false,
	  "type 'email' is only for residents", parse_email },
	{ "feedback", PROTO_FEEDBACK, true, false,
	  "type 'feedback' is only for residents", parse_feedback },
	{ "ping", PROTO_PING, true, false,
	  "type 'ping' is only for residents", parse_ping },
	{ "login", PROTO_LOGIN, false, true,
	  "type 'login' is only for advisors", parse_login },
	{ "status", PROTO_STATUS, false, true,
	  "type 'status' is only for advisors", parse_status },
	{ "take", PROTO_TAKE, false, true,
	  "type 'take' is only for advisors", parse_take },
	{ "tag", PROTO_TAG, false, true,
	  "type 'tag' is only for advisors", parse_tag },
	{ "logout", PROTO_LOGOUT, false, true,
	  "type 'logout' is only for advisors", parse_logout },
	{ "block", PROTO_BLOCK, false, true,
	  "type 'block' is only for advisors", parse_block },
	{ "board", PROTO_BOARD, false, true,
	  "type 'board' is only for supervisors", parse_no_fields },
	{ "watch", PROTO_WATCH, false, true,
	  "type 'watch' is only for supervisors", parse_chat_only },
	{ "unwatch", PROTO_UNWATCH, false, true,
	  "type 'unwatch' is only for supervisors", parse_chat_only },
	{ "whisper", PROTO_WHISPER, false, true,
	  "type 'whisper' is only for supervisors", parse_whisper },
	{ "urgent", PROTO_URGENT, false, true,
	  "type 'urgent' is only for advisors", parse_urgent },
	{ "transfer", PROTO_TRANSFER, false, true,
	  "type 'transfer' is only for advisors", parse_transfer },
	{ "question", PROTO_QUESTION, true, false,
	  "type 'question' is only for residents", parse_question },
	{ "pickup", PROTO_PICKUP, true, false,
	  "type 'pickup' is only for residents", parse_pickup },
	{ "questions", PROTO_QUESTIONS, false, true,
	  "type 'questions' is only for advisors", parse_no_fields },
	{ "answer", PROTO_ANSWER, false, true,
	  "type 'answer' is only for advisors", parse_answer },
};

static const struct type_rule *
find_rule(struct ctx *c)
{
	json_t *t = json_object_get(c->root, "type");
	const char *name;
	size_t i;

	if (!json_is_string(t)) {
		fail(c, "bad_type", "field 'type' must be a string");
		return NULL;
	}
	name = json_string_value(t);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		/* The length check keeps "end\u0000x" from matching "end". */
		if (strlen(rules[i].name) != json_string_length(t) ||
		    strcmp(rules[i].name, name) != 0)
			continue;
		if (c->role == PROTO_ADVISOR ? !rules[i].advisor
					     : !rules[i].resident) {
			fail(c, "bad_type", rules[i].wrong_role);
			return NULL;
		}
		return &rules[i];
	}
	fail(c, "bad_type", "unknown message type");
	return NULL;
}

/* jansson's reason for refusing a frame, as our static message. */
static const char *
json_reason(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_duplicate_key:
		return "frame has a duplicate key";
	case json_error_numeric_overflow:
		return "frame has a number that is too large";
	case json_error_invalid_utf8:
		return "frame is not valid UTF-8";
	case json_error_null_byte_in_key:
		return "frame has a key containing NUL";
	case json_error_stack_overflow:
		return "frame is nested too deeply";
	default:
		return "frame is not valid JSON";
	}
}

static int
refuse(const char *code, const char *message, const char **code_out,
       const char **message_out)
{
	if (code_out)
		*code_out = code;
	if (message_out)
		*message_out = message;
	return -1;
}

int
proto_parse(const char *buf, size_t len, enum proto_role role,
	    const struct proto_limits *lim, struct proto_in *in,
	    const char **code, const char **message)
{
	const struct type_rule *rule;
	struct ctx c;
	json_error_t jerr;
	json_t *root;

	if (!in)
		return refuse("bad_json", "no frame", code, message);
	memset(in, 0, sizeof(*in));
	if (!buf || proto_utf8_chars(buf, len) < 0)
		return refuse("bad_json", "frame is not valid UTF-8", code,
			      message);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  &jerr);
	if (!root)
		return refuse("bad_json", json_reason(&jerr), code, message);
	if (!json_is_object(root)) {
		json_decref(root);
		return refuse("bad_json", "frame must be a JSON object", code,
			      message);
	}
	memset(&c, 0, sizeof(c));
	c.root = root;
	c.role = role;
	c.lim = lim;
	c.in = in;
	in->root = root;
	rule = find_rule(&c);
	if (rule) {
		in->type = rule->type;
		if (rule->parse(&c) == 0)
			return 0;
	}
	proto_in_free(in);
	return refuse(c.code, c.message, code, message);
}

void
proto_in_free(struct proto_in *in)
{
	if (!in)
		return;
	json_decref(in->root);
	memset(in, 0, sizeof(*in));
}

/*
 * protocol_out.c - the WebSocket protocol, outbound: every frame the server
 * sends, one named proto_out_* builder each (see protocol.h), from the
 * contract's section 4 frames to the supervisors' desk (section 8) and the
 * questions left while closed (section 9). protocol.c reads what clients
 * send. Builders return a new string (the caller frees it) or NULL when out
 * of memory; they never fail otherwise.
 */
#include <string.h>

#include "hours.h"
#include "jsonw.h"
#include "protocol.h"
#include "sbuf.h"

/* ---------------------------------------------------------- building */

char *
proto_error(const char *code, const char *message)
{
	if (!code || !message)
		return NULL;
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

/* ------------------------------------------------------ outgoing frames */

static const char *const ended_by_names[PROTO_BY_N] = {
	"resident", "advisor", "timeout", "closing", "disconnect"
};

const char *
proto_ended_by_name(enum proto_ended_by by)
{
	if ((int)by < 0 || by >= PROTO_BY_N)
		return NULL;
	return ended_by_names[by];
}

static const char *
state_name(enum proto_state st)
{
	return st == PROTO_STATE_QUEUED ? "queued"
	       : st == PROTO_STATE_CHATTING ? "chatting" : "ended";
}

static json_t *
time_json(int64_t t)
{
	char buf[40];

	hours_format_rfc3339((time_t)t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
wait_json(long w)
{
	return w < 0 ? json_null() : json_integer(w);
}

static json_t *
topic_json(const char *topic)
{
	return topic && *topic ? json_string(topic) : json_null();
}

/* Append "chat" (when > 0) and serialise; steals o. */
static char *
with_chat(json_t *o, int64_t chat)
{
	if (o && chat > 0 &&
	    json_object_set_new(o, "chat", json_integer(chat))) {
		json_decref(o);
		return NULL;
	}
	return proto_dump(o);
}

/* A frame that is only its type. */
static char *
bare(const char *type)
{
	return proto_dump(json_pack("{s:s}", "type", type));
}

json_t *
proto_msg_json(const struct proto_msg *m, json_t *cid, int64_t chat)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:o, s:b}", "type", "msg",
			      "id", (json_int_t)m->id, "from", m->from,
			      "text", m->text, "at", time_json(m->at),
			      "redacted", m->redacted);

	if (o && cid && json_object_set(o, "cid", cid)) {
		json_decref(o);
		return NULL;
	}
	if (o && chat > 0 &&
	    json_object_set_new(o, "chat", json_integer(chat))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The frames of the message path (msg, queued, position) are written
 * straight into one buffer by jsonw.h rather than built as jansson objects
 * and dumped: they go out for every message and, when a take moves a long
 * queue, by the thousand. Their text is what proto_dump gives for the same
 * fields in the same order (tests/unit/test_jsonw.c compares the two).
 */

/* Room for a frame's own part (its keys, a time, integers of the usual
 * size), and for a position frame whole at its longest: a frame of the
 * thousands a take sends is allocated once and no larger than it needs. */
#define FRAME_FIXED 160
#define POSITION_MAX 120

/* Begin frame {"type":TYPE on *b, with room for `room` bytes in all. */
static void
frame_begin(struct sbuf *b, const char *type, size_t room)
{
	sbuf_init(b);
	/* A failure here is sticky: frame_end's sbuf_take sees it. */
	(void)sbuf_reserve(b, room);
	jsonw_obj_begin(b);
	jsonw_key(b, "type");
	jsonw_str(b, type);
}

/* Close the frame and hand its text over; NULL when any append failed. */
static char *
frame_end(struct sbuf *b)
{
	jsonw_obj_end(b);
	return sbuf_take(b);
}

/* "key":"<RFC 3339 of t>", as time_json spells it. */
static void
put_time(struct sbuf *b, const char *key, int64_t t)
{
	char text[HOURS_RFC3339_MAX];
	size_t n = hours_format_rfc3339((time_t)t, text, sizeof(text));

	jsonw_key(b, key);
	jsonw_strn(b, text, n);
}

/* "estimated_wait_s":W, null when w < 0 (as wait_json). */
static void
put_wait(struct sbuf *b, long w)
{
	jsonw_key(b, "estimated_wait_s");
	if (w < 0)
		jsonw_null(b);
	else
		jsonw_int(b, w);
}

static void
put_int(struct sbuf *b, const char *key, int64_t v)
{
	jsonw_key(b, key);
	jsonw_int(b, v);
}

char *
proto_out_msg(const struct proto_msg *m, json_t *cid, int64_t chat)
{
	struct sbuf b;
	size_t text_len, cid_len;

	if (!m->from || !m->text)
		return NULL;
	text_len = strlen(m->text);
	cid_len = json_is_string(cid) ? json_string_length(cid) : 0;
	frame_begin(&b, "msg", FRAME_FIXED + text_len + cid_len);
	put_int(&b, "id", m->id);
	jsonw_key(&b, "from");
	jsonw_str(&b, m->from);
	jsonw_key(&b, "text");
	jsonw_strn(&b, m->text, text_len);
	put_time(&b, "at", m->at);
	jsonw_key(&b, "redacted");
	jsonw_bool(&b, m->redacted);
	if (cid) {
		jsonw_key(&b, "cid");
		jsonw_json(&b, cid);
	}
	if (chat > 0)
		put_int(&b, "chat", chat);
	return frame_end(&b);
}

char *
proto_out_queued(int64_t chat, const char *token, size_t position,
		 long wait_s, bool may_not_be_served)
{
	struct sbuf b;

	if (!token)
		return NULL;
	frame_begin(&b, "queued", FRAME_FIXED + strlen(token));
	put_int(&b, "chat", chat);
	jsonw_key(&b, "token");
	jsonw_str(&b, token);
	put_int(&b, "position", (int64_t)position);
	put_wait(&b, wait_s);
	jsonw_key(&b, "may_not_be_served");
	jsonw_bool(&b, may_not_be_served);
	return frame_end(&b);
}

char *
proto_out_position(size_t position, long wait_s, bool may_not_be_served)
{
	struct sbuf b;

	frame_begin(&b, "position", POSITION_MAX);
	put_int(&b, "position", (int64_t)position);
	put_wait(&b, wait_s);
	jsonw_key(&b, "may_not_be_served");
	jsonw_bool(&b, may_not_be_served);
	return frame_end(&b);
}

char *
proto_out_closed(int64_t next_open, bool questions)
{
	json_t *o = json_pack("{s:s, s:o}", "type", "closed", "next_open",
			      next_open < 0 ? json_null()
					    : time_json(next_open));

	if (o && questions &&
	    json_object_set_new(o, "questions", json_true())) {
		json_decref(o);
		return NULL;
	}
	return proto_dump(o);
}

char *
proto_out_queue_full(void)
{
	return bare("queue_full");
}

char *
proto_out_assigned(const char *advisor)
{
	return proto_dump(json_pack("{s:s, s:s}", "type", "assigned",
				    "advisor", advisor));
}

char *
proto_out_ended(enum proto_ended_by by, int64_t chat)
{
	const char *name = proto_ended_by_name(by);

	if (!name)
		return NULL;
	return with_chat(json_pack("{s:s, s:s}", "type", "ended", "by", name),
			 chat);
}

char *
proto_out_typing(bool on, int64_t chat)
{
	return with_chat(json_pack("{s:s, s:b}", "type", "typing", "on", on),
			 chat);
}

char *
proto_out_idle_warning(int64_t seconds_left)
{
	return proto_dump(json_pack("{s:s, s:I}", "type", "idle_warning",
				    "seconds_left", (json_int_t)seconds_left));
}

char *
proto_out_resumed(enum proto_state state, size_t position, long wait_s,
		  json_t *history, const char *advisor)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:o}", "type", "resumed",
			      "state", state_name(state),
			      "position", (json_int_t)position,
			      "estimated_wait_s", wait_json(wait_s),
			      "history", history);

	if (o && advisor &&
	    json_object_set_new(o, "advisor", json_string(advisor))) {
		json_decref(o);
		return NULL;
	}
	return proto_dump(o);
}

/* proto_out_chat's object (history stolen), a new reference or NULL. */
static json_t *
chat_json(const struct proto_chat *c, json_t *history)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:o, s:o}", "type", "chat",
			      "chat", (json_int_t)c->chat, "lang", c->lang,
			      "topic", topic_json(c->topic),
			      "history", history);

	if (o && c->resumed && json_object_set_new(o, "resumed", json_true())) {
		json_decref(o);
		return NULL;
	}
	if (o && json_object_set_new(o, "waited_s",
				     json_integer(c->waited_s))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Set each key of `more` on o (a chat frame); steals both. */
static char *
chat_with(json_t *o, json_t *more)
{
	if (!o || !more || json_object_update(o, more)) {
		json_decref(o);
		json_decref(more);
		return NULL;
	}
	json_decref(more);
	return proto_dump(o);
}

char *
proto_out_chat(const struct proto_chat *c, json_t *history, json_t *whispers)
{
	json_t *o = chat_json(c, history);

	if (!whispers)
		return proto_dump(o);
	return chat_with(o, json_pack("{s:o}", "whispers", whispers));
}

/* The `waiting` list of a queue view: a new reference or NULL. */
static json_t *
waiting_json(const struct proto_waiting *w, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:o}",
				"chat", (json_int_t)w[i].chat,
				"waited_s", (json_int_t)w[i].waited_s,
				"lang", w[i].lang,
				"topic", topic_json(w[i].topic)))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

char *
proto_out_queue(size_t length, const struct proto_waiting *w, size_t n)
{
	return proto_dump(json_pack("{s:s, s:I, s:o}", "type", "queue",
				    "length", (json_int_t)length,
				    "waiting", waiting_json(w, n)));
}

char *
proto_out_login_ok(const char *name, const char *token, bool available,
		   bool supervisor)
{
	return proto_dump(json_pack("{s:s, s:s, s:s, s:b, s:s}", "type",
				    "login_ok", "name", name, "token", token,
				    "available", available, "role",
				    supervisor ? "supervisor" : "advisor"));
}

char *
proto_out_status(bool available)
{
	return proto_dump(json_pack("{s:s, s:b}", "type", "status",
				    "available", available));
}

char *
proto_out_tagged(int64_t chat)
{
	return proto_dump(json_pack("{s:s, s:I}", "type", "tagged",
				    "chat", (json_int_t)chat));
}

char *
proto_out_email_queued(void)
{
	return bare("email_queued");
}

char *
proto_out_thanks(void)
{
	return bare("thanks");
}

char *
proto_out_pong(void)
{
	return bare("pong");
}

/* ------------------------------------------------------------ logins */

char *
proto_out_error_retry(const char *code, const char *message,
		      int64_t retry_after_s)
{
	if (!code || !message)
		return NULL;
	return proto_dump(json_pack("{s:s, s:s, s:s, s:I}", "type", "error",
				    "code", code, "message", message,
				    "retry_after_s",
				    (json_int_t)retry_after_s));
}

char *
proto_out_logged_out(void)
{
	return bare("logged_out");
}

char *
proto_out_blocked(void)
{
	return bare("blocked");
}

char *
proto_out_block_done(int64_t chat, int hours, int64_t until)
{
	return proto_dump(json_pack("{s:s, s:I, s:i, s:o}", "type", "blocked",
				    "chat", (json_int_t)chat, "hours", hours,
				    "until", time_json(until)));
}

/* ------------------------------------------------ the supervisors' desk */

json_t *
proto_whisper_json(const struct proto_whisper *w)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:b}", "type", "whisper",
			      "from", w->from, "text", w->text,
			      "at", time_json(w->at), "redacted", w->redacted);

	if (o && w->chat > 0 &&
	    json_object_set_new(o, "chat", json_integer(w->chat))) {
		json_decref(o);
		return NULL;
	}
	if (o && w->id > 0 &&
	    json_object_set_new(o, "id", json_integer(w->id))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
proto_out_whisper(const struct proto_whisper *w)
{
	return proto_dump(proto_whisper_json(w));
}

char *
proto_out_watch(const struct proto_chat *c, json_t *history,
		const char *advisor, json_t *whispers, bool urgent)
{
	json_t *o = chat_json(c, history);

	if (!whispers) {
		json_decref(o);
		return NULL;
	}
	return chat_with(o, json_pack("{s:b, s:s, s:o, s:b}", "watching", 1,
				      "advisor", advisor, "whispers", whispers,
				      "urgent", urgent));
}

char *
proto_out_transfer_chat(const struct proto_chat *c, json_t *history,
			json_t *whispers, const struct proto_whisper *note,
			const char *from, bool urgent)
{
	json_t *more = json_pack("{s:o, s:b, s:s, s:b, s:b}", "note",
				 note->text ? json_string(note->text)
					    : json_null(),
				 "note_redacted", note->redacted,
				 "from", from, "transferred", 1,
				 "urgent", urgent);

	if (more && note->text && note->id > 0 &&
	    json_object_set_new(more, "note_id", json_integer(note->id))) {
		json_decref(more);
		more = NULL;
	}
	if (!more)
		json_decref(whispers);
	else if (whispers)
		/* a failed set frees the list: the chat goes without it */
		(void)json_object_set_new(more, "whispers", whispers);
	return chat_with(chat_json(c, history), more);
}

char *
proto_out_transferred(int64_t chat, const char *to, const char *to_username)
{
	return proto_dump(json_pack("{s:s, s:I, s:s, s:s}", "type",
				    "transferred", "chat", (json_int_t)chat,
				    "to", to, "to_username", to_username));
}

char *
proto_out_unwatched(int64_t chat)
{
	return proto_dump(json_pack("{s:s, s:I}", "type", "unwatched",
				    "chat", (json_int_t)chat));
}

char *
proto_out_urgent(int64_t chat, bool on)
{
	return proto_dump(json_pack("{s:s, s:I, s:b}", "type", "urgent",
				    "chat", (json_int_t)chat, "on", on));
}

char *
proto_out_alert(int64_t chat, const char *advisor)
{
	return proto_dump(json_pack("{s:s, s:I, s:s}", "type", "alert",
				    "chat", (json_int_t)chat,
				    "advisor", advisor));
}

static json_t *
board_advisors_json(const struct proto_board_advisor *a, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:b, s:b, s:b, s:i}",
				"name", a[i].name, "username", a[i].username,
				"online", a[i].online,
				"available", a[i].available,
				"supervisor", a[i].supervisor,
				"chats", a[i].chats))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *
board_chats_json(const struct proto_board_chat *c, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_pack(
				"{s:I, s:s, s:s, s:o, s:o, s:b, s:s, s:o}",
				"chat", (json_int_t)c[i].chat,
				"advisor", c[i].advisor,
				"advisor_username", c[i].advisor_username,
				"started", time_json(c[i].started),
				"last_msg", time_json(c[i].last_msg),
				"urgent", c[i].urgent, "lang", c[i].lang,
				"topic", topic_json(c[i].topic)))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

char *
proto_out_board(size_t length, const struct proto_waiting *w,
		size_t n_waiting, const struct proto_board_advisor *a,
		size_t n_advisors, const struct proto_board_chat *c,
		size_t n_chats)
{
	return proto_dump(json_pack("{s:s, s:I, s:o, s:o, s:o}", "type",
				    "board", "length", (json_int_t)length,
				    "queue", waiting_json(w, n_waiting),
				    "advisors",
				    board_advisors_json(a, n_advisors),
				    "chats", board_chats_json(c, n_chats)));
}

/* ------------------------------------------------------- history bounds */

/* The longest text hours_format_rfc3339 writes (its buffer, less NUL). */
#define PROTO_TIME_MAX 39
/* The longest JSON integer: "-9223372036854775808". */
#define INT_DIGITS_MAX 20
/* One MSG in a history at its longest, less its text, with the comma
 * that follows it. */
#define MSG_FIXED_MAX \
	(sizeof("{\"type\":\"msg\",\"id\":,\"from\":\"resident\",\"text\":\"\"," \
		"\"at\":\"\",\"redacted\":false,\"cid\":\"\",\"chat\":},") - 1 + \
	 2 * INT_DIGITS_MAX + PROTO_TIME_MAX + 6 * PROTO_MAX_CID)
/* The rest of a `chat` or `resumed` frame: its type, state, numbers,
 * language, topic and the advisor's display name (each at most 256 bytes
 * before escaping, 6 bytes each at worst), with room to spare for fields
 * added later. */
#define FRAME_FIXED_MAX 8192

size_t
proto_history_max_bytes(long max_chars)
{
	size_t n = max_chars > 0 ? (size_t)max_chars : 0;

	return FRAME_FIXED_MAX + n * (MSG_FIXED_MAX + 4);
}

/* ------------------------------------- questions (CONTRACT.md section 9) */

char *
proto_out_question_saved(const char *code)
{
	return proto_dump(json_pack("{s:s, s:s}", "type", "question_saved",
				    "code", code));
}

char *
proto_out_answer(const char *question, const char *answer, int64_t at)
{
	return proto_dump(json_pack("{s:s, s:s, s:o, s:o}", "type", "answer",
				    "question", question,
				    "answer", answer ? json_string(answer)
						     : json_null(),
				    "at", answer ? time_json(at)
						 : json_null()));
}

char *
proto_out_questions(const struct proto_question *q, size_t n, int64_t open)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_pack(
			"{s:I, s:s, s:s, s:o, s:I}", "id", (json_int_t)q[i].id,
			"text", q[i].text, "lang", q[i].lang,
			"asked", time_json(q[i].asked),
			"age_s", (json_int_t)q[i].age_s))) {
			json_decref(arr);
			return NULL;
		}
	if (!arr)
		return NULL;
	return proto_dump(json_pack("{s:s, s:o, s:I}", "type", "questions",
				    "questions", arr, "open",
				    (json_int_t)open));
}

char *
proto_out_answered(int64_t question)
{
	return proto_dump(json_pack("{s:s, s:I}", "type", "answered",
				    "question", (json_int_t)question));
}

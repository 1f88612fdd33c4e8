/*
 * protocol.h - the WebSocket protocol of CONTRACT.md section 4: parsing and
 * checking what clients send (protocol.c), and building what the server
 * sends (protocol_out.c).
 *
 * Pure logic on top of jansson: no libwebsockets, no SQLite, no globals.
 * proto_parse turns one complete frame into a struct proto_in whose every
 * field has been checked for type and range, or into an error code and a
 * short English message to send back as {"type":"error",...}.
 *
 * Ownership: a parsed struct proto_in borrows its strings from the jansson
 * tree it holds in `root`; proto_in_free releases both. The builders
 * (proto_error, proto_out_*) return heap strings (caller frees) or NULL on
 * allocation failure.
 */
#ifndef NEUVO_PROTOCOL_H
#define NEUVO_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PROTO_MAX_FRAME (16 * 1024)   /* larger frames close with 1009 */
#define PROTO_MAX_TOPICS 16           /* topics in one tag */
#define PROTO_MAX_TOKEN 128           /* a token string */
#define PROTO_MAX_CID 64              /* a client message id */
#define PROTO_MAX_SHORT 256           /* username, password, outcome, ids */
#define PROTO_MAX_EMAIL 254           /* an address (checked by mail.h) */
/* The `to` field itself may be longer, so that an over-long address gets
 * the contract's invalid_email from the service, not bad_field. */
#define PROTO_MAX_EMAIL_FIELD 1024
#define PROTO_BLOCK_HOURS_MIN 1       /* how long a block may last */
#define PROTO_BLOCK_HOURS_MAX 24

enum proto_role {
	PROTO_RESIDENT,
	PROTO_ADVISOR
};

enum proto_type {
	/* both roles */
	PROTO_MSG,
	PROTO_TYPING,
	PROTO_END,
	/* resident */
	PROTO_HELLO,
	PROTO_RESUME,
	PROTO_EMAIL,
	PROTO_FEEDBACK,
	PROTO_PING,          /* {"type":"ping"}: answered "pong"; keeps NATs warm */
	/* advisor */
	PROTO_LOGIN,
	PROTO_STATUS,
	PROTO_TAKE,
	PROTO_TAG,
	PROTO_LOGOUT,        /* {"type":"logout"}: revoke the session's token */
	PROTO_BLOCK,         /* {"type":"block","chat":ID,"hours":1..24} */
	/* the supervisors' desk (CONTRACT.md section 8) */
	PROTO_BOARD,         /* {"type":"board"} */
	PROTO_WATCH,         /* {"type":"watch","chat":ID} */
	PROTO_UNWATCH,       /* {"type":"unwatch","chat":ID} */
	PROTO_WHISPER,       /* {"type":"whisper","chat":ID,"text":S} */
	PROTO_URGENT,        /* {"type":"urgent","chat":ID,"on":B} */
	PROTO_TRANSFER,      /* {"type":"transfer","chat":ID,"to":U,"note":S?} */
	/* CONTRACT.md section 9: questions while closed */
	PROTO_QUESTION,      /* resident: {"type":"question","text":S,...} */
	PROTO_PICKUP,        /* resident: {"type":"pickup","code":C} */
	PROTO_QUESTIONS,     /* advisor: {"type":"questions"} */
	PROTO_ANSWER         /* advisor: {"type":"answer","question":ID,...} */
};

/* Limits that come from the config. */
struct proto_limits {
	int max_message_chars;
};

/* One parsed client frame. Strings are NULL when absent. */
struct proto_in {
	enum proto_type type;
	const char *lang;                 /* hello */
	const char *topic;                /* hello */
	const char *token;                /* resume, login */
	const char *text;                 /* msg: non-empty, <= max chars */
	json_t *cid;                      /* msg: string or integer, borrowed */
	bool on;                          /* typing */
	const char *to;                   /* email; question's `email`;
					   * transfer: a username */
	int rating;                       /* feedback: 1..5 */
	const char *username, *password;  /* login */
	bool available;                   /* status */
	int64_t chat;                     /* advisor msg/typing/end/tag/take */
	bool has_chat;                    /* take: chat given */
	const char *topics[PROTO_MAX_TOPICS]; /* tag */
	int n_topics;
	const char *outcome;              /* tag; may be NULL */
	int hours;                        /* block: PROTO_BLOCK_HOURS_MIN..MAX */
	const char *note;                 /* transfer; may be NULL; as text */
	const char *code;                 /* pickup */
	int64_t question;                 /* answer: a positive id */
	json_t *root;                     /* owns everything above */
};

/*
 * Parse one complete text frame of `len` bytes for `role`.
 * Returns 0 and fills *in (release with proto_in_free), or -1 with *code one
 * of "bad_json", "bad_type", "bad_field", "too_long" and *message a static
 * English explanation naming the field; *in is then empty.
 * Text length is counted in Unicode code points, not bytes.
 * Type-valid but semantically wrong values (unknown topic, language) are
 * left to the caller, which knows the config.
 */
int proto_parse(const char *buf, size_t len, enum proto_role role,
		const struct proto_limits *lim, struct proto_in *in,
		const char **code, const char **message);

void proto_in_free(struct proto_in *in);

/* Code points in a valid UTF-8 string; -1 when it is not valid UTF-8. */
long proto_utf8_chars(const char *s, size_t len);

/* {"type":"error","code":CODE,"message":MESSAGE} */
char *proto_error(const char *code, const char *message);

/* ------------------------------------------------------ outgoing frames
 *
 * One builder per frame the server sends (CONTRACT.md section 4), so the
 * service never assembles JSON itself. Each returns the frame's compact
 * JSON as a heap string (the caller frees it or hands it to net_send), or
 * NULL when memory runs out. Conventions:
 *  - times are UTC seconds, written as RFC 3339 in the process's zone
 *    (hours_format_rfc3339);
 *  - an estimated wait below 0 is JSON null ("we don't know");
 *  - `chat` > 0 appends "chat":ID last, as every push to an advisor about a
 *    chat carries it; 0 leaves it out (the resident's copy);
 *  - a `json_t *` argument is stolen (also on failure); `cid` is borrowed.
 */

/* Who ended a chat: the `by` of {"type":"ended"}. */
enum proto_ended_by {
	PROTO_BY_RESIDENT,
	PROTO_BY_ADVISOR,
	PROTO_BY_TIMEOUT,
	PROTO_BY_CLOSING,
	PROTO_BY_DISCONNECT,
	PROTO_BY_N
};

/* "resident", ...; NULL for an out-of-range value. */
const char *proto_ended_by_name(enum proto_ended_by by);

/* A chat's state as `resumed` names it. */
enum proto_state {
	PROTO_STATE_QUEUED,             /* "queued" */
	PROTO_STATE_CHATTING,           /* "chatting" */
	PROTO_STATE_ENDED               /* "ended" */
};

/* One chat message (MSG); strings borrowed. */
struct proto_msg {
	int64_t id;                     /* rises within a chat */
	const char *from;               /* "resident" | "advisor" */
	const char *text;
	int64_t at;
	bool redacted;
};

/* A `chat` frame's fields (take, or a resumed advisor's chats). */
struct proto_chat {
	int64_t chat;
	const char *lang;
	const char *topic;              /* NULL or "": JSON null */
	int64_t waited_s;
	bool resumed;                   /* adds "resumed":true */
};

/* One waiting resident in the advisors' `queue` view. */
struct proto_waiting {
	int64_t chat;
	int64_t waited_s;
	const char *lang;
	const char *topic;              /* NULL or "": JSON null */
};

/* MSG as a jansson object, for a history array: a new reference or NULL.
 * cid (NULL: none) and chat as above. */
json_t *proto_msg_json(const struct proto_msg *m, json_t *cid, int64_t chat);

/* {"type":"msg","id":N,"from":F,"text":S,"at":T,"redacted":B[,"cid":C]
 * [,"chat":ID]}: the same text as proto_dump(proto_msg_json(...)), written
 * without a jansson object (jsonw.h). A text that is not UTF-8 (never one
 * that proto_parse let through) has each bad byte written as U+FFFD; NULL
 * from or text gives NULL. */
char *proto_out_msg(const struct proto_msg *m, json_t *cid, int64_t chat);

/* {"type":"queued","chat":ID,"token":T,"position":N,"estimated_wait_s":W,
 *  "may_not_be_served":B} */
char *proto_out_queued(int64_t chat, const char *token, size_t position,
		       long wait_s, bool may_not_be_served);

/* {"type":"position","position":N,"estimated_wait_s":W,
 *  "may_not_be_served":B} */
char *proto_out_position(size_t position, long wait_s,
			 bool may_not_be_served);

/* {"type":"closed","next_open":T} and, when `questions`,
 * "questions":true; next_open < 0: null (none in 14 days). */
char *proto_out_closed(int64_t next_open, bool questions);

/* {"type":"queue_full"} */
char *proto_out_queue_full(void);

/* {"type":"assigned","advisor":NAME} */
char *proto_out_assigned(const char *advisor);

/* {"type":"ended","by":BY} (+ "chat") */
char *proto_out_ended(enum proto_ended_by by, int64_t chat);

/* {"type":"typing","on":B} (+ "chat") */
char *proto_out_typing(bool on, int64_t chat);

/* {"type":"idle_warning","seconds_left":N} */
char *proto_out_idle_warning(int64_t seconds_left);

/* {"type":"resumed","state":S,"position":N,"estimated_wait_s":W,
 *  "history":[MSG...]} and "advisor":NAME when advisor is not NULL. */
char *proto_out_resumed(enum proto_state state, size_t position,
			long wait_s, json_t *history, const char *advisor);

/* {"type":"chat","chat":ID,"lang":L,"topic":T,"history":[MSG...],
 *  ("resumed":true,) "waited_s":N} and "whispers":[WHISPER...] when
 * whispers is not NULL (an advisor's own chat that has whispers or
 * notes). history and whispers are stolen. */
char *proto_out_chat(const struct proto_chat *c, json_t *history,
		     json_t *whispers);

/* {"type":"queue","length":N,"waiting":[...]}; `length` is the whole
 * queue, `w` its first n entries. */
char *proto_out_queue(size_t length, const struct proto_waiting *w,
		      size_t n);

/* {"type":"login_ok","name":D,"token":T,"available":B,"role":R};
 * role "supervisor" or "advisor" (CONTRACT.md section 8). */
char *proto_out_login_ok(const char *name, const char *token,
			 bool available, bool supervisor);

/* {"type":"status","available":B} */
char *proto_out_status(bool available);

/* {"type":"tagged","chat":ID} */
char *proto_out_tagged(int64_t chat);

/* {"type":"email_queued"}, {"type":"thanks"}, {"type":"pong"} */
char *proto_out_email_queued(void);
char *proto_out_thanks(void);
char *proto_out_pong(void);

/* {"type":"error","code":CODE,"message":M,"retry_after_s":N}: an error
 * that passes by itself; N is the client's wait before trying again. */
char *proto_out_error_retry(const char *code, const char *message,
			    int64_t retry_after_s);

/* {"type":"logged_out"} */
char *proto_out_logged_out(void);

/* {"type":"blocked"}: a resident's hello from a blocked address. */
char *proto_out_blocked(void);

/* {"type":"blocked","chat":ID,"hours":H,"until":T}: the advisor's answer
 * to its `block`. */
char *proto_out_block_done(int64_t chat, int hours, int64_t until);

/* ------------------------------------------- the supervisors' desk
 *
 * CONTRACT.md section 8. Same conventions as above. */

/* One line of the desk's own (a whisper or a transfer note); strings
 * borrowed. */
struct proto_whisper {
	int64_t chat;
	const char *from;               /* display name */
	const char *text;
	int64_t at;
	bool redacted;
	int64_t id;                     /* its stored line; 0: leave out */
};

/* {"type":"whisper","chat":ID,"id":N,"from":D,"text":S,"at":T,
 * "redacted":B} as a jansson object (for a list), a new reference or NULL;
 * chat 0 leaves "chat" out, id 0 "id". */
json_t *proto_whisper_json(const struct proto_whisper *w);

/* The same as a frame. */
char *proto_out_whisper(const struct proto_whisper *w);

/* A supervisor's `chat` frame for a watched chat: proto_out_chat's fields
 * plus "watching":true, "advisor":D, "whispers":[WHISPER...] and
 * "urgent":B. history and whispers are stolen. */
char *proto_out_watch(const struct proto_chat *c, json_t *history,
		      const char *advisor, json_t *whispers, bool urgent);

/* A transferred chat for its new advisor: proto_out_chat's fields (the
 * chat's whispers and notes so far, this note among them) plus
 * "note":S|null, "note_redacted":B, "note_id":N (the note's line in
 * "whispers"; with a note only), "from":D (who transferred it),
 * "transferred":true and "urgent":B. note->text NULL: no note. history
 * and whispers are stolen. */
char *proto_out_transfer_chat(const struct proto_chat *c, json_t *history,
			      json_t *whispers,
			      const struct proto_whisper *note,
			      const char *from, bool urgent);

/* {"type":"transferred","chat":ID,"to":D,"to_username":U} */
char *proto_out_transferred(int64_t chat, const char *to,
			    const char *to_username);

/* {"type":"unwatched","chat":ID} */
char *proto_out_unwatched(int64_t chat);

/* {"type":"urgent","chat":ID,"on":B} */
char *proto_out_urgent(int64_t chat, bool on);

/* {"type":"alert","chat":ID,"advisor":D} */
char *proto_out_alert(int64_t chat, const char *advisor);

/* One advisor session on the board. */
struct proto_board_advisor {
	const char *name;               /* display name */
	const char *username;           /* for a transfer's `to` */
	bool online;                    /* connected now */
	bool available;                 /* connected and available */
	bool supervisor;
	int chats;                      /* chats it holds */
};

/* One running chat on the board. */
struct proto_board_chat {
	int64_t chat;
	const char *advisor;            /* display name */
	const char *advisor_username;
	int64_t started;                /* taken */
	int64_t last_msg;               /* last message, else taken */
	bool urgent;
	const char *lang;
	const char *topic;              /* NULL or "": JSON null */
};

/* {"type":"board","length":N,"queue":[...as queue's waiting...],
 *  "advisors":[{"name","username","online","available","supervisor",
 *  "chats"}],"chats":[{"chat","advisor","advisor_username","started",
 *  "last_msg","urgent","lang","topic"}]} */
char *proto_out_board(size_t length, const struct proto_waiting *w,
		      size_t n_waiting, const struct proto_board_advisor *a,
		      size_t n_advisors, const struct proto_board_chat *c,
		      size_t n_chats);
/* ---- questions left while closed (CONTRACT.md section 9) ---- */

/* One open question in an advisor's `questions` list; strings borrowed. */
struct proto_question {
	int64_t id;
	const char *text;
	const char *lang;
	int64_t asked;
	int64_t age_s;
};

/* {"type":"question_saved","code":C} */
char *proto_out_question_saved(const char *code);

/* {"type":"answer","question":S,"answer":S|null,"at":T|null}: a pickup;
 * answer NULL (not answered yet) makes answer and at null. */
char *proto_out_answer(const char *question, const char *answer,
		       int64_t at);

/* {"type":"questions","questions":[{"id":N,"text":S,"lang":L,"asked":T,
 *  "age_s":N}...],"open":N}: the first n of `open` open questions. */
char *proto_out_questions(const struct proto_question *q, size_t n,
			  int64_t open);

/* {"type":"answered","question":ID} */
char *proto_out_answered(int64_t question);

/*
 * The most bytes a frame carrying one chat's history (`chat`, `resumed`)
 * can take when the chat holds at most max_chars code points of message
 * text in all, each message at least one: the frame's own fields, plus
 * for each message its MSG object at its longest (an id and a chat of 20
 * digits, a time of PROTO_TIME_MAX bytes, a cid of PROTO_MAX_CID bytes
 * each escaped as \u00XX, should a history ever carry cids) and 4 bytes
 * for each code point of text (the longest UTF-8; an escaped quote,
 * backslash, tab or newline takes 2; other control characters never pass
 * proto_parse). Many one-character messages are the worst case, and the
 * bound is linear in max_chars. Used by the service to size what a peer
 * may be sent of histories (net.h, net_send_history).
 */
size_t proto_history_max_bytes(long max_chars);

/* Serialise and steal a jansson object: returns the compact JSON text and
 * drops the reference. NULL (and the reference dropped) on failure. */
char *proto_dump(json_t *obj);

#endif

/*
 * protocol.h - the WebSocket protocol of CONTRACT.md section 4: parsing and
 * checking what clients send, and building what the server sends.
 *
 * Pure logic on top of jansson: no libwebsockets, no SQLite, no globals.
 * proto_parse turns one complete frame into a struct proto_in whose every
 * field has been checked for type and range, or into an error code and a
 * short English message to send back as {"type":"error",...}.
 *
 * Ownership: a parsed struct proto_in borrows its strings from the jansson
 * tree it holds in `root`; proto_in_free releases both. The proto_* builders
 * return heap strings (caller frees) or NULL on allocation failure.
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
	PROTO_TAG
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
	const char *to;                   /* email */
	int rating;                       /* feedback: 1..5 */
	const char *username, *password;  /* login */
	bool available;                   /* status */
	int64_t chat;                     /* advisor msg/typing/end/tag/take */
	bool has_chat;                    /* take: chat given */
	const char *topics[PROTO_MAX_TOPICS]; /* tag */
	int n_topics;
	const char *outcome;              /* tag; may be NULL */
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

/* Serialise and steal a jansson object: returns the compact JSON text and
 * drops the reference. NULL (and the reference dropped) on failure. */
char *proto_dump(json_t *obj);

#endif

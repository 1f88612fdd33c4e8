/*
 * config.h - the INI config file (CONTRACT.md section 2), parsed with inih.
 *
 * config_load reads and validates the whole file and reports every error it
 * finds, one per line, as "PATH:LINE: [section] key: reason". A config is
 * immutable once loaded; SIGHUP builds a new one and swaps it in only when it
 * validates, so a running server never sees a half-read file.
 *
 * Ownership: config_load returns a heap struct config that owns every string
 * and array in it; config_free releases all of it.
 */
#ifndef NEUVO_CONFIG_H
#define NEUVO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "hours.h"

#define CONFIG_MAX_LIST 32      /* origins, languages, topics */
#define CONFIG_ID_MAX 32        /* one language or topic id */
#define CONFIG_MAX_PROXIES 64   /* networks in trusted_proxies */
#define CONFIG_MAX_CHATS_PER_ADVISOR 100 /* the key's bound; the service
					  * holds this many slots */

struct config {
	char *path;                     /* the file as given */

	/* [server] */
	char *listen;                   /* "127.0.0.1" */
	int port;                       /* 1..65535 */
	char *tls_cert;                 /* "" = no TLS */
	char *tls_key;
	char *allowed_origins[CONFIG_MAX_LIST];
	int n_allowed_origins;
	char *database;                 /* "var/neuvo.db" */
	char *web_root;                 /* "client-web" */
	bool insecure_http;             /* allow non-loopback listen without TLS */
	int max_connections_per_ip;     /* 100; WebSocket connections, in memory */
	/* trusted_proxies: "" = none; X-Forwarded-For is read only from
	 * these peers (addr.h) */
	struct addr_net trusted_proxies[CONFIG_MAX_PROXIES];
	int n_trusted_proxies;

	/* [hours] and [exceptions] */
	struct hours hours;

	/* [queue] */
	int max_length;                 /* 50 */
	int max_chats_per_advisor;      /* 3; 1..CONFIG_MAX_CHATS_PER_ADVISOR */
	bool auto_assign;               /* no */
	int resume_grace_s;             /* 120 */
	int idle_timeout_s;             /* 900 */

	/* [chat] */
	int max_message_chars;          /* 2000 */
	char languages[CONFIG_MAX_LIST][CONFIG_ID_MAX];
	int n_languages;
	char default_language[CONFIG_ID_MAX];
	char topics[CONFIG_MAX_LIST][CONFIG_ID_MAX];
	int n_topics;
	char *exit_url;                 /* quick exit (CONTRACT.md section 9) */
	char *other_help;               /* "" = the page's own text */
	bool questions;                 /* yes: a question may be left while
					 * closed */
	int question_days;              /* 14: questions expire after */

	/* [transcripts] */
	int retention_days;             /* 365 */

	/* [limits] (CONTRACT.md section 7); "address" is the client address
	 * of addr.h */
	int max_queued_per_address;     /* 3: waiting chats from one address */
	int max_new_chats_per_address_per_hour; /* 10: hellos that queue */
	int max_queued_messages;        /* 20: resident messages before a take */
	int max_chat_chars;             /* 50000: text one chat may store */
	int questions_per_address_per_hour; /* 5: questions left */

	/* [smtp] */
	char *smtp_url;                 /* "" = email copies disabled */
	char *smtp_from;
	char *smtp_username;
	char *smtp_password;
	bool smtp_starttls_required;    /* starttls = required | no */
	int smtp_max_per_hour;          /* 200 */
	char *smtp_ca_file;             /* "" = system CAs; else a PEM file */
	int smtp_retry_min_s;           /* 60: first retry delay (backoff unit) */
};

/*
 * Read and validate PATH. On success returns 0 and sets *out (caller frees
 * with config_free). On failure returns -1, *out is NULL and *errors is a
 * heap string of one or more "PATH:LINE: [section] key: reason\n" lines
 * (LINE 0 when the error is not tied to a line, e.g. a missing file);
 * the caller frees it. Also checks cross-key rules: default_language among
 * languages, both or neither TLS path, non-loopback listen needs TLS or
 * insecure_http = yes, max_chat_chars at least max_message_chars.
 */
int config_load(const char *path, struct config **out, char **errors);

/* Defaults only (as CONTRACT.md section 2), for tests. NULL on OOM. */
struct config *config_defaults(void);

void config_free(struct config *cfg);

/* Is lang / topic one of the configured ids? */
bool config_has_language(const struct config *cfg, const char *lang);
bool config_has_topic(const struct config *cfg, const char *topic);

/* Is the listen address a loopback one (127.0.0.0/8, ::1, localhost)? */
bool config_listen_is_loopback(const char *listen);

#endif

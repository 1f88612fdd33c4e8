/*
 * config_keys.c - every key of the config file (CONTRACT.md section 2 and
 * the additions in the README): its section, kind and range, the field of
 * struct config it sets, and the checks of keys with rules of their own
 * (addresses, origins, ids, the timezone, SMTP). config.c reads the file
 * and calls config_key_find and config_key_apply for each key=value line.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config_keys.h"

#define LINE_CHARS_MAX CONFIG_LINE_CHARS_MAX

/* ------------------------------------------------------------ values */

/* Replace the heap string *dst with a copy of value. */
static int
store_string(char **dst, const char *value, char *why, size_t why_n)
{
	char *copy = strdup(value);

	if (!copy) {
		snprintf(why, why_n, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	const char *digits = s[0] == '-' ? s + 1 : s;
	char *end;
	long v;

	if (!isdigit((unsigned char)digits[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* [a-z_]{1,31}: ids travel in JSON and URLs and name labels in client-web. */
static bool
valid_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n >= CONFIG_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && s[i] != '_')
			return false;
	return true;
}

/* Space-separated ids into dst. Returns the count, or -1 with why. */
static int
parse_id_list(const char *value, char (*dst)[CONFIG_ID_MAX], char *why,
	      size_t why_n)
{
	char copy[LINE_CHARS_MAX + 1], *save = NULL, *tok;
	int n = 0, i;

	snprintf(copy, sizeof(copy), "%s", value);
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!valid_id(tok)) {
			snprintf(why, why_n, "'%.40s' is not an id (a-z and _, "
				 "1 to 31 characters, space-separated)", tok);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (strcmp(dst[i], tok) == 0) {
				snprintf(why, why_n, "'%s' listed twice", tok);
				return -1;
			}
		}
		if (n == CONFIG_MAX_LIST) {
			snprintf(why, why_n, "more than %d ids",
				 CONFIG_MAX_LIST);
			return -1;
		}
		snprintf(dst[n++], CONFIG_ID_MAX, "%s", tok);
	}
	if (n == 0)
		snprintf(why, why_n, "at least one id is needed");
	return n > 0 ? n : -1;
}

/* "name" or "name.name": letters, digits, '-' and '.'; not all digits. */
static bool
valid_host_name(const char *s, size_t n)
{
	bool letter = false;
	size_t i;

	if (n < 1 || n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (isalpha((unsigned char)s[i]) || s[i] == '-')
			letter = true;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			return false;
	}
	return letter;      /* digits and dots only must be an IPv4 address */
}

static bool
valid_ip(const char *s, size_t n)
{
	char buf[64];
	struct in6_addr a6;
	struct in_addr a4;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, &a4) == 1 ||
	       inet_pton(AF_INET6, buf, &a6) == 1;
}

/* "host", "host:port", "1.2.3.4:port" or "[v6]:port", nothing after. */
static bool
valid_host_port(const char *s)
{
	const char *colon, *host_end;
	int port;

	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (!host_end || !valid_ip(s + 1, (size_t)(host_end - s - 1)))
			return false;
		colon = host_end[1] == ':' ? host_end + 1 : NULL;
		if (!colon && host_end[1] != '\0')
			return false;
	} else {
		colon = strchr(s, ':');
		host_end = colon ? colon : s + strlen(s);
		if (!valid_ip(s, (size_t)(host_end - s)) &&
		    !valid_host_name(s, (size_t)(host_end - s)))
			return false;
	}
	return !colon || parse_int(colon + 1, 1, 65535, &port) == 0;
}

/* After "scheme://": the rest of s, or NULL when the scheme differs. */
static const char *
after_scheme(const char *s, const char *scheme)
{
	size_t n = strlen(scheme);

	if (strncmp(s, scheme, n) != 0 || strncmp(s + n, "://", 3) != 0)
		return NULL;
	return s + n + 3;
}

/* Exactly what a browser sends as Origin: scheme://host[:port]. */
static bool
valid_origin(const char *s)
{
	const char *rest = after_scheme(s, "http");

	if (!rest)
		rest = after_scheme(s, "https");
	return rest && valid_host_port(rest);
}

/* ------------------------------------------------- keys with own rules */

static int
set_listen(struct config *cfg, const char *value, char *why, size_t why_n)
{
	if (!valid_ip(value, strlen(value)) &&
	    !valid_host_name(value, strlen(value))) {
		snprintf(why, why_n, "not an IP address or host name");
		return -1;
	}
	return store_string(&cfg->listen, value, why, why_n);
}

void
config_free_origins(char **list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(list[i]);
}

/* Build the new list aside, so a bad value keeps the old one whole. */
static int
set_origins(struct config *cfg, const char *value, char *why, size_t why_n)
{
	char copy[LINE_CHARS_MAX + 1], *save = NULL, *tok;
	char *list[CONFIG_MAX_LIST];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", value);
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!valid_origin(tok)) {
			snprintf(why, why_n, "'%.80s' is not an origin "
				 "(http[s]://host[:port], no path, no '/' at "
				 "the end)", tok);
			break;
		}
		if (n == CONFIG_MAX_LIST) {
			snprintf(why, why_n, "more than %d origins",
				 CONFIG_MAX_LIST);
			break;
		}
		if (!(list[n] = strdup(tok))) {
			snprintf(why, why_n, "out of memory");
			break;
		}
		n++;
	}
	if (tok || n == 0) {
		if (n == 0 && !tok)
			snprintf(why, why_n, "at least one origin is needed");
		config_free_origins(list, n);
		return -1;
	}
	config_free_origins(cfg->allowed_origins, cfg->n_allowed_origins);
	memcpy(cfg->allowed_origins, list, (size_t)n * sizeof(list[0]));
	cfg->n_allowed_origins = n;
	return 0;
}

static int
set_timezone(struct config *cfg, const char *value, char *why, size_t why_n)
{
	if (!hours_timezone_valid(value)) {
		snprintf(why, why_n, "unknown timezone (an IANA name such as "
			 "Europe/Helsinki)");
		return -1;
	}
	snprintf(cfg->hours.timezone, sizeof(cfg->hours.timezone), "%s", value);
	return 0;
}

static int
set_holidays(struct config *cfg, const char *value, char *why, size_t why_n)
{
	if (strcasecmp(value, "FI") == 0) {
		cfg->hours.holidays_fi = true;
		return 0;
	}
	if (strcasecmp(value, "none") == 0) {
		cfg->hours.holidays_fi = false;
		return 0;
	}
	snprintf(why, why_n, "expected FI or none");
	return -1;
}

static int
set_languages(struct config *cfg, const char *value, char *why, size_t why_n)
{
	int n = parse_id_list(value, cfg->languages, why, why_n);

	if (n < 0)
		return -1;
	cfg->n_languages = n;
	return 0;
}

static int
set_topics(struct config *cfg, const char *value, char *why, size_t why_n)
{
	int n = parse_id_list(value, cfg->topics, why, why_n);

	if (n < 0)
		return -1;
	cfg->n_topics = n;
	return 0;
}

static int
set_default_language(struct config *cfg, const char *value, char *why,
		     size_t why_n)
{
	if (!valid_id(value)) {
		snprintf(why, why_n,
			 "not an id (a-z and _, 1 to 31 characters)");
		return -1;
	}
	snprintf(cfg->default_language, CONFIG_ID_MAX, "%s", value);
	return 0;
}

static int
set_smtp_url(struct config *cfg, const char *value, char *why, size_t why_n)
{
	const char *rest = after_scheme(value, "smtp");

	if (!rest)
		rest = after_scheme(value, "smtps");
	if (*value && (!rest || !valid_host_port(rest))) {
		snprintf(why, why_n, "expected smtp://host:port, "
			 "smtps://host:port or nothing");
		return -1;
	}
	return store_string(&cfg->smtp_url, value, why, why_n);
}

/* [chat] exit_url: where the quick exit sends the resident (CONTRACT.md
 * section 9). An absolute http(s) URL with a host, nothing that could
 * break out of the JSON or an HTML attribute: printable ASCII without
 * spaces, quotes, angle brackets or backslashes. */
static int
set_exit_url(struct config *cfg, const char *value, char *why, size_t why_n)
{
	const char *rest = NULL;
	size_t i;

	if (strncasecmp(value, "https://", 8) == 0)
		rest = value + 8;
	else if (strncasecmp(value, "http://", 7) == 0)
		rest = value + 7;
	for (i = 0; rest && value[i]; i++)
		if ((unsigned char)value[i] <= ' ' ||
		    (unsigned char)value[i] >= 127 ||
		    strchr("\"'<>\\`", value[i]))
			rest = NULL;
	if (!rest || !*rest || *rest == '/' || *rest == '?' || *rest == '#' ||
	    strlen(value) > 2000) {
		snprintf(why, why_n, "expected an absolute http:// or https:// "
			 "URL with a host");
		return -1;
	}
	return store_string(&cfg->exit_url, value, why, why_n);
}

/* local@domain, nothing that could break out of a mail header. */
static bool
valid_mailbox(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;

	if (!at || at == s || !at[1] || strchr(at + 1, '@') ||
	    !strchr(at + 1, '.') || strlen(s) > 254)
		return false;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127 ||
		    strchr("<>()[]\\,;:\"", s[i]))
			return false;
	return true;
}

static int
set_smtp_from(struct config *cfg, const char *value, char *why, size_t why_n)
{
	if (!valid_mailbox(value)) {
		snprintf(why, why_n, "not an email address (name@example.fi)");
		return -1;
	}
	return store_string(&cfg->smtp_from, value, why, why_n);
}

static int
set_starttls(struct config *cfg, const char *value, char *why, size_t why_n)
{
	if (strcmp(value, "required") == 0) {
		cfg->smtp_starttls_required = true;
		return 0;
	}
	if (strcmp(value, "no") == 0) {
		cfg->smtp_starttls_required = false;
		return 0;
	}
	snprintf(why, why_n, "expected required or no");
	return -1;
}

/* A path the server will open later must be readable now, so that the
 * mistake is reported with its file and line rather than at first use.
 * Empty means unset. The path is kept even when unreadable: the load fails
 * anyway, and a kept path spares a second, misleading "tls_cert is not set"
 * from the pair rule. */
static int
store_readable(char **dst, const char *value, char *why, size_t why_n)
{
	FILE *f;

	if (store_string(dst, value, why, why_n))
		return -1;
	if (!*value)
		return 0;
	f = fopen(value, "r");
	if (!f) {
		snprintf(why, why_n, "cannot read the file: %s",
			 strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

/* Space-separated addresses or CIDRs, IPv4 and IPv6; "" = none. Built
 * aside, so a bad value keeps the old list whole. */
static int
set_trusted_proxies(struct config *cfg, const char *value, char *why,
		    size_t why_n)
{
	char copy[LINE_CHARS_MAX + 1], *save = NULL, *tok;
	struct addr_net list[CONFIG_MAX_PROXIES];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", value);
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == CONFIG_MAX_PROXIES) {
			snprintf(why, why_n, "more than %d addresses or "
				 "networks", CONFIG_MAX_PROXIES);
			return -1;
		}
		if (addr_parse_net(tok, &list[n], why, why_n))
			return -1;
		n++;
	}
	memcpy(cfg->trusted_proxies, list, (size_t)n * sizeof(list[0]));
	cfg->n_trusted_proxies = n;
	return 0;
}

/* PEM certificate chain and private key for HTTPS and WSS. */
static int
set_tls_cert(struct config *cfg, const char *value, char *why, size_t why_n)
{
	return store_readable(&cfg->tls_cert, value, why, why_n);
}

static int
set_tls_key(struct config *cfg, const char *value, char *why, size_t why_n)
{
	return store_readable(&cfg->tls_key, value, why, why_n);
}

/* A PEM file of CAs to trust for the mail server. */
static int
set_ca_file(struct config *cfg, const char *value, char *why, size_t why_n)
{
	return store_readable(&cfg->smtp_ca_file, value, why, why_n);
}

/* ------------------------------------------------------ the key table */

#define AT(field) offsetof(struct config, field)
#define TEXT(s, n, f) { s, n, KIND_TEXT, AT(f), 0, 0, NULL }
#define NONEMPTY(s, n, f) { s, n, KIND_NONEMPTY, AT(f), 0, 0, NULL }
#define INT(s, n, f, lo, hi) { s, n, KIND_INT, AT(f), lo, hi, NULL }
#define BOOL(s, n, f) { s, n, KIND_BOOL, AT(f), 0, 0, NULL }
#define DAY(n, i) { "hours", n, KIND_DAY, AT(hours.week[i]), 0, 0, NULL }
#define SPECIAL(s, n, fn) { s, n, KIND_SPECIAL, 0, 0, 0, fn }

static const struct config_key keys[] = {
	SPECIAL("server", "listen", set_listen),
	INT("server", "port", port, 1, 65535),
	SPECIAL("server", "tls_cert", set_tls_cert),
	SPECIAL("server", "tls_key", set_tls_key),
	SPECIAL("server", "allowed_origins", set_origins),
	NONEMPTY("server", "database", database),
	NONEMPTY("server", "web_root", web_root),
	BOOL("server", "insecure_http", insecure_http),
	INT("server", "max_connections_per_ip", max_connections_per_ip, 1,
	    100000),
	SPECIAL("server", "trusted_proxies", set_trusted_proxies),
	SPECIAL("hours", "timezone", set_timezone),
	DAY("mon", 0), DAY("tue", 1), DAY("wed", 2), DAY("thu", 3),
	DAY("fri", 4), DAY("sat", 5), DAY("sun", 6),
	SPECIAL("hours", "holidays", set_holidays),
	INT("queue", "max_length", max_length, 1, 100000),
	INT("queue", "max_chats_per_advisor", max_chats_per_advisor, 1,
	    CONFIG_MAX_CHATS_PER_ADVISOR),
	BOOL("queue", "auto_assign", auto_assign),
	INT("queue", "resume_grace_s", resume_grace_s, 0, 86400),
	INT("queue", "idle_timeout_s", idle_timeout_s, 1, 604800),
	/* 4000 characters of UTF-8 stay within a 16 KiB frame. */
	INT("chat", "max_message_chars", max_message_chars, 1, 4000),
	SPECIAL("chat", "languages", set_languages),
	SPECIAL("chat", "default_language", set_default_language),
	SPECIAL("chat", "topics", set_topics),
	SPECIAL("chat", "exit_url", set_exit_url),
	TEXT("chat", "other_help", other_help),
	BOOL("chat", "questions", questions),
	INT("chat", "question_days", question_days, 1, 365),
	INT("transcripts", "retention_days", retention_days, 1, 36500),
	SPECIAL("smtp", "url", set_smtp_url),
	SPECIAL("smtp", "from", set_smtp_from),
	TEXT("smtp", "username", smtp_username),
	TEXT("smtp", "password", smtp_password),
	SPECIAL("smtp", "starttls", set_starttls),
	INT("smtp", "max_per_hour", smtp_max_per_hour, 1, 100000),
	SPECIAL("smtp", "ca_file", set_ca_file),
	INT("smtp", "retry_min_s", smtp_retry_min_s, 1, 3600),
	INT("limits", "max_queued_per_address", max_queued_per_address, 1,
	    100000),
	INT("limits", "max_new_chats_per_address_per_hour",
	    max_new_chats_per_address_per_hour, 1, 1000000),
	INT("limits", "max_queued_messages", max_queued_messages, 0, 100000),
	INT("limits", "max_chat_chars", max_chat_chars, 1, 100000000),
	INT("limits", "questions_per_address_per_hour",
	    questions_per_address_per_hour, 1, 100000),
};

const struct config_key *
config_key_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Set the field of k from value. Returns 0, or -1 with why filled. */
int
config_key_apply(struct config *cfg, const struct config_key *k, const char *value,
	  char *why, size_t why_n)
{
	char *field = (char *)cfg + k->offset;
	const char *day_why = NULL;

	switch (k->kind) {
	case KIND_NONEMPTY:
		if (!*value) {
			snprintf(why, why_n, "must not be empty");
			return -1;
		}
		/* fall through */
	case KIND_TEXT:
		return store_string((char **)(void *)field, value, why, why_n);
	case KIND_INT:
		if (parse_int(value, k->min, k->max, (int *)(void *)field) == 0)
			return 0;
		snprintf(why, why_n, "not a whole number from %d to %d",
			 k->min, k->max);
		return -1;
	case KIND_BOOL:
		if (parse_bool(value, (bool *)(void *)field) == 0)
			return 0;
		snprintf(why, why_n, "expected yes or no");
		return -1;
	case KIND_DAY:
		if (hours_parse_day(value, (struct hours_day *)(void *)field,
				    &day_why) == 0)
			return 0;
		snprintf(why, why_n, "%s", day_why);
		return -1;
	case KIND_SPECIAL:
		return k->special(cfg, value, why, why_n);
	}
	return -1;
}

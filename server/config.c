/*
 * config.c - reads and validates the INI config file (config.h; CONTRACT.md
 * section 2).
 *
 * inih splits lines into section, key and value and strips comments,
 * whitespace and a BOM. Its handler is not told the line number, and inih
 * itself names only the first bad line, so it reads through our own line
 * reader: that reads whole lines with getline, counts them, and reports the
 * lines inih would reject or silently split (no '=', a broken [section], a
 * line longer than inih's buffer), handing inih an empty line instead.
 * Keys, values and the rules between keys are checked here. Every error is
 * collected, not only the first, as "PATH:LINE: [section] key: reason".
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <ini.h>

#include "config.h"

#define LINE_CHARS_MAX 4000     /* longest line accepted, without "\r\n" */
#define ERRORS_MAX 100          /* errors listed; the rest are counted */
#define SHOWN_VALUE_MAX 80      /* longest value quoted in an error */
#define WHY_MAX 256
#define KEY_NAME_MAX 48         /* longest key name, NUL included */

static const char *const sections[] = {
	"server", "hours", "exceptions", "queue", "chat", "transcripts", "smtp",
	"limits"
};

/* One key given in the file, for duplicates and cross-key error lines. */
struct seen_key {
	const char *section;            /* one of sections[] */
	char key[KEY_NAME_MAX];
	int line;
};

/* The state of one config_load. */
struct parser {
	const char *path;
	FILE *f;
	struct config *cfg;
	char *line;                     /* the current line (getline) */
	size_t line_cap;
	int lineno;
	const char *section;            /* current section, NULL before any */
	bool skip_section;              /* its header was bad: keys ignored */
	struct seen_key *seen;
	size_t n_seen, seen_cap;
	char *errors;                   /* "PATH:LINE: ...\n" lines, heap */
	size_t errors_len;
	int n_errors;
};

/* ------------------------------------------------------------ errors */

static void
append_v(struct parser *p, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void
append(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
add_error(struct parser *p, int line, const char *section, const char *key,
	  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Append to the error text. Out of memory loses text, not the failure:
 * n_errors still fails the load. */
static void
append_v(struct parser *p, const char *fmt, va_list ap)
{
	va_list again;
	char *grown;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0)
		return;
	grown = realloc(p->errors, p->errors_len + (size_t)n + 1);
	if (!grown)
		return;
	p->errors = grown;
	vsnprintf(p->errors + p->errors_len, (size_t)n + 1, fmt, ap);
	p->errors_len += (size_t)n;
}

static void
append(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_v(p, fmt, ap);
	va_end(ap);
}

/* Record "PATH:LINE: [section] key: reason"; section and key may be NULL. */
static void
add_error(struct parser *p, int line, const char *section, const char *key,
	  const char *fmt, ...)
{
	va_list ap;

	if (++p->n_errors > ERRORS_MAX)
		return;
	append(p, "%s:%d: ", p->path, line);
	if (section && key)
		append(p, "[%s] %.64s: ", section, key);
	else if (section)
		append(p, "[%s]: ", section);
	else if (key)
		append(p, "%.64s: ", key);
	va_start(ap, fmt);
	append_v(p, fmt, ap);
	va_end(ap);
	append(p, "\n");
}

/* A value as quoted in an error: shortened, and never a password. */
static const char *
shown(const char *key, const char *value, char *buf, size_t n)
{
	if (key && strcmp(key, "password") == 0)
		return "(hidden)";
	if (strlen(value) <= SHOWN_VALUE_MAX)
		return value;
	snprintf(buf, n, "%.*s...", SHOWN_VALUE_MAX, value);
	return buf;
}

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

typedef int (*special_fn)(struct config *cfg, const char *value, char *why,
			  size_t why_n);

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

static void
free_origins(char **list, int n)
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
		free_origins(list, n);
		return -1;
	}
	free_origins(cfg->allowed_origins, cfg->n_allowed_origins);
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

enum key_kind {
	KIND_TEXT,              /* any string, "" included */
	KIND_NONEMPTY,          /* a string that must not be "" */
	KIND_INT,               /* min..max */
	KIND_BOOL,
	KIND_DAY,               /* hours_parse_day */
	KIND_SPECIAL            /* its own function */
};

struct key {
	const char *section;
	const char *name;
	enum key_kind kind;
	size_t offset;          /* of the field in struct config */
	int min, max;
	special_fn special;
};

#define AT(field) offsetof(struct config, field)
#define TEXT(s, n, f) { s, n, KIND_TEXT, AT(f), 0, 0, NULL }
#define NONEMPTY(s, n, f) { s, n, KIND_NONEMPTY, AT(f), 0, 0, NULL }
#define INT(s, n, f, lo, hi) { s, n, KIND_INT, AT(f), lo, hi, NULL }
#define BOOL(s, n, f) { s, n, KIND_BOOL, AT(f), 0, 0, NULL }
#define DAY(n, i) { "hours", n, KIND_DAY, AT(hours.week[i]), 0, 0, NULL }
#define SPECIAL(s, n, fn) { s, n, KIND_SPECIAL, 0, 0, 0, fn }

static const struct key keys[] = {
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
	INT("queue", "max_chats_per_advisor", max_chats_per_advisor, 1, 100),
	BOOL("queue", "auto_assign", auto_assign),
	INT("queue", "resume_grace_s", resume_grace_s, 0, 86400),
	INT("queue", "idle_timeout_s", idle_timeout_s, 1, 604800),
	/* 4000 characters of UTF-8 stay within a 16 KiB frame. */
	INT("chat", "max_message_chars", max_message_chars, 1, 4000),
	SPECIAL("chat", "languages", set_languages),
	SPECIAL("chat", "default_language", set_default_language),
	SPECIAL("chat", "topics", set_topics),
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
};

static const struct key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Set the field of k from value. Returns 0, or -1 with why filled. */
static int
apply_key(struct config *cfg, const struct key *k, const char *value,
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

/* -------------------------------------------------------- keys given */

static const struct seen_key *
find_seen(const struct parser *p, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < p->n_seen; i++)
		if (strcmp(p->seen[i].section, section) == 0 &&
		    strcmp(p->seen[i].key, key) == 0)
			return &p->seen[i];
	return NULL;
}

/* The line section.key was given on, 0 when it was not. */
static int
line_of(const struct parser *p, const char *section, const char *key)
{
	const struct seen_key *s = find_seen(p, section, key);

	return s ? s->line : 0;
}

/* Remember section.key; false (reported) when it was given before. */
static bool
first_time(struct parser *p, const char *section, const char *key)
{
	const struct seen_key *before = find_seen(p, section, key);
	struct seen_key *grown;

	if (before) {
		add_error(p, p->lineno, section, key,
			  "given twice (first on line %d)", before->line);
		return false;
	}
	if (p->n_seen == p->seen_cap) {
		size_t cap = p->seen_cap ? p->seen_cap * 2 : 32;

		grown = realloc(p->seen, cap * sizeof(*grown));
		if (!grown) {
			add_error(p, p->lineno, section, key, "out of memory");
			return false;
		}
		p->seen = grown;
		p->seen_cap = cap;
	}
	p->seen[p->n_seen].section = section;
	snprintf(p->seen[p->n_seen].key, KEY_NAME_MAX, "%s", key);
	p->seen[p->n_seen].line = p->lineno;
	p->n_seen++;
	return true;
}

/* ---------------------------------------------------------- handlers */

static void
on_exception(struct parser *p, const char *key, const char *value)
{
	struct hours_date date;
	struct hours_day day;
	const char *why = NULL;
	char buf[SHOWN_VALUE_MAX + 4];

	if (hours_parse_date(key, &date) != 0) {
		add_error(p, p->lineno, "exceptions", key,
			  "not a date (YYYY-MM-DD, a real calendar day)");
		return;
	}
	if (!first_time(p, "exceptions", key))
		return;
	if (hours_parse_day(value, &day, &why) != 0 ||
	    hours_add_exception(&p->cfg->hours, &date, &day, &why) != 0)
		add_error(p, p->lineno, "exceptions", key, "'%s': %s",
			  shown(key, value, buf, sizeof(buf)), why);
}

static void
on_key(struct parser *p, const char *section, const char *key,
       const char *value)
{
	const struct key *k;
	char why[WHY_MAX], buf[SHOWN_VALUE_MAX + 4];

	if (strcmp(section, "exceptions") == 0) {
		on_exception(p, key, value);
		return;
	}
	k = find_key(section, key);
	if (!k) {
		add_error(p, p->lineno, section, key, "unknown key");
		return;
	}
	if (!first_time(p, k->section, k->name))
		return;
	why[0] = '\0';
	if (apply_key(p->cfg, k, value, why, sizeof(why)) != 0)
		add_error(p, p->lineno, section, key, "'%s': %s",
			  shown(key, value, buf, sizeof(buf)), why);
}

/* inih's handler. The section is ours (p->section): inih only ever sees
 * the headers the reader let through, so it would name the same one. */
static int
ini_handler_fn(void *user, const char *section, const char *key,
	       const char *value)
{
	struct parser *p = user;

	(void)section;
	if (p->skip_section)
		return 1;       /* the bad header was reported once */
	if (!p->section) {
		add_error(p, p->lineno, NULL, key, "key before any [section]");
		return 1;
	}
	on_key(p, p->section, key, value);
	return 1;       /* errors are ours to report; 0 would make inih count */
}

/* --------------------------------------------------------- the reader */

static const char *
known_section(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i]) == n &&
		    strncmp(sections[i], name, n) == 0)
			return sections[i];
	return NULL;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' ||
	       *s == '\f')
		s++;
	return s;
}

static bool
blank_or_comment(const char *s)
{
	s = skip_space(s);
	return *s == '\0' || *s == ';' || *s == '#';
}

/* "[name]" with only a comment after it. Returns whether inih gets it. */
static bool
check_header(struct parser *p, const char *s)
{
	const char *close = strchr(s, ']');
	const char *name;

	p->section = NULL;
	p->skip_section = true;
	if (!close) {
		add_error(p, p->lineno, NULL, NULL,
			  "malformed section header (no ']')");
		return false;
	}
	if (!blank_or_comment(close + 1)) {
		add_error(p, p->lineno, NULL, NULL,
			  "malformed section header (text after ']')");
		return false;
	}
	name = known_section(s + 1, (size_t)(close - s - 1));
	if (!name) {
		int len = (int)(close - s - 1);

		add_error(p, p->lineno, NULL, NULL, "[%.*s]: unknown section",
			  len > 64 ? 64 : len, s + 1);
		return false;
	}
	p->section = name;
	p->skip_section = false;
	return true;
}

/* "key = value". inih would also split at ':' or stop at a comment
 * before the '=', so those are reported here. */
static bool
check_key_line(struct parser *p, const char *s)
{
	bool after_space = false;
	const char *q;

	for (q = s; *q && *q != '='; q++) {
		if (*q == ':' || (after_space && (*q == ';' || *q == '#')))
			break;
		after_space = isspace((unsigned char)*q);
	}
	if (*q != '=') {
		add_error(p, p->lineno, p->section, NULL,
			  "expected key = value, a [section] or a comment");
		return false;
	}
	if (q == s) {
		add_error(p, p->lineno, p->section, NULL, "no key before '='");
		return false;
	}
	return true;
}

/* The key of an over-long line, for its error: text before '=', trimmed. */
static void
key_of_line(const char *line, char *key, size_t n)
{
	const char *s = skip_space(line), *eq = strchr(s, '=');
	size_t len;

	key[0] = '\0';
	if (!eq || *s == '[')
		return;
	len = (size_t)(eq - s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(key, s, len);
	key[len] = '\0';
}

/* Would inih read this line as we mean it? Reports it when not. */
static bool
line_ok(struct parser *p, size_t len, int size)
{
	const char *s = skip_space(p->line);
	char key[CONFIG_ID_MAX];

	if (memchr(p->line, '\0', len)) {
		add_error(p, p->lineno, p->section, NULL,
			  "line contains a NUL byte");
		return false;
	}
	/* inih wants room for "\r\n\0" besides the text. */
	if (len > LINE_CHARS_MAX || len + 3 > (size_t)size) {
		key_of_line(p->line, key, sizeof(key));
		add_error(p, p->lineno, p->section, key[0] ? key : NULL,
			  "line longer than %d characters", LINE_CHARS_MAX);
		return false;
	}
	if (blank_or_comment(s))
		return true;
	if (*s == '[')
		return check_header(p, s);
	return check_key_line(p, s);
}

/* ini_reader: hands inih one whole line per call, or "" for a line that
 * was reported here, so inih neither splits nor reports it again. */
static char *
read_line(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	ssize_t got = getline(&p->line, &p->line_cap, p->f);
	size_t len;

	if (got < 0)
		return NULL;
	p->lineno++;
	len = (size_t)got;
	while (len > 0 &&
	       (p->line[len - 1] == '\n' || p->line[len - 1] == '\r'))
		p->line[--len] = '\0';
	if (p->lineno == 1 && len >= 3 &&
	    memcmp(p->line, "\xEF\xBB\xBF", 3) == 0) {
		memmove(p->line, p->line + 3, len - 2);
		len -= 3;
	}
	buf[0] = '\0';
	if (line_ok(p, len, size))
		memcpy(buf, p->line, len + 1);
	return buf;
}

/* ------------------------------------------------------- inih settings */

/* inih's options are process-wide globals in Debian's build: set ours for
 * the parse and put the caller's back afterwards. */
struct ini_settings {
	bool multiline, inline_comments, bom, no_value, stop_first, realloc_;
	char *inline_prefixes, *start_prefixes;
	int max_line;
};

static void
ini_settings_swap(struct ini_settings *keep)
{
	static char comment_chars[] = ";#";

	keep->multiline = ini_allow_multiline;
	keep->inline_comments = ini_allow_inline_comments;
	keep->bom = ini_allow_bom;
	keep->no_value = ini_allow_no_value;
	keep->stop_first = ini_stop_on_first_error;
	keep->realloc_ = ini_allow_realloc;
	keep->inline_prefixes = ini_inline_comment_prefixes;
	keep->start_prefixes = ini_start_comment_prefixes;
	keep->max_line = ini_max_line;
	ini_allow_multiline = false;    /* an indented line is its own line */
	ini_allow_inline_comments = true;
	ini_allow_bom = true;
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;
	ini_allow_realloc = false;      /* one reader call is one line */
	ini_inline_comment_prefixes = comment_chars;
	ini_start_comment_prefixes = comment_chars;
	ini_max_line = LINE_CHARS_MAX + 3;
}

static void
ini_settings_restore(const struct ini_settings *keep)
{
	ini_allow_multiline = keep->multiline;
	ini_allow_inline_comments = keep->inline_comments;
	ini_allow_bom = keep->bom;
	ini_allow_no_value = keep->no_value;
	ini_stop_on_first_error = keep->stop_first;
	ini_allow_realloc = keep->realloc_;
	ini_inline_comment_prefixes = keep->inline_prefixes;
	ini_start_comment_prefixes = keep->start_prefixes;
	ini_max_line = keep->max_line;
}

/* ------------------------------------------------- rules between keys */

bool
config_listen_is_loopback(const char *listen)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcasecmp(listen, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, listen, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, listen, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	/* ::ffff:127.x.y.z */
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

static void
check_default_language(struct parser *p)
{
	const struct config *c = p->cfg;
	int line = line_of(p, "chat", "default_language");
	const char *key = "default_language";

	if (config_has_language(c, c->default_language))
		return;
	if (!line) {            /* only languages was given: the culprit */
		line = line_of(p, "chat", "languages");
		key = "languages";
	}
	add_error(p, line, "chat", key,
		  "default_language '%s' is not one of languages",
		  c->default_language);
}

static void
check_tls_pair(struct parser *p)
{
	const struct config *c = p->cfg;
	bool cert = c->tls_cert[0], key = c->tls_key[0];

	if (cert == key)
		return;
	if (cert)
		add_error(p, line_of(p, "server", "tls_cert"), "server",
			  "tls_cert", "tls_key is not set: set both tls_cert "
			  "and tls_key, or neither");
	else
		add_error(p, line_of(p, "server", "tls_key"), "server",
			  "tls_key", "tls_cert is not set: set both tls_cert "
			  "and tls_key, or neither");
}

static void
check_listen_needs_tls(struct parser *p)
{
	const struct config *c = p->cfg;

	if ((c->tls_cert[0] && c->tls_key[0]) || c->insecure_http ||
	    config_listen_is_loopback(c->listen))
		return;
	add_error(p, line_of(p, "server", "listen"), "server", "listen",
		  "'%s' is not a loopback address: set tls_cert and tls_key, "
		  "or insecure_http = yes when a TLS-terminating proxy is in "
		  "front", c->listen);
}

/* -------------------------------------------------------------- defaults */

static int
set_default_lists(struct config *c)
{
	static const char *const langs[] = { "fi", "sv", "en" };
	static const char *const topics[] = {
		"income_support", "housing", "substance_use", "daily_life",
		"family", "other"
	};
	size_t i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		snprintf(c->languages[i], CONFIG_ID_MAX, "%s", langs[i]);
	c->n_languages = (int)i;
	for (i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		snprintf(c->topics[i], CONFIG_ID_MAX, "%s", topics[i]);
	c->n_topics = (int)i;
	snprintf(c->default_language, CONFIG_ID_MAX, "fi");
	c->allowed_origins[0] = strdup("http://127.0.0.1:8080");
	c->allowed_origins[1] = strdup("http://localhost:8080");
	c->n_allowed_origins = 2;
	return c->allowed_origins[0] && c->allowed_origins[1] ? 0 : -1;
}

static int
set_default_hours(struct hours *h)
{
	static const char *const week[7] = {
		"09:00-11:00", "09:00-11:00", "09:00-11:00",
		"09:00-11:00, 13:00-15:00", "09:00-11:00", "closed", "closed"
	};
	const char *why;
	int i;

	snprintf(h->timezone, sizeof(h->timezone), "Europe/Helsinki");
	h->holidays_fi = false;
	for (i = 0; i < 7; i++)
		if (hours_parse_day(week[i], &h->week[i], &why) != 0)
			return -1;
	return 0;
}

static int
set_default_strings(struct config *c)
{
	c->listen = strdup("127.0.0.1");
	c->tls_cert = strdup("");
	c->tls_key = strdup("");
	c->database = strdup("var/neuvo.db");
	c->web_root = strdup("client-web");
	c->smtp_url = strdup("");
	c->smtp_from = strdup("neuvonta@example.fi");
	c->smtp_username = strdup("");
	c->smtp_password = strdup("");
	c->smtp_ca_file = strdup("");
	return c->listen && c->tls_cert && c->tls_key && c->database &&
	       c->web_root && c->smtp_url && c->smtp_from &&
	       c->smtp_username && c->smtp_password &&
	       c->smtp_ca_file ? 0 : -1;
}

struct config *
config_defaults(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->port = 8080;
	c->insecure_http = false;
	c->max_connections_per_ip = 100;
	c->max_length = 50;
	c->max_chats_per_advisor = 3;
	c->auto_assign = false;
	c->resume_grace_s = 120;
	c->idle_timeout_s = 900;
	c->max_message_chars = 2000;
	c->retention_days = 365;
	c->smtp_starttls_required = true;
	c->smtp_max_per_hour = 200;
	c->smtp_retry_min_s = 60;
	c->max_queued_per_address = 3;
	c->max_new_chats_per_address_per_hour = 10;
	c->max_queued_messages = 20;
	c->max_chat_chars = 50000;
	if (set_default_strings(c) || set_default_lists(c) ||
	    set_default_hours(&c->hours)) {
		config_free(c);
		return NULL;
	}
	return c;
}

/* --------------------------------------------------------------- loading */

static void
parse_file(struct parser *p)
{
	struct ini_settings keep;
	int rc;

	ini_settings_swap(&keep);
	rc = ini_parse_stream(read_line, p, ini_handler_fn, p);
	ini_settings_restore(&keep);
	if (ferror(p->f))
		add_error(p, 0, NULL, NULL, "cannot read the file: %s",
			  strerror(errno));
	else if (rc == -2)
		add_error(p, 0, NULL, NULL, "out of memory");
	else if (rc > 0)        /* a line inih refused that we did not expect */
		add_error(p, rc, NULL, NULL, "cannot parse this line");
}

/* A chat must have room for at least one longest message. The default
 * max_chat_chars is above any max_message_chars, so only a given
 * max_chat_chars can break this rule. */
static void
check_chat_room(struct parser *p)
{
	const struct config *c = p->cfg;

	if (c->max_chat_chars >= c->max_message_chars)
		return;
	add_error(p, line_of(p, "limits", "max_chat_chars"), "limits",
		  "max_chat_chars", "max_chat_chars (%d) is less than "
		  "max_message_chars (%d): no chat could hold a longest "
		  "message", c->max_chat_chars, c->max_message_chars);
}

static void
check_whole_file(struct parser *p)
{
	check_default_language(p);
	check_tls_pair(p);
	check_listen_needs_tls(p);
	check_chat_room(p);
}

/* The error text for the caller: every line, and a count of the rest. */
static char *
take_errors(struct parser *p)
{
	char *text;

	if (p->n_errors > ERRORS_MAX)
		append(p, "%s:0: %d more errors not shown\n", p->path,
		       p->n_errors - ERRORS_MAX);
	text = p->errors;
	p->errors = NULL;
	return text ? text : strdup("config: out of memory\n");
}

int
config_load(const char *path, struct config **out, char **errors)
{
	struct parser p;

	*out = NULL;
	*errors = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.cfg = config_defaults();
	if (!p.cfg || !(p.cfg->path = strdup(path))) {
		config_free(p.cfg);
		*errors = strdup("config: out of memory\n");
		return -1;
	}
	p.f = fopen(path, "r");
	if (!p.f) {
		add_error(&p, 0, NULL, NULL, "cannot open the file: %s",
			  strerror(errno));
	} else {
		parse_file(&p);
		fclose(p.f);
		check_whole_file(&p);
	}
	free(p.line);
	free(p.seen);
	if (p.n_errors > 0) {
		config_free(p.cfg);
		*errors = take_errors(&p);
		return -1;
	}
	*out = p.cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->listen);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free_origins(cfg->allowed_origins, cfg->n_allowed_origins);
	free(cfg->database);
	free(cfg->web_root);
	hours_free(&cfg->hours);
	free(cfg->smtp_url);
	free(cfg->smtp_from);
	free(cfg->smtp_username);
	free(cfg->smtp_password);
	free(cfg->smtp_ca_file);
	free(cfg);
}

bool
config_has_language(const struct config *cfg, const char *lang)
{
	int i;

	for (i = 0; i < cfg->n_languages; i++)
		if (strcmp(cfg->languages[i], lang) == 0)
			return true;
	return false;
}

bool
config_has_topic(const struct config *cfg, const char *topic)
{
	int i;

	for (i = 0; i < cfg->n_topics; i++)
		if (strcmp(cfg->topics[i], topic) == 0)
			return true;
	return false;
}

/*
 * config.c - reads and validates the INI config (see config.h).
 *
 * inih does the INI syntax; this file does everything else. inih's handler
 * is not told the line number, so we feed it through our own line reader
 * (ini_parse_stream), which counts lines, reports malformed ones itself,
 * and keeps the whole raw line: Debian's inih cuts lines at 200 bytes, so
 * a long value (many allowed_origins) is taken from the raw line instead.
 *
 * Every error is collected, not just the first, as
 * "PATH:LINE: [section] key: reason".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <ini.h>

#include "config.h"

#define MAX_KEYS 256            /* distinct keys remembered for duplicates */

/* Parsing state; one per config_load call. */
struct parse {
	const char *path;
	FILE *f;
	int line;                       /* line number of the current line */
	char *raw;                      /* the whole current line (getline) */
	size_t raw_cap;
	bool cut;                       /* raw was longer than inih's buffer */
	struct config *cfg;
	char *errors;                   /* accumulated, heap */
	size_t errors_len;
	int n_errors;
	char seen[MAX_KEYS][48];        /* "section.key" already given */
	int n_seen;
	int line_of_listen, line_of_default_lang, line_of_tls;
	int line_of_timezone;
};

static void
error(struct parse *p, int line, const char *section, const char *key,
      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Append one error line. Out of memory loses the text, not the failure. */
static void
error(struct parse *p, int line, const char *section, const char *key,
      const char *fmt, ...)
{
	char msg[512], head[256];
	va_list ap;
	size_t add;
	char *grown;

	p->n_errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (section && key)
		snprintf(head, sizeof(head), "%s:%d: [%s] %s: ", p->path, line,
			 section, key);
	else if (section)
		snprintf(head, sizeof(head), "%s:%d: [%s]: ", p->path, line,
			 section);
	else
		snprintf(head, sizeof(head), "%s:%d: ", p->path, line);
	add = strlen(head) + strlen(msg) + 2;
	grown = realloc(p->errors, p->errors_len + add);
	if (!grown)
		return;
	p->errors = grown;
	snprintf(p->errors + p->errors_len, add, "%s%s\n", head, msg);
	p->errors_len += add - 1;
}

/* ------------------------------------------------------------ the reader */

static bool
blank_or_comment(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == '\0' || *s == ';' || *s == '#';
}

static bool
known_section(const char *name, size_t len)
{
	static const char *names[] = { "server", "hours", "exceptions", "queue",
				       "chat", "transcripts", "smtp" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncmp(names[i], name, len))
			return true;
	return false;
}

/* A line inih would reject, or a section we do not know: report it here,
 * with its number (inih says nothing of a section without keys). */
static bool
malformed(struct parse *p, const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || !blank_or_comment(close + 1)) {
			error(p, p->line, NULL, NULL,
			      "malformed section header");
			return true;
		}
		if (!known_section(s + 1, (size_t)(close - s - 1)))
			error(p, p->line, NULL, NULL, "unknown section %.*s",
			      (int)(close - s + 1), s);
		return false;
	}
	if (!strchr(s, '=')) {
		error(p, p->line, NULL, NULL, "expected key = value");
		return true;
	}
	if (*s == '=') {
		error(p, p->line, NULL, NULL, "key missing before '='");
		return true;
	}
	return false;
}

/* fgets-like reader for ini_parse_stream: one whole line per call. */
static char *
read_line(char *buf, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n = getline(&p->raw, &p->raw_cap, p->f);

	if (n < 0)
		return NULL;
	p->line++;
	p->cut = false;
	if (n > 0 && p->raw[n - 1] == '\n')
		p->raw[--n] = '\0';
	if (n > 0 && p->raw[n - 1] == '\r')
		p->raw[--n] = '\0';
	if (blank_or_comment(p->raw) || malformed(p, p->raw)) {
		snprintf(buf, (size_t)num, "\n");
		return buf;
	}
	/* inih's buffer is num bytes; keep room for "\n\0". */
	if (n > num - 2) {
		n = num - 2;
		p->cut = true;
	}
	memcpy(buf, p->raw, (size_t)n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return buf;
}

/* The value of the raw line: after '=', without an inline comment. */
static void
raw_value(const char *raw, char *out, size_t n)
{
	const char *s = strchr(raw, '=') + 1, *end;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	for (end = s; *end; end++)
		if ((*end == ';' || *end == '#') && end > s &&
		    (end[-1] == ' ' || end[-1] == '\t'))
			break;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - s);
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

/* ------------------------------------------------------------ the values */

static int
set_string(struct parse *p, char **dst, const char *value)
{
	char *copy = strdup(value);

	if (!copy) {
		error(p, p->line, NULL, NULL, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int
parse_int(const char *value, int min, int max, int *out)
{
	char *end;
	long v;

	if (!*value)
		return -1;
	v = strtol(value, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
parse_bool(const char *value, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(value, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(value, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static bool
valid_id(const char *s, bool lang)
{
	size_t i, n = strlen(s);

	if (n < (lang ? 2u : 1u) || n > (lang ? 8u : CONFIG_ID_MAX - 1u))
		return false;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && (lang || s[i] != '_'))
			return false;
	return true;
}

/* Split space-separated ids into dst. Returns the count or -1. */
static int
parse_ids(const char *value, char (*dst)[CONFIG_ID_MAX], bool lang)
{
	char buf[1024], *save = NULL, *tok;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		int i;

		if (n == CONFIG_MAX_LIST || !valid_id(tok, lang))
			return -1;
		for (i = 0; i < n; i++)
			if (!strcmp(dst[i], tok))
				return -1;
		snprintf(dst[n++], CONFIG_ID_MAX, "%s", tok);
	}
	return n > 0 ? n : -1;
}

static bool
valid_origin(const char *o)
{
	const char *host;
	size_t i;

	if (!strncmp(o, "http://", 7))
		host = o + 7;
	else if (!strncmp(o, "https://", 8))
		host = o + 8;
	else
		return false;
	if (!*host || strlen(o) > 200)
		return false;
	for (i = 0; host[i]; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr(".-:[]", host[i]))
			return false;
	return true;
}

static int
parse_origins(struct parse *p, const char *value)
{
	char buf[4096], *save = NULL, *tok;
	struct config *cfg = p->cfg;
	int i;

	for (i = 0; i < cfg->n_allowed_origins; i++)
		free(cfg->allowed_origins[i]);
	cfg->n_allowed_origins = 0;
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (cfg->n_allowed_origins == CONFIG_MAX_LIST ||
		    !valid_origin(tok))
			return -1;
		cfg->allowed_origins[cfg->n_allowed_origins] = strdup(tok);
		if (!cfg->allowed_origins[cfg->n_allowed_origins])
			return -1;
		cfg->n_allowed_origins++;
	}
	return 0;
}

/* --------------------------------------------------------- the sections */

static int
key_server(struct parse *p, const char *key, const char *value)
{
	struct config *c = p->cfg;

	if (!strcmp(key, "listen")) {
		p->line_of_listen = p->line;
		return *value ? set_string(p, &c->listen, value) : -1;
	}
	if (!strcmp(key, "port"))
		return parse_int(value, 1, 65535, &c->port);
	if (!strcmp(key, "tls_cert") || !strcmp(key, "tls_key")) {
		p->line_of_tls = p->line;
		return set_string(p, key[4] == 'c' ? &c->tls_cert : &c->tls_key,
				  value);
	}
	if (!strcmp(key, "allowed_origins"))
		return parse_origins(p, value);
	if (!strcmp(key, "database"))
		return *value ? set_string(p, &c->database, value) : -1;
	if (!strcmp(key, "web_root"))
		return *value ? set_string(p, &c->web_root, value) : -1;
	if (!strcmp(key, "insecure_http"))
		return parse_bool(value, &c->insecure_http);
	if (!strcmp(key, "max_connections_per_ip"))
		return parse_int(value, 1, 1000000, &c->max_connections_per_ip);
	return 1;
}

static int
day_index(const char *key)
{
	static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat",
				      "sun" };
	int i;

	for (i = 0; i < 7; i++)
		if (!strcmp(key, days[i]))
			return i;
	return -1;
}

static int
key_hours(struct parse *p, const char *key, const char *value,
	  const char **why)
{
	struct hours *h = &p->cfg->hours;
	int d = day_index(key);

	if (d >= 0)
		return hours_parse_day(value, &h->week[d], why);
	if (!strcmp(key, "timezone")) {
		p->line_of_timezone = p->line;
		if (!hours_timezone_valid(value)) {
			*why = "unknown timezone (an IANA name like Europe/Helsinki)";
			return -1;
		}
		snprintf(h->timezone, sizeof(h->timezone), "%.*s",
			 (int)sizeof(h->timezone) - 1, value);
		return 0;
	}
	if (!strcmp(key, "holidays")) {
		if (!strcasecmp(value, "FI"))
			h->holidays_fi = true;
		else if (!strcasecmp(value, "none"))
			h->holidays_fi = false;
		else
			return -1;
		return 0;
	}
	return 1;
}

static int
key_exception(struct parse *p, const char *key, const char *value,
	      const char **why)
{
	struct hours_date date;
	struct hours_day day;

	if (hours_parse_date(key, &date)) {
		*why = "not a date (YYYY-MM-DD)";
		return -1;
	}
	if (hours_parse_day(value, &day, why))
		return -1;
	return hours_add_exception(&p->cfg->hours, &date, &day, why);
}

static int
key_queue(struct parse *p, const char *key, const char *value)
{
	struct config *c = p->cfg;

	if (!strcmp(key, "max_length"))
		return parse_int(value, 1, 1000000, &c->max_length);
	if (!strcmp(key, "max_chats_per_advisor"))
		return parse_int(value, 1, 64, &c->max_chats_per_advisor);
	if (!strcmp(key, "auto_assign"))
		return parse_bool(value, &c->auto_assign);
	if (!strcmp(key, "resume_grace_s"))
		return parse_int(value, 0, 86400, &c->resume_grace_s);
	if (!strcmp(key, "idle_timeout_s"))
		return parse_int(value, 10, 86400, &c->idle_timeout_s);
	return 1;
}

static int
key_chat(struct parse *p, const char *key, const char *value)
{
	struct config *c = p->cfg;
	int n;

	if (!strcmp(key, "max_message_chars"))
		return parse_int(value, 1, 4000, &c->max_message_chars);
	if (!strcmp(key, "languages")) {
		if ((n = parse_ids(value, c->languages, true)) < 0)
			return -1;
		c->n_languages = n;
		return 0;
	}
	if (!strcmp(key, "default_language")) {
		p->line_of_default_lang = p->line;
		if (!valid_id(value, true))
			return -1;
		snprintf(c->default_language, CONFIG_ID_MAX, "%.*s",
			 CONFIG_ID_MAX - 1, value);
		return 0;
	}
	if (!strcmp(key, "topics")) {
		if ((n = parse_ids(value, c->topics, false)) < 0)
			return -1;
		c->n_topics = n;
		return 0;
	}
	return 1;
}

static int
key_smtp(struct parse *p, const char *key, const char *value)
{
	struct config *c = p->cfg;

	if (!strcmp(key, "url")) {
		if (*value && strncmp(value, "smtp://", 7) &&
		    strncmp(value, "smtps://", 8))
			return -1;
		return set_string(p, &c->smtp_url, value);
	}
	if (!strcmp(key, "from"))
		return strchr(value, '@') && !strpbrk(value, " \r\n<>")
			       ? set_string(p, &c->smtp_from, value) : -1;
	if (!strcmp(key, "username"))
		return set_string(p, &c->smtp_username, value);
	if (!strcmp(key, "password"))
		return set_string(p, &c->smtp_password, value);
	if (!strcmp(key, "starttls")) {
		if (!strcmp(value, "required"))
			c->smtp_starttls_required = true;
		else if (!strcmp(value, "no"))
			c->smtp_starttls_required = false;
		else
			return -1;
		return 0;
	}
	if (!strcmp(key, "max_per_hour"))
		return parse_int(value, 1, 1000000, &c->smtp_max_per_hour);
	return 1;
}

/* Returns false (and reports) when section.key was given before. */
static bool
first_time(struct parse *p, const char *section, const char *key)
{
	char id[48];
	int i;

	snprintf(id, sizeof(id), "%s.%s", section, key);
	for (i = 0; i < p->n_seen; i++) {
		if (!strcmp(p->seen[i], id)) {
			error(p, p->line, section, key, "given twice");
			return false;
		}
	}
	if (p->n_seen < MAX_KEYS)
		snprintf(p->seen[p->n_seen++], sizeof(p->seen[0]), "%s", id);
	return true;
}

/* inih's handler: route to the section; report unknown or bad values. */
static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	const char *why = NULL;
	char full[4096];
	int rc;

	if (p->cut) {
		raw_value(p->raw, full, sizeof(full));
		value = full;
	}
	if (!*section) {
		error(p, p->line, NULL, key, "key outside any [section]");
		return 1;
	}
	if (strcmp(section, "exceptions") && !first_time(p, section, key))
		return 1;
	if (!strcmp(section, "server"))
		rc = key_server(p, key, value);
	else if (!strcmp(section, "hours"))
		rc = key_hours(p, key, value, &why);
	else if (!strcmp(section, "exceptions"))
		rc = key_exception(p, key, value, &why);
	else if (!strcmp(section, "queue"))
		rc = key_queue(p, key, value);
	else if (!strcmp(section, "chat"))
		rc = key_chat(p, key, value);
	else if (!strcmp(section, "transcripts"))
		rc = !strcmp(key, "retention_days")
			     ? parse_int(value, 1, 36500, &p->cfg->retention_days)
			     : 1;
	else if (!strcmp(section, "smtp"))
		rc = key_smtp(p, key, value);
	else
		return 1;       /* reported at its header by the reader */
	if (rc > 0)
		error(p, p->line, section, key, "unknown key");
	else if (rc < 0)
		error(p, p->line, section, key, "invalid value '%s'%s%s", value,
		      why ? ": " : "", why ? why : "");
	return 1;
}

/* ------------------------------------------------------ whole-file rules */

bool
config_listen_is_loopback(const char *listen)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcmp(listen, "localhost"))
		return true;
	if (inet_pton(AF_INET, listen, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, listen, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static void
cross_checks(struct parse *p)
{
	struct config *c = p->cfg;
	bool tls;

	if (!config_has_language(c, c->default_language))
		error(p, p->line_of_default_lang, "chat", "default_language",
		      "'%s' is not one of languages", c->default_language);
	if (!c->tls_cert[0] != !c->tls_key[0])
		error(p, p->line_of_tls, "server", "tls_cert",
		      "set both tls_cert and tls_key, or neither");
	tls = c->tls_cert[0] && c->tls_key[0];
	if (!tls && !c->insecure_http && !config_listen_is_loopback(c->listen))
		error(p, p->line_of_listen, "server", "listen",
		      "'%s' is not loopback: set tls_cert and tls_key, or "
		      "insecure_http = yes behind a TLS proxy", c->listen);
}

/* -------------------------------------------------------------- loading */

static int
set_defaults(struct config *c)
{
	static const char *topics[] = { "income_support", "housing",
		"substance_use", "daily_life", "family", "other" };
	static const char *langs[] = { "fi", "sv", "en" };
	static const char *days[] = { "09:00-11:00", "09:00-11:00",
		"09:00-11:00", "09:00-11:00, 13:00-15:00", "09:00-11:00",
		"closed", "closed" };
	const char *why;
	size_t i;

	c->listen = strdup("127.0.0.1");
	c->tls_cert = strdup("");
	c->tls_key = strdup("");
	c->allowed_origins[0] = strdup("http://127.0.0.1:8080");
	c->allowed_origins[1] = strdup("http://localhost:8080");
	c->n_allowed_origins = 2;
	c->database = strdup("var/neuvo.db");
	c->web_root = strdup("client-web");
	c->smtp_url = strdup("");
	c->smtp_from = strdup("neuvonta@example.fi");
	c->smtp_username = strdup("");
	c->smtp_password = strdup("");
	c->port = 8080;
	c->max_connections_per_ip = 100;
	snprintf(c->hours.timezone, sizeof(c->hours.timezone),
		 "Europe/Helsinki");
	for (i = 0; i < 7; i++)
		if (hours_parse_day(days[i], &c->hours.week[i], &why))
			return -1;
	c->max_length = 50;
	c->max_chats_per_advisor = 3;
	c->resume_grace_s = 120;
	c->idle_timeout_s = 900;
	c->max_message_chars = 2000;
	for (i = 0; i < 3; i++)
		snprintf(c->languages[i], CONFIG_ID_MAX, "%s", langs[i]);
	c->n_languages = 3;
	snprintf(c->default_language, CONFIG_ID_MAX, "fi");
	for (i = 0; i < 6; i++)
		snprintf(c->topics[i], CONFIG_ID_MAX, "%s", topics[i]);
	c->n_topics = 6;
	c->retention_days = 365;
	c->smtp_starttls_required = true;
	c->smtp_max_per_hour = 200;
	if (!c->listen || !c->tls_cert || !c->tls_key ||
	    !c->allowed_origins[0] || !c->allowed_origins[1] || !c->database ||
	    !c->web_root || !c->smtp_url || !c->smtp_from ||
	    !c->smtp_username || !c->smtp_password)
		return -1;
	return 0;
}

struct config *
config_defaults(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c && set_defaults(c)) {
		config_free(c);
		return NULL;
	}
	return c;
}

int
config_load(const char *path, struct config **out, char **errors)
{
	struct parse p;

	*out = NULL;
	*errors = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.cfg = config_defaults();
	if (!p.cfg || !(p.cfg->path = strdup(path))) {
		config_free(p.cfg);
		return -1;
	}
	p.f = fopen(path, "r");
	if (!p.f) {
		error(&p, 0, NULL, NULL, "cannot open the config file");
	} else {
		ini_allow_multiline = false;
		ini_inline_comment_prefixes = ";#";
		(void)ini_parse_stream(read_line, &p, on_key, &p);
		fclose(p.f);
		cross_checks(&p);
	}
	free(p.raw);
	if (p.n_errors) {
		config_free(p.cfg);
		*errors = p.errors ? p.errors : strdup("config: out of memory\n");
		return -1;
	}
	*out = p.cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	int i;

	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->listen);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	for (i = 0; i < cfg->n_allowed_origins; i++)
		free(cfg->allowed_origins[i]);
	free(cfg->database);
	free(cfg->web_root);
	hours_free(&cfg->hours);
	free(cfg->smtp_url);
	free(cfg->smtp_from);
	free(cfg->smtp_username);
	free(cfg->smtp_password);
	free(cfg);
}

bool
config_has_language(const struct config *cfg, const char *lang)
{
	int i;

	for (i = 0; i < cfg->n_languages; i++)
		if (!strcmp(cfg->languages[i], lang))
			return true;
	return false;
}

bool
config_has_topic(const struct config *cfg, const char *topic)
{
	int i;

	for (i = 0; i < cfg->n_topics; i++)
		if (!strcmp(cfg->topics[i], topic))
			return true;
	return false;
}

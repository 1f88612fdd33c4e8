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
#include "config_keys.h"
#include "sbuf.h"

#define LINE_CHARS_MAX CONFIG_LINE_CHARS_MAX
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
	struct sbuf errors;             /* "PATH:LINE: ...\n" lines; out of
					 * memory loses text, not the failure:
					 * n_errors still fails the load */
	int n_errors;
};

/* ------------------------------------------------------------ errors */

static void
add_error(struct parser *p, int line, const char *section, const char *key,
	  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Record "PATH:LINE: [section] key: reason"; section and key may be NULL. */
static void
add_error(struct parser *p, int line, const char *section, const char *key,
	  const char *fmt, ...)
{
	va_list ap;

	if (++p->n_errors > ERRORS_MAX)
		return;
	sbuf_addf(&p->errors, "%s:%d: ", p->path, line);
	if (section && key)
		sbuf_addf(&p->errors, "[%s] %.64s: ", section, key);
	else if (section)
		sbuf_addf(&p->errors, "[%s]: ", section);
	else if (key)
		sbuf_addf(&p->errors, "%.64s: ", key);
	va_start(ap, fmt);
	sbuf_addv(&p->errors, fmt, ap);
	va_end(ap);
	sbuf_addf(&p->errors, "\n");
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
	const struct config_key *k;
	char why[WHY_MAX], buf[SHOWN_VALUE_MAX + 4];

	if (strcmp(section, "exceptions") == 0) {
		on_exception(p, key, value);
		return;
	}
	k = config_key_find(section, key);
	if (!k) {
		add_error(p, p->lineno, section, key, "unknown key");
		return;
	}
	if (!first_time(p, k->section, k->name))
		return;
	why[0] = '\0';
	if (config_key_apply(p->cfg, k, value, why, sizeof(why)) != 0)
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
	c->exit_url = strdup("https://www.google.com/");
	c->other_help = strdup("");
	return c->listen && c->tls_cert && c->tls_key && c->database &&
	       c->web_root && c->smtp_url && c->smtp_from &&
	       c->smtp_username && c->smtp_password &&
	       c->smtp_ca_file && c->exit_url && c->other_help ? 0 : -1;
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
	c->questions = true;
	c->question_days = 14;
	c->questions_per_address_per_hour = 5;
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
		sbuf_addf(&p->errors, "%s:0: %d more errors not shown\n",
			  p->path, p->n_errors - ERRORS_MAX);
	text = sbuf_take(&p->errors);
	return text ? text : strdup("config: out of memory\n");
}

int
config_load(const char *path, struct config **out, char **errors)
{
	struct parser p;

	*out = NULL;
	*errors = NULL;
	memset(&p, 0, sizeof(p));
	sbuf_init(&p.errors);
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
	config_free_origins(cfg->allowed_origins, cfg->n_allowed_origins);
	free(cfg->database);
	free(cfg->web_root);
	hours_free(&cfg->hours);
	free(cfg->smtp_url);
	free(cfg->smtp_from);
	free(cfg->smtp_username);
	free(cfg->smtp_password);
	free(cfg->smtp_ca_file);
	free(cfg->exit_url);
	free(cfg->other_help);
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

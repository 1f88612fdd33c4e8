/*
 * test_config.c - the config file (config.h): defaults, the contract's
 * example, a full valid file, and every kind of error with the exact line
 * it is reported on.
 *
 * Each case writes its own temp file, so the input stands next to what is
 * expected of it. Errors look like "PATH:LINE: [section] key: reason".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ini.h>

#include "config.h"
#include "unit.h"

/* Any file the tests can read: the config checks only that tls_cert, tls_key
 * and ca_file can be opened; their PEM content is tlsfile.c's concern. */
#define READABLE NEUVO_TEST_CORPUS

static char tmp_path[64];

/* Write text to a fresh temp file; its path is tmp_path. */
static const char *
write_file(const char *text, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/neuvo-config-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return tmp_path;
}

static const char *
write_config(const char *text)
{
	return write_file(text, strlen(text));
}

static struct config *
load_ok(const char *text)
{
	struct config *cfg = NULL;
	char *errors = NULL;
	const char *path = write_config(text);

	if (config_load(path, &cfg, &errors) != 0)
		fail_msg("unexpected errors:\n%s", errors);
	assert_null(errors);
	assert_non_null(cfg);
	unlink(path);
	return cfg;
}

/* Load text that must fail; returns the error text (caller frees). The
 * path prefix is replaced by "F" so expectations read "F:3: ...". */
static char *
load_errors(const char *text)
{
	struct config *cfg = (struct config *)1;
	char *errors = NULL, *out, *at;
	const char *path = write_config(text);
	size_t plen = strlen(path), n = 0;

	assert_int_equal(config_load(path, &cfg, &errors), -1);
	assert_null(cfg);
	assert_non_null(errors);
	unlink(path);
	out = calloc(1, strlen(errors) + 1);
	assert_non_null(out);
	for (at = errors; *at;) {
		if (strncmp(at, path, plen) == 0) {
			out[n++] = 'F';
			at += plen;
		} else {
			out[n++] = *at++;
		}
	}
	free(errors);
	return out;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The whole error text must be exactly `want` (path written as "F"). */
static void
expect_errors(const char *text, const char *want)
{
	char *got = load_errors(text);

	if (strcmp(got, want) != 0)
		fail_msg("wanted:\n%sgot:\n%s", want, got);
	free(got);
}

/* Some error line starts with "F:LINE: head" and contains `reason`. */
static void
expect_error(const char *text, int line, const char *head, const char *reason)
{
	char *got = load_errors(text), start[128], *p;
	bool found = false;

	snprintf(start, sizeof(start), "F:%d: %s", line, head);
	for (p = got; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char one[2048];

		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		if (strncmp(one, start, strlen(start)) == 0 &&
		    strstr(one, reason))
			found = true;
	}
	if (!found)
		fail_msg("wanted a line '%s...%s' in:\n%s", start, reason, got);
	free(got);
}

/* ---------------------------------------------------------- defaults */

static void
defaults_server(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->listen, "127.0.0.1");
	assert_int_equal(c->port, 8080);
	assert_string_equal(c->tls_cert, "");
	assert_string_equal(c->tls_key, "");
	assert_int_equal(c->n_allowed_origins, 2);
	assert_string_equal(c->allowed_origins[0], "http://127.0.0.1:8080");
	assert_string_equal(c->allowed_origins[1], "http://localhost:8080");
	assert_string_equal(c->database, "var/neuvo.db");
	assert_string_equal(c->web_root, "client-web");
	assert_false(c->insecure_http);
	assert_int_equal(c->max_connections_per_ip, 100);
	config_free(c);
}

static void
defaults_hours(void **state)
{
	struct config *c = config_defaults();
	int i;

	(void)state;
	assert_string_equal(c->hours.timezone, "Europe/Helsinki");
	for (i = 0; i < 5; i++) {
		assert_int_equal(c->hours.week[i].r[0].start_min, 9 * 60);
		assert_int_equal(c->hours.week[i].r[0].end_min, 11 * 60);
	}
	assert_int_equal(c->hours.week[3].n, 2);
	assert_int_equal(c->hours.week[3].r[1].start_min, 13 * 60);
	assert_int_equal(c->hours.week[3].r[1].end_min, 15 * 60);
	assert_int_equal(c->hours.week[5].n, 0);
	assert_int_equal(c->hours.week[6].n, 0);
	assert_false(c->hours.holidays_fi);
	assert_int_equal(c->hours.n_exceptions, 0);
	config_free(c);
}

static void
defaults_queue_and_transcripts(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_int_equal(c->max_length, 50);
	assert_int_equal(c->max_chats_per_advisor, 3);
	assert_false(c->auto_assign);
	assert_int_equal(c->resume_grace_s, 120);
	assert_int_equal(c->idle_timeout_s, 900);
	assert_int_equal(c->retention_days, 365);
	config_free(c);
}

static void
defaults_chat(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_int_equal(c->max_message_chars, 2000);
	assert_int_equal(c->n_languages, 3);
	assert_string_equal(c->languages[0], "fi");
	assert_string_equal(c->languages[1], "sv");
	assert_string_equal(c->languages[2], "en");
	assert_string_equal(c->default_language, "fi");
	assert_int_equal(c->n_topics, 6);
	assert_string_equal(c->topics[0], "income_support");
	assert_string_equal(c->topics[5], "other");
	config_free(c);
}

static void
defaults_smtp(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_string_equal(c->smtp_url, "");
	assert_string_equal(c->smtp_from, "neuvonta@example.fi");
	assert_string_equal(c->smtp_username, "");
	assert_string_equal(c->smtp_password, "");
	assert_true(c->smtp_starttls_required);
	assert_int_equal(c->smtp_max_per_hour, 200);
	config_free(c);
}

static void
empty_file_gives_defaults(void **state)
{
	struct config *c = load_ok("");

	(void)state;
	assert_int_equal(c->port, 8080);
	assert_string_equal(c->default_language, "fi");
	config_free(c);
}

static void
comments_only_give_defaults(void **state)
{
	struct config *c = load_ok("; one\n# two\n\n   ; three\n");

	(void)state;
	assert_int_equal(c->max_length, 50);
	config_free(c);
}

static void
path_is_kept(void **state)
{
	struct config *c;
	char *errors = NULL;
	const char *path = write_config("[queue]\nmax_length = 5\n");

	(void)state;
	assert_int_equal(config_load(path, &c, &errors), 0);
	assert_string_equal(c->path, path);
	unlink(path);
	config_free(c);
}

/* ------------------------------------------------- whole valid files */

static const char contract_example[] =
	"[server]\n"
	"listen = 127.0.0.1          ; address to bind\n"
	"port = 8080\n"
	"tls_cert =                  ; PEM paths; both set = HTTPS/WSS\n"
	"tls_key =\n"
	"allowed_origins = http://127.0.0.1:8080 http://localhost:8080   "
	"; space-separated; WS handshakes with another Origin get 403\n"
	"database = var/neuvo.db\n"
	"web_root = client-web\n"
	"\n"
	"[hours]\n"
	"timezone = Europe/Helsinki  ; IANA name\n"
	"mon = 09:00-11:00           ; one or more ranges \"HH:MM-HH:MM\", "
	"comma-separated; \"closed\"; 24:00 allowed as an end\n"
	"tue = 09:00-11:00\n"
	"wed = 09:00-11:00\n"
	"thu = 09:00-11:00, 13:00-15:00\n"
	"fri = 09:00-11:00\n"
	"sat = closed\n"
	"sun = closed\n"
	"holidays = none             ; \"FI\" closes on Finnish public holidays "
	"(computed, Easter-based ones included)\n"
	"\n"
	"[exceptions]                ; a date overrides its weekday\n"
	"2026-12-31 = 09:00-10:00\n"
	"2027-01-07 = closed\n"
	"\n"
	"[queue]\n"
	"max_length = 50             ; residents waiting; the next gets "
	"\"queue_full\"\n"
	"max_chats_per_advisor = 3\n"
	"auto_assign = no            ; yes = the server hands waiting residents "
	"to available advisors itself\n"
	"resume_grace_s = 120        ; how long a dropped resident or advisor "
	"may reconnect and resume\n"
	"idle_timeout_s = 900        ; a chat with no message for this long ends "
	"with by = \"timeout\"\n"
	"\n"
	"[chat]\n"
	"max_message_chars = 2000\n"
	"languages = fi sv en\n"
	"default_language = fi\n"
	"topics = income_support housing substance_use daily_life family other   "
	"; ids; labels live in client-web\n"
	"\n"
	"[transcripts]\n"
	"retention_days = 365\n"
	"\n"
	"[smtp]\n"
	"url =                       ; smtp://host:port or smtps://host:port; "
	"empty = email copies disabled\n"
	"from = neuvonta@example.fi\n"
	"username =\n"
	"password =\n"
	"starttls = required         ; required | no\n";

static void
contract_example_loads(void **state)
{
	struct config *c = load_ok(contract_example);

	(void)state;
	assert_string_equal(c->listen, "127.0.0.1");
	assert_string_equal(c->tls_cert, "");
	assert_int_equal(c->n_allowed_origins, 2);
	assert_string_equal(c->allowed_origins[1], "http://localhost:8080");
	assert_int_equal(c->hours.week[0].n, 1);
	assert_int_equal(c->hours.week[3].n, 2);
	assert_false(c->hours.holidays_fi);
	assert_int_equal(c->hours.n_exceptions, 2);
	assert_int_equal(c->hours.exceptions[0].date.d, 31);
	assert_int_equal(c->hours.exceptions[1].day.n, 0);
	assert_int_equal(c->n_topics, 6);
	assert_string_equal(c->topics[5], "other");
	assert_string_equal(c->smtp_url, "");
	assert_true(c->smtp_starttls_required);
	config_free(c);
}

static void
full_config_sets_every_key(void **state)
{
	struct config *c = load_ok(
		"[server]\n"
		"listen = 0.0.0.0\n"
		"port = 8443\n"
		"tls_cert = " READABLE "\n"
		"tls_key = " READABLE "\n"
		"allowed_origins = https://neuvo.example.fi https://[::1]:8443\n"
		"database = /var/lib/neuvo/neuvo.db\n"
		"web_root = /usr/share/neuvo/client-web\n"
		"insecure_http = no\n"
		"max_connections_per_ip = 20\n"
		"[hours]\n"
		"timezone = Europe/Stockholm\n"
		"mon = 08:00-16:00\n"
		"tue = 08:00-12:00, 13:00-16:00\n"
		"wed = closed\n"
		"thu = 20:00-24:00\n"
		"fri = 00:00-02:00\n"
		"sat = 10:00-12:00\n"
		"sun = closed\n"
		"holidays = FI\n"
		"[exceptions]\n"
		"2027-01-07 = closed\n"
		"2026-12-31 = 09:00-10:00\n"
		"[queue]\n"
		"max_length = 10\n"
		"max_chats_per_advisor = 2\n"
		"auto_assign = yes\n"
		"resume_grace_s = 30\n"
		"idle_timeout_s = 600\n"
		"[chat]\n"
		"max_message_chars = 500\n"
		"languages = sv fi\n"
		"default_language = sv\n"
		"topics = housing other\n"
		"[transcripts]\n"
		"retention_days = 30\n"
		"[smtp]\n"
		"url = smtps://mail.example.fi:465\n"
		"from = neuvo@example.fi\n"
		"username = neuvo\n"
		"password = s3cret;not#a comment\n"
		"starttls = no\n"
		"max_per_hour = 50\n");

	(void)state;
	assert_string_equal(c->listen, "0.0.0.0");
	assert_int_equal(c->port, 8443);
	assert_string_equal(c->tls_cert, READABLE);
	assert_string_equal(c->tls_key, READABLE);
	assert_int_equal(c->n_allowed_origins, 2);
	assert_string_equal(c->allowed_origins[1], "https://[::1]:8443");
	assert_string_equal(c->database, "/var/lib/neuvo/neuvo.db");
	assert_string_equal(c->web_root, "/usr/share/neuvo/client-web");
	assert_false(c->insecure_http);
	assert_int_equal(c->max_connections_per_ip, 20);
	assert_string_equal(c->hours.timezone, "Europe/Stockholm");
	assert_int_equal(c->hours.week[0].r[0].end_min, 16 * 60);
	assert_int_equal(c->hours.week[1].n, 2);
	assert_int_equal(c->hours.week[2].n, 0);
	assert_int_equal(c->hours.week[3].r[0].end_min, 24 * 60);
	assert_int_equal(c->hours.week[5].r[0].start_min, 10 * 60);
	assert_true(c->hours.holidays_fi);
	assert_int_equal(c->hours.n_exceptions, 2);
	assert_int_equal(c->hours.exceptions[0].date.y, 2026);
	assert_int_equal(c->hours.exceptions[1].date.y, 2027);
	assert_int_equal(c->max_length, 10);
	assert_int_equal(c->max_chats_per_advisor, 2);
	assert_true(c->auto_assign);
	assert_int_equal(c->resume_grace_s, 30);
	assert_int_equal(c->idle_timeout_s, 600);
	assert_int_equal(c->max_message_chars, 500);
	assert_int_equal(c->n_languages, 2);
	assert_string_equal(c->languages[0], "sv");
	assert_string_equal(c->default_language, "sv");
	assert_int_equal(c->n_topics, 2);
	assert_int_equal(c->retention_days, 30);
	assert_string_equal(c->smtp_url, "smtps://mail.example.fi:465");
	assert_string_equal(c->smtp_from, "neuvo@example.fi");
	assert_string_equal(c->smtp_username, "neuvo");
	assert_string_equal(c->smtp_password, "s3cret;not#a comment");
	assert_false(c->smtp_starttls_required);
	assert_int_equal(c->smtp_max_per_hour, 50);
	config_free(c);
}

#ifdef NEUVO_TEST_FIXTURES
static void
load_fixture(const char *relative)
{
	struct config *c = NULL;
	char *errors = NULL, path[1024];

	snprintf(path, sizeof(path), "%s/%s", NEUVO_TEST_FIXTURES, relative);
	if (config_load(path, &c, &errors) != 0)
		fail_msg("%s", errors);
	config_free(c);
}

static void
fixture_contract_example_loads(void **state)
{
	(void)state;
	load_fixture("contract-example.ini");
}

/* The example shipped in conf/ must stay valid. */
static void
shipped_example_config_loads(void **state)
{
	(void)state;
	load_fixture("../../../conf/neuvo.ini");
}
#endif

/* ------------------------------------------------------------ syntax */

static void
inline_comments_semicolon_and_hash(void **state)
{
	struct config *c = load_ok("[queue]\n"
				   "max_length = 7   ; semicolon\n"
				   "max_chats_per_advisor = 2\t# hash\n");

	(void)state;
	assert_int_equal(c->max_length, 7);
	assert_int_equal(c->max_chats_per_advisor, 2);
	config_free(c);
}

static void
comment_after_empty_value(void **state)
{
	struct config *c = load_ok("[smtp]\nurl =     # none yet\n"
				   "username =   ; none\n");

	(void)state;
	assert_string_equal(c->smtp_url, "");
	assert_string_equal(c->smtp_username, "");
	config_free(c);
}

static void
comment_after_section_header(void **state)
{
	struct config *c = load_ok("[queue]   # the queue\nmax_length = 3\n");

	(void)state;
	assert_int_equal(c->max_length, 3);
	config_free(c);
}

static void
hash_inside_value_is_kept(void **state)
{
	struct config *c = load_ok("[smtp]\npassword = a#b;c\n");

	(void)state;
	assert_string_equal(c->smtp_password, "a#b;c");
	config_free(c);
}

static void
crlf_line_ends(void **state)
{
	struct config *c = load_ok("[queue]\r\nmax_length = 9\r\n"
				   "auto_assign = yes\r\n");

	(void)state;
	assert_int_equal(c->max_length, 9);
	assert_true(c->auto_assign);
	config_free(c);
}

static void
utf8_bom_is_skipped(void **state)
{
	struct config *c = load_ok("\xEF\xBB\xBF[queue]\nmax_length = 4\n");

	(void)state;
	assert_int_equal(c->max_length, 4);
	config_free(c);
}

static void
no_newline_at_end(void **state)
{
	struct config *c = load_ok("[queue]\nmax_length = 6");

	(void)state;
	assert_int_equal(c->max_length, 6);
	config_free(c);
}

static void
section_may_repeat(void **state)
{
	struct config *c = load_ok("[queue]\nmax_length = 6\n[chat]\n"
				   "languages = fi\n[queue]\nauto_assign = yes\n");

	(void)state;
	assert_int_equal(c->max_length, 6);
	assert_true(c->auto_assign);
	config_free(c);
}

static void
many_origins_on_one_long_line(void **state)
{
	char text[2048];
	struct config *c;
	int i;

	(void)state;
	snprintf(text, sizeof(text), "[server]\nallowed_origins =");
	for (i = 0; i < 20; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " https://chat%02d.example.fi", i);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
		 "   ; twenty\n");
	c = load_ok(text);
	assert_int_equal(c->n_allowed_origins, 20);
	assert_string_equal(c->allowed_origins[19], "https://chat19.example.fi");
	config_free(c);
}

static void
line_of_4000_characters_fits(void **state)
{
	char *text = malloc(4200);
	struct config *c;
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)snprintf(text, 4200, "[smtp]\npassword = ");
	memset(text + n, 'x', 4000 - (n - 7));
	text[7 + 4000] = '\n';
	text[7 + 4001] = '\0';
	c = load_ok(text);
	assert_int_equal(strlen(c->smtp_password), 4000 - strlen("password = "));
	config_free(c);
	free(text);
}

static void
inih_settings_are_restored(void **state)
{
	struct config *c;
	int max_line = ini_max_line;
	bool multiline = ini_allow_multiline;

	(void)state;
	c = load_ok("[queue]\nmax_length = 2\n");
	assert_int_equal(ini_max_line, max_line);
	assert_int_equal(ini_allow_multiline, multiline);
	config_free(c);
}

/* ---------------------------------------------------- syntax errors */

static void
missing_file_is_line_0(void **state)
{
	struct config *c = (struct config *)1;
	char *errors = NULL;

	(void)state;
	assert_int_equal(config_load("/nonexistent/neuvo.ini", &c, &errors), -1);
	assert_null(c);
	assert_string_equal(errors, "/nonexistent/neuvo.ini:0: cannot open the "
			    "file: No such file or directory\n");
	free(errors);
}

static void
directory_is_line_0(void **state)
{
	struct config *c;
	char *errors = NULL;

	(void)state;
	assert_int_equal(config_load("/tmp", &c, &errors), -1);
	assert_non_null(strstr(errors, "/tmp:0: "));
	free(errors);
}

static void
exact_error_format(void **state)
{
	(void)state;
	expect_errors("[server]\nport = 8080\n[hours]\nmon = 25:00-26:00\n",
		      "F:4: [hours] mon: '25:00-26:00': hour out of range\n");
}

static void
unknown_section_names_its_line(void **state)
{
	(void)state;
	expect_errors("[server]\nport = 8080\n[serverr]\nport = 1\n",
		      "F:3: [serverr]: unknown section\n");
}

static void
unknown_section_without_keys(void **state)
{
	(void)state;
	expect_errors("[queue]\nmax_length = 2\n\n[bogus]\n",
		      "F:4: [bogus]: unknown section\n");
}

static void
unknown_section_is_case_sensitive(void **state)
{
	(void)state;
	expect_error("[Server]\n", 1, "[Server]", "unknown section");
}

static void
unknown_key_names_its_line(void **state)
{
	(void)state;
	expect_errors("[queue]\nmax_length = 3\nmax_lenght = 4\n",
		      "F:3: [queue] max_lenght: unknown key\n");
}

static void
key_of_other_section_is_unknown(void **state)
{
	(void)state;
	expect_error("[queue]\nport = 80\n", 2, "[queue] port", "unknown key");
}

static void
duplicate_key_names_both_lines(void **state)
{
	(void)state;
	expect_errors("[server]\nport = 1\n\nport = 2\n",
		      "F:4: [server] port: given twice (first on line 2)\n");
}

static void
duplicate_key_across_repeated_section(void **state)
{
	(void)state;
	expect_error("[queue]\nmax_length = 1\n[chat]\n[queue]\nmax_length = 2\n",
		     5, "[queue] max_length", "given twice (first on line 2)");
}

static void
line_without_equals(void **state)
{
	(void)state;
	expect_errors("[queue]\nmax_length 5\n",
		      "F:2: [queue]: expected key = value, a [section] or a "
		      "comment\n");
}

static void
colon_instead_of_equals(void **state)
{
	(void)state;
	expect_error("[hours]\nmon: 09:00-11:00\n", 2, "[hours]",
		     "expected key = value");
}

static void
missing_key_before_equals(void **state)
{
	(void)state;
	expect_error("[queue]\n = 5\n", 2, "[queue]", "no key before '='");
}

static void
header_without_bracket(void **state)
{
	(void)state;
	expect_errors("[queue]\nmax_length = 5\n[server\nport = 1\n",
		      "F:3: malformed section header (no ']')\n");
}

static void
header_with_text_after(void **state)
{
	(void)state;
	expect_errors("[server] extra\nport = 1\n",
		      "F:1: malformed section header (text after ']')\n");
}

static void
key_before_any_section(void **state)
{
	(void)state;
	expect_errors("port = 8080\n[server]\n",
		      "F:1: port: key before any [section]\n");
}

/* Continuation lines are off: an indented line is a line of its own. */
static void
indented_line_is_not_a_continuation(void **state)
{
	(void)state;
	expect_errors("[chat]\nlanguages = fi\n  sv en\n",
		      "F:3: [chat]: expected key = value, a [section] or a "
		      "comment\n");
}

static void
indented_key_is_a_key(void **state)
{
	struct config *c = load_ok("[queue]\nauto_assign = yes\n"
				   "   max_length = 8\n");

	(void)state;
	assert_true(c->auto_assign);
	assert_int_equal(c->max_length, 8);
	config_free(c);
}

static void
too_long_line_is_an_error(void **state)
{
	char *text = malloc(5000);
	char *errors;
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)snprintf(text, 5000, "[queue]\nmax_length = 3\n[smtp]\n"
			     "password = ");
	memset(text + n, 'x', 4100);
	snprintf(text + n + 4100, 5000 - n - 4100,
		 "\nmax_per_hour = 0\n");
	errors = load_errors(text);
	assert_string_equal(errors,
			    "F:4: [smtp] password: line longer than 4000 "
			    "characters\n"
			    "F:5: [smtp] max_per_hour: '0': not a whole "
			    "number from 1 to 100000\n");
	free(errors);
	free(text);
}

static void
nul_byte_in_line(void **state)
{
	static const char text[] = "[queue]\nmax_length = 5\0 6\n";
	struct config *c;
	char *errors = NULL;
	const char *path = write_file(text, sizeof(text) - 1);

	(void)state;
	assert_int_equal(config_load(path, &c, &errors), -1);
	unlink(path);
	assert_non_null(strstr(errors, ":2: [queue]: line contains a NUL byte"));
	free(errors);
}

static void
keys_of_unknown_section_not_reported_again(void **state)
{
	char *errors = load_errors("[bogus]\na = 1\nb = 2\n");

	(void)state;
	assert_int_equal(count_lines(errors), 1);
	free(errors);
}

static void
every_error_is_collected(void **state)
{
	(void)state;
	expect_errors("[server]\n"
		      "port = 0\n"
		      "[queue]\n"
		      "max_length = -1\n"
		      "nope = 1\n"
		      "[hours]\n"
		      "wed = 11:00-09:00\n",
		      "F:2: [server] port: '0': not a whole number from 1 to "
		      "65535\n"
		      "F:4: [queue] max_length: '-1': not a whole number from 1 "
		      "to 100000\n"
		      "F:5: [queue] nope: unknown key\n"
		      "F:7: [hours] wed: '11:00-09:00': end before start\n");
}

static void
error_list_is_capped(void **state)
{
	char *text = malloc(200 * 16 + 16), *errors;
	size_t n = 0;
	int i;

	(void)state;
	assert_non_null(text);
	n += (size_t)sprintf(text, "[queue]\n");
	for (i = 0; i < 150; i++)
		n += (size_t)sprintf(text + n, "bad%03d = 1\n", i);
	errors = load_errors(text);
	assert_int_equal(count_lines(errors), 101);
	assert_non_null(strstr(errors, "F:0: 50 more errors not shown\n"));
	free(errors);
	free(text);
}

/* ---------------------------------------------------- number ranges */

static void
port_zero(void **state)
{
	(void)state;
	expect_error("[server]\nport = 0\n", 2, "[server] port",
		     "not a whole number from 1 to 65535");
}

static void
port_too_big(void **state)
{
	(void)state;
	expect_error("[server]\nport = 65536\n", 2, "[server] port", "65535");
}

static void
port_not_a_number(void **state)
{
	(void)state;
	expect_error("[server]\nport = 80x\n", 2, "[server] port", "'80x'");
	expect_error("[server]\nport = +80\n", 2, "[server] port", "'+80'");
	expect_error("[server]\nport =\n", 2, "[server] port", "''");
}

static void
port_limits_accepted(void **state)
{
	struct config *c = load_ok("[server]\nport = 65535\n");

	(void)state;
	assert_int_equal(c->port, 65535);
	config_free(c);
	c = load_ok("[server]\nport = 1\n");
	assert_int_equal(c->port, 1);
	config_free(c);
}

static void
max_length_zero(void **state)
{
	(void)state;
	expect_error("[queue]\nmax_length = 0\n", 2, "[queue] max_length",
		     "from 1 to");
}

static void
max_chats_per_advisor_zero(void **state)
{
	(void)state;
	expect_error("[queue]\nmax_chats_per_advisor = 0\n", 2,
		     "[queue] max_chats_per_advisor", "from 1 to 100");
}

static void
resume_grace_negative(void **state)
{
	(void)state;
	expect_error("[queue]\nresume_grace_s = -5\n", 2,
		     "[queue] resume_grace_s", "from 0 to 86400");
}

static void
resume_grace_zero_allowed(void **state)
{
	struct config *c = load_ok("[queue]\nresume_grace_s = 0\n");

	(void)state;
	assert_int_equal(c->resume_grace_s, 0);
	config_free(c);
}

static void
idle_timeout_zero(void **state)
{
	(void)state;
	expect_error("[queue]\nidle_timeout_s = 0\n", 2,
		     "[queue] idle_timeout_s", "from 1 to 604800");
}

static void
max_message_chars_out_of_range(void **state)
{
	(void)state;
	expect_error("[chat]\nmax_message_chars = 0\n", 2,
		     "[chat] max_message_chars", "from 1 to 4000");
	expect_error("[chat]\nmax_message_chars = 4001\n", 2,
		     "[chat] max_message_chars", "from 1 to 4000");
}

static void
retention_days_zero(void **state)
{
	(void)state;
	expect_error("[transcripts]\nretention_days = 0\n", 2,
		     "[transcripts] retention_days", "from 1 to 36500");
}

static void
smtp_max_per_hour_zero(void **state)
{
	(void)state;
	expect_error("[smtp]\nmax_per_hour = 0\n", 2, "[smtp] max_per_hour",
		     "from 1 to 100000");
}

static void
max_connections_per_ip_zero(void **state)
{
	(void)state;
	expect_error("[server]\nmax_connections_per_ip = 0\n", 2,
		     "[server] max_connections_per_ip", "from 1 to 100000");
}

static void
number_overflow(void **state)
{
	(void)state;
	expect_error("[queue]\nmax_length = 99999999999999999999\n", 2,
		     "[queue] max_length", "not a whole number");
}

/* --------------------------------------------------------- booleans */

static void
booleans_every_spelling(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
	static const char *const no[] = { "no", "false", "off", "0", "No" };
	char text[64];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "[queue]\nauto_assign = %s\n", yes[i]);
		c = load_ok(text);
		assert_true(c->auto_assign);
		config_free(c);
		snprintf(text, sizeof(text), "[queue]\nauto_assign = %s\n", no[i]);
		c = load_ok(text);
		assert_false(c->auto_assign);
		config_free(c);
	}
}

static void
boolean_bad_value(void **state)
{
	(void)state;
	expect_errors("[queue]\nauto_assign = maybe\n",
		      "F:2: [queue] auto_assign: 'maybe': expected yes or no\n");
}

/* ------------------------------------------------------------ hours */

static void
range_25_00(void **state)
{
	(void)state;
	expect_error("[hours]\nmon = 09:00-11:00\ntue = 25:00-26:00\n", 3,
		     "[hours] tue", "hour out of range");
}

static void
range_end_before_start(void **state)
{
	(void)state;
	expect_error("[hours]\ntimezone = Europe/Helsinki\nwed = 11:00-09:00\n",
		     3, "[hours] wed", "end before start");
}

static void
range_overlapping(void **state)
{
	(void)state;
	expect_error("[hours]\n\nthu = 09:00-11:00, 10:00-12:00\n", 3,
		     "[hours] thu", "overlapping ranges");
}

static void
range_malformed(void **state)
{
	(void)state;
	expect_error("[hours]\nfri = 9 to 11\n", 2, "[hours] fri",
		     "expected HH:MM-HH:MM or closed");
}

static void
range_24_00_accepted(void **state)
{
	struct config *c = load_ok("[hours]\nfri = 08:00-24:00\n");

	(void)state;
	assert_int_equal(c->hours.week[4].r[0].end_min, 1440);
	config_free(c);
}

static void
timezone_unknown(void **state)
{
	(void)state;
	expect_errors("[hours]\ntimezone = Mars/Olympus_Mons\n",
		      "F:2: [hours] timezone: 'Mars/Olympus_Mons': unknown "
		      "timezone (an IANA name such as Europe/Helsinki)\n");
}

static void
timezone_path_refused(void **state)
{
	(void)state;
	expect_error("[hours]\ntimezone = ../../../../etc/passwd\n", 2,
		     "[hours] timezone", "unknown timezone");
	expect_error("[hours]\ntimezone = /usr/share/zoneinfo/UTC\n", 2,
		     "[hours] timezone", "unknown timezone");
}

static void
timezone_other_zone_accepted(void **state)
{
	struct config *c = load_ok("[hours]\ntimezone = America/New_York\n");

	(void)state;
	assert_string_equal(c->hours.timezone, "America/New_York");
	config_free(c);
}

static void
holidays_fi_and_none(void **state)
{
	struct config *c = load_ok("[hours]\nholidays = FI\n");

	(void)state;
	assert_true(c->hours.holidays_fi);
	config_free(c);
	c = load_ok("[hours]\nholidays = none\n");
	assert_false(c->hours.holidays_fi);
	config_free(c);
}

static void
holidays_bad_value(void **state)
{
	(void)state;
	expect_error("[hours]\nholidays = SE\n", 2, "[hours] holidays",
		     "expected FI or none");
}

/* ------------------------------------------------------- exceptions */

static void
exception_bad_date(void **state)
{
	(void)state;
	expect_errors("[exceptions]\n2026-12-31 = closed\n2026-02-30 = closed\n",
		      "F:3: [exceptions] 2026-02-30: not a date (YYYY-MM-DD, a "
		      "real calendar day)\n");
}

static void
exception_not_a_date(void **state)
{
	(void)state;
	expect_error("[exceptions]\nchristmas = closed\n", 2,
		     "[exceptions] christmas", "not a date");
}

static void
exception_bad_range(void **state)
{
	(void)state;
	expect_errors("[exceptions]\n2026-12-31 = 10:00-09:00\n",
		      "F:2: [exceptions] 2026-12-31: '10:00-09:00': end before "
		      "start\n");
}

static void
exception_duplicate_date(void **state)
{
	(void)state;
	expect_errors("[exceptions]\n2026-12-31 = closed\n"
		      "2026-12-31 = 09:00-10:00\n",
		      "F:3: [exceptions] 2026-12-31: given twice (first on line "
		      "2)\n");
}

static void
exceptions_sorted_by_date(void **state)
{
	struct config *c = load_ok("[exceptions]\n2027-01-07 = closed\n"
				   "2026-12-31 = 09:00-10:00\n"
				   "2027-01-01 = closed\n");

	(void)state;
	assert_int_equal(c->hours.n_exceptions, 3);
	assert_int_equal(c->hours.exceptions[0].date.y, 2026);
	assert_int_equal(c->hours.exceptions[1].date.d, 1);
	assert_int_equal(c->hours.exceptions[2].date.d, 7);
	config_free(c);
}

/* --------------------------------------------------------- chat ids */

static void
language_uppercase_refused(void **state)
{
	(void)state;
	expect_error("[chat]\nlanguages = fi SV\n", 2, "[chat] languages",
		     "'SV' is not an id");
}

static void
language_list_with_commas_refused(void **state)
{
	(void)state;
	expect_error("[chat]\nlanguages = fi, sv\n", 2, "[chat] languages",
		     "'fi,' is not an id");
}

static void
language_listed_twice(void **state)
{
	(void)state;
	expect_error("[chat]\nlanguages = fi sv fi\n", 2, "[chat] languages",
		     "'fi' listed twice");
}

static void
languages_empty(void **state)
{
	(void)state;
	expect_error("[chat]\nlanguages =\n", 2, "[chat] languages",
		     "at least one id");
}

static void
topic_id_of_31_chars_accepted(void **state)
{
	struct config *c = load_ok("[chat]\ntopics = "
				   "abcdefghij_abcdefghij_abcdefghi\n");

	(void)state;
	assert_int_equal(c->n_topics, 1);
	assert_int_equal(strlen(c->topics[0]), 31);
	config_free(c);
}

static void
topic_id_of_32_chars_refused(void **state)
{
	(void)state;
	expect_error("[chat]\ntopics = abcdefghij_abcdefghij_abcdefghij\n", 2,
		     "[chat] topics", "is not an id");
}

static void
topic_with_digit_refused(void **state)
{
	(void)state;
	expect_error("[chat]\ntopics = housing covid19\n", 2, "[chat] topics",
		     "'covid19' is not an id");
}

static void
too_many_topics(void **state)
{
	char text[1024];
	int i;

	(void)state;
	snprintf(text, sizeof(text), "[chat]\ntopics =");
	for (i = 0; i < 33; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " t_%c%c", 'a' + i / 26, 'a' + i % 26);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "\n");
	expect_error(text, 2, "[chat] topics", "more than 32 ids");
}

static void
default_language_not_in_languages(void **state)
{
	(void)state;
	expect_errors("[chat]\nlanguages = fi sv\n\ndefault_language = en\n",
		      "F:4: [chat] default_language: default_language 'en' is "
		      "not one of languages\n");
}

/* Without default_language the default "fi" is at odds with the list. */
static void
languages_without_the_default_language(void **state)
{
	(void)state;
	expect_error("[chat]\nlanguages = sv en\n", 2, "[chat] languages",
		     "default_language 'fi' is not one of languages");
}

static void
default_language_bad_id(void **state)
{
	(void)state;
	expect_error("[chat]\ndefault_language = FI\n", 2,
		     "[chat] default_language", "not an id");
}

static void
has_language_and_topic(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_true(config_has_language(c, "sv"));
	assert_false(config_has_language(c, "de"));
	assert_false(config_has_language(c, ""));
	assert_true(config_has_topic(c, "housing"));
	assert_false(config_has_topic(c, "weather"));
	config_free(c);
}

/* ------------------------------------------------------ server rules */

static void
tls_cert_without_key(void **state)
{
	(void)state;
	expect_errors("[server]\ntls_cert = " READABLE "\ntls_key =\n",
		      "F:2: [server] tls_cert: tls_key is not set: set both "
		      "tls_cert and tls_key, or neither\n");
}

static void
tls_key_without_cert(void **state)
{
	(void)state;
	expect_error("[server]\n\ntls_key = " READABLE "\n", 3,
		     "[server] tls_key", "set both tls_cert and tls_key");
}

static void
tls_cert_missing_refused(void **state)
{
	(void)state;
	/* One error: not a second one saying tls_cert is not set. */
	expect_errors("[server]\ntls_cert = /nonexistent/neuvo-cert.pem\n"
		      "tls_key = " READABLE "\n",
		      "F:2: [server] tls_cert: '/nonexistent/neuvo-cert.pem': "
		      "cannot read the file: No such file or directory\n");
}

static void
tls_key_missing_refused(void **state)
{
	(void)state;
	expect_error("[server]\ntls_cert = " READABLE "\n\n"
		     "tls_key = /nonexistent/neuvo-key.pem\n", 4,
		     "[server] tls_key", "cannot read the file");
}

static void
listen_any_without_tls_refused(void **state)
{
	(void)state;
	expect_error("[server]\nport = 8080\nlisten = 0.0.0.0\n", 3,
		     "[server] listen", "'0.0.0.0' is not a loopback address");
}

static void
listen_any_with_insecure_http(void **state)
{
	struct config *c = load_ok("[server]\nlisten = 0.0.0.0\n"
				   "insecure_http = yes\n");

	(void)state;
	assert_true(c->insecure_http);
	config_free(c);
}

static void
listen_any_with_tls(void **state)
{
	struct config *c = load_ok("[server]\nlisten = ::\n"
				   "tls_cert = " READABLE "\n"
				   "tls_key = " READABLE "\n");

	(void)state;
	assert_string_equal(c->listen, "::");
	config_free(c);
}

static void
listen_host_name_needs_tls(void **state)
{
	(void)state;
	expect_error("[server]\nlisten = chat.example.fi\n", 2,
		     "[server] listen", "not a loopback address");
}

static void
listen_loopback_forms_accepted(void **state)
{
	static const char *const ok[] = { "127.0.0.1", "127.0.0.2", "::1",
					  "localhost" };
	char text[64];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "[server]\nlisten = %s\n", ok[i]);
		c = load_ok(text);
		assert_string_equal(c->listen, ok[i]);
		config_free(c);
	}
}

static void
listen_garbage(void **state)
{
	(void)state;
	expect_error("[server]\nlisten = not an address!\n", 2,
		     "[server] listen", "not an IP address or host name");
	expect_error("[server]\nlisten = 300.1.1.1\n", 2, "[server] listen",
		     "not an IP address or host name");
}

static void
loopback_detection(void **state)
{
	(void)state;
	assert_true(config_listen_is_loopback("127.0.0.1"));
	assert_true(config_listen_is_loopback("127.255.0.9"));
	assert_true(config_listen_is_loopback("::1"));
	assert_true(config_listen_is_loopback("::ffff:127.0.0.1"));
	assert_true(config_listen_is_loopback("localhost"));
	assert_false(config_listen_is_loopback("0.0.0.0"));
	assert_false(config_listen_is_loopback("::"));
	assert_false(config_listen_is_loopback("10.0.0.1"));
	assert_false(config_listen_is_loopback("128.0.0.1"));
	assert_false(config_listen_is_loopback("example.fi"));
}

static void
origin_with_trailing_slash(void **state)
{
	(void)state;
	expect_error("[server]\nallowed_origins = http://localhost:8080/\n", 2,
		     "[server] allowed_origins",
		     "'http://localhost:8080/' is not an origin");
}

static void
origin_without_scheme(void **state)
{
	(void)state;
	expect_error("[server]\nallowed_origins = https://a.fi localhost:8080\n",
		     2, "[server] allowed_origins",
		     "'localhost:8080' is not an origin");
}

static void
origin_with_path(void **state)
{
	(void)state;
	expect_error("[server]\nallowed_origins = https://a.fi/chat\n", 2,
		     "[server] allowed_origins", "is not an origin");
}

static void
origins_empty(void **state)
{
	(void)state;
	expect_error("[server]\nallowed_origins =\n", 2,
		     "[server] allowed_origins", "at least one origin");
}

static void
database_empty(void **state)
{
	(void)state;
	expect_errors("[server]\ndatabase =\n",
		      "F:2: [server] database: '': must not be empty\n");
}

static void
web_root_empty(void **state)
{
	(void)state;
	expect_error("[server]\nweb_root =   ; nothing\n", 2,
		     "[server] web_root", "must not be empty");
}

/* --------------------------------------------------------------- smtp */

static void
smtp_url_bad_scheme(void **state)
{
	(void)state;
	expect_error("[smtp]\nurl = http://mail.example.fi:25\n", 2,
		     "[smtp] url", "expected smtp://host:port");
}

static void
smtp_url_accepted(void **state)
{
	struct config *c = load_ok("[smtp]\nurl = smtp://127.0.0.1:2525\n");

	(void)state;
	assert_string_equal(c->smtp_url, "smtp://127.0.0.1:2525");
	config_free(c);
}

static void
smtp_from_bad(void **state)
{
	(void)state;
	expect_error("[smtp]\nfrom = neuvonta\n", 2, "[smtp] from",
		     "not an email address");
	expect_error("[smtp]\nfrom = a b@example.fi\n", 2, "[smtp] from",
		     "not an email address");
	expect_error("[smtp]\nfrom = <x@example.fi>\n", 2, "[smtp] from",
		     "not an email address");
}

static void
smtp_starttls_bad(void **state)
{
	(void)state;
	expect_error("[smtp]\nstarttls = maybe\n", 2, "[smtp] starttls",
		     "expected required or no");
}

static void
smtp_password_never_echoed(void **state)
{
	char *errors = load_errors("[smtp]\npassword = hunter2\n"
				   "password = hunter3\n[server]\nport = 0\n");

	(void)state;
	assert_null(strstr(errors, "hunter"));
	free(errors);
}

#define T(f) cmocka_unit_test(f)

/* [smtp] ca_file and retry_min_s (issue 5; additions to the contract) */

static void
smtp_ca_file_default_empty(void **state)
{
	struct config *c = load_ok("");

	(void)state;
	assert_string_equal(c->smtp_ca_file, "");
	assert_int_equal(c->smtp_retry_min_s, 60);
	config_free(c);
}

static void
smtp_ca_file_missing_refused(void **state)
{
	(void)state;
	expect_error("[smtp]\nca_file = /nonexistent/neuvo-ca.pem\n", 2,
		     "[smtp] ca_file", "cannot read the file");
}

static void
smtp_ca_file_readable_accepted(void **state)
{
	/* any readable file will do for the check; curl reads it later */
	struct config *c = load_ok("[smtp]\nca_file = " NEUVO_TEST_CORPUS "\n");

	(void)state;
	assert_string_equal(c->smtp_ca_file, NEUVO_TEST_CORPUS);
	config_free(c);
}

static void
smtp_retry_min_s_range(void **state)
{
	struct config *c = load_ok("[smtp]\nretry_min_s = 1\n");

	(void)state;
	assert_int_equal(c->smtp_retry_min_s, 1);
	config_free(c);
	expect_error("[smtp]\nretry_min_s = 0\n", 2, "[smtp] retry_min_s",
		     "not a whole number from 1 to 3600");
	expect_error("[smtp]\nretry_min_s = 3601\n", 2, "[smtp] retry_min_s",
		     "not a whole number from 1 to 3600");
}

int
test_config_run(void)
{
	const struct CMUnitTest tests[] = {
		T(defaults_server), T(defaults_hours),
		T(defaults_queue_and_transcripts), T(defaults_chat),
		T(defaults_smtp), T(empty_file_gives_defaults),
		T(comments_only_give_defaults), T(path_is_kept),

		T(contract_example_loads), T(full_config_sets_every_key),
#ifdef NEUVO_TEST_FIXTURES
		T(fixture_contract_example_loads),
		T(shipped_example_config_loads),
#endif

		T(inline_comments_semicolon_and_hash),
		T(comment_after_empty_value), T(comment_after_section_header),
		T(hash_inside_value_is_kept), T(crlf_line_ends),
		T(utf8_bom_is_skipped), T(no_newline_at_end),
		T(section_may_repeat), T(many_origins_on_one_long_line),
		T(line_of_4000_characters_fits), T(inih_settings_are_restored),

		T(missing_file_is_line_0), T(directory_is_line_0),
		T(exact_error_format), T(unknown_section_names_its_line),
		T(unknown_section_without_keys),
		T(unknown_section_is_case_sensitive),
		T(unknown_key_names_its_line),
		T(key_of_other_section_is_unknown),
		T(duplicate_key_names_both_lines),
		T(duplicate_key_across_repeated_section),
		T(line_without_equals), T(colon_instead_of_equals),
		T(missing_key_before_equals), T(header_without_bracket),
		T(header_with_text_after), T(key_before_any_section),
		T(indented_line_is_not_a_continuation),
		T(indented_key_is_a_key), T(too_long_line_is_an_error),
		T(nul_byte_in_line),
		T(keys_of_unknown_section_not_reported_again),
		T(every_error_is_collected), T(error_list_is_capped),

		T(port_zero), T(port_too_big), T(port_not_a_number),
		T(port_limits_accepted), T(max_length_zero),
		T(max_chats_per_advisor_zero), T(resume_grace_negative),
		T(resume_grace_zero_allowed), T(idle_timeout_zero),
		T(max_message_chars_out_of_range), T(retention_days_zero),
		T(smtp_max_per_hour_zero), T(max_connections_per_ip_zero),
		T(number_overflow),

		T(booleans_every_spelling), T(boolean_bad_value),

		T(range_25_00), T(range_end_before_start), T(range_overlapping),
		T(range_malformed), T(range_24_00_accepted),
		T(timezone_unknown), T(timezone_path_refused),
		T(timezone_other_zone_accepted), T(holidays_fi_and_none),
		T(holidays_bad_value),

		T(exception_bad_date), T(exception_not_a_date),
		T(exception_bad_range), T(exception_duplicate_date),
		T(exceptions_sorted_by_date),

		T(language_uppercase_refused),
		T(language_list_with_commas_refused), T(language_listed_twice),
		T(languages_empty), T(topic_id_of_31_chars_accepted),
		T(topic_id_of_32_chars_refused), T(topic_with_digit_refused),
		T(too_many_topics), T(default_language_not_in_languages),
		T(languages_without_the_default_language),
		T(default_language_bad_id), T(has_language_and_topic),

		T(tls_cert_without_key), T(tls_key_without_cert),
		T(tls_cert_missing_refused), T(tls_key_missing_refused),
		T(listen_any_without_tls_refused),
		T(listen_any_with_insecure_http), T(listen_any_with_tls),
		T(listen_host_name_needs_tls), T(listen_loopback_forms_accepted),
		T(listen_garbage), T(loopback_detection),
		T(origin_with_trailing_slash), T(origin_without_scheme),
		T(origin_with_path), T(origins_empty), T(database_empty),
		T(web_root_empty),

		T(smtp_url_bad_scheme), T(smtp_url_accepted), T(smtp_from_bad),
		T(smtp_starttls_bad), T(smtp_password_never_echoed),
		T(smtp_ca_file_default_empty), T(smtp_ca_file_missing_refused),
		T(smtp_ca_file_readable_accepted), T(smtp_retry_min_s_range),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

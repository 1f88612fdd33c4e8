/* test_config.c - the config file: defaults, a full valid file, and every
 * kind of error reported with the line it is on. Each case writes its own
 * file, so the input stands next to what is expected of it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "unit.h"

static char path[64];

/* Write text to a temp file; returns its path (static). */
static const char *
write_config(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/neuvo-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load text; expect failure and an error containing `want` at `line`. */
static void
expect_error(const char *text, int line, const char *want)
{
	struct config *cfg;
	char *errors = NULL, head[96];
	const char *p = write_config(text);

	assert_int_equal(config_load(p, &cfg, &errors), -1);
	assert_null(cfg);
	assert_non_null(errors);
	snprintf(head, sizeof(head), "%s:%d: ", p, line);
	if (!strstr(errors, head) || !strstr(errors, want))
		fail_msg("wanted '%s' ... '%s' in:\n%s", head, want, errors);
	free(errors);
	unlink(p);
}

static struct config *
expect_ok(const char *text)
{
	struct config *cfg = NULL;
	char *errors = NULL;
	const char *p = write_config(text);

	if (config_load(p, &cfg, &errors))
		fail_msg("unexpected errors:\n%s", errors);
	unlink(p);
	return cfg;
}

static void
defaults_match_the_contract(void **state)
{
	struct config *c = config_defaults();

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->listen, "127.0.0.1");
	assert_int_equal(c->port, 8080);
	assert_int_equal(c->n_allowed_origins, 2);
	assert_string_equal(c->database, "var/neuvo.db");
	assert_string_equal(c->web_root, "client-web");
	assert_string_equal(c->hours.timezone, "Europe/Helsinki");
	assert_int_equal(c->hours.week[3].n, 2);
	assert_int_equal(c->hours.week[5].n, 0);
	assert_false(c->hours.holidays_fi);
	assert_int_equal(c->max_length, 50);
	assert_int_equal(c->max_chats_per_advisor, 3);
	assert_false(c->auto_assign);
	assert_int_equal(c->resume_grace_s, 120);
	assert_int_equal(c->idle_timeout_s, 900);
	assert_int_equal(c->max_message_chars, 2000);
	assert_int_equal(c->n_languages, 3);
	assert_string_equal(c->default_language, "fi");
	assert_int_equal(c->n_topics, 6);
	assert_int_equal(c->retention_days, 365);
	assert_string_equal(c->smtp_url, "");
	assert_true(c->smtp_starttls_required);
	assert_int_equal(c->smtp_max_per_hour, 200);
	config_free(c);
}

static void
empty_file_gives_defaults(void **state)
{
	struct config *c = expect_ok("");

	(void)state;
	assert_int_equal(c->port, 8080);
	config_free(c);
}

static void
contract_example_loads(void **state)
{
	struct config *c = expect_ok(
		"[server]\n"
		"listen = 127.0.0.1          ; address to bind\n"
		"port = 8080\n"
		"tls_cert =                  ; PEM paths; both set = HTTPS/WSS\n"
		"tls_key =\n"
		"allowed_origins = http://127.0.0.1:8080 http://localhost:8080   ; space-separated\n"
		"database = var/neuvo.db\n"
		"web_root = client-web\n"
		"[hours]\n"
		"timezone = Europe/Helsinki  ; IANA name\n"
		"mon = 09:00-11:00\n"
		"thu = 09:00-11:00, 13:00-15:00\n"
		"sat = closed\n"
		"holidays = none\n"
		"[exceptions]                ; a date overrides its weekday\n"
		"2026-12-31 = 09:00-10:00\n"
		"2027-01-07 = closed\n"
		"[queue]\n"
		"max_length = 50\n"
		"auto_assign = no\n"
		"[chat]\n"
		"languages = fi sv en\n"
		"topics = income_support housing substance_use daily_life family other   ; ids\n"
		"[transcripts]\n"
		"retention_days = 365\n"
		"[smtp]\n"
		"url =                       ; empty = disabled\n"
		"from = neuvonta@example.fi\n"
		"starttls = required         ; required | no\n");

	(void)state;
	assert_int_equal(c->hours.n_exceptions, 2);
	assert_string_equal(c->allowed_origins[1], "http://localhost:8080");
	assert_string_equal(c->tls_cert, "");
	config_free(c);
}

static void
hash_comments_and_values(void **state)
{
	struct config *c = expect_ok("# a comment\n[queue]\n"
				     "max_length = 7   # inline\n"
				     "auto_assign = yes\n");

	(void)state;
	assert_int_equal(c->max_length, 7);
	assert_true(c->auto_assign);
	config_free(c);
}

static void
long_line_is_read_whole(void **state)
{
	char text[2048];
	struct config *c;
	int i;

	(void)state;
	strcpy(text, "[server]\nallowed_origins =");
	for (i = 0; i < 12; i++)
		sprintf(text + strlen(text), " https://chat%02d.example.fi", i);
	strcat(text, "   ; twelve\n");
	c = expect_ok(text);
	assert_int_equal(c->n_allowed_origins, 12);
	assert_string_equal(c->allowed_origins[11], "https://chat11.example.fi");
	config_free(c);
}

static void
missing_file_is_line_0(void **state)
{
	struct config *cfg;
	char *errors = NULL;

	(void)state;
	assert_int_equal(config_load("/nonexistent/neuvo.ini", &cfg, &errors), -1);
	assert_non_null(strstr(errors, "/nonexistent/neuvo.ini:0: "));
	free(errors);
}

static void
unknown_section(void **state)
{
	(void)state;
	expect_error("[server]\nport = 1\n\n[bogus]\nx = 1\n", 4,
		     "unknown section [bogus]");
}

static void
unknown_key(void **state)
{
	(void)state;
	expect_error("[queue]\nmax_length = 5\nmax_lenght = 6\n", 3,
		     "[queue] max_lenght: unknown key");
}

static void
duplicate_key(void **state)
{
	(void)state;
	expect_error("[server]\nport = 1\nport = 2\n", 3, "given twice");
}

static void
bad_port(void **state)
{
	(void)state;
	expect_error("[server]\nport = 70000\n", 2, "[server] port");
	expect_error("[server]\nport = http\n", 2, "[server] port");
}

static void
range_25_00(void **state)
{
	(void)state;
	expect_error("[hours]\nmon = 09:00-11:00\ntue = 25:00-26:00\n", 3,
		     "[hours] tue");
}

static void
range_backwards(void **state)
{
	(void)state;
	expect_error("[hours]\n\nwed = 11:00-09:00\n", 3, "ends before it starts");
}

static void
range_overlap(void **state)
{
	(void)state;
	expect_error("[hours]\nthu = 09:00-11:00, 10:30-12:00\n", 2,
		     "overlapping ranges");
}

static void
unknown_timezone(void **state)
{
	(void)state;
	expect_error("[hours]\ntimezone = Europe/Turku\n", 2,
		     "[hours] timezone");
}

static void
bad_holidays(void **state)
{
	(void)state;
	expect_error("[hours]\nholidays = SE\n", 2, "[hours] holidays");
}

static void
bad_exception_date(void **state)
{
	(void)state;
	expect_error("[exceptions]\n2026-12-31 = closed\n2026-02-30 = closed\n",
		     3, "not a date");
}

static void
duplicate_exception_date(void **state)
{
	(void)state;
	expect_error("[exceptions]\n2026-12-31 = closed\n2026-12-31 = 09:00-10:00\n",
		     3, "date given twice");
}

static void
line_without_equals(void **state)
{
	(void)state;
	expect_error("[queue]\nmax_length 5\n", 2, "expected key = value");
}

static void
broken_section_header(void **state)
{
	(void)state;
	expect_error("[queue\nmax_length = 5\n", 1, "malformed section header");
}

static void
key_before_any_section(void **state)
{
	(void)state;
	expect_error("port = 8080\n", 1, "outside any [section]");
}

static void
default_language_not_listed(void **state)
{
	(void)state;
	expect_error("[chat]\nlanguages = fi sv\ndefault_language = en\n", 3,
		     "not one of languages");
}

static void
bad_topic_id(void **state)
{
	(void)state;
	expect_error("[chat]\ntopics = housing Money!\n", 2, "[chat] topics");
}

static void
tls_needs_both_paths(void **state)
{
	(void)state;
	expect_error("[server]\ntls_cert = /etc/cert.pem\n", 2,
		     "both tls_cert and tls_key");
}

static void
public_listen_needs_tls(void **state)
{
	(void)state;
	expect_error("[server]\nport = 8080\nlisten = 0.0.0.0\n", 3,
		     "not loopback");
}

static void
public_listen_allowed_with_insecure_http(void **state)
{
	struct config *c = expect_ok("[server]\nlisten = 0.0.0.0\n"
				     "insecure_http = yes\n");

	(void)state;
	assert_true(c->insecure_http);
	config_free(c);
}

static void
bad_boolean(void **state)
{
	(void)state;
	expect_error("[queue]\nauto_assign = maybe\n", 2, "[queue] auto_assign");
}

static void
bad_smtp_url(void **state)
{
	(void)state;
	expect_error("[smtp]\nurl = http://mail.example.fi\n", 2, "[smtp] url");
	expect_error("[smtp]\nstarttls = sometimes\n", 2, "[smtp] starttls");
}

static void
several_errors_all_reported(void **state)
{
	struct config *cfg;
	char *errors = NULL;
	const char *p = write_config("[server]\nport = 0\n[queue]\n"
				     "max_length = -1\n[nope]\n");

	(void)state;
	assert_int_equal(config_load(p, &cfg, &errors), -1);
	assert_non_null(strstr(errors, ":2: "));
	assert_non_null(strstr(errors, ":4: "));
	assert_non_null(strstr(errors, ":5: "));
	free(errors);
	unlink(p);
}

static void
loopback_addresses(void **state)
{
	(void)state;
	assert_true(config_listen_is_loopback("127.0.0.1"));
	assert_true(config_listen_is_loopback("127.1.2.3"));
	assert_true(config_listen_is_loopback("::1"));
	assert_true(config_listen_is_loopback("localhost"));
	assert_false(config_listen_is_loopback("0.0.0.0"));
	assert_false(config_listen_is_loopback("192.0.2.10"));
}

int
test_config_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_contract),
		cmocka_unit_test(empty_file_gives_defaults),
		cmocka_unit_test(contract_example_loads),
		cmocka_unit_test(hash_comments_and_values),
		cmocka_unit_test(long_line_is_read_whole),
		cmocka_unit_test(missing_file_is_line_0),
		cmocka_unit_test(unknown_section),
		cmocka_unit_test(unknown_key),
		cmocka_unit_test(duplicate_key),
		cmocka_unit_test(bad_port),
		cmocka_unit_test(range_25_00),
		cmocka_unit_test(range_backwards),
		cmocka_unit_test(range_overlap),
		cmocka_unit_test(unknown_timezone),
		cmocka_unit_test(bad_holidays),
		cmocka_unit_test(bad_exception_date),
		cmocka_unit_test(duplicate_exception_date),
		cmocka_unit_test(line_without_equals),
		cmocka_unit_test(broken_section_header),
		cmocka_unit_test(key_before_any_section),
		cmocka_unit_test(default_language_not_listed),
		cmocka_unit_test(bad_topic_id),
		cmocka_unit_test(tls_needs_both_paths),
		cmocka_unit_test(public_listen_needs_tls),
		cmocka_unit_test(public_listen_allowed_with_insecure_http),
		cmocka_unit_test(bad_boolean),
		cmocka_unit_test(bad_smtp_url),
		cmocka_unit_test(several_errors_all_reported),
		cmocka_unit_test(loopback_addresses),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

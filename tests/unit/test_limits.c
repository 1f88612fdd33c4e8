/*
 * test_limits.c - the config keys of CONTRACT.md section 7: [limits] and
 * [server] trusted_proxies, their defaults, values and errors with file
 * and line (the rest of the config file is test_config.c's).
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

#include "config.h"
#include "unit.h"

static char path[64];

static void
write_config(const char *text)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "/tmp/neuvo-limits-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct config *
load_ok(const char *text)
{
	struct config *cfg = NULL;
	char *errors = NULL;

	write_config(text);
	if (config_load(path, &cfg, &errors) != 0)
		fail_msg("unexpected errors:\n%s", errors);
	unlink(path);
	assert_non_null(cfg);
	return cfg;
}

/* The load must fail with exactly one error line, "F:LINE: REST" with the
 * path written as F. */
static void
expect_error(const char *text, const char *want)
{
	struct config *cfg = NULL;
	char *errors = NULL, got[512];
	size_t plen;

	write_config(text);
	assert_int_equal(config_load(path, &cfg, &errors), -1);
	unlink(path);
	assert_null(cfg);
	assert_non_null(errors);
	plen = strlen(path);
	if (strncmp(errors, path, plen) != 0)
		fail_msg("error without the path: %s", errors);
	snprintf(got, sizeof(got), "F%s", errors + plen);
	free(errors);
	assert_string_equal(got, want);
}

static void
limits_have_the_contract_defaults(void **state)
{
	struct config *cfg = config_defaults();

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->max_queued_per_address, 3);
	assert_int_equal(cfg->max_new_chats_per_address_per_hour, 10);
	assert_int_equal(cfg->max_queued_messages, 20);
	assert_int_equal(cfg->max_chat_chars, 50000);
	assert_int_equal(cfg->n_trusted_proxies, 0);
	config_free(cfg);
}

static void
limits_are_read(void **state)
{
	struct config *cfg = load_ok(
		"[limits]\n"
		"max_queued_per_address = 5\n"
		"max_new_chats_per_address_per_hour = 30 ; a school's NAT\n"
		"max_queued_messages = 0\n"
		"max_chat_chars = 2000\n");

	(void)state;
	assert_int_equal(cfg->max_queued_per_address, 5);
	assert_int_equal(cfg->max_new_chats_per_address_per_hour, 30);
	assert_int_equal(cfg->max_queued_messages, 0);
	assert_int_equal(cfg->max_chat_chars, 2000);
	config_free(cfg);
}

static void
bad_limits_name_their_line(void **state)
{
	(void)state;
	expect_error("[limits]\nmax_queued_per_address = 0\n",
		     "F:2: [limits] max_queued_per_address: '0': not a whole "
		     "number from 1 to 100000\n");
	expect_error("[limits]\n\nmax_new_chats_per_address_per_hour = ten\n",
		     "F:3: [limits] max_new_chats_per_address_per_hour: "
		     "'ten': not a whole number from 1 to 1000000\n");
	expect_error("[limits]\nmax_queued_messages = -1\n",
		     "F:2: [limits] max_queued_messages: '-1': not a whole "
		     "number from 0 to 100000\n");
	expect_error("[limits]\nmax_chats = 3\n",
		     "F:2: [limits] max_chats: unknown key\n");
}

static void
a_long_key_given_twice_is_caught(void **state)
{
	(void)state;
	expect_error("[limits]\nmax_new_chats_per_address_per_hour = 5\n"
		     "max_new_chats_per_address_per_hour = 6\n",
		     "F:3: [limits] max_new_chats_per_address_per_hour: given "
		     "twice (first on line 2)\n");
}

static void
a_chat_must_hold_one_longest_message(void **state)
{
	(void)state;
	expect_error("[chat]\nmax_message_chars = 2000\n[limits]\n"
		     "max_chat_chars = 1999\n",
		     "F:4: [limits] max_chat_chars: max_chat_chars (1999) is "
		     "less than max_message_chars (2000): no chat could hold "
		     "a longest message\n");
}

static void
trusted_proxies_are_read(void **state)
{
	struct config *cfg = load_ok(
		"[server]\n"
		"trusted_proxies = 127.0.0.1 10.0.0.0/8\t2001:db8::/32 ::1\n");
	struct addr_ip ip;

	(void)state;
	assert_int_equal(cfg->n_trusted_proxies, 4);
	assert_int_equal(addr_parse_ip("10.20.30.40", 11, &ip), 0);
	assert_true(addr_in_nets(cfg->trusted_proxies, 4, &ip));
	assert_int_equal(addr_parse_ip("11.0.0.1", 8, &ip), 0);
	assert_false(addr_in_nets(cfg->trusted_proxies, 4, &ip));
	assert_int_equal(addr_parse_ip("2001:db8:5::1", 13, &ip), 0);
	assert_true(addr_in_nets(cfg->trusted_proxies, 4, &ip));
	config_free(cfg);
}

static void
empty_trusted_proxies_is_none(void **state)
{
	struct config *cfg = load_ok("[server]\ntrusted_proxies =\n");

	(void)state;
	assert_int_equal(cfg->n_trusted_proxies, 0);
	config_free(cfg);
}

static void
bad_trusted_proxies_name_their_line(void **state)
{
	(void)state;
	expect_error("[server]\nport = 8080\ntrusted_proxies = 10.0.0.1 "
		     "proxy.example.fi\n",
		     "F:3: [server] trusted_proxies: '10.0.0.1 "
		     "proxy.example.fi': 'proxy.example.fi' is not an IP "
		     "address or ADDRESS/PREFIX\n");
	expect_error("[server]\ntrusted_proxies = 10.0.0.0/33\n",
		     "F:2: [server] trusted_proxies: '10.0.0.0/33': "
		     "'10.0.0.0/33': the prefix must be 0 to 32\n");
	expect_error("[server]\ntrusted_proxies = 10.1.0.0/8\n",
		     "F:2: [server] trusted_proxies: '10.1.0.0/8': "
		     "'10.1.0.0/8': bits are set after the /8 prefix (write "
		     "the network's first address)\n");
	expect_error("[server]\ntrusted_proxies = 10.0.0.0,10.0.0.1\n",
		     "F:2: [server] trusted_proxies: '10.0.0.0,10.0.0.1': "
		     "'10.0.0.0,10.0.0.1' is not an IP address or "
		     "ADDRESS/PREFIX\n");
}

static void
too_many_trusted_proxies_is_an_error(void **state)
{
	char text[4096], *p = text;
	int i;

	(void)state;
	p += sprintf(p, "[server]\ntrusted_proxies =");
	for (i = 0; i <= CONFIG_MAX_PROXIES; i++)
		p += sprintf(p, " 10.0.%d.%d", i / 200, i % 200);
	sprintf(p, "\n");
	write_config(text);
	{
		struct config *cfg = NULL;
		char *errors = NULL;

		assert_int_equal(config_load(path, &cfg, &errors), -1);
		unlink(path);
		assert_non_null(strstr(errors, ":2: [server] trusted_proxies:"));
		assert_non_null(strstr(errors, "more than 64 addresses"));
		free(errors);
	}
}

#define T(f) cmocka_unit_test(f)

int
test_limits_run(void)
{
	const struct CMUnitTest tests[] = {
		T(limits_have_the_contract_defaults),
		T(limits_are_read),
		T(bad_limits_name_their_line),
		T(a_long_key_given_twice_is_caught),
		T(a_chat_must_hold_one_longest_message),
		T(trusted_proxies_are_read),
		T(empty_trusted_proxies_is_none),
		T(bad_trusted_proxies_name_their_line),
		T(too_many_trusted_proxies_is_an_error),
	};

	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}

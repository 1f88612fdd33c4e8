/*
 * test_addr.c - client addresses (addr.h): IPv4 as is, IPv6 by its /64,
 * IPv4-mapped as IPv4, CIDR parsing and matching, and which
 * X-Forwarded-For entry counts (and when none does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "unit.h"

static struct addr_net nets[8];
static int n_nets;

/* Set the trusted networks from a NULL-ended list; each must parse. */
static void
trust(const char *first, ...)
{
	const char *s;
	char why[128];
	va_list ap;

	n_nets = 0;
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *)) {
		if (addr_parse_net(s, &nets[n_nets], why, sizeof(why)))
			fail_msg("%s: %s", s, why);
		n_nets++;
	}
	va_end(ap);
}

/* The client address for peer and xff with the current trusted list. */
static const char *
client(const char *peer, const char *xff)
{
	static char out[ADDR_TEXT_MAX];

	addr_client(peer, xff, nets, n_nets, out, sizeof(out));
	return out;
}

static void
bad_net(const char *s, const char *reason_part)
{
	struct addr_net n;
	char why[160] = "";

	assert_int_equal(addr_parse_net(s, &n, why, sizeof(why)), -1);
	if (!strstr(why, reason_part))
		fail_msg("%s: reason '%s' lacks '%s'", s, why, reason_part);
}

static bool
net_has(const char *net, const char *ip)
{
	struct addr_net n;
	struct addr_ip a;
	char why[128];

	assert_int_equal(addr_parse_net(net, &n, why, sizeof(why)), 0);
	assert_int_equal(addr_parse_ip(ip, strlen(ip), &a), 0);
	return addr_net_contains(&n, &a);
}

static void
ipv4_is_kept_whole(void **state)
{
	(void)state;
	n_nets = 0;
	assert_string_equal(client("192.0.2.7", NULL), "192.0.2.7");
	assert_string_equal(client("10.0.0.1", "1.2.3.4"), "10.0.0.1");
}

static void
ipv6_is_reduced_to_its_64(void **state)
{
	(void)state;
	n_nets = 0;
	assert_string_equal(client("2001:db8:1:2:3:4:5:6", NULL),
			    "2001:db8:1:2::/64");
	assert_string_equal(client("2001:db8:1:2:ffff::1", NULL),
			    "2001:db8:1:2::/64");
	assert_string_equal(client("2001:DB8:1:3::1", NULL),
			    "2001:db8:1:3::/64");
	assert_string_equal(client("::1", NULL), "::/64");
}

static void
ipv4_mapped_ipv6_is_ipv4(void **state)
{
	(void)state;
	n_nets = 0;
	assert_string_equal(client("::ffff:192.0.2.7", NULL), "192.0.2.7");
	assert_string_equal(client("::FFFF:c000:207", NULL), "192.0.2.7");
}

static void
a_peer_that_is_not_an_address_counts_as_itself(void **state)
{
	(void)state;
	n_nets = 0;
	assert_string_equal(client("", NULL), "");
	assert_string_equal(client("unix-socket", NULL), "unix-socket");
}

static void
cidrs_parse_and_match(void **state)
{
	(void)state;
	assert_true(net_has("10.0.0.0/8", "10.255.1.2"));
	assert_false(net_has("10.0.0.0/8", "11.0.0.1"));
	assert_true(net_has("192.0.2.128/25", "192.0.2.200"));
	assert_false(net_has("192.0.2.128/25", "192.0.2.127"));
	assert_true(net_has("192.0.2.7", "192.0.2.7"));
	assert_false(net_has("192.0.2.7", "192.0.2.8"));
	assert_true(net_has("0.0.0.0/0", "203.0.113.9"));
	assert_true(net_has("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(net_has("2001:db8::/32", "2001:db9::1"));
	assert_true(net_has("fc00::/7", "fdff::1"));
	assert_false(net_has("fc00::/7", "fe00::1"));
	assert_true(net_has("::1", "::1"));
	/* families never mix; mapped addresses are IPv4 on both sides */
	assert_false(net_has("::/0", "192.0.2.1"));
	assert_false(net_has("0.0.0.0/0", "2001:db8::1"));
	assert_true(net_has("::ffff:10.0.0.0/104", "10.9.8.7"));
	assert_true(net_has("10.0.0.0/8", "::ffff:10.9.8.7"));
}

static void
bad_cidrs_are_refused_with_a_reason(void **state)
{
	(void)state;
	bad_net("", "not an IP address");
	bad_net("proxy.example.fi", "not an IP address");
	bad_net("10.0.0", "not an IP address");
	bad_net("10.0.0.0/", "prefix must be 0 to 32");
	bad_net("10.0.0.0/33", "prefix must be 0 to 32");
	bad_net("10.0.0.0/-1", "prefix must be 0 to 32");
	bad_net("10.0.0.0/8x", "prefix must be 0 to 32");
	bad_net("2001:db8::/129", "prefix must be 0 to 128");
	bad_net("::ffff:10.0.0.0/95", "::ffff:0:0/96");
	bad_net("10.1.2.3/8", "bits are set after the /8");
	bad_net("2001:db8::1/64", "bits are set after the /64");
	bad_net("192.0.2.7:80", "not an IP address");
	bad_net("[2001:db8::1]", "not an IP address");
}

static void
xff_is_ignored_from_an_untrusted_peer(void **state)
{
	(void)state;
	trust("10.0.0.0/8", NULL);
	assert_string_equal(client("192.0.2.7", "198.51.100.1"), "192.0.2.7");
	assert_string_equal(client("192.0.2.7", "10.0.0.5"), "192.0.2.7");
}

static void
a_trusted_peer_gives_the_last_untrusted_entry(void **state)
{
	(void)state;
	trust("10.0.0.0/8", NULL);
	assert_string_equal(client("10.0.0.1", "198.51.100.1"),
			    "198.51.100.1");
	/* the client wrote its own entries in front: never believed */
	assert_string_equal(client("10.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.1"),
			    "198.51.100.1");
	/* a chain of trusted proxies is walked through */
	assert_string_equal(client("10.0.0.1",
				   "6.6.6.6, 198.51.100.1, 10.1.1.1, 10.2.2.2"),
			    "198.51.100.1");
}

static void
a_trusted_peer_with_no_xff_is_itself(void **state)
{
	(void)state;
	trust("10.0.0.0/8", NULL);
	assert_string_equal(client("10.0.0.1", NULL), "10.0.0.1");
	assert_string_equal(client("10.0.0.1", ""), "10.0.0.1");
}

static void
every_entry_trusted_gives_the_leftmost(void **state)
{
	(void)state;
	trust("10.0.0.0/8", NULL);
	assert_string_equal(client("10.0.0.1", "10.0.0.9, 10.0.0.8"),
			    "10.0.0.9");
}

static void
junk_in_xff_stops_at_the_last_good_hop(void **state)
{
	(void)state;
	trust("10.0.0.0/8", NULL);
	assert_string_equal(client("10.0.0.1", "unknown"), "10.0.0.1");
	assert_string_equal(client("10.0.0.1", "198.51.100.1, garbage"),
			    "10.0.0.1");
	assert_string_equal(client("10.0.0.1", "garbage, 10.0.0.3"),
			    "10.0.0.3");
	assert_string_equal(client("10.0.0.1", "1.2.3.4,,10.0.0.3"),
			    "10.0.0.3");
	/* junk to the left of the client's own entry does not matter */
	assert_string_equal(client("10.0.0.1", "<script>, 198.51.100.1"),
			    "198.51.100.1");
	assert_string_equal(client("10.0.0.1", "198.51.100.1 junk"),
			    "10.0.0.1");
}

static void
xff_entries_may_carry_ports_and_spaces(void **state)
{
	(void)state;
	trust("10.0.0.0/8", NULL);
	assert_string_equal(client("10.0.0.1", " 198.51.100.1:5678 "),
			    "198.51.100.1");
	assert_string_equal(client("10.0.0.1", "[2001:db8:7::1]:443"),
			    "2001:db8:7::/64");
	assert_string_equal(client("10.0.0.1", "[2001:db8:7::1]"),
			    "2001:db8:7::/64");
	assert_string_equal(client("10.0.0.1", "\t2001:db8:7::1"),
			    "2001:db8:7::/64");
	assert_string_equal(client("10.0.0.1", "[2001:db8:7::1]x"), "10.0.0.1");
}

static void
xff_ipv6_and_mapped_entries(void **state)
{
	(void)state;
	trust("2001:db8:aaaa::/48", "::ffff:10.0.0.0/104", NULL);
	/* an IPv6 proxy, and a mapped form of a trusted IPv4 hop */
	assert_string_equal(client("2001:db8:aaaa::5",
				   "2001:db8:1:2:3::9, ::ffff:10.0.0.4"),
			    "2001:db8:1:2::/64");
	assert_string_equal(client("::ffff:10.0.0.1", "::ffff:198.51.100.1"),
			    "198.51.100.1");
}

static void
several_households_behind_one_proxy_stay_apart(void **state)
{
	char a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];

	(void)state;
	trust("127.0.0.1", NULL);
	snprintf(a, sizeof(a), "%s", client("127.0.0.1", "198.51.100.1"));
	snprintf(b, sizeof(b), "%s", client("127.0.0.1", "198.51.100.2"));
	assert_string_not_equal(a, b);
}

static void
output_is_cut_to_fit(void **state)
{
	char out[8];

	(void)state;
	addr_client("2001:db8:1:2::1", NULL, NULL, 0, out, sizeof(out));
	assert_int_equal(strlen(out), 7);
}

#define T(f) cmocka_unit_test(f)

int
test_addr_run(void)
{
	const struct CMUnitTest tests[] = {
		T(ipv4_is_kept_whole),
		T(ipv6_is_reduced_to_its_64),
		T(ipv4_mapped_ipv6_is_ipv4),
		T(a_peer_that_is_not_an_address_counts_as_itself),
		T(cidrs_parse_and_match),
		T(bad_cidrs_are_refused_with_a_reason),
		T(xff_is_ignored_from_an_untrusted_peer),
		T(a_trusted_peer_gives_the_last_untrusted_entry),
		T(a_trusted_peer_with_no_xff_is_itself),
		T(every_entry_trusted_gives_the_leftmost),
		T(junk_in_xff_stops_at_the_last_good_hop),
		T(xff_entries_may_carry_ports_and_spaces),
		T(xff_ipv6_and_mapped_entries),
		T(several_households_behind_one_proxy_stay_apart),
		T(output_is_cut_to_fit),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}

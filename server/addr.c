/*
 * addr.c - client addresses, trusted proxies and X-Forwarded-For (see
 * addr.h).
 *
 * Addresses are compared as bytes, never as text, so "::FFFF:192.0.2.1",
 * "::ffff:c000:201" and "192.0.2.1" are one client, and a CIDR match is a
 * prefix compare. inet_pton does the parsing; it accepts only the plain
 * dotted-quad form for IPv4 (no "0x10" or "010" surprises).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"

#define IP_TEXT_MAX 64          /* longest address text we try to parse */

static const unsigned char v4_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
addr_parse_ip(const char *s, size_t n, struct addr_ip *out)
{
	char buf[IP_TEXT_MAX];
	struct in6_addr a6;
	struct in_addr a4;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		out->family = 4;
		memcpy(out->bytes, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return -1;
	if (memcmp(a6.s6_addr, v4_mapped, sizeof(v4_mapped)) == 0) {
		out->family = 4;
		memcpy(out->bytes, a6.s6_addr + 12, 4);
		return 0;
	}
	out->family = 6;
	memcpy(out->bytes, a6.s6_addr, 16);
	return 0;
}

static int
max_prefix(int family)
{
	return family == 4 ? 32 : 128;
}

/* Does ip have any bit set after the first `prefix` bits? */
static bool
bits_after(const struct addr_ip *ip, int prefix)
{
	int i, len = ip->family == 4 ? 4 : 16;

	for (i = 0; i < len; i++) {
		int keep = prefix - i * 8;     /* bits of this byte kept */
		unsigned char mask;

		if (keep >= 8)
			continue;
		mask = keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		if (ip->bytes[i] & (unsigned char)~mask)
			return true;
	}
	return false;
}

/* "/PREFIX": decimal, 1 to 3 digits, no sign. -1 when malformed. */
static int
parse_prefix(const char *s)
{
	int v = 0;
	size_t i, n = strlen(s);

	if (n < 1 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
addr_parse_net(const char *s, struct addr_net *out, char *why, size_t why_n)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	bool was_v6;
	int prefix;

	memset(out, 0, sizeof(*out));
	if (addr_parse_ip(s, n, &out->ip)) {
		snprintf(why, why_n, "'%.60s' is not an IP address or "
			 "ADDRESS/PREFIX", s);
		return -1;
	}
	/* An IPv4-mapped address was written in IPv6 form: its prefix
	 * counts the 96 bits in front of the IPv4 part. */
	was_v6 = out->ip.family == 4 && memchr(s, ':', n) != NULL;
	prefix = slash ? parse_prefix(slash + 1) : (was_v6 ? 128 :
			    max_prefix(out->ip.family));
	if (was_v6)
		prefix = prefix >= 96 ? prefix - 96 : -1;
	if (prefix < 0 || prefix > max_prefix(out->ip.family)) {
		snprintf(why, why_n, "'%.60s': the prefix must be 0 to %d%s", s,
			 was_v6 ? 128 : max_prefix(out->ip.family),
			 was_v6 ? " and cover the ::ffff:0:0/96 part" : "");
		return -1;
	}
	if (bits_after(&out->ip, prefix)) {
		snprintf(why, why_n, "'%.60s': bits are set after the /%d "
			 "prefix (write the network's first address)", s,
			 slash ? parse_prefix(slash + 1) : prefix);
		return -1;
	}
	out->prefix = prefix;
	return 0;
}

bool
addr_net_contains(const struct addr_net *net, const struct addr_ip *ip)
{
	int full = net->prefix / 8, rest = net->prefix % 8;
	unsigned char mask;

	if (net->ip.family != ip->family)
		return false;
	if (memcmp(net->ip.bytes, ip->bytes, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->ip.bytes[full] & mask) == (ip->bytes[full] & mask);
}

bool
addr_in_nets(const struct addr_net *nets, int n, const struct addr_ip *ip)
{
	int i;

	for (i = 0; i < n; i++)
		if (addr_net_contains(&nets[i], ip))
			return true;
	return false;
}

void
addr_client_text(const struct addr_ip *ip, char *out, size_t n)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char prefix[16];

	if (ip->family == 4) {
		if (!inet_ntop(AF_INET, ip->bytes, text, sizeof(text)))
			text[0] = '\0';
		snprintf(out, n, "%s", text);
		return;
	}
	memset(prefix, 0, sizeof(prefix));
	memcpy(prefix, ip->bytes, 8);
	if (!inet_ntop(AF_INET6, prefix, text, sizeof(text)))
		text[0] = '\0';
	snprintf(out, n, "%s/64", text);
}

/*
 * One X-Forwarded-For entry, s[0..n): an address, optionally with a port
 * ("192.0.2.7:1234", "[2001:db8::1]:443") and spaces around it.
 */
static int
parse_entry(const char *s, size_t n, struct addr_ip *out)
{
	const char *end, *colon;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > 0 && s[0] == '[') {
		end = memchr(s, ']', n);
		if (!end)
			return -1;
		if ((size_t)(end - s) + 1 != n && end[1] != ':')
			return -1;
		return addr_parse_ip(s + 1, (size_t)(end - s - 1), out);
	}
	colon = memchr(s, ':', n);
	/* One colon only: IPv4 with a port. More: an IPv6 address. */
	if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1))
		n = (size_t)(colon - s);
	return addr_parse_ip(s, n, out);
}

/* The address the trusted hops vouch for, starting from peer. */
static struct addr_ip
walk_forwarded(const struct addr_ip *peer, const char *xff,
	       const struct addr_net *trusted, int n_trusted)
{
	struct addr_ip chosen = *peer, entry;
	size_t end = strlen(xff);

	while (addr_in_nets(trusted, n_trusted, &chosen)) {
		const char *comma;
		size_t start;

		if (end == 0)
			break;          /* every entry trusted: the leftmost */
		comma = NULL;
		for (start = end; start > 0; start--) {
			if (xff[start - 1] == ',') {
				comma = xff + start - 1;
				break;
			}
		}
		if (parse_entry(xff + start, end - start, &entry))
			break;          /* not an address: stop at the last hop */
		chosen = entry;
		end = comma ? (size_t)(comma - xff) : 0;
	}
	return chosen;
}

void
addr_client(const char *peer, const char *xff,
	    const struct addr_net *trusted, int n_trusted, char *out, size_t n)
{
	struct addr_ip ip, client;

	if (addr_parse_ip(peer, strlen(peer), &ip)) {
		snprintf(out, n, "%s", peer);
		return;
	}
	client = ip;
	if (xff && n_trusted > 0 && addr_in_nets(trusted, n_trusted, &ip))
		client = walk_forwarded(&ip, xff, trusted, n_trusted);
	addr_client_text(&client, out, n);
}

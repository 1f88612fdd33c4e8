/*
 * addr.h - the client address of a connection (CONTRACT.md section 7):
 * the one identity every per-address rule counts by.
 *
 * It is the peer's IPv4 address, or the /64 prefix of its IPv6 address (a
 * household or a phone holds a whole /64, so counting single IPv6 addresses
 * would let one visitor be a billion). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, what a dual-stack socket reports) is that IPv4 address.
 * When the peer is one of the configured trusted proxies, the address comes
 * from its X-Forwarded-For header instead: the last entry that is not itself
 * a trusted proxy. Anyone else's X-Forwarded-For is ignored, since anyone
 * can write one.
 *
 * Pure logic (inet_pton and strings only), used on the event-loop thread
 * and by config.c; nothing here allocates. A client address lives in memory
 * only: it is never stored, logged or counted anywhere that outlives the
 * process.
 */
#ifndef NEUVO_ADDR_H
#define NEUVO_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any client address text: "ffff:ffff:ffff:ffff::/64" or a dotted
 * quad, and for a peer string that could not be parsed (cut short). */
#define ADDR_TEXT_MAX 64

/* One IP address. family is 4 or 6; an IPv4 address uses bytes[0..3]. */
struct addr_ip {
	int family;
	unsigned char bytes[16];
};

/* One network: ip with the first `prefix` bits significant (0..32 for
 * IPv4, 0..128 for IPv6). The bits after the prefix are zero. */
struct addr_net {
	struct addr_ip ip;
	int prefix;
};

/*
 * Parse exactly n bytes of s as one IP address, IPv4 or IPv6; an
 * IPv4-mapped IPv6 address becomes IPv4. Returns 0, or -1 when it is not
 * an address (surrounding spaces, a port or a zone are not accepted here).
 */
int addr_parse_ip(const char *s, size_t n, struct addr_ip *out);

/*
 * Parse "ADDRESS" or "ADDRESS/PREFIX" (CIDR) into *out. A lone address is a
 * network of that one address. "::ffff:10.0.0.0/104" is taken as 10.0.0.0/8.
 * Returns 0, or -1 with a reason (for a config error line) in why: not an
 * address, a prefix out of range, or bits set after the prefix (a typo
 * such as 10.1.2.3/8 is refused rather than guessed at).
 */
int addr_parse_net(const char *s, struct addr_net *out, char *why,
		   size_t why_n);

/* Is ip inside net? Addresses of another family never are. */
bool addr_net_contains(const struct addr_net *net, const struct addr_ip *ip);

/* Is ip inside any of the n networks? */
bool addr_in_nets(const struct addr_net *nets, int n, const struct addr_ip *ip);

/*
 * The client address text of ip into out (n bytes, ADDR_TEXT_MAX is
 * enough): "192.0.2.7" for IPv4, "2001:db8:1:2::/64" for IPv6.
 */
void addr_client_text(const struct addr_ip *ip, char *out, size_t n);

/*
 * The client address of one connection into out (n bytes).
 *
 * peer: the socket's peer address as text. xff: the X-Forwarded-For value
 * (several headers joined by commas), or NULL. trusted/n_trusted: the
 * trusted proxies.
 *
 * When peer is not trusted, or xff is NULL, the answer is peer's own client
 * address. Otherwise xff is read from the right: each entry is an address
 * a trusted hop saw, so the first entry that is not a trusted proxy is the
 * client. If every entry is trusted the leftmost one is taken; an entry
 * that is not an address (a port is allowed: "192.0.2.7:1234",
 * "[2001:db8::1]:443") ends the walk at the last good hop to its right, so
 * text a client wrote itself never decides. A peer that is not an address
 * is copied as it is (cut to fit), so it still counts as itself.
 */
void addr_client(const char *peer, const char *xff,
		 const struct addr_net *trusted, int n_trusted,
		 char *out, size_t n);

#endif

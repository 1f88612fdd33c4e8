/*
 * fuzz_addr.c - libFuzzer target for client addresses (addr.h): any bytes
 * as a trusted_proxies entry, a peer and an X-Forwarded-For value must give
 * a parse result or a reason, and a client address that fits its buffer;
 * never a crash or a read past the input.
 *
 * Input: "NET\nPEER\nXFF"; a missing part is empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next '\n'-ended part of [*p, end) as a heap string. */
static char *
part(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl ? nl + 1 : end;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = {
		"10.0.0.0/8", "127.0.0.1", "2001:db8::/32", "::ffff:192.168.0.0/112"
	};
	struct addr_net nets[5];
	const uint8_t *p = data, *end = data + size;
	char *net = part(&p, end), *peer = part(&p, end), *xff = part(&p, end);
	char why[160], out[ADDR_TEXT_MAX], small[9];
	int n = 0;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (addr_parse_net(fixed[i], &nets[n++], why, sizeof(why)))
			abort();
	why[0] = '\0';
	if (addr_parse_net(net, &nets[n], why, sizeof(why)) == 0) {
		if (nets[n].prefix < 0 || nets[n].prefix >
		    (nets[n].ip.family == 4 ? 32 : 128))
			abort();
		n++;
	} else if (!why[0]) {
		abort();                /* a refusal always says why */
	}
	addr_client(peer, xff, nets, n, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		abort();
	addr_client(peer, size & 1 ? xff : NULL, nets, n, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	free(net);
	free(peer);
	free(xff);
	return 0;
}

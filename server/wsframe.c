/*
 * wsframe.c - WebSocket frame headers for the frames net.c batches into
 * one write (see wsframe.h). Pure byte arithmetic, unit-tested.
 */
#include <stdint.h>
#include <string.h>

#include "wsframe.h"

/* FIN and the text opcode, the first byte of every frame we write. */
#define FIN_TEXT 0x81

size_t
wsframe_text_header(unsigned char *out, size_t len)
{
	uint64_t n = (uint64_t)len;
	int i;

	out[0] = FIN_TEXT;
	if (n <= 125) {
		out[1] = (unsigned char)n;      /* mask bit clear */
		return 2;
	}
	if (n <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(n >> 8);
		out[3] = (unsigned char)(n & 0xff);
		return 4;
	}
	out[1] = 127;
	for (i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)(n >> (56 - 8 * i));
	return WSFRAME_HEADER_MAX;
}

bool
wsframe_append(unsigned char *buf, size_t cap, size_t *used,
	       const void *text, size_t len)
{
	unsigned char head[WSFRAME_HEADER_MAX];
	size_t hlen = wsframe_text_header(head, len);
	size_t room = *used <= cap ? cap - *used : 0;

	if (room < hlen || room - hlen < len)
		return false;
	memcpy(buf + *used, head, hlen);
	memcpy(buf + *used + hlen, text, len);
	*used += hlen + len;
	return true;
}

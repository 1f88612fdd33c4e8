/*
 * fuzz_redact.c - libFuzzer target for redact_text: any bytes give a
 * NUL-terminated string; valid UTF-8 in gives valid UTF-8 out (a
 * placeholder never splits a character).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned found;
	char *out;

	if (memchr(data, 0, size))
		return 0;       /* frames never carry NUL (protocol refuses it) */
	out = redact_text((const char *)data, size, &found);
	if (!out)
		return 0;
	if (strlen(out) > size * 2 + 16)
		abort();
	if (proto_utf8_chars((const char *)data, size) >= 0 &&
	    proto_utf8_chars(out, strlen(out)) < 0)
		abort();
	if (found == 0 && (strlen(out) != size || memcmp(out, data, size)))
		abort();
	free(out);
	return 0;
}

/*
 * fuzz_protocol.c - libFuzzer target for proto_parse: any bytes, either
 * role, must give a parsed message whose required fields are present, or
 * an error code; never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct proto_in *in, enum proto_role role)
{
	switch (in->type) {
	case PROTO_MSG:
		if (!in->text || (role == PROTO_ADVISOR && !in->has_chat))
			abort();
		break;
	case PROTO_RESUME:
		if (!in->token)
			abort();
		break;
	case PROTO_EMAIL:
		if (!in->to)
			abort();
		break;
	case PROTO_FEEDBACK:
		if (in->rating < 1 || in->rating > 5)
			abort();
		break;
	case PROTO_LOGIN:
		if (!in->token && (!in->username || !in->password))
			abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_limits lim = { 2000 };
	enum proto_role role;
	struct proto_in in;
	const char *code, *msg;

	for (role = PROTO_RESIDENT; role <= PROTO_ADVISOR; role++) {
		if (proto_parse((const char *)data, size, role, &lim, &in,
				&code, &msg)) {
			if (!code || !msg || in.root)
				abort();
			continue;
		}
		check(&in, role);
		proto_in_free(&in);
	}
	return 0;
}

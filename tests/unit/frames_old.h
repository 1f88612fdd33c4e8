/*
 * frames_old.h - the frames of the message path (msg, queued, position)
 * as protocol_out.c built them before jsonw.h: a jansson object from
 * json_pack, the time through localtime_r and snprintf, then json_dumps.
 * Kept only as the reference that the writer is checked against
 * (test_jsonw.c) and measured against (tests/bench/frame_bench.c).
 *
 * Each returns a heap string (the caller frees it) or NULL, as the
 * proto_out_* builder of the same name.
 */
#ifndef NEUVO_FRAMES_OLD_H
#define NEUVO_FRAMES_OLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "protocol.h"

/* hours_format_rfc3339 as it was: no cache, snprintf. */
void old_format_rfc3339(time_t t, char *buf, size_t n);

char *old_out_msg(const struct proto_msg *m, json_t *cid, int64_t chat);
char *old_out_queued(int64_t chat, const char *token, size_t position,
		     long wait_s, bool may_not_be_served);
char *old_out_position(size_t position, long wait_s, bool may_not_be_served);

#endif

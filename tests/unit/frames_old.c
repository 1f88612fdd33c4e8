/*
 * frames_old.c - the message path's frames built the old way, with
 * jansson objects (see frames_old.h): the reference for the writer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "frames_old.h"

void
old_format_rfc3339(time_t t, char *buf, size_t n)
{
	struct tm tm;
	long off;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, n, "1970-01-01T00:00:00+00:00");
		return;
	}
	off = tm.tm_gmtoff / 60;
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
		 labs(off) % 60);
}

static json_t *
old_time(int64_t t)
{
	char buf[40];

	old_format_rfc3339((time_t)t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
old_wait(long w)
{
	return w < 0 ? json_null() : json_integer(w);
}

static char *
dump(json_t *o)
{
	char *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

char *
old_out_msg(const struct proto_msg *m, json_t *cid, int64_t chat)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:o, s:b}", "type", "msg",
			      "id", (json_int_t)m->id, "from", m->from,
			      "text", m->text, "at", old_time(m->at),
			      "redacted", m->redacted);

	if (o && cid && json_object_set(o, "cid", cid)) {
		json_decref(o);
		return NULL;
	}
	if (o && chat > 0 &&
	    json_object_set_new(o, "chat", json_integer(chat))) {
		json_decref(o);
		return NULL;
	}
	return dump(o);
}

char *
old_out_queued(int64_t chat, const char *token, size_t position,
	       long wait_s, bool may_not_be_served)
{
	return dump(json_pack("{s:s, s:I, s:s, s:I, s:o, s:b}", "type",
			      "queued", "chat", (json_int_t)chat,
			      "token", token,
			      "position", (json_int_t)position,
			      "estimated_wait_s", old_wait(wait_s),
			      "may_not_be_served", may_not_be_served));
}

char *
old_out_position(size_t position, long wait_s, bool may_not_be_served)
{
	return dump(json_pack("{s:s, s:I, s:o, s:b}", "type", "position",
			      "position", (json_int_t)position,
			      "estimated_wait_s", old_wait(wait_s),
			      "may_not_be_served", may_not_be_served));
}

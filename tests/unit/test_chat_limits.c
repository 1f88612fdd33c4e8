/*
 * test_chat_limits.c - the wire and figures of CONTRACT.md section 7's
 * chat limits: the `block` frame an advisor sends and what it gets back,
 * the resident's {"type":"blocked"}, the bound on a history frame that
 * sizes net.c's history budget (built here at its worst: many one-code-
 * point messages with every field at its longest), and `blocked` in the
 * stats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "protocol.h"
#include "report.h"
#include "stats.h"
#include "unit.h"

static const struct proto_limits lim = { 2000 };

#define EMOJI "\xf0\x9f\x98\x80"        /* U+1F600: 1 code point, 4 bytes */
#define LATEST ((int64_t)253402300799)  /* 9999-12-31T23:59:59Z */

/* ---------------------------------------------------------------- block */

static int
parse(const char *frame, enum proto_role role, struct proto_in *in,
      const char **code)
{
	const char *message;

	return proto_parse(frame, strlen(frame), role, &lim, in, code,
			   &message);
}

static void
block_from_an_advisor_parses_chat_and_hours(void **state)
{
	struct proto_in in;
	const char *code;

	(void)state;
	assert_int_equal(parse("{\"type\":\"block\",\"chat\":7,\"hours\":1}",
			       PROTO_ADVISOR, &in, &code), 0);
	assert_int_equal(in.type, PROTO_BLOCK);
	assert_int_equal(in.chat, 7);
	assert_int_equal(in.hours, 1);
	proto_in_free(&in);
	assert_int_equal(parse("{\"type\":\"block\",\"chat\":7,\"hours\":24}",
			       PROTO_ADVISOR, &in, &code), 0);
	assert_int_equal(in.hours, 24);
	proto_in_free(&in);
}

static void
block_hours_outside_1_to_24_or_not_an_integer_are_bad_fields(void **state)
{
	static const char *const frames[] = {
		"{\"type\":\"block\",\"chat\":7,\"hours\":0}",
		"{\"type\":\"block\",\"chat\":7,\"hours\":25}",
		"{\"type\":\"block\",\"chat\":7,\"hours\":-1}",
		"{\"type\":\"block\",\"chat\":7,\"hours\":1.0}",
		"{\"type\":\"block\",\"chat\":7,\"hours\":\"1\"}",
		"{\"type\":\"block\",\"chat\":7,\"hours\":null}",
		"{\"type\":\"block\",\"chat\":7}",
		"{\"type\":\"block\",\"hours\":1}",
		"{\"type\":\"block\",\"chat\":0,\"hours\":1}",
		"{\"type\":\"block\",\"chat\":\"7\",\"hours\":1}",
		"{\"type\":\"block\",\"chat\":7,\"hours\":4294967297}",
	};
	struct proto_in in;
	const char *code;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		if (parse(frames[i], PROTO_ADVISOR, &in, &code) == 0)
			fail_msg("%s accepted", frames[i]);
		if (strcmp(code, "bad_field"))
			fail_msg("%s: %s", frames[i], code);
	}
}

static void
block_is_only_for_advisors(void **state)
{
	struct proto_in in;
	const char *code;

	(void)state;
	assert_int_equal(parse("{\"type\":\"block\",\"chat\":7,\"hours\":1}",
			       PROTO_RESIDENT, &in, &code), -1);
	assert_string_equal(code, "bad_type");
}

static void
blocked_frames_are_as_the_contract_says(void **state)
{
	char *resident = proto_out_blocked();
	char *advisor = proto_out_block_done(7, 24, 1795593600);
	json_t *o;

	(void)state;
	assert_string_equal(resident, "{\"type\":\"blocked\"}");
	o = json_loads(advisor, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "type")),
			    "blocked");
	assert_int_equal(json_integer_value(json_object_get(o, "chat")), 7);
	assert_int_equal(json_integer_value(json_object_get(o, "hours")), 24);
	assert_true(json_is_string(json_object_get(o, "until")));
	json_decref(o);
	free(resident);
	free(advisor);
}

/* -------------------------------------------------------- history bound */

/* A cid at its longest, every byte escaped as \u0001 on the wire. */
static json_t *
worst_cid(void)
{
	char raw[PROTO_MAX_CID];

	memset(raw, 1, sizeof(raw));
	return json_stringn(raw, sizeof(raw));
}

/* A history of n messages of `text` each, every other field at its
 * longest (the largest ids, the latest time, a cid and a chat). */
static json_t *
worst_history(int n, const char *text)
{
	json_t *arr = json_array(), *cid = worst_cid();
	int i;

	assert_non_null(arr);
	for (i = 0; i < n; i++) {
		struct proto_msg m = { INT64_MIN + i, "resident", text, LATEST,
				       false };

		assert_int_equal(json_array_append_new(arr,
			proto_msg_json(&m, cid, INT64_MAX)), 0);
	}
	json_decref(cid);
	return arr;
}

/* `chat` and `resumed` frames of that history: both within the bound of
 * `chars` code points. */
static void
check_bound(int n, const char *text, long chars)
{
	char name[STATS_ID_MAX * 3], lang[32], topic[32];
	struct proto_chat pc;
	size_t bound = proto_history_max_bytes(chars);
	char *chat, *resumed;

	memset(name, '"', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(lang, 'x', sizeof(lang) - 1);
	lang[sizeof(lang) - 1] = '\0';
	memcpy(topic, lang, sizeof(topic));
	pc = (struct proto_chat){ INT64_MIN, lang, topic, INT64_MIN, true };
	chat = proto_out_chat(&pc, worst_history(n, text), NULL);
	resumed = proto_out_resumed(PROTO_STATE_CHATTING, SIZE_MAX, -1,
				    worst_history(n, text), name);
	assert_non_null(chat);
	assert_non_null(resumed);
	if (strlen(chat) > bound || strlen(resumed) > bound)
		fail_msg("%d messages: chat %zu, resumed %zu bytes, bound %zu",
			 n, strlen(chat), strlen(resumed), bound);
	free(chat);
	free(resumed);
}

static void
many_one_emoji_messages_stay_within_the_bound(void **state)
{
	(void)state;
	check_bound(5000, EMOJI, 5000);
	check_bound(1, EMOJI, 1);
}

static void
escaped_one_character_messages_stay_within_the_bound(void **state)
{
	(void)state;
	check_bound(3000, "\"", 3000);
	check_bound(3000, "\\", 3000);
	check_bound(3000, "\n", 3000);
}

static void
long_messages_stay_within_the_bound(void **state)
{
	char *text = malloc(2000 * 4 + 1);
	int i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 2000; i++)
		memcpy(text + 4 * i, EMOJI, 4);
	text[2000 * 4] = '\0';
	check_bound(25, text, 50000);
	memset(text, '"', 2000);
	text[2000] = '\0';
	check_bound(25, text, 50000);
	free(text);
}

static void
the_bound_grows_with_the_cap_and_is_not_wildly_loose(void **state)
{
	json_t *h = worst_history(1000, EMOJI);
	char *dump = proto_dump(json_pack("{s:o}", "history", h));
	size_t b0 = proto_history_max_bytes(0);
	size_t b1000 = proto_history_max_bytes(1000);

	(void)state;
	assert_non_null(dump);
	assert_true(b0 > 0);
	assert_true(b1000 > b0);
	assert_int_equal(proto_history_max_bytes(2000) - b0, 2 * (b1000 - b0));
	/* Every byte counted per message is one the worst case can use. */
	assert_true(strlen(dump) <= b1000 - b0);
	assert_true(strlen(dump) >= (b1000 - b0) * 95 / 100);
	free(dump);
}

/* ---------------------------------------------------------------- stats */

static void
blocked_events_count_per_day_and_render_last(void **state)
{
	struct stats_event ev[] = {
		{ 1795593600, STATS_BLOCKED, 24, NULL },
		{ 1795593700, STATS_BLOCKED, 1, NULL },
		{ 1795593800, STATS_STARTED, 0, "fi" },
	};
	struct hours_date day = hours_local_date(1795593600);
	struct stats_range r;
	enum stats_kind k;
	char *csv, *json;
	const char *last;

	(void)state;
	assert_string_equal(stats_kind_name(STATS_BLOCKED), "blocked");
	assert_int_equal(stats_kind_parse("blocked", &k), 0);
	assert_int_equal(k, STATS_BLOCKED);
	assert_int_equal(stats_compute(ev, 3, &day, &day, &r), 0);
	assert_int_equal(r.days[0].blocked, 2);
	assert_int_equal(r.days[0].started, 1);
	csv = stats_render_csv(&r);
	json = stats_render_json(&r);
	assert_non_null(csv);
	assert_non_null(json);
	/* blocked, urgent (section 8), the four figures of section 9 */
	last = strstr(strchr(csv, '\n') + 1, ",2,0,0,0,,0\n");
	assert_non_null(last);
	assert_string_equal(last, ",2,0,0,0,,0\n");
	assert_non_null(strstr(csv, ",feedback_avg,blocked,urgent,questions,"));
	assert_non_null(strstr(json, "\"blocked\": 2, \"urgent\": 0, "
				     "\"questions\": 0"));
	free(csv);
	free(json);
	stats_free(&r);
}

static void
the_report_table_shows_blocks_per_day(void **state)
{
	struct stats_event ev[] = {
		{ 1795593600, STATS_BLOCKED, 24, NULL },
		{ 1795593700, STATS_BLOCKED, 1, NULL },
		{ 1795593800, STATS_BLOCKED, 1, NULL },
	};
	struct hours_date day = hours_local_date(1795593600);
	struct stats_range r;
	struct hours h;
	struct report_input in = { &r, &h, NULL, NULL, NULL, "en" };
	char why[256];
	json_t *strings = report_strings_load(NEUVO_TEST_WEB_ROOT, "en", why,
					      sizeof(why));
	char *html;

	(void)state;
	assert_non_null(strings);
	in.strings = strings;
	unit_weekday_hours(&h);
	assert_int_equal(stats_compute(ev, 3, &day, &day, &r), 0);
	html = report_render_html(&in);
	assert_non_null(html);
	/* blocked, urgent (section 8), questions and answered (section 9) */
	assert_non_null(strstr(html, "<th>blocked</th><th>urgent</th>"
				     "<th>questions</th><th>answered</th></tr>"));
	assert_non_null(strstr(html, "<td>3</td><td>0</td><td>0</td><td>0</td>"
				     "</tr>"));
	assert_non_null(strstr(html, "<h2>Questions while closed</h2>"));
	free(html);
	stats_free(&r);
	json_decref(strings);
}

int
test_chat_limits_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(block_from_an_advisor_parses_chat_and_hours),
		cmocka_unit_test(block_hours_outside_1_to_24_or_not_an_integer_are_bad_fields),
		cmocka_unit_test(block_is_only_for_advisors),
		cmocka_unit_test(blocked_frames_are_as_the_contract_says),
		cmocka_unit_test(many_one_emoji_messages_stay_within_the_bound),
		cmocka_unit_test(escaped_one_character_messages_stay_within_the_bound),
		cmocka_unit_test(long_messages_stay_within_the_bound),
		cmocka_unit_test(the_bound_grows_with_the_cap_and_is_not_wildly_loose),
		cmocka_unit_test(blocked_events_count_per_day_and_render_last),
		cmocka_unit_test(the_report_table_shows_blocks_per_day),
	};

	return cmocka_run_group_tests_name("chat limits", tests,
					   unit_setup_helsinki, NULL);
}

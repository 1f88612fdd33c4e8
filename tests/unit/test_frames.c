/*
 * test_frames.c - the frames the server sends (protocol.h, proto_out_*):
 * the exact text of each, keys in the order clients have always seen them,
 * "chat" last on an advisor's copy, null where the contract says null, and
 * NULL (nothing leaked) when a part is missing.
 *
 * Times are written in Helsinki's offset: 1795593600 is Wednesday
 * 2026-11-25 10:00 +02:00.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hours.h"
#include "protocol.h"
#include "unit.h"

#define T0 ((int64_t)1795593600)

/* Compare a built frame with its expected text, and free it. */
static void
check(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
ended_by_has_a_name_for_each(void **state)
{
	(void)state;
	assert_string_equal(proto_ended_by_name(PROTO_BY_RESIDENT), "resident");
	assert_string_equal(proto_ended_by_name(PROTO_BY_ADVISOR), "advisor");
	assert_string_equal(proto_ended_by_name(PROTO_BY_TIMEOUT), "timeout");
	assert_string_equal(proto_ended_by_name(PROTO_BY_CLOSING), "closing");
	assert_string_equal(proto_ended_by_name(PROTO_BY_DISCONNECT),
			    "disconnect");
	assert_null(proto_ended_by_name(PROTO_BY_N));
	assert_null(proto_ended_by_name((enum proto_ended_by)-1));
}

static void
ended_for_resident_and_advisor(void **state)
{
	(void)state;
	check(proto_out_ended(PROTO_BY_TIMEOUT, 0),
	      "{\"type\":\"ended\",\"by\":\"timeout\"}");
	check(proto_out_ended(PROTO_BY_ADVISOR, 42),
	      "{\"type\":\"ended\",\"by\":\"advisor\",\"chat\":42}");
	assert_null(proto_out_ended(PROTO_BY_N, 1));
}

static void
queued_with_unknown_wait(void **state)
{
	(void)state;
	check(proto_out_queued(7, "tok", 3, -1, false),
	      "{\"type\":\"queued\",\"chat\":7,\"token\":\"tok\","
	      "\"position\":3,\"estimated_wait_s\":null,"
	      "\"may_not_be_served\":false}");
	check(proto_out_queued(7, "tok", 3, 4000, true),
	      "{\"type\":\"queued\",\"chat\":7,\"token\":\"tok\","
	      "\"position\":3,\"estimated_wait_s\":4000,"
	      "\"may_not_be_served\":true}");
}

static void
position_with_an_estimate(void **state)
{
	(void)state;
	check(proto_out_position(2, 630, false),
	      "{\"type\":\"position\",\"position\":2,\"estimated_wait_s\":630,"
	      "\"may_not_be_served\":false}");
	check(proto_out_position(1, 0, true),
	      "{\"type\":\"position\",\"position\":1,\"estimated_wait_s\":0,"
	      "\"may_not_be_served\":true}");
}

static void
closed_with_and_without_next_open(void **state)
{
	(void)state;
	check(proto_out_closed(T0, false),
	      "{\"type\":\"closed\",\"next_open\":"
	      "\"2026-11-25T10:00:00+02:00\"}");
	check(proto_out_closed(-1, false),
	      "{\"type\":\"closed\",\"next_open\":null}");
	check(proto_out_closed(-1, true),
	      "{\"type\":\"closed\",\"next_open\":null,\"questions\":true}");
}

static void
question_frames(void **state)
{
	struct proto_question q[2] = {
		{ 3, "Voiko [hetu] saada tukea?", "fi", T0, 60 },
		{ 5, "Hej", "sv", T0 + 30, 30 },
	};

	(void)state;
	check(proto_out_question_saved("ABCDEFGHJKMN"),
	      "{\"type\":\"question_saved\",\"code\":\"ABCDEFGHJKMN\"}");
	check(proto_out_answer("Q", NULL, 0),
	      "{\"type\":\"answer\",\"question\":\"Q\",\"answer\":null,"
	      "\"at\":null}");
	check(proto_out_answer("Q", "A", T0),
	      "{\"type\":\"answer\",\"question\":\"Q\",\"answer\":\"A\","
	      "\"at\":\"2026-11-25T10:00:00+02:00\"}");
	check(proto_out_answered(3),
	      "{\"type\":\"answered\",\"question\":3}");
	check(proto_out_questions(q, 2, 7),
	      "{\"type\":\"questions\",\"questions\":["
	      "{\"id\":3,\"text\":\"Voiko [hetu] saada tukea?\","
	      "\"lang\":\"fi\",\"asked\":\"2026-11-25T10:00:00+02:00\","
	      "\"age_s\":60},"
	      "{\"id\":5,\"text\":\"Hej\",\"lang\":\"sv\","
	      "\"asked\":\"2026-11-25T10:00:30+02:00\",\"age_s\":30}],"
	      "\"open\":7}");
	check(proto_out_questions(NULL, 0, 0),
	      "{\"type\":\"questions\",\"questions\":[],\"open\":0}");
}

static void
msg_for_the_sender_with_cid(void **state)
{
	struct proto_msg m = { 3, "resident", "hei [phone]", T0, true };
	json_t *cid = json_string("c-1");

	(void)state;
	check(proto_out_msg(&m, cid, 0),
	      "{\"type\":\"msg\",\"id\":3,\"from\":\"resident\","
	      "\"text\":\"hei [phone]\",\"at\":\"2026-11-25T10:00:00+02:00\","
	      "\"redacted\":true,\"cid\":\"c-1\"}");
	assert_int_equal(cid->refcount, 1);     /* borrowed, not stolen */
	json_decref(cid);
}

static void
msg_for_the_advisor_carries_chat_last(void **state)
{
	struct proto_msg m = { 1, "advisor", "moi", T0, false };
	json_t *cid = json_integer(9);

	(void)state;
	check(proto_out_msg(&m, cid, 5),
	      "{\"type\":\"msg\",\"id\":1,\"from\":\"advisor\",\"text\":\"moi\","
	      "\"at\":\"2026-11-25T10:00:00+02:00\",\"redacted\":false,"
	      "\"cid\":9,\"chat\":5}");
	json_decref(cid);
}

static void
msg_json_is_a_history_entry(void **state)
{
	struct proto_msg m = { 2, "resident", "x", T0, false };
	json_t *o = proto_msg_json(&m, NULL, 0);

	(void)state;
	assert_non_null(o);
	assert_null(json_object_get(o, "cid"));
	assert_null(json_object_get(o, "chat"));
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 2);
	json_decref(o);
}

static void
chat_on_take(void **state)
{
	struct proto_chat c = { 12, "sv", "housing", 95, false };

	(void)state;
	check(proto_out_chat(&c, json_array(), NULL),
	      "{\"type\":\"chat\",\"chat\":12,\"lang\":\"sv\","
	      "\"topic\":\"housing\",\"history\":[],\"waited_s\":95}");
}

static void
chat_resumed_has_resumed_before_waited(void **state)
{
	struct proto_chat c = { 12, "fi", "", 0, true };

	(void)state;
	check(proto_out_chat(&c, json_array(), NULL),
	      "{\"type\":\"chat\",\"chat\":12,\"lang\":\"fi\",\"topic\":null,"
	      "\"history\":[],\"resumed\":true,\"waited_s\":0}");
}

static void
chat_without_history_is_null(void **state)
{
	struct proto_chat c = { 1, "fi", NULL, 0, false };

	(void)state;
	assert_null(proto_out_chat(&c, NULL, NULL));
	assert_null(proto_out_chat(&c, NULL, json_array()));   /* freed */
}

static void
resumed_queued_and_chatting(void **state)
{
	(void)state;
	check(proto_out_resumed(PROTO_STATE_QUEUED, 4, 120, json_array(), NULL),
	      "{\"type\":\"resumed\",\"state\":\"queued\",\"position\":4,"
	      "\"estimated_wait_s\":120,\"history\":[]}");
	check(proto_out_resumed(PROTO_STATE_CHATTING, 0, -1, json_array(),
				"Anna"),
	      "{\"type\":\"resumed\",\"state\":\"chatting\",\"position\":0,"
	      "\"estimated_wait_s\":null,\"history\":[],\"advisor\":\"Anna\"}");
	check(proto_out_resumed(PROTO_STATE_ENDED, 0, -1, json_array(), NULL),
	      "{\"type\":\"resumed\",\"state\":\"ended\",\"position\":0,"
	      "\"estimated_wait_s\":null,\"history\":[]}");
}

static void
queue_view_lists_the_waiting(void **state)
{
	struct proto_waiting w[2] = {
		{ 3, 60, "fi", NULL },
		{ 4, 5, "en", "family" },
	};

	(void)state;
	check(proto_out_queue(7, w, 2),
	      "{\"type\":\"queue\",\"length\":7,\"waiting\":["
	      "{\"chat\":3,\"waited_s\":60,\"lang\":\"fi\",\"topic\":null},"
	      "{\"chat\":4,\"waited_s\":5,\"lang\":\"en\",\"topic\":\"family\"}"
	      "]}");
	check(proto_out_queue(0, NULL, 0),
	      "{\"type\":\"queue\",\"length\":0,\"waiting\":[]}");
}

static void
advisor_frames(void **state)
{
	(void)state;
	check(proto_out_login_ok("Anna", "t", true, false),
	      "{\"type\":\"login_ok\",\"name\":\"Anna\",\"token\":\"t\","
	      "\"available\":true,\"role\":\"advisor\"}");
	check(proto_out_login_ok("Sini", "t", false, true),
	      "{\"type\":\"login_ok\",\"name\":\"Sini\",\"token\":\"t\","
	      "\"available\":false,\"role\":\"supervisor\"}");
	check(proto_out_status(false),
	      "{\"type\":\"status\",\"available\":false}");
	check(proto_out_tagged(8), "{\"type\":\"tagged\",\"chat\":8}");
	check(proto_out_typing(true, 8),
	      "{\"type\":\"typing\",\"on\":true,\"chat\":8}");
	check(proto_out_logged_out(), "{\"type\":\"logged_out\"}");
	check(proto_out_error_retry("unavailable", "try again", 5),
	      "{\"type\":\"error\",\"code\":\"unavailable\","
	      "\"message\":\"try again\",\"retry_after_s\":5}");
	assert_null(proto_out_error_retry(NULL, "x", 1));
}

static void
resident_frames(void **state)
{
	(void)state;
	check(proto_out_assigned("Bertta"),
	      "{\"type\":\"assigned\",\"advisor\":\"Bertta\"}");
	check(proto_out_typing(false, 0), "{\"type\":\"typing\",\"on\":false}");
	check(proto_out_idle_warning(120),
	      "{\"type\":\"idle_warning\",\"seconds_left\":120}");
	check(proto_out_queue_full(), "{\"type\":\"queue_full\"}");
	check(proto_out_email_queued(), "{\"type\":\"email_queued\"}");
	check(proto_out_thanks(), "{\"type\":\"thanks\"}");
	check(proto_out_pong(), "{\"type\":\"pong\"}");
}

/* ------------------------------------------------ the supervisors' desk */

static void
desk_small_frames(void **state)
{
	struct proto_whisper w = { 7, "Sini", "Kysy \"asumisesta\"", T0, false,
				   41 };

	(void)state;
	check(proto_out_whisper(&w),
	      "{\"type\":\"whisper\",\"from\":\"Sini\",\"text\":"
	      "\"Kysy \\\"asumisesta\\\"\",\"at\":\"2026-11-25T10:00:00+02:00\","
	      "\"redacted\":false,\"chat\":7,\"id\":41}");
	check(proto_out_unwatched(7), "{\"type\":\"unwatched\",\"chat\":7}");
	check(proto_out_urgent(7, true),
	      "{\"type\":\"urgent\",\"chat\":7,\"on\":true}");
	check(proto_out_alert(7, "Anna"),
	      "{\"type\":\"alert\",\"chat\":7,\"advisor\":\"Anna\"}");
	check(proto_out_transferred(7, "Bertta", "bertta"),
	      "{\"type\":\"transferred\",\"chat\":7,\"to\":\"Bertta\","
	      "\"to_username\":\"bertta\"}");
	w.from = NULL;
	assert_null(proto_out_whisper(&w));
	assert_null(proto_out_alert(7, NULL));
}

static void
desk_chat_frames_add_to_the_chat_frame(void **state)
{
	struct proto_chat c = { 7, "fi", NULL, 30, false };
	struct proto_whisper w = { 0, "Sini", "hei", T0, true, 0 };
	struct proto_whisper none = { 0, NULL, NULL, 0, false, 0 };
	struct proto_whisper note = { 7, "Sini", "soita [phone]", T0, true, 42 };

	(void)state;
	check(proto_out_watch(&c, json_array(), "Anna",
			      json_pack("[o]", proto_whisper_json(&w)), true),
	      "{\"type\":\"chat\",\"chat\":7,\"lang\":\"fi\",\"topic\":null,"
	      "\"history\":[],\"waited_s\":30,\"watching\":true,"
	      "\"advisor\":\"Anna\",\"whispers\":[{\"type\":\"whisper\","
	      "\"from\":\"Sini\",\"text\":\"hei\",\"at\":"
	      "\"2026-11-25T10:00:00+02:00\",\"redacted\":true}],"
	      "\"urgent\":true}");
	check(proto_out_transfer_chat(&c, json_array(), json_array(), &none,
				      "Anna", false),
	      "{\"type\":\"chat\",\"chat\":7,\"lang\":\"fi\",\"topic\":null,"
	      "\"history\":[],\"waited_s\":30,\"note\":null,"
	      "\"note_redacted\":false,\"from\":\"Anna\","
	      "\"transferred\":true,\"urgent\":false,\"whispers\":[]}");
	check(proto_out_transfer_chat(&c, json_array(), NULL, &note, "Sini",
				      true),
	      "{\"type\":\"chat\",\"chat\":7,\"lang\":\"fi\",\"topic\":null,"
	      "\"history\":[],\"waited_s\":30,\"note\":\"soita [phone]\","
	      "\"note_redacted\":true,\"from\":\"Sini\","
	      "\"transferred\":true,\"urgent\":true,\"note_id\":42}");
	c.resumed = true;
	check(proto_out_chat(&c, json_array(),
			     json_pack("[o]", proto_whisper_json(&w))),
	      "{\"type\":\"chat\",\"chat\":7,\"lang\":\"fi\",\"topic\":null,"
	      "\"history\":[],\"resumed\":true,\"waited_s\":30,"
	      "\"whispers\":[{\"type\":\"whisper\",\"from\":\"Sini\","
	      "\"text\":\"hei\",\"at\":\"2026-11-25T10:00:00+02:00\","
	      "\"redacted\":true}]}");
	c.resumed = false;
	/* a missing part leaks nothing and gives nothing */
	assert_null(proto_out_watch(&c, json_array(), "Anna", NULL, false));
	assert_null(proto_out_watch(&c, NULL, "Anna", json_array(), false));
}

static void
board_lists_queue_advisors_and_chats(void **state)
{
	struct proto_waiting w[] = { { 9, 12, "sv", "housing" } };
	struct proto_board_advisor a[] = {
		{ "Anna", "anna", true, true, false, 1 },
		{ "Sini", "sini", false, false, true, 0 },
	};
	struct proto_board_chat c[] = {
		{ 7, "Anna", "anna", T0, T0 + 60, true, "fi", NULL },
	};

	(void)state;
	check(proto_out_board(3, w, 1, a, 2, c, 1),
	      "{\"type\":\"board\",\"length\":3,\"queue\":[{\"chat\":9,"
	      "\"waited_s\":12,\"lang\":\"sv\",\"topic\":\"housing\"}],"
	      "\"advisors\":[{\"name\":\"Anna\",\"username\":\"anna\","
	      "\"online\":true,\"available\":true,\"supervisor\":false,"
	      "\"chats\":1},{\"name\":\"Sini\",\"username\":\"sini\","
	      "\"online\":false,\"available\":false,\"supervisor\":true,"
	      "\"chats\":0}],\"chats\":[{\"chat\":7,\"advisor\":\"Anna\","
	      "\"advisor_username\":\"anna\","
	      "\"started\":\"2026-11-25T10:00:00+02:00\","
	      "\"last_msg\":\"2026-11-25T10:01:00+02:00\",\"urgent\":true,"
	      "\"lang\":\"fi\",\"topic\":null}]}");
	check(proto_out_board(0, NULL, 0, NULL, 0, NULL, 0),
	      "{\"type\":\"board\",\"length\":0,\"queue\":[],"
	      "\"advisors\":[],\"chats\":[]}");
}

int
test_frames_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ended_by_has_a_name_for_each),
		cmocka_unit_test(ended_for_resident_and_advisor),
		cmocka_unit_test(queued_with_unknown_wait),
		cmocka_unit_test(position_with_an_estimate),
		cmocka_unit_test(closed_with_and_without_next_open),
		cmocka_unit_test(msg_for_the_sender_with_cid),
		cmocka_unit_test(msg_for_the_advisor_carries_chat_last),
		cmocka_unit_test(msg_json_is_a_history_entry),
		cmocka_unit_test(chat_on_take),
		cmocka_unit_test(chat_resumed_has_resumed_before_waited),
		cmocka_unit_test(chat_without_history_is_null),
		cmocka_unit_test(resumed_queued_and_chatting),
		cmocka_unit_test(queue_view_lists_the_waiting),
		cmocka_unit_test(advisor_frames),
		cmocka_unit_test(resident_frames),
		cmocka_unit_test(desk_small_frames),
		cmocka_unit_test(desk_chat_frames_add_to_the_chat_frame),
		cmocka_unit_test(board_lists_queue_advisors_and_chats),
		cmocka_unit_test(question_frames),
	};

	return cmocka_run_group_tests_name("frames", tests, unit_setup_helsinki, NULL);
}

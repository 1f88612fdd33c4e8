/*
 * test_desk.c - the supervisors' desk of CONTRACT.md section 8 (desk.c),
 * driven through service.h with no socket (svc_harness.h): roles at login,
 * the board and its coalescing on the test's own clock, watch and unwatch,
 * whispers (redacted, capped, never to the resident), urgent marks with
 * their alerts and figures, and transfers with their refusals.
 *
 * Accounts: anna and bertta are advisors (the harness's), sini a
 * supervisor (added here for every world).
 */
#include "svc_harness.h"

#define HETU "131052-308T"

static int
add_supervisor(struct store *s)
{
	return store_advisor_add_role(s, "sini", "Sini", cheap_phc, T0, true);
}

static int
desk_setup(void **state)
{
	svc_harness_extra = add_supervisor;
	return setup(state);
}

/* A resident in a chat taken by advisor `a`: the resident, *id its chat. */
static struct net_conn *
in_chat(struct net_conn *a, int64_t *id)
{
	struct net_conn *r;

	queue_resident(&r);
	*id = take(a);
	skip_all(r);
	return r;
}

/* Frames of `type` among c's unread ones (all of which are then read). */
static int
count_of(struct net_conn *c, const char *type)
{
	int n = 0;

	while (c->n_read < c->n_got) {
		const char *t = type_of(c->got[c->n_read++]);

		n += t && !strcmp(t, type);
	}
	return n;
}

static void
watch(struct net_conn *s, int64_t id)
{
	json_t *o;

	say(s, "{\"type\":\"watch\",\"chat\":%lld}", (long long)id);
	turn();
	o = next_of(s, "chat");
	assert_int_equal(jint(o, "chat"), id);
	assert_true(json_is_true(json_object_get(o, "watching")));
}

/* ------------------------------------------------------------------ roles */

static void
login_ok_says_the_role(void **state)
{
	struct net_conn *a = open_conn(PROTO_ADVISOR);
	struct net_conn *s = open_conn(PROTO_ADVISOR);

	(void)state;
	say(a, "{\"type\":\"login\",\"username\":\"anna\",\"password\":\"%s\"}",
	    PASSWORD);
	say(s, "{\"type\":\"login\",\"username\":\"sini\",\"password\":\"%s\"}",
	    PASSWORD);
	uv_run(&loop, UV_RUN_DEFAULT);
	turn();
	assert_string_equal(jstr(expect(a, "login_ok"), "role"), "advisor");
	assert_string_equal(jstr(expect(s, "login_ok"), "role"), "supervisor");
}

static void
an_advisor_is_refused_every_supervisor_frame(void **state)
{
	struct net_conn *a = login("anna"), *b = login("bertta");
	int64_t id;

	(void)state;
	in_chat(a, &id);
	say(b, "{\"type\":\"board\"}");
	say(b, "{\"type\":\"watch\",\"chat\":%lld}", (long long)id);
	say(b, "{\"type\":\"unwatch\",\"chat\":%lld}", (long long)id);
	say(b, "{\"type\":\"whisper\",\"chat\":%lld,\"text\":\"x\"}",
	    (long long)id);
	say(a, "{\"type\":\"whisper\",\"chat\":%lld,\"text\":\"x\"}",
	    (long long)id);
	turn();
	expect_error(b, "not_allowed");
	expect_error(b, "not_allowed");
	expect_error(b, "not_allowed");
	expect_error(b, "not_allowed");
	expect_error(a, "not_allowed");
}

static void
a_role_change_counts_from_the_next_login(void **state)
{
	struct net_conn *a = login("anna"), *a2;

	(void)state;
	assert_int_equal(store_advisor_set_role(st, "anna", true), 0);
	say(a, "{\"type\":\"board\"}");
	turn();
	expect_error(a, "not_allowed");
	a2 = open_conn(PROTO_ADVISOR);
	say(a2, "{\"type\":\"login\",\"token\":\"%s\"}", a->token);
	turn();
	assert_string_equal(jstr(expect(a2, "login_ok"), "role"),
			    "supervisor");
	say(a2, "{\"type\":\"board\"}");
	turn();
	next_of(a2, "board");
}

/* ------------------------------------------------------------------ board */

static void
the_board_lists_queue_advisors_and_running_chats(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *w;
	int64_t id, waiting;
	json_t *o, *c, *adv;
	size_t i;

	(void)state;
	in_chat(a, &id);
	waiting = queue_resident(&w);
	say(s, "{\"type\":\"board\"}");
	turn();
	o = expect(s, "board");
	assert_int_equal(jint(o, "length"), 1);
	assert_int_equal(jint(json_array_get(json_object_get(o, "queue"), 0),
			      "chat"), waiting);
	c = json_array_get(json_object_get(o, "chats"), 0);
	assert_int_equal(json_array_size(json_object_get(o, "chats")), 1);
	assert_int_equal(jint(c, "chat"), id);
	assert_string_equal(jstr(c, "advisor"), "Anna");
	assert_string_equal(jstr(c, "advisor_username"), "anna");
	assert_true(json_is_false(json_object_get(c, "urgent")));
	assert_string_equal(jstr(c, "started"), jstr(c, "last_msg"));
	json_array_foreach(json_object_get(o, "advisors"), i, adv) {
		if (strcmp(jstr(adv, "username"), "anna"))
			continue;
		assert_int_equal(jint(adv, "chats"), 1);
		assert_true(json_is_true(json_object_get(adv, "available")));
		return;
	}
	fail_msg("anna is not on the board");
}

static void
board_pushes_come_at_most_four_a_second(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *r[4];
	int64_t id;
	int i;

	(void)state;
	cfg->max_chats_per_advisor = 4;
	for (i = 0; i < 4; i++)
		r[i] = in_chat(a, &id);
	say(s, "{\"type\":\"board\"}");
	turn();
	expect(s, "board");
	/* 40 messages over two seconds of the test's clock (each resident
	 * 5 a second, under the rate limit), a tick after each: one push
	 * per 250 ms at most, however many changes */
	freeze_ms = true;
	for (i = 0; i < 40; i++) {
		say(r[i % 4], "{\"type\":\"msg\",\"text\":\"m%d\"}", i);
		turn();
		clk_ms += 50;
		tick();
	}
	assert_int_equal(count_of(a, "msg"), 40);
	freeze_ms = false;
	i = count_of(s, "board");
	assert_true(i >= 7 && i <= 9);
	/* the last change comes too, then nothing while nothing changes */
	later(1);
	assert_true(count_of(s, "board") <= 1);
	later(1);
	later(1);
	assert_int_equal(count_of(s, "board"), 0);
}

static void
the_board_is_pushed_after_a_take(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *r;
	int64_t id;
	json_t *o;

	(void)state;
	say(s, "{\"type\":\"board\"}");
	turn();
	expect(s, "board");
	queue_resident(&r);
	later(1);
	o = next_of(s, "board");
	assert_int_equal(jint(o, "length"), 1);
	id = take(a);
	later(1);
	o = next_of(s, "board");
	assert_int_equal(jint(o, "length"), 0);
	assert_int_equal(jint(json_array_get(json_object_get(o, "chats"), 0),
			      "chat"), id);
}

/* ------------------------------------------------------------------ watch */

static void
a_watcher_gets_the_history_and_every_message_after(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *r;
	int64_t id;
	json_t *o;

	(void)state;
	r = in_chat(a, &id);
	say(r, "{\"type\":\"msg\",\"text\":\"ennen\"}");
	turn();
	say(s, "{\"type\":\"watch\",\"chat\":%lld}", (long long)id);
	turn();
	o = next_of(s, "chat");
	assert_string_equal(jstr(o, "advisor"), "Anna");
	assert_int_equal(json_array_size(json_object_get(o, "history")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "whispers")), 0);
	say(r, "{\"type\":\"msg\",\"text\":\"jälkeen\"}");
	say(a, "{\"type\":\"msg\",\"chat\":%lld,\"text\":\"vastaus\"}",
	    (long long)id);
	turn();
	o = next_of(s, "msg");
	assert_string_equal(jstr(o, "text"), "jälkeen");
	assert_int_equal(jint(o, "chat"), id);
	assert_string_equal(jstr(next_of(s, "msg"), "text"), "vastaus");
	say(s, "{\"type\":\"unwatch\",\"chat\":%lld}", (long long)id);
	turn();
	assert_int_equal(jint(next_of(s, "unwatched"), "chat"), id);
	say(r, "{\"type\":\"msg\",\"text\":\"yksin\"}");
	turn();
	expect_none_of(s, "msg");
	expect_none_of(r, "whisper");
}

static void
watch_needs_a_running_chat_not_ones_own(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *w;
	int64_t waiting = queue_resident(&w), mine;

	(void)state;
	(void)a;
	say(s, "{\"type\":\"watch\",\"chat\":%lld}", (long long)waiting);
	say(s, "{\"type\":\"watch\",\"chat\":99999}");
	turn();
	expect_error(s, "unknown_chat");
	expect_error(s, "unknown_chat");
	mine = take(s);
	say(s, "{\"type\":\"watch\",\"chat\":%lld}", (long long)mine);
	turn();
	expect_error(s, "not_allowed");
}

static void
a_watched_chat_is_read_only_for_the_watcher(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *r;
	int64_t id;

	(void)state;
	r = in_chat(a, &id);
	watch(s, id);
	say(s, "{\"type\":\"msg\",\"chat\":%lld,\"text\":\"väliin\"}",
	    (long long)id);
	say(s, "{\"type\":\"end\",\"chat\":%lld}", (long long)id);
	say(s, "{\"type\":\"tag\",\"chat\":%lld,\"topics\":[]}", (long long)id);
	turn();
	expect_error(s, "not_allowed");
	expect_error(s, "not_allowed");
	expect_error(s, "not_allowed");
	expect_nothing(r);
}

static void
watchers_see_the_end_and_stop_watching(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini");
	int64_t id;

	(void)state;
	in_chat(a, &id);
	watch(s, id);
	say(a, "{\"type\":\"end\",\"chat\":%lld}", (long long)id);
	turn();
	assert_string_equal(jstr(next_of(s, "ended"), "by"), "advisor");
	say(s, "{\"type\":\"watch\",\"chat\":%lld}", (long long)id);
	turn();
	expect_error(s, "unknown_chat");
}

static void
a_chat_handed_back_to_the_queue_is_unwatched(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini");
	int64_t id;

	(void)state;
	in_chat(a, &id);
	watch(s, id);
	drop(a);
	later(cfg->resume_grace_s + 2);
	assert_int_equal(jint(next_of(s, "unwatched"), "chat"), id);
}

/* ---------------------------------------------------------------- whisper */

static void
a_whisper_reaches_advisor_and_sender_never_the_resident(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini"), *r;
	int64_t id, chars = -1, tail = -1;
	json_t *o;

	(void)state;
	r = in_chat(a, &id);
	say(s, "{\"type\":\"whisper\",\"chat\":%lld,\"text\":\"hetu " HETU
	    "\"}", (long long)id);
	turn();
	o = next_of(a, "whisper");
	assert_string_equal(jstr(o, "text"), "hetu [hetu]");
	assert_true(json_is_true(json_object_get(o, "redacted")));
	assert_string_equal(jstr(o, "from"), "Sini");
	assert_int_equal(jint(o, "chat"), id);
	next_of(s, "whisper");
	expect_nothing(r);
	assert_int_equal(metric("neuvo_desk_whispers_total"), 1);
	/* kept with the chat, not with its messages */
	assert_int_equal(store_chat_usage(st, id, &chars, &tail), 0);
	assert_int_equal(chars, 0);
}

static void
whispers_are_capped_by_max_chat_chars(void **state)
{
	struct net_conn *a = login("anna"), *s = login("sini");
	int64_t id;

	(void)state;
	in_chat(a, &id);
	cfg->max_chat_chars = 8;
	say(s, "{\"type\":\"whisper\",\"chat\":%lld,\"text\":\"12345\"}",
	    (long long)id);
	say(s, "{\"type\":\"whisper\",\"chat\":%lld,\"text\":\"6789\"}",
	    (long long)id);
	turn();
	next_of(s, "whisper");
	expect_error(s, "chat_full");
	assert_int_equal(count_of(a, "whisper"), 1);
}

/* ----------------------------------------------------------------- urgent */

static void
urgent_alerts_supervisors_and_counts_once(void **state)
{
	struct net_conn *a = login("anna"), *b = login("bertta");
	struct net_conn *s = login("sini");
	int64_t id, n;
	json_t *o;

	(void)state;
	in_chat(a, &id);
	say(a, "{\"type\":\"urgent\",\"chat\":%lld,\"on\":true}", (long long)id);
	turn();
	o = next_of(a, "urgent");
	assert_true(json_is_true(json_object_get(o, "on")));
	o = next_of(s, "alert");
	assert_int_equal(jint(o, "chat"), id);
	assert_string_equal(jstr(o, "advisor"), "Anna");
	expect_none_of(b, "alert");
	say(a, "{\"type\":\"urgent\",\"chat\":%lld,\"on\":false}", (long long)id);
	say(a, "{\"type\":\"urgent\",\"chat\":%lld,\"on\":true}", (long long)id);
	turn();
	assert_int_equal(count_of(s, "alert"), 1);  /* off, then on again */
	assert_int_equal(store_stat_count(st, "urgent", T0 - 10, T0 + 86400,
					  &n), 0);
	assert_int_equal(n, 1);
}

static void
urgent_is_for_the_chats_advisor_or_a_watcher(void **state)
{
	struct net_conn *a = login("anna"), *b = login("bertta");
	struct net_conn *s = login("sini");
	int64_t id;

	(void)state;
	in_chat(a, &id);
	say(b, "{\"type\":\"urgent\",\"chat\":%lld,\"on\":true}", (long long)id);
	say(s, "{\"type\":\"urgent\",\"chat\":%lld,\"on\":true}", (long long)id);
	turn();
	expect_error(b, "unknown_chat");
	expect_error(s, "unknown_chat");
	watch(s, id);
	say(s, "{\"type\":\"urgent\",\"chat\":%lld,\"on\":true}", (long long)id);
	turn();
	next_of(a, "urgent");
	next_of(s, "alert");
}

/* --------------------------------------------------------------- transfer */

static void
a_transfer_moves_the_chat_the_note_and_the_resident(void **state)
{
	struct net_conn *a = login("anna"), *b = login("bertta"), *r;
	int64_t id;
	json_t *o;

	(void)state;
	r = in_chat(a, &id);
	say(a, "{\"type\":\"transfer\",\"chat\":%lld,\"to\":\"bertta\","
	    "\"note\":\"soita 040 123 4567\"}", (long long)id);
	say(r, "{\"type\":\"msg\",\"text\":\"perässä\"}");
	turn();
	o = next_of(b, "chat");
	assert_int_equal(jint(o, "chat"), id);
	assert_string_equal(jstr(o, "note"), "soita [phone]");
	assert_string_equal(jstr(o, "from"), "Anna");
	assert_string_equal(jstr(next_of(b, "msg"), "text"), "perässä");
	assert_string_equal(jstr(next_of(r, "assigned"), "advisor"), "Bertta");
	o = next_of(a, "transferred");
	assert_string_equal(jstr(o, "to"), "Bertta");
	expect_none_of(a, "msg");
	say(a, "{\"type\":\"msg\",\"chat\":%lld,\"text\":\"x\"}", (long long)id);
	turn();
	expect_error(a, "unknown_chat");
}

static void
transfer_refusals_move_nothing(void **state)
{
	struct net_conn *a = login("anna"), *b = login("bertta"), *r, *r2;
	int64_t id, hers;

	(void)state;
	cfg->max_chats_per_advisor = 1;
	r = in_chat(a, &id);
	queue_resident(&r2);
	hers = take(b);
	say(a, "{\"type\":\"transfer\",\"chat\":%lld,\"to\":\"bertta\"}",
	    (long long)id);                         /* full */
	say(a, "{\"type\":\"transfer\",\"chat\":%lld,\"to\":\"sini\"}",
	    (long long)id);                         /* not logged in */
	say(a, "{\"type\":\"transfer\",\"chat\":%lld,\"to\":\"anna\"}",
	    (long long)id);
	say(a, "{\"type\":\"transfer\",\"chat\":%lld,\"to\":\"sini\"}",
	    (long long)hers);
	turn();
	expect_error(a, "not_available");
	expect_error(a, "not_available");
	expect_error(a, "not_allowed");
	expect_error(a, "unknown_chat");
	expect_none_of(r, "assigned");
	say(r, "{\"type\":\"msg\",\"text\":\"yhä\"}");
	turn();
	assert_string_equal(jstr(next_of(a, "msg"), "text"), "yhä");
}

static void
a_supervisor_may_transfer_and_watchers_are_told(void **state)
{
	struct net_conn *a = login("anna"), *b = login("bertta");
	struct net_conn *s = login("sini");
	int64_t id;

	(void)state;
	in_chat(a, &id);
	watch(s, id);
	say(s, "{\"type\":\"transfer\",\"chat\":%lld,\"to\":\"bertta\"}",
	    (long long)id);
	turn();
	assert_true(jnull(next_of(b, "chat"), "note"));
	next_of(a, "transferred");
	assert_int_equal(count_of(s, "transferred"), 1);   /* once */
}

int
test_desk_run(void)
{
#define D(f) cmocka_unit_test_setup_teardown(f, desk_setup, teardown)
	const struct CMUnitTest tests[] = {
		D(login_ok_says_the_role),
		D(an_advisor_is_refused_every_supervisor_frame),
		D(a_role_change_counts_from_the_next_login),
		D(the_board_lists_queue_advisors_and_running_chats),
		D(board_pushes_come_at_most_four_a_second),
		D(the_board_is_pushed_after_a_take),
		D(a_watcher_gets_the_history_and_every_message_after),
		D(watch_needs_a_running_chat_not_ones_own),
		D(a_watched_chat_is_read_only_for_the_watcher),
		D(watchers_see_the_end_and_stop_watching),
		D(a_chat_handed_back_to_the_queue_is_unwatched),
		D(a_whisper_reaches_advisor_and_sender_never_the_resident),
		D(whispers_are_capped_by_max_chat_chars),
		D(urgent_alerts_supervisors_and_counts_once),
		D(urgent_is_for_the_chats_advisor_or_a_watcher),
		D(a_transfer_moves_the_chat_the_note_and_the_resident),
		D(transfer_refusals_move_nothing),
		D(a_supervisor_may_transfer_and_watchers_are_told),
	};
#undef D
	return cmocka_run_group_tests_name("desk", tests, group_setup, NULL);
}

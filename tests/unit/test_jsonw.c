/*
 * test_jsonw.c - the JSON writer (jsonw.h) and the frames written with it:
 * every escape jansson writes, UTF-8 of each length passed through, bytes
 * that are not UTF-8 replaced so the output always parses, integers at
 * both ends, commas; the RFC 3339 time against the old snprintf one in
 * several zones; and a differential test of proto_out_msg, _queued and
 * _position against the jansson builders they replace (frames_old.c):
 * the same text, byte for byte, and json_equal once parsed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frames_old.h"
#include "hours.h"
#include "jsonw.h"
#include "protocol.h"
#include "unit.h"

/* ------------------------------------------------------------ helpers */

/* The writer's text of one string value of len bytes. */
static char *
written(const char *s, size_t len)
{
	struct sbuf b;
	char *text;

	sbuf_init(&b);
	jsonw_strn(&b, s, len);
	text = sbuf_take(&b);
	assert_non_null(text);
	return text;
}

/* What jansson writes for the same string (which must be UTF-8). */
static char *
jansson_wrote(const char *s, size_t len)
{
	json_t *v = json_stringn(s, len);
	char *text;

	assert_non_null(v);
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	assert_non_null(text);
	return text;
}

static void
same_as_jansson(const char *s, size_t len)
{
	char *mine = written(s, len), *theirs = jansson_wrote(s, len);

	assert_string_equal(mine, theirs);
	free(mine);
	free(theirs);
}

/* The writer's output parses back to exactly `want` (want_len bytes). */
static void
parses_to(const char *s, size_t len, const char *want, size_t want_len)
{
	char *text = written(s, len);
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!v)
		fail_msg("'%s' does not parse: %s", text, err.text);
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), want_len);
	assert_memory_equal(json_string_value(v), want, want_len);
	json_decref(v);
	free(text);
}

/* ------------------------------------------------------------ strings */

static void
every_control_byte_escaped_as_jansson_does(void **state)
{
	char c;
	int i;

	(void)state;
	for (i = 0; i < 0x20; i++) {
		c = (char)i;
		same_as_jansson(&c, 1);
		parses_to(&c, 1, &c, 1);
	}
}

static void
short_escapes_and_upper_case_hex(void **state)
{
	char *t;

	(void)state;
	t = written("\b\f\n\r\t\x01\x1f\x0b", 8);
	assert_string_equal(t, "\"\\b\\f\\n\\r\\t\\u0001\\u001F\\u000B\"");
	free(t);
	t = written("a\0b", 3);
	assert_string_equal(t, "\"a\\u0000b\"");
	free(t);
	parses_to("a\0b", 3, "a\0b", 3);
}

static void
quote_and_backslash_escaped_slash_and_del_not(void **state)
{
	char *t;

	(void)state;
	t = written("\"\\/\x7f", 4);
	assert_string_equal(t, "\"\\\"\\\\/\x7f\"");
	free(t);
	t = "say \"hi\" \\ back/slash\x7f";
	same_as_jansson(t, strlen(t));
}

static void
utf8_of_each_length_passes_through(void **state)
{
	/* ä (2 bytes), € (3), 😀 (4), U+2028 (3), U+10FFFF (4) */
	static const char *const texts[] = {
		"\xc3\xa4", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xe2\x80\xa8", "\xf4\x8f\xbf\xbf",
		"Hyv\xc3\xa4\xc3\xa4 p\xc3\xa4iv\xc3\xa4\xc3\xa4 \xe2\x82\xac "
		"\xf0\x9f\x98\x80\n\"x\"",
	};
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		same_as_jansson(texts[i], strlen(texts[i]));
		parses_to(texts[i], strlen(texts[i]), texts[i],
			  strlen(texts[i]));
	}
	t = written("\xf0\x9f\x98\x80", 4);
	assert_string_equal(t, "\"\xf0\x9f\x98\x80\"");
	free(t);
}

static void
empty_string_is_two_quotes(void **state)
{
	char *t;

	(void)state;
	t = written("", 0);
	assert_string_equal(t, "\"\"");
	free(t);
	t = written(NULL, 0);
	assert_string_equal(t, "\"\"");
	free(t);
}

/* Each byte that does not start a strict character becomes U+FFFD, and
 * what follows it is kept. */
static void
invalid_utf8_replaced_so_output_parses(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "a\x80z", 3, "a\xef\xbf\xbdz" },              /* lone cont. */
		{ "\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd" },    /* overlong */
		{ "\xed\xa0\x80", 3,                              /* surrogate */
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf5\x80\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd"
		  "\xef\xbf\xbd\xef\xbf\xbd" },                  /* > U+10FFFF */
		{ "x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd" },  /* cut short */
		{ "\xff\"", 2, "\xef\xbf\xbd\"" },
		{ "\xe2\x82\xac\xe2", 4, "\xe2\x82\xac\xef\xbf\xbd" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parses_to(cases[i].in, cases[i].len, cases[i].want,
			  strlen(cases[i].want));
}

static void
every_byte_pair_gives_json_that_parses(void **state)
{
	unsigned char two[2];
	struct sbuf b;
	json_t *v;
	char *text;
	int i, j;

	(void)state;
	for (i = 0; i < 256; i++) {
		for (j = 0; j < 256; j++) {
			two[0] = (unsigned char)i;
			two[1] = (unsigned char)j;
			sbuf_init(&b);
			jsonw_strn(&b, (const char *)two, 2);
			text = sbuf_take(&b);
			assert_non_null(text);
			v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL,
				       NULL);
			if (!json_is_string(v))
				fail_msg("bytes %02x %02x: '%s'", i, j, text);
			json_decref(v);
			free(text);
		}
	}
}

static void
null_string_fails_the_buffer(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b);
	jsonw_obj_begin(&b);
	jsonw_key(&b, "text");
	jsonw_str(&b, NULL);
	jsonw_obj_end(&b);
	assert_true(sbuf_failed(&b));
	assert_null(sbuf_take(&b));
}

/* ----------------------------------------------------------- integers */

static void
integers_at_both_ends(void **state)
{
	static const struct {
		int64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { 7, "7" }, { -1, "-1" }, { 10, "10" },
		{ 1234567890123LL, "1234567890123" },
		{ INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
		{ INT64_MIN + 1, "-9223372036854775807" },
	};
	char out[JSONW_INT_MAX + 1];
	struct sbuf b;
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(jsonw_format_int(cases[i].v, out),
				 strlen(cases[i].want));
		assert_string_equal(out, cases[i].want);
		sbuf_init(&b);
		jsonw_int(&b, cases[i].v);
		t = sbuf_take(&b);
		assert_string_equal(t, cases[i].want);
		free(t);
	}
}

/* ------------------------------------------------------ structure */

static void
commas_keys_and_nesting(void **state)
{
	struct sbuf b;
	char *t;

	(void)state;
	sbuf_init(&b);
	jsonw_obj_begin(&b);
	jsonw_key(&b, "a");
	jsonw_arr_begin(&b);
	jsonw_int(&b, 1);
	jsonw_str(&b, "x");
	jsonw_obj_begin(&b);
	jsonw_obj_end(&b);
	jsonw_arr_begin(&b);
	jsonw_arr_end(&b);
	jsonw_null(&b);
	jsonw_arr_end(&b);
	jsonw_key(&b, "b\"");
	jsonw_bool(&b, true);
	jsonw_key(&b, "c");
	jsonw_bool(&b, false);
	jsonw_key(&b, "d");
	jsonw_raw(&b, "{\"e\":[]}", 8);
	jsonw_obj_end(&b);
	t = sbuf_take(&b);
	assert_string_equal(t, "{\"a\":[1,\"x\",{},[],null],\"b\\\"\":true,"
			       "\"c\":false,\"d\":{\"e\":[]}}");
	free(t);
}

/* jsonw_json writes each kind as jansson dumps it. */
static void
jansson_values_of_each_kind(void **state)
{
	json_t *vals[] = {
		json_string("cid-1 \"\x01\" \xc3\xa4"), json_string(""),
		json_integer(INT64_MIN), json_integer(42), json_true(),
		json_false(), json_null(), json_real(1.5),
		json_pack("{s:i, s:[s, n]}", "a", 1, "b", "c"),
		json_pack("[]"),
	};
	size_t i;
	struct sbuf b;
	char *mine, *theirs;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		assert_non_null(vals[i]);
		sbuf_init(&b);
		jsonw_json(&b, vals[i]);
		mine = sbuf_take(&b);
		theirs = json_dumps(vals[i], JSON_COMPACT | JSON_ENCODE_ANY);
		assert_non_null(mine);
		assert_string_equal(mine, theirs);
		free(mine);
		free(theirs);
		json_decref(vals[i]);
	}
	sbuf_init(&b);
	jsonw_json(&b, NULL);
	assert_null(sbuf_take(&b));
}

/* ---------------------------------------------------------------- time */

static void
time_like_old(time_t t)
{
	char mine[HOURS_RFC3339_MAX], old[40];
	size_t n;

	/* twice: once formatted, once from the per-thread cache */
	n = hours_format_rfc3339(t, mine, sizeof(mine));
	old_format_rfc3339(t, old, sizeof(old));
	assert_string_equal(mine, old);
	assert_int_equal(n, strlen(old));
	n = hours_format_rfc3339(t, mine, sizeof(mine));
	assert_string_equal(mine, old);
	assert_int_equal(n, strlen(old));
}

static void
apply_zone(const char *name)
{
	struct hours zone;

	memset(&zone, 0, sizeof(zone));
	snprintf(zone.timezone, sizeof(zone.timezone), "%s", name);
	if (hours_tz_apply(&zone))
		fail_msg("zone %s", name);
}

/* Old-style and new agree in zones with whole, half-hour, negative and
 * odd historical (seconds-long) offsets, over years 0-9999 and outside. */
static void
time_text_same_as_snprintf_in_many_zones(void **state)
{
	static const char *const zones[] = {
		"Europe/Helsinki", "UTC", "Asia/Kolkata", "America/St_Johns",
		"America/New_York", "Pacific/Kiritimati",
	};
	static const int64_t times[] = {
		0, 1, -1, 1764284400, 1774746000, 1774746000 - 1, 1792890000,
		-2208988800LL, -2524521600LL, 253402300799LL, 253402300800LL,
		-62167219200LL, -62167219201LL, 4102444800LL,
	};
	size_t z, i;

	(void)state;
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		apply_zone(zones[z]);
		for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
			time_like_old((time_t)times[i]);
		for (i = 0; i < 2000; i++)
			time_like_old((time_t)(1700000000 + (int64_t)i * 7919));
	}
	apply_zone("Europe/Helsinki");
}

/* A new zone never gets the last zone's cached text. */
static void
time_cache_follows_the_zone(void **state)
{
	char a[HOURS_RFC3339_MAX], b[HOURS_RFC3339_MAX];

	(void)state;
	apply_zone("UTC");
	hours_format_rfc3339(1764284400, a, sizeof(a));
	assert_string_equal(a, "2025-11-27T23:00:00+00:00");
	apply_zone("Europe/Helsinki");
	hours_format_rfc3339(1764284400, b, sizeof(b));
	assert_string_equal(b, "2025-11-28T01:00:00+02:00");
	/* truncated like snprintf, from the cache too */
	assert_int_equal(hours_format_rfc3339(1764284400, a, 5), 4);
	assert_string_equal(a, "2025");
	assert_int_equal(hours_format_rfc3339(1764284400, a, 0), 0);
}

/* ------------------------------------------------- the differential */

/* xorshift64*: a fixed sequence, so a failure repeats. */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* One character of a message: mostly letters, and every kind that needs
 * care: control bytes (no NUL: texts are C strings), quote, backslash,
 * slash, DEL, and 2-, 3- and 4-byte UTF-8 (no surrogates). */
static size_t
random_char(uint64_t *s, char *out)
{
	uint64_t r = next_random(s);
	uint32_t cp;

	switch (r % 8) {
	case 0:
		out[0] = (char)(1 + (r >> 8) % 0x1f);
		return 1;
	case 1:
		out[0] = "\"\\/\x7f"[(r >> 8) % 4];
		return 1;
	case 2:
		cp = 0x80 + (uint32_t)((r >> 8) % (0x800 - 0x80));
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	case 3:
		cp = 0x800 + (uint32_t)((r >> 8) % (0x10000 - 0x800));
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0x20ac;
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	case 4:
		cp = 0x10000 + (uint32_t)((r >> 8) % (0x110000 - 0x10000));
		out[0] = (char)(0xf0 | cp >> 18);
		out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	default:
		out[0] = (char)(0x20 + (r >> 8) % 0x5f);
		return 1;
	}
}

/* A random text of up to max characters, NUL-terminated in buf. */
static void
random_text(uint64_t *s, char *buf, size_t max)
{
	size_t n = next_random(s) % (max + 1), len = 0, i;

	for (i = 0; i < n; i++)
		len += random_char(s, buf + len);
	buf[len] = '\0';
}

/* A cid of a kind the protocol allows (none, an integer, a string of at
 * most PROTO_MAX_CID bytes), now and then one it does not (the writer
 * must still match jansson). */
static json_t *
random_cid(uint64_t *s)
{
	char text[PROTO_MAX_CID * 4 + 1];
	uint64_t r = next_random(s);

	switch (r % 7) {
	case 0:
		return NULL;
	case 1:
		return json_integer((json_int_t)next_random(s));
	case 2:
		return json_integer(r % 2 ? INT64_MIN : INT64_MAX);
	case 3:
		do
			random_text(s, text, PROTO_MAX_CID / 4);
		while (strlen(text) > PROTO_MAX_CID);
		return json_string(text);
	case 4:
		return json_string("");
	case 5:
		return json_real(0.25);
	default:
		return r % 2 ? json_true() : json_null();
	}
}

static void
same_frames(char *mine, char *old)
{
	json_t *a, *b;

	assert_non_null(mine);
	assert_non_null(old);
	assert_string_equal(mine, old);
	a = json_loads(mine, 0, NULL);
	b = json_loads(old, 0, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	free(mine);
	free(old);
}

static void
msg_frames_same_as_jansson_built(void **state)
{
	static const char *const froms[] = { "resident", "advisor" };
	char text[2000 * 4 + 1];
	uint64_t seed = 0x5eed14f00dULL;
	struct proto_msg m;
	json_t *cid, *viaobj;
	int64_t chat;
	int i;

	(void)state;
	apply_zone("Europe/Helsinki");
	for (i = 0; i < 20000; i++) {
		random_text(&seed, text, i % 10 ? 40 : 2000);
		m.id = i % 50 ? (int64_t)(next_random(&seed) % 100000)
			      : (int64_t)next_random(&seed);
		m.from = froms[i % 2];
		m.text = text;
		m.at = 1764284400 + (int64_t)(next_random(&seed) % 100000000);
		m.redacted = next_random(&seed) % 2;
		cid = random_cid(&seed);
		chat = i % 3 == 0 ? 0
		       : i % 3 == 1 ? (int64_t)(next_random(&seed) % 1000000)
				    : (int64_t)next_random(&seed);
		same_frames(proto_out_msg(&m, cid, chat),
			    old_out_msg(&m, cid, chat));
		/* the history's object (still jansson) agrees too */
		viaobj = proto_msg_json(&m, cid, chat);
		same_frames(proto_out_msg(&m, cid, chat), proto_dump(viaobj));
		json_decref(cid);
	}
}

static void
msg_with_missing_strings_is_no_frame(void **state)
{
	struct proto_msg m = { 1, "resident", NULL, 0, false };

	(void)state;
	assert_null(proto_out_msg(&m, NULL, 0));
	m.text = "x";
	m.from = NULL;
	assert_null(proto_out_msg(&m, NULL, 0));
	assert_null(proto_out_queued(1, NULL, 1, 1, false));
}

static void
queue_frames_same_as_jansson_built(void **state)
{
	static const long waits[] = { -1, 0, 1, 59, 86400, -5 };
	static const size_t positions[] = { 0, 1, 2, 999, 10000, 123456789 };
	size_t p, w;
	int b;

	(void)state;
	for (p = 0; p < sizeof(positions) / sizeof(positions[0]); p++)
		for (w = 0; w < sizeof(waits) / sizeof(waits[0]); w++)
			for (b = 0; b < 2; b++) {
				same_frames(proto_out_position(positions[p],
							       waits[w], b),
					    old_out_position(positions[p],
							     waits[w], b));
				same_frames(proto_out_queued((int64_t)p + 1,
							     "tok\"en/\xc3\xa4",
							     positions[p],
							     waits[w], b),
					    old_out_queued((int64_t)p + 1,
							   "tok\"en/\xc3\xa4",
							   positions[p],
							   waits[w], b));
			}
}

int
test_jsonw_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_control_byte_escaped_as_jansson_does),
		cmocka_unit_test(short_escapes_and_upper_case_hex),
		cmocka_unit_test(quote_and_backslash_escaped_slash_and_del_not),
		cmocka_unit_test(utf8_of_each_length_passes_through),
		cmocka_unit_test(empty_string_is_two_quotes),
		cmocka_unit_test(invalid_utf8_replaced_so_output_parses),
		cmocka_unit_test(every_byte_pair_gives_json_that_parses),
		cmocka_unit_test(null_string_fails_the_buffer),
		cmocka_unit_test(integers_at_both_ends),
		cmocka_unit_test(commas_keys_and_nesting),
		cmocka_unit_test(jansson_values_of_each_kind),
		cmocka_unit_test(time_text_same_as_snprintf_in_many_zones),
		cmocka_unit_test(time_cache_follows_the_zone),
		cmocka_unit_test(msg_frames_same_as_jansson_built),
		cmocka_unit_test(msg_with_missing_strings_is_no_frame),
		cmocka_unit_test(queue_frames_same_as_jansson_built),
	};

	return cmocka_run_group_tests_name("jsonw", tests, unit_setup_helsinki,
					   NULL);
}

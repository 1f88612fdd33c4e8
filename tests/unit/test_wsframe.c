/* test_wsframe.c - the WebSocket frame headers net.c writes itself: each
 * length form at its edges, and batches that a strict reader takes apart
 * into the same frames, in order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"
#include "wsframe.h"

/* The header of a text frame of len bytes: its length, bytes in out. */
static size_t
header(unsigned char *out, size_t len)
{
	memset(out, 0xee, WSFRAME_HEADER_MAX);
	return wsframe_text_header(out, len);
}

static void
empty_frame_has_a_two_byte_header(void **state)
{
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	assert_int_equal(header(h, 0), 2);
	assert_int_equal(h[0], 0x81);   /* FIN, RSV clear, text */
	assert_int_equal(h[1], 0x00);   /* unmasked, length 0 */
	assert_int_equal(h[2], 0xee);   /* nothing written beyond */
}

static void
length_125_is_the_last_seven_bit_length(void **state)
{
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	assert_int_equal(header(h, 125), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 125);
}

static void
length_126_takes_the_sixteen_bit_form(void **state)
{
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	assert_int_equal(header(h, 126), 4);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2], 0x00);
	assert_int_equal(h[3], 126);
	assert_int_equal(h[4], 0xee);
}

static void
a_16_kib_frame_takes_the_sixteen_bit_form(void **state)
{
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	assert_int_equal(header(h, 16 * 1024), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2], 0x40);   /* 16384, network order */
	assert_int_equal(h[3], 0x00);
}

static void
length_65535_is_the_last_sixteen_bit_length(void **state)
{
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	assert_int_equal(header(h, 65535), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2], 0xff);
	assert_int_equal(h[3], 0xff);
}

static void
length_65536_takes_the_sixty_four_bit_form(void **state)
{
	static const unsigned char want[] = {
		0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0
	};
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	assert_int_equal(header(h, 65536), WSFRAME_HEADER_MAX);
	assert_memory_equal(h, want, sizeof(want));
}

static void
a_large_length_is_written_in_network_order(void **state)
{
	static const unsigned char want[] = {
		0x81, 127, 0, 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab
	};
	unsigned char h[WSFRAME_HEADER_MAX];

	(void)state;
	if (sizeof(size_t) < 8)
		skip();
	assert_int_equal(header(h, (size_t)0x0123456789abULL),
			 WSFRAME_HEADER_MAX);
	assert_memory_equal(h, want, sizeof(want));
}

/* A strict reader of a batch, as a browser reads the stream: each frame
 * final, text, unmasked, its length in the shortest form, and the frames
 * filling the batch exactly. Returns the number of frames; their payloads'
 * offsets and lengths in off[] and len[]. Fails the case otherwise. */
static size_t
read_batch(const unsigned char *b, size_t n, size_t *off, size_t *len,
	   size_t max)
{
	size_t at = 0, count = 0;

	while (at < n) {
		uint64_t l;
		size_t h = 2;

		assert_true(count < max);
		assert_true(n - at >= 2);
		assert_int_equal(b[at], 0x81);
		assert_int_equal(b[at + 1] & 0x80, 0);
		l = b[at + 1] & 0x7f;
		if (l == 126) {
			assert_true(n - at >= 4);
			l = (uint64_t)b[at + 2] << 8 | b[at + 3];
			assert_true(l > 125);
			h = 4;
		} else if (l == 127) {
			assert_true(n - at >= 10);
			l = 0;
			for (int i = 0; i < 8; i++)
				l = l << 8 | b[at + 2 + i];
			assert_true(l > 0xffff);
			assert_int_equal(l >> 63, 0);
			h = 10;
		}
		assert_true(n - at - h >= l);
		off[count] = at + h;
		len[count] = (size_t)l;
		count++;
		at += h + (size_t)l;
	}
	return count;
}

static void
a_batch_of_frames_reads_back_as_the_same_frames_in_order(void **state)
{
	static const size_t sizes[] = { 0, 1, 125, 126, 300, 65535, 65536,
					16 * 1024, 7 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	size_t cap = 256 * 1024, used = 0, off[N], len[N], i;
	unsigned char *buf = malloc(cap), *text = malloc(65536);

	(void)state;
	assert_non_null(buf);
	assert_non_null(text);
	for (i = 0; i < N; i++) {
		memset(text, 'a' + (int)i, sizes[i]);
		assert_true(wsframe_append(buf, cap, &used, text, sizes[i]));
	}
	assert_int_equal(read_batch(buf, used, off, len, N), N);
	for (i = 0; i < N; i++) {
		assert_int_equal(len[i], sizes[i]);
		for (size_t j = 0; j < len[i]; j++)
			assert_int_equal(buf[off[i] + j], 'a' + (int)i);
	}
	free(text);
	free(buf);
}

static void
a_frame_that_fills_the_batch_exactly_fits(void **state)
{
	unsigned char buf[2 + 100 + 4 + 200];
	unsigned char text[200];
	size_t used = 0;

	(void)state;
	memset(text, 'x', sizeof(text));
	assert_true(wsframe_append(buf, sizeof(buf), &used, text, 100));
	assert_int_equal(used, 102);
	assert_true(wsframe_append(buf, sizeof(buf), &used, text, 200));
	assert_int_equal(used, sizeof(buf));
	assert_false(wsframe_append(buf, sizeof(buf), &used, text, 0));
	assert_int_equal(used, sizeof(buf));
}

static void
a_frame_one_byte_too_long_is_refused_and_the_batch_untouched(void **state)
{
	unsigned char buf[64], before[64], text[64];
	size_t used = 0;

	(void)state;
	memset(text, 'y', sizeof(text));
	assert_true(wsframe_append(buf, sizeof(buf), &used, text, 10));
	memcpy(before, buf, sizeof(buf));
	/* 12 used, 52 left: a 2-byte header and 50 bytes fit, 51 do not. */
	assert_false(wsframe_append(buf, sizeof(buf), &used, text, 51));
	assert_int_equal(used, 12);
	assert_memory_equal(buf, before, sizeof(buf));
	assert_true(wsframe_append(buf, sizeof(buf), &used, text, 50));
	assert_int_equal(used, 64);
}

static void
a_header_that_does_not_fit_is_refused(void **state)
{
	unsigned char buf[3], text[1] = { 'z' };
	size_t used = 2;

	(void)state;
	assert_false(wsframe_append(buf, sizeof(buf), &used, text, 0));
	assert_int_equal(used, 2);
}

static void
a_used_count_past_the_end_is_refused(void **state)
{
	unsigned char buf[8], text[1] = { 'z' };
	size_t used = 9;

	(void)state;
	assert_false(wsframe_append(buf, sizeof(buf), &used, text, 0));
	assert_int_equal(used, 9);
}

static void
a_length_near_size_max_does_not_wrap_into_a_fit(void **state)
{
	unsigned char buf[16], text[1] = { 'z' };
	size_t used = 0;

	(void)state;
	assert_false(wsframe_append(buf, sizeof(buf), &used, text,
				    (size_t)-1 - 4));
	assert_int_equal(used, 0);
}

int
test_wsframe_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_frame_has_a_two_byte_header),
		cmocka_unit_test(length_125_is_the_last_seven_bit_length),
		cmocka_unit_test(length_126_takes_the_sixteen_bit_form),
		cmocka_unit_test(a_16_kib_frame_takes_the_sixteen_bit_form),
		cmocka_unit_test(length_65535_is_the_last_sixteen_bit_length),
		cmocka_unit_test(length_65536_takes_the_sixty_four_bit_form),
		cmocka_unit_test(a_large_length_is_written_in_network_order),
		cmocka_unit_test(
		    a_batch_of_frames_reads_back_as_the_same_frames_in_order),
		cmocka_unit_test(a_frame_that_fills_the_batch_exactly_fits),
		cmocka_unit_test(
		    a_frame_one_byte_too_long_is_refused_and_the_batch_untouched),
		cmocka_unit_test(a_header_that_does_not_fit_is_refused),
		cmocka_unit_test(a_used_count_past_the_end_is_refused),
		cmocka_unit_test(a_length_near_size_max_does_not_wrap_into_a_fit),
	};

	return cmocka_run_group_tests_name("wsframe", tests, NULL, NULL);
}

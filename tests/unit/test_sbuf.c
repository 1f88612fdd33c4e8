/* test_sbuf.c - the growable string: appends of every kind, growth across
 * many reallocations, embedded NULs, and the sticky failure that lets a
 * builder check once at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sbuf.h"
#include "unit.h"

static void
empty_take_is_an_empty_string(void **state)
{
	struct sbuf b;
	char *s;

	(void)state;
	sbuf_init(&b);
	assert_null(b.s);
	s = sbuf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void
appends_of_each_kind(void **state)
{
	struct sbuf b;
	char *s;

	(void)state;
	sbuf_init(&b);
	sbuf_add(&b, "abcdef", 3);
	sbuf_adds(&b, "-");
	sbuf_addc(&b, 'x');
	sbuf_addf(&b, "[%d|%s|%%]", 42, "y");
	sbuf_add(&b, NULL, 0);
	assert_false(sbuf_failed(&b));
	assert_int_equal(b.len, 13);
	s = sbuf_take(&b);
	assert_string_equal(s, "abc-x[42|y|%]");
	free(s);
}

static void
text_is_terminated_after_each_append(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b);
	sbuf_add(&b, "ab", 2);
	assert_string_equal(b.s, "ab");
	sbuf_addf(&b, "%s", "cd");
	assert_string_equal(b.s, "abcd");
	sbuf_free(&b);
}

static void
embedded_nul_is_kept(void **state)
{
	struct sbuf b;
	char *s;

	(void)state;
	sbuf_init(&b);
	sbuf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	s = sbuf_take(&b);
	assert_memory_equal(s, "a\0b", 4);
	free(s);
}

/* Far past any first capacity, in pieces and in one long printf. */
static void
grows_across_many_reallocations(void **state)
{
	struct sbuf b;
	char *s, *big;
	size_t i, n = 100000;

	(void)state;
	sbuf_init(&b);
	for (i = 0; i < n; i++)
		sbuf_addc(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, n);
	assert_true(b.cap > n);
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'z', n);
	big[n] = '\0';
	sbuf_addf(&b, "<%s>", big);
	s = sbuf_take(&b);
	assert_int_equal(strlen(s), 2 * n + 2);
	assert_int_equal(s[25], 'z');
	assert_int_equal(s[n], '<');
	assert_int_equal(s[2 * n + 1], '>');
	free(s);
	free(big);
}

static void
reserve_makes_room_once(void **state)
{
	struct sbuf b;
	char *before;

	(void)state;
	sbuf_init(&b);
	assert_int_equal(sbuf_reserve(&b, 1000), 0);
	assert_true(b.cap >= 1001);
	before = b.s;
	sbuf_add(&b, "0123456789", 10);
	assert_ptr_equal(b.s, before);
	sbuf_free(&b);
}

/* A length that would wrap size_t fails the buffer without allocating. */
static void
impossible_length_fails(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b);
	sbuf_adds(&b, "kept?");
	sbuf_add(&b, "x", SIZE_MAX);
	assert_true(sbuf_failed(&b));
	assert_null(b.s);
	assert_int_equal(sbuf_reserve(&b, SIZE_MAX - 1), -1);
}

static void
failure_is_sticky_and_take_gives_null(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b);
	sbuf_adds(&b, "before");
	sbuf_fail(&b);
	sbuf_adds(&b, "after");
	sbuf_addf(&b, "%d", 1);
	sbuf_addc(&b, 'c');
	assert_true(sbuf_failed(&b));
	assert_null(b.s);
	assert_int_equal(sbuf_reserve(&b, 1), -1);
	assert_null(sbuf_take(&b));
}

static void
take_and_free_leave_a_fresh_buffer(void **state)
{
	struct sbuf b;
	char *s;

	(void)state;
	sbuf_init(&b);
	sbuf_fail(&b);
	sbuf_free(&b);
	assert_false(sbuf_failed(&b));
	sbuf_adds(&b, "one");
	s = sbuf_take(&b);
	assert_string_equal(s, "one");
	free(s);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	sbuf_adds(&b, "two");
	s = sbuf_take(&b);
	assert_string_equal(s, "two");
	free(s);
}

int
test_sbuf_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_take_is_an_empty_string),
		cmocka_unit_test(appends_of_each_kind),
		cmocka_unit_test(text_is_terminated_after_each_append),
		cmocka_unit_test(embedded_nul_is_kept),
		cmocka_unit_test(grows_across_many_reallocations),
		cmocka_unit_test(reserve_makes_room_once),
		cmocka_unit_test(impossible_length_fails),
		cmocka_unit_test(failure_is_sticky_and_take_gives_null),
		cmocka_unit_test(take_and_free_leave_a_fresh_buffer),
	};

	return cmocka_run_group_tests_name("sbuf", tests, NULL, NULL);
}

/* test_iplimit.c - per-address connection caps, in memory only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "iplimit.h"
#include "unit.h"

static struct iplimit table;

static int
setup(void **state)
{
	(void)state;
	iplimit_init(&table);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	iplimit_clear(&table);
	return 0;
}

static void
admits_up_to_the_cap(void **state)
{
	(void)state;
	assert_true(iplimit_acquire(&table, "192.0.2.1", 2));
	assert_true(iplimit_acquire(&table, "192.0.2.1", 2));
	assert_false(iplimit_acquire(&table, "192.0.2.1", 2));
	assert_int_equal(iplimit_count(&table, "192.0.2.1"), 2);
}

static void
other_addresses_are_counted_apart(void **state)
{
	(void)state;
	assert_true(iplimit_acquire(&table, "192.0.2.1", 1));
	assert_true(iplimit_acquire(&table, "2001:db8::1", 1));
	assert_int_equal(iplimit_count(&table, "192.0.2.1"), 1);
	assert_int_equal(iplimit_count(&table, "2001:db8::1"), 1);
}

static void
release_frees_a_slot(void **state)
{
	(void)state;
	assert_true(iplimit_acquire(&table, "192.0.2.7", 1));
	iplimit_release(&table, "192.0.2.7");
	assert_true(iplimit_acquire(&table, "192.0.2.7", 1));
}

static void
last_release_forgets_the_address(void **state)
{
	(void)state;
	assert_true(iplimit_acquire(&table, "192.0.2.9", 5));
	iplimit_release(&table, "192.0.2.9");
	assert_int_equal(table.addresses, 0);
	assert_int_equal(iplimit_count(&table, "192.0.2.9"), 0);
}

static void
release_of_unknown_address_is_harmless(void **state)
{
	(void)state;
	iplimit_release(&table, "198.51.100.1");
	assert_int_equal(table.addresses, 0);
}

static void
many_addresses_share_buckets_correctly(void **state)
{
	char addr[32];
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i / 65536,
			 (i / 256) % 256, i % 256);
		assert_true(iplimit_acquire(&table, addr, 1));
	}
	assert_int_equal(table.addresses, 10000);
	assert_false(iplimit_acquire(&table, "10.0.1.0", 1));
	for (i = 0; i < 10000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i / 65536,
			 (i / 256) % 256, i % 256);
		iplimit_release(&table, addr);
	}
	assert_int_equal(table.addresses, 0);
}

int
test_iplimit_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(admits_up_to_the_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(other_addresses_are_counted_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(release_frees_a_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(last_release_forgets_the_address, setup, teardown),
		cmocka_unit_test_setup_teardown(release_of_unknown_address_is_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(many_addresses_share_buckets_correctly, setup, teardown),
	};

	return cmocka_run_group_tests_name("iplimit", tests, NULL, NULL);
}

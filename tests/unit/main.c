/*
 * main.c - the one runner of neuvo's unit tests: every module's group, in
 * turn. Exits non-zero when any case fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

int
main(void)
{
	int failed = 0;

	failed += test_queue_run();
	failed += test_auth_run();
	failed += test_iplimit_run();
	failed += test_hours_run();
	failed += test_config_run();
	failed += test_protocol_run();
	failed += test_redact_run();
	failed += test_redact_corpus_run();
	failed += test_stats_run();
	failed += test_report_run();
	failed += test_mail_run();
	failed += test_addr_run();
	failed += test_limits_run();
	failed += test_store_run();
	failed += test_throttle_run();
	failed += test_overload_run();
	failed += test_frames_run();
	failed += test_chat_run();
	failed += test_positions_run();
	failed += test_utf8_run();
	failed += test_sbuf_run();
	failed += test_base64_run();
	failed += test_notify_run();
	failed += test_waits_run();
	failed += test_guard_run();
	failed += test_chat_limits_run();
	failed += test_desk_run();
	failed += test_questions_run();
	failed += test_wsframe_run();
	failed += test_cidset_run();
	failed += test_idmap_run();
	failed += test_jsonw_run();
	return failed ? 1 : 0;
}

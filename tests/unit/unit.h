/* unit.h - the groups of unit tests, and the fixtures they share. */
#ifndef NEUVO_UNIT_H
#define NEUVO_UNIT_H

#include <time.h>

#include "hours.h"

/*
 * Fixtures shared by the groups (fixtures.c). They fail the running cmocka
 * case (fail_msg) instead of returning an error, so call them only inside
 * a case or a setup.
 */

/* Group setup: make Europe/Helsinki the process zone (TZ), as the server
 * does with its configured zone. Returns 0, or -1 when tzdata lacks it. */
int unit_setup_helsinki(void **state);

/* Parse text ("09:00-11:00, 13:00-15:00", "closed") into *day, or fail the
 * case naming the text and the reason. */
void unit_set_day(struct hours_day *day, const char *text);

/* Overwrite *h with the usual test week: zone Europe/Helsinki, Monday to
 * Friday 09:00-11:00, Saturday and Sunday closed, no exceptions (so
 * hours_free has nothing to free until the caller adds some). */
void unit_weekday_hours(struct hours *h);

/* The instant of a UTC calendar time (timegm), so that an expected value
 * does not lean on the zone code under test. */
time_t unit_utc(int year, int month, int day, int hour, int min, int sec);

/* The groups of unit tests; one function per module's test file. */
int test_queue_run(void);
int test_auth_run(void);
int test_iplimit_run(void);
int test_hours_run(void);
int test_config_run(void);
int test_protocol_run(void);
int test_redact_run(void);
int test_redact_corpus_run(void);
int test_stats_run(void);
int test_report_run(void);
int test_mail_run(void);
int test_addr_run(void);
int test_limits_run(void);
int test_store_run(void);
int test_throttle_run(void);
int test_overload_run(void);
int test_frames_run(void);
int test_chat_run(void);
int test_positions_run(void);
int test_utf8_run(void);
int test_sbuf_run(void);
int test_base64_run(void);
int test_notify_run(void);
int test_waits_run(void);
int test_guard_run(void);
int test_chat_limits_run(void);
int test_desk_run(void);
int test_questions_run(void);
int test_wsframe_run(void);
int test_cidset_run(void);
int test_idmap_run(void);
int test_jsonw_run(void);

#endif

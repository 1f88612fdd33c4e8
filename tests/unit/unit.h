/* unit.h - the groups of unit tests; one function per module's test file. */
#ifndef NEUVO_UNIT_H
#define NEUVO_UNIT_H

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
int test_utf8_run(void);
int test_sbuf_run(void);
int test_base64_run(void);

#endif

/*
 * smtp.h - the one SMTP worker thread (libcurl) that hands rendered email
 * copies to the configured mail server, so the event loop never waits on
 * the network (issue 5).
 *
 * Threads: smtp_start, smtp_submit, smtp_take, smtp_stop and smtp_free are called on
 * the event-loop thread only. The worker thread touches only the job queue
 * and result queue inside struct smtp (under its mutex) and the job it has
 * taken out. When it has put a result in the result queue it calls the
 * `wake` function given to smtp_start from the worker thread; that function
 * must be safe to call from any thread (main's calls uv_async_send on a
 * handle of its loop), and the loop then collects results with smtp_take.
 *
 * Privacy: a job holds the recipient address only in memory, and it is
 * wiped (OPENSSL_cleanse-like memset) before it is freed. Nothing here logs
 * an address or a message.
 */
#ifndef NEUVO_SMTP_H
#define NEUVO_SMTP_H

#include <stdbool.h>
#include <stdint.h>

struct smtp;

#define SMTP_QUEUE_MAX 64       /* jobs waiting for the worker */

/* Where and how to send; copied into each job (a SIGHUP reload applies to
 * jobs submitted after it). All strings borrowed for the call. */
struct smtp_settings {
	const char *url;        /* smtp://host:port or smtps://host:port */
	const char *from;
	const char *username;   /* "" = no login */
	const char *password;
	const char *ca_file;    /* "" = the system's CAs */
	bool starttls_required;
	long connect_timeout_s;
	long total_timeout_s;
};

enum smtp_outcome {
	SMTP_SENT,              /* the server took it (2xx after DATA) */
	SMTP_TEMPORARY,         /* connection failed, timeout, TLS, 4xx */
	SMTP_PERMANENT          /* 5xx: do not try again */
};

/* One finished job, as smtp_take returns it. */
struct smtp_result {
	int64_t id;             /* the caller's id given to smtp_submit */
	enum smtp_outcome outcome;
	int code;               /* last SMTP reply code, 0 when none */
};

/*
 * Start the worker. wake(arg) is called from the worker thread each time a
 * result is ready. Returns the worker (owned by the caller, ended with
 * smtp_free) or NULL (logged) when curl or the thread cannot start.
 */
struct smtp *smtp_start(void (*wake)(void *arg), void *arg);

/*
 * Queue one message for `to`. Copies settings, to and message (the caller
 * keeps its own). Returns 0, 1 when the queue is full (try again later), or
 * -1 on OOM.
 */
int smtp_submit(struct smtp *w, const struct smtp_settings *set, int64_t id,
		const char *to, const char *message);

/* Take one finished result: 1 and *out filled, 0 when there is none. */
int smtp_take(struct smtp *w, struct smtp_result *out);

/* Jobs submitted and not yet taken back with smtp_take. */
int smtp_in_flight(struct smtp *w);

/*
 * Stop: a transfer in progress is aborted within about a second, waiting
 * jobs are dropped (they stay in the caller's outbox) and the thread is
 * joined. Results of transfers that finished, also the one cut short, stay
 * for smtp_take, so that the caller can record them before it goes.
 * Calling it twice, or with NULL, is a no-op.
 */
void smtp_stop(struct smtp *w);

/* Stop if not yet stopped, drop untaken results and free the worker.
 * NULL is a no-op. */
void smtp_free(struct smtp *w);

#endif

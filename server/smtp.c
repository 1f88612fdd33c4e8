/*
 * smtp.c - the SMTP worker (see smtp.h): one thread, a bounded job queue
 * and a result queue under one mutex, libcurl for the protocol.
 *
 * The service (on the event loop) submits rendered messages; the worker
 * sends one at a time and puts back SENT, TEMPORARY or PERMANENT, then
 * wakes the loop. Retries, the outbox and the address's deletion are the
 * service's and the store's business: this file only talks SMTP.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp.h"

/* One message to send; owned by the queue, then by the worker while it
 * sends it; wiped and freed by job_free. */
struct job {
	struct job *next;
	int64_t id;
	char *url, *from, *username, *password, *ca_file;
	bool starttls_required;
	long connect_timeout_s, total_timeout_s;
	char *to;
	char *message;
	size_t len, pos;        /* bytes of message, bytes already read */
};

/* One result waiting for smtp_take; owned by the result queue. */
struct result {
	struct result *next;
	struct smtp_result r;
};

/* The worker; owned by the caller of smtp_start. Fields below `mu` are
 * shared by both threads and only touched with mu held, except `stopping`
 * (atomic, read by curl's progress callback). */
struct smtp {
	pthread_t thread;
	void (*wake)(void *arg);
	void *arg;
	atomic_int stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	int n_jobs;
	struct result *rhead, *rtail;
	int in_flight;          /* submitted, not yet taken back */
	bool joined;            /* smtp_stop has run (loop thread only) */
};

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void
wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void
job_free(struct job *j)
{
	if (!j)
		return;
	free(j->url);
	free(j->from);
	free(j->username);
	wipe_free(j->password);
	free(j->ca_file);
	wipe_free(j->to);
	wipe_free(j->message);
	free(j);
}

static struct job *
job_new(const struct smtp_settings *set, int64_t id, const char *to,
	const char *message)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->id = id;
	j->url = dup_or_empty(set->url);
	j->from = dup_or_empty(set->from);
	j->username = dup_or_empty(set->username);
	j->password = dup_or_empty(set->password);
	j->ca_file = dup_or_empty(set->ca_file);
	j->to = dup_or_empty(to);
	j->message = dup_or_empty(message);
	j->starttls_required = set->starttls_required;
	j->connect_timeout_s = set->connect_timeout_s;
	j->total_timeout_s = set->total_timeout_s;
	if (!j->url || !j->from || !j->username || !j->password ||
	    !j->ca_file || !j->to || !j->message) {
		job_free(j);
		return NULL;
	}
	j->len = strlen(j->message);
	return j;
}

/* ------------------------------------------------------------- sending */

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *userp)
{
	struct job *j = userp;
	size_t n = size * nitems, left = j->len - j->pos;

	if (n > left)
		n = left;
	memcpy(buf, j->message + j->pos, n);
	j->pos += n;
	return n;
}

/* Abort a transfer when the worker is being stopped. */
static int
progress_cb(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut,
	    curl_off_t un)
{
	struct smtp *w = p;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&w->stopping) ? 1 : 0;
}

static CURLcode
set_options(CURL *c, struct smtp *w, struct job *j, struct curl_slist *rcpt,
	    char *from)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val) if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val)
	SET(CURLOPT_URL, j->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_MAIL_FROM, from);
	SET(CURLOPT_MAIL_RCPT, rcpt);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, j);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, progress_cb);
	SET(CURLOPT_XFERINFODATA, w);
	SET(CURLOPT_CONNECTTIMEOUT, j->connect_timeout_s);
	SET(CURLOPT_TIMEOUT, j->total_timeout_s);
	SET(CURLOPT_USE_SSL, j->starttls_required ? (long)CURLUSESSL_ALL
						  : (long)CURLUSESSL_NONE);
	if (j->ca_file[0])
		SET(CURLOPT_CAINFO, j->ca_file);
	if (j->username[0]) {
		SET(CURLOPT_USERNAME, j->username);
		SET(CURLOPT_PASSWORD, j->password);
	}
#undef SET
	return rc;
}

/* 5xx is permanent; everything else (no answer, TLS, 4xx) may pass. */
static enum smtp_outcome
classify(CURLcode rc, long code)
{
	if (rc == CURLE_OK)
		return SMTP_SENT;
	if (code >= 500 && code <= 599)
		return SMTP_PERMANENT;
	return SMTP_TEMPORARY;
}

static struct smtp_result
send_job(struct smtp *w, struct job *j)
{
	struct smtp_result r = { j->id, SMTP_TEMPORARY, 0 };
	struct curl_slist *rcpt = NULL, *tmp;
	char from[300], to[300];
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	long code = 0;

	snprintf(from, sizeof(from), "<%s>", j->from);
	snprintf(to, sizeof(to), "<%s>", j->to);
	tmp = curl_slist_append(rcpt, to);
	explicit_bzero(to, sizeof(to));
	if (c && tmp) {
		rcpt = tmp;
		rc = set_options(c, w, j, rcpt, from);
		if (rc == CURLE_OK)
			rc = curl_easy_perform(c);
		if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code))
			code = 0;
	}
	r.outcome = classify(rc, code);
	r.code = (int)code;
	if (r.outcome != SMTP_SENT)
		log_warn("smtp: copy %lld not sent: %s (reply %ld)",
			 (long long)j->id, curl_easy_strerror(rc), code);
	if (rcpt)
		explicit_bzero(rcpt->data, strlen(rcpt->data));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return r;
}

/* ------------------------------------------------------------- threads */

static void
push_result(struct smtp *w, const struct smtp_result *r)
{
	struct result *n = calloc(1, sizeof(*n));

	pthread_mutex_lock(&w->mu);
	if (n) {
		n->r = *r;
		if (w->rtail)
			w->rtail->next = n;
		else
			w->rhead = n;
		w->rtail = n;
	} else {
		/* Lost result: the row stays in the outbox and is retried
		 * after the next restart. */
		w->in_flight--;
		log_err("smtp: out of memory, result of copy %lld lost",
			(long long)r->id);
	}
	pthread_mutex_unlock(&w->mu);
}

/* Wait for a job; NULL when stopping. */
static struct job *
next_job(struct smtp *w)
{
	struct job *j;

	pthread_mutex_lock(&w->mu);
	while (!w->head && !atomic_load(&w->stopping))
		pthread_cond_wait(&w->cv, &w->mu);
	j = atomic_load(&w->stopping) ? NULL : w->head;
	if (j) {
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		w->n_jobs--;
	}
	pthread_mutex_unlock(&w->mu);
	return j;
}

static void *
worker(void *arg)
{
	struct smtp *w = arg;
	struct smtp_result r;
	struct job *j;

	while ((j = next_job(w)) != NULL) {
		r = send_job(w, j);
		job_free(j);
		/* Kept even when stopping: a copy handed over just now must
		 * not be sent again after the restart. */
		push_result(w, &r);
		if (atomic_load(&w->stopping))
			break;
		w->wake(w->arg);
	}
	return NULL;
}

struct smtp *
smtp_start(void (*wake)(void *arg), void *arg)
{
	struct smtp *w;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("smtp: curl_global_init failed");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto fail;
	w->wake = wake;
	w->arg = arg;
	atomic_init(&w->stopping, 0);
	if (pthread_mutex_init(&w->mu, NULL))
		goto fail;
	if (pthread_cond_init(&w->cv, NULL)) {
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, worker, w)) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	return w;
fail:
	log_err("smtp: cannot start the worker");
	free(w);
	curl_global_cleanup();
	return NULL;
}

int
smtp_submit(struct smtp *w, const struct smtp_settings *set, int64_t id,
	    const char *to, const char *message)
{
	struct job *j;

	pthread_mutex_lock(&w->mu);
	if (w->n_jobs >= SMTP_QUEUE_MAX) {
		pthread_mutex_unlock(&w->mu);
		return 1;
	}
	pthread_mutex_unlock(&w->mu);
	j = job_new(set, id, to, message);
	if (!j)
		return -1;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->n_jobs++;
	w->in_flight++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
smtp_take(struct smtp *w, struct smtp_result *out)
{
	struct result *n;

	pthread_mutex_lock(&w->mu);
	n = w->rhead;
	if (n) {
		w->rhead = n->next;
		if (!w->rhead)
			w->rtail = NULL;
		w->in_flight--;
	}
	pthread_mutex_unlock(&w->mu);
	if (!n)
		return 0;
	*out = n->r;
	free(n);
	return 1;
}

int
smtp_in_flight(struct smtp *w)
{
	int n;

	pthread_mutex_lock(&w->mu);
	n = w->in_flight;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void
smtp_stop(struct smtp *w)
{
	struct job *j;

	if (!w || w->joined)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stopping, 1);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (pthread_join(w->thread, NULL))
		log_err("smtp: cannot join the worker");
	w->joined = true;
	while ((j = w->head) != NULL) {
		w->head = j->next;
		job_free(j);
	}
	w->tail = NULL;
}

void
smtp_free(struct smtp *w)
{
	struct result *r;

	if (!w)
		return;
	smtp_stop(w);
	while ((r = w->rhead) != NULL) {
		w->rhead = r->next;
		free(r);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	curl_global_cleanup();
}

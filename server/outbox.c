/*
 * outbox.c - email copies of a chat (issue 5): the resident's request, the
 * outbox in the store, hand-over to the SMTP worker, and what its results
 * mean.
 *
 * A request puts a row in the store's outbox (the address, nothing else of
 * the resident's). Once the chat has ended, outbox_scan renders the copy
 * from the stored (redacted) messages (mail.c), stores it in the row and
 * hands it to the SMTP worker (smtp.h); svc_on_wake takes the results back
 * on the loop thread: sent or refused for good -> the row is deleted and,
 * after the commit, the WAL checkpointed (service.c); a temporary failure
 * -> tried again later (backoff), for up to EMAIL_GIVE_UP_S. The whole
 * server asks for at most smtp_max_per_hour copies per clock hour.
 *
 * The worker is main's: it starts and stops it and tells the service with
 * svc_set_mailer. Everything here runs on the loop thread.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "log.h"
#include "mail.h"
#include "svc_internal.h"

#define EMAIL_GIVE_UP_S (24 * 3600)
#define EMAIL_CONNECT_TIMEOUT_S 10L
#define EMAIL_TOTAL_TIMEOUT_S 60L

/* An outbox row read for dispatch; strings are heap copies (the address
 * wiped when freed), owned by the scan that read it. */
struct email_row {
	int64_t id, chat_id;
	char *addr, *lang, *message;
	int attempts;
	int64_t created_at;
};

/* One scan's due rows, on outbox_scan's stack. */
struct email_scan {
	struct svc *s;
	struct email_row rows[SMTP_QUEUE_MAX];
	int n;
};

/* Backoff multiples of [smtp] retry_min_s: 1, 2, 5, 10, 30 min, then
 * hourly with the default 60 s. */
static int64_t
email_backoff(const struct svc *s, int attempts)
{
	static const int steps[] = { 1, 2, 5, 10, 30, 60 };
	int i = attempts - 1;

	if (i < 0)
		i = 0;
	if (i > 5)
		i = 5;
	return (int64_t)steps[i] * s->cfg->smtp_retry_min_s;
}

/* The whole server's hourly cap (fixed clock hours). */
static bool
email_cap_reached(struct svc *s, int64_t now)
{
	int64_t hour = now - now % 3600;

	if (hour != s->mail.hour) {
		s->mail.hour = hour;
		s->mail.hour_count = 0;
	}
	return s->mail.hour_count >= s->cfg->smtp_max_per_hour;
}

static struct mail_sending *
email_sending(struct svc *s, int64_t id)
{
	int i;

	for (i = 0; i < s->mail.n_sending; i++)
		if (s->mail.sending[i].id == id)
			return &s->mail.sending[i];
	return NULL;
}

/* Messages of a chat as mail lines; texts are heap copies. */
struct email_lines {
	struct mail_line *v;
	size_t n, cap;
	bool oom;
};

static int
email_line_add(void *ctx, const struct store_msg *m)
{
	struct email_lines *l = ctx;
	struct mail_line *grown;
	char *text;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		grown = realloc(l->v, cap * sizeof(*grown));
		if (!grown) {
			l->oom = true;
			return 1;
		}
		l->v = grown;
		l->cap = cap;
	}
	text = strdup(m->text);
	if (!text) {
		l->oom = true;
		return 1;
	}
	l->v[l->n++] = (struct mail_line){ !strcmp(m->from, "advisor"), m->at,
					   text };
	return 0;
}

static void
email_lines_free(struct email_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free((char *)l->v[i].text);
	free(l->v);
}

/* Render the copy of row o's chat; heap string or NULL. */
static char *
email_render(struct svc *s, const struct email_row *o)
{
	struct email_lines lines = { NULL, 0, 0, false };
	unsigned char raw[16];
	char msgid[33];
	struct mail_copy m;
	char *text = NULL;
	int i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	for (i = 0; i < 16; i++)
		snprintf(msgid + 2 * i, 3, "%02x", raw[i]);
	if (store_messages_each(s->st, o->chat_id, email_line_add, &lines) == 0
	    && !lines.oom) {
		m = (struct mail_copy){ o->lang, s->cfg->smtp_from, o->addr,
					msgid, svc_now(s), &s->cfg->hours,
					lines.v, lines.n };
		text = mail_render(&m);
	}
	email_lines_free(&lines);
	return text;
}

/* A row is gone: handed over (sent) or given up. */
static void
email_row_done(struct svc *s, int64_t id, bool sent)
{
	if (store_outbox_delete(s->st, id)) {
		log_err("service: email copy %lld not deleted", (long long)id);
		return;
	}
	s->wal_dirty = true;
	if (s->mail.outbox_len > 0)
		s->mail.outbox_len--;
	if (sent)
		s->mail.sent++;
	else
		s->mail.given_up++;
	log_info("service: email copy %lld %s", (long long)id,
		 sent ? "handed to the mail server" : "given up");
}

static void
email_settings(const struct svc *s, struct smtp_settings *set)
{
	const struct config *c = s->cfg;

	*set = (struct smtp_settings){ c->smtp_url, c->smtp_from,
		c->smtp_username, c->smtp_password, c->smtp_ca_file,
		c->smtp_starttls_required, EMAIL_CONNECT_TIMEOUT_S,
		EMAIL_TOTAL_TIMEOUT_S };
}

/* Hand one due row to the worker, rendering it first if need be. */
static void
email_dispatch(struct svc *s, struct email_row *o)
{
	struct smtp_settings set;
	int rc;

	if (!o->message) {
		o->message = email_render(s, o);
		if (!o->message ||
		    store_outbox_set_message(s->st, o->id, o->message)) {
			log_err("service: email copy %lld cannot be rendered",
				(long long)o->id);
			email_row_done(s, o->id, false);
			return;
		}
	}
	email_settings(s, &set);
	rc = smtp_submit(s->mail.worker, &set, o->id, o->addr, o->message);
	if (rc)
		return;                 /* queue full or OOM: next scan */
	s->mail.sending[s->mail.n_sending++] = (struct mail_sending){
		o->id, o->attempts, o->created_at };
}

static void
email_row_free(struct email_row *o)
{
	if (o->addr)
		explicit_bzero(o->addr, strlen(o->addr));
	free(o->addr);
	free(o->lang);
	free(o->message);
}

/* Collect due rows (copied: the store's strings live only in the call). */
static int
email_collect(void *ctx, const struct store_outbox *row)
{
	struct email_scan *sc = ctx;
	struct email_row *o;

	if (sc->n == SMTP_QUEUE_MAX)
		return 1;
	if (email_sending(sc->s, row->id))
		return 0;
	if (!row->message) {
		struct chat *c = chat_find(sc->s, row->chat_id);

		if (c && c->state != CHAT_ENDED)
			return 0;       /* goes when the chat ends */
	}
	o = &sc->rows[sc->n];
	*o = (struct email_row){ row->id, row->chat_id, strdup(row->addr),
		strdup(row->lang), row->message ? strdup(row->message) : NULL,
		row->attempts, row->created_at };
	if (!o->addr || !o->lang || (row->message && !o->message)) {
		email_row_free(o);
		return 1;
	}
	sc->n++;
	return 0;
}

/* With no mail server to try them (SMTP taken out of the config, or the
 * worker failed to start), copies still go after EMAIL_GIVE_UP_S: the address
 * is kept no longer than with one. */
static void
outbox_expire(struct svc *s, int64_t now)
{
	int64_t n;

	if (store_outbox_expire(s->st, now - EMAIL_GIVE_UP_S, &n)) {
		log_err("service: old email copies not given up");
		return;
	}
	if (n == 0)
		return;
	s->wal_dirty = true;
	s->mail.outbox_len = n > s->mail.outbox_len ? 0 : s->mail.outbox_len - n;
	s->mail.given_up += (uint64_t)n;
	log_info("service: %lld email copies given up: no mail server "
		 "configured", (long long)n);
}

void
outbox_scan(struct svc *s, int64_t now)
{
	struct email_scan sc;
	int i;

	if (s->mail.outbox_len == 0)
		return;
	if (!s->mail.worker || !s->cfg->smtp_url[0]) {
		if (now >= s->mail.next_scan) {
			s->mail.next_scan = now + 60;
			outbox_expire(s, now);
		}
		return;
	}
	if (s->mail.held || (!s->mail.scan_now && now < s->mail.next_scan))
		return;
	s->mail.scan_now = false;
	s->mail.next_scan = now + 1;
	sc.s = s;
	sc.n = 0;
	if (store_outbox_each(s->st, now, email_collect, &sc))
		log_err("service: outbox not read");
	for (i = 0; i < sc.n; i++) {
		if (s->mail.n_sending < SMTP_QUEUE_MAX)
			email_dispatch(s, &sc.rows[i]);
		email_row_free(&sc.rows[i]);
	}
}

void
outbox_chat_ended(struct svc *s)
{
	s->mail.scan_now = true;
}

void
outbox_recount(struct svc *s)
{
	if (store_outbox_count(s->st, &s->mail.outbox_len))
		s->mail.outbox_len = 0;
}

static void
email_result(struct svc *s, const struct smtp_result *r, int64_t now)
{
	struct mail_sending *m = email_sending(s, r->id), done;

	if (!m)
		return;
	done = *m;
	*m = s->mail.sending[--s->mail.n_sending];
	if (r->outcome == SMTP_SENT || r->outcome == SMTP_PERMANENT ||
	    now - done.created_at >= EMAIL_GIVE_UP_S) {
		email_row_done(s, r->id, r->outcome == SMTP_SENT);
		return;
	}
	done.attempts++;
	if (store_outbox_retry(s->st, r->id, done.attempts,
			       now + email_backoff(s, done.attempts)))
		log_err("service: email copy %lld retry not stored",
			(long long)r->id);
	s->mail.retried++;
}

void
svc_on_wake(struct svc *s)
{
	struct smtp_result r;
	int64_t now = svc_now(s);

	if (!s->mail.worker)
		return;
	while (smtp_take(s->mail.worker, &r) == 1)
		email_result(s, &r, now);
}

void
svc_set_mailer(struct svc *s, struct smtp *w)
{
	s->mail.worker = w;
	s->mail.n_sending = 0;
	s->mail.scan_now = true;
}

void
svc_hold_mail(struct svc *s, bool hold)
{
	s->mail.held = hold;
	if (!hold)
		s->mail.scan_now = true;
}

void
outbox_on_email(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;
	int64_t now = svc_now(s), id;

	if (!c || !c->taken_at) {
		svc_send_error(s, p, "not_allowed",
			       "a copy can be asked for once an advisor has joined");
		return;
	}
	if (c->email_requested) {
		svc_send_error(s, p, "email_limit", "one copy per chat");
		return;
	}
	if (!s->cfg->smtp_url[0] || !s->mail.worker) {
		svc_send_error(s, p, "email_unavailable",
			       "email copies are not available");
		return;
	}
	if (!mail_address_ok(in->to)) {
		svc_send_error(s, p, "invalid_email",
			       "not one valid email address");
		return;
	}
	if (email_cap_reached(s, now)) {
		svc_send_error(s, p, "email_unavailable",
			       "too many copies this hour, try again later");
		return;
	}
	if (store_outbox_add(s->st, c->id, in->to, c->lang, now, &id)) {
		svc_send_error(s, p, "email_unavailable", "not saved, try again");
		return;
	}
	c->email_requested = true;
	s->mail.hour_count++;
	s->mail.outbox_len++;
	s->mail.scan_now = c->state == CHAT_ENDED;
	svc_send(s, p, proto_out_email_queued());
}

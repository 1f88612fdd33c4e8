/*
 * questions.c - "Closed? Leave a question." (CONTRACT.md section 9): the
 * rules between a resident who finds the chat closed, the advisors who
 * answer later, and the pickup of the answer at any hour.
 *
 * A hello answered `closed` keeps its connection (QUESTIONS_IDLE_S without
 * a frame closes it) for one `question`. The question is redacted like any
 * resident text and stored with the digest of a fresh pickup code
 * (qcode.h); the code itself goes to the resident once, in
 * `question_saved`, and nowhere else. `pickup` with the code shows the
 * question and its answer, if any, on any connection at any time; wrong
 * codes are counted per client address (guard.h, keyed hash, memory only)
 * and the tenth in an hour stops that address's pickups with
 * `rate_limited`. Questions per address and hour are capped the same way.
 *
 * Advisors ask for the open questions once (`questions`) and then get the
 * list again whenever it changes (coalesced in svc_tick). An `answer` is
 * redacted like an advisor's message. With an email address given, the
 * answer is rendered at once (mail.c) into the outbox (outbox.c sends it
 * like a copy of a chat) and the address leaves the question row in the
 * same transaction, so it lives exactly as long as a copy's. Questions go
 * question_days after they were asked, answer and address with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "mail.h"
#include "qcode.h"
#include "redact.h"
#include "svc_internal.h"

#define QUESTIONS_BAD_CODES_MAX 10  /* wrong pickup codes an hour */
/* Open questions at most, whoever asks: the per-address cap cannot stop a
 * visitor with very many addresses from filling the disk. */
#define QUESTIONS_OPEN_MAX 5000
#define QUESTIONS_EXPIRE_EVERY_S 60

_Static_assert(QCODE_DIGEST_LEN == STORE_DIGEST_LEN,
	       "a code's digest is stored as a digest");

/* The oldest asked_at that has not expired at `now`. */
static int64_t
questions_since(const struct svc *s, int64_t now)
{
	return now - (int64_t)s->cfg->question_days * 86400;
}

void
questions_recount(struct svc *s)
{
	if (store_questions_open_count(s->st, questions_since(s, svc_now(s)),
				       &s->q.open))
		s->q.open = 0;
	s->q.dirty = true;
}

bool
questions_offer(struct svc *s, struct peer *p, int64_t now)
{
	if (!s->cfg->questions || s->draining)
		return false;
	p->q_offered = true;
	p->q_idle = true;
	p->last_frame = now;
	return true;
}

/* ------------------------------------------------------------- question */

/* Why p may not leave a question now, or NULL when it may. */
static const char *
question_refusal(const struct svc *s, const struct peer *p)
{
	if (!s->cfg->questions)
		return "questions are not taken";
	if (p->chat || !p->q_offered)
		return "a question can be left once the chat has answered "
		       "closed";
	if (p->q_asked)
		return "one question per connection";
	return NULL;
}

/* The checks of the optional fields; true when answered with an error. */
static bool
question_fields_bad(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (in->lang && !config_has_language(s->cfg, in->lang)) {
		svc_send_error(s, p, "bad_field", "unknown 'lang'");
		return true;
	}
	if (!in->to)
		return false;
	if (!mail_address_ok(in->to)) {
		svc_send_error(s, p, "invalid_email",
			       "not one valid email address");
		return true;
	}
	if (!s->cfg->smtp_url[0] || !s->mail.worker) {
		svc_send_error(s, p, "email_unavailable",
			       "email is not available; leave the question "
			       "without it");
		return true;
	}
	return false;
}

/* Store the question; the code goes into `code`. Returns 0 or -1 (the
 * store's failure; nothing was answered). */
static int
question_store(struct svc *s, const struct proto_in *in, const char *lang,
	       int64_t now, char code[QCODE_LEN + 1])
{
	uint8_t digest[QCODE_DIGEST_LEN];
	unsigned found = 0;
	char *clean;
	int64_t id;
	int rc = -1;

	clean = redact_text(in->text, strlen(in->text), &found);
	if (!clean)
		return -1;
	if (qcode_new(code, digest) == 0)
		rc = store_question_add(s->st, digest, clean, lang, now, in->to,
					&id);
	free(clean);
	return rc;
}

void
questions_on_question(struct svc *s, struct peer *p, const struct proto_in *in)
{
	const char *why = question_refusal(s, p);
	int64_t now = svc_now(s);
	char code[QCODE_LEN + 1];

	if (why) {
		svc_send_error(s, p, "not_allowed", why);
		return;
	}
	if (question_fields_bad(s, p, in))
		return;
	if (guard_tally(s->lim.guard, &p->addr, GUARD_QUESTIONS, now) >=
	    s->cfg->questions_per_address_per_hour) {
		svc_send_error(s, p, "rate_limited",
			       "too many questions from here this hour");
		return;
	}
	if (s->q.open >= QUESTIONS_OPEN_MAX) {
		svc_send_error(s, p, "rate_limited",
			       "too many questions waiting; try again later");
		return;
	}
	if (question_store(s, in, in->lang ? in->lang
					   : s->cfg->default_language,
			   now, code)) {
		svc_write_failed(s, p, "not saved, try again");
		return;
	}
	guard_tally_add(s->lim.guard, &p->addr, GUARD_QUESTIONS, now);
	svc_stat(s, now, STATS_QUESTION, 0, NULL);
	p->q_asked = true;
	s->q.open++;
	s->q.dirty = true;
	svc_send(s, p, proto_out_question_saved(code));
	OPENSSL_cleanse(code, sizeof(code));
}

/* --------------------------------------------------------------- pickup */

/* What a pickup found: the frame, built while the row is at hand. */
static void
pickup_found(void *ctx, const struct store_question *q)
{
	char **frame = ctx;

	*frame = proto_out_answer(q->text, q->answer, q->answered_at);
	if (!*frame)
		log_err("service: out of memory answering a pickup");
}

void
questions_on_pickup(struct svc *s, struct peer *p, const struct proto_in *in)
{
	int64_t now = svc_now(s);
	uint8_t digest[QCODE_DIGEST_LEN];
	char code[QCODE_LEN + 1], *frame = NULL;
	int rc = 0;

	if (!p->chat)
		p->q_idle = true;
	if (guard_tally(s->lim.guard, &p->addr, GUARD_BAD_CODES, now) >=
	    QUESTIONS_BAD_CODES_MAX) {
		svc_send_error(s, p, "rate_limited",
			       "too many wrong codes from here this hour");
		return;
	}
	if (qcode_normalise(in->code, code) == 0) {
		qcode_digest(code, digest);
		rc = store_question_by_code(s->st, digest,
					    questions_since(s, now),
					    pickup_found, &frame);
	}
	OPENSSL_cleanse(code, sizeof(code));
	if (rc < 0) {
		svc_write_failed(s, p, "not read, try again");
		return;
	}
	if (rc == 0) {
		guard_tally_add(s->lim.guard, &p->addr, GUARD_BAD_CODES, now);
		svc_send_error(s, p, "not_allowed",
			       "no question with this code (codes expire "
			       "after some days)");
		return;
	}
	svc_send(s, p, frame);
}

/* ------------------------------------------------------ advisors' list */

/* The open questions read for one list; strings are heap copies. */
struct question_list {
	struct proto_question q[STORE_QUESTIONS_MAX_LIST];
	size_t n;
	int64_t now;
	bool oom;
};

static int
list_add(void *ctx, const struct store_question *row)
{
	struct question_list *l = ctx;
	struct proto_question *q;

	if (l->n == STORE_QUESTIONS_MAX_LIST)
		return 1;
	q = &l->q[l->n];
	q->text = strdup(row->text);
	q->lang = strdup(row->lang);
	if (!q->text || !q->lang) {
		free((char *)q->text);
		free((char *)q->lang);
		l->oom = true;
		return 1;
	}
	q->id = row->id;
	q->asked = row->asked_at;
	q->age_s = l->now > row->asked_at ? l->now - row->asked_at : 0;
	l->n++;
	return 0;
}

/* The `questions` frame as it is now; NULL (logged) on failure. */
static char *
list_frame(struct svc *s)
{
	struct question_list l;
	char *frame = NULL;
	size_t i;

	l.n = 0;
	l.now = svc_now(s);
	l.oom = false;
	if (store_questions_open_each(s->st, questions_since(s, l.now),
				      list_add, &l) == 0 && !l.oom)
		frame = proto_out_questions(l.q, l.n, s->q.open);
	for (i = 0; i < l.n; i++) {
		free((char *)l.q[i].text);
		free((char *)l.q[i].lang);
	}
	if (!frame)
		log_err("service: the list of questions cannot be built");
	return frame;
}

void
questions_on_list(struct svc *s, struct peer *p)
{
	char *frame = list_frame(s);

	p->q_watch = true;
	if (!frame) {
		svc_send_error(s, p, "not_allowed", "not read, try again");
		return;
	}
	svc_send_soft(s, p, frame);
}

void
questions_push(struct svc *s)
{
	struct advisor *a;
	char *frame = NULL;

	if (!s->q.dirty)
		return;
	s->q.dirty = false;
	for (a = s->advisors; a; a = a->next) {
		char *copy;

		if (!a->peer || !a->peer->q_watch || a->peer->closing)
			continue;
		if (!frame && !(frame = list_frame(s)))
			return;
		copy = strdup(frame);
		if (copy)
			svc_send_soft(s, a->peer, copy);
	}
	free(frame);
}

/* --------------------------------------------------------------- answer */

/* The question an answer is for, as read (strings copied). */
struct answer_target {
	bool found, answered, oom;
	int64_t asked_at;
	char lang[CONFIG_ID_MAX];
	char *text;
	char *email;                    /* wiped when freed */
};

static void
target_read(void *ctx, const struct store_question *q)
{
	struct answer_target *t = ctx;

	t->found = true;
	t->answered = q->answer != NULL;
	t->asked_at = q->asked_at;
	snprintf(t->lang, sizeof(t->lang), "%s", q->lang);
	t->text = strdup(q->text);
	t->email = q->email ? strdup(q->email) : NULL;
	t->oom = !t->text || (q->email && !t->email);
}

static void
target_free(struct answer_target *t)
{
	if (t->email)
		OPENSSL_cleanse(t->email, strlen(t->email));
	free(t->email);
	free(t->text);
}

/* Put the answer's email in the outbox, rendered. Without a mail server
 * now (taken out of the config since) it is given up at once: the address
 * is deleted with the answer's write either way. */
static void
answer_mail(struct svc *s, const struct answer_target *t, const char *answer,
	    int64_t now)
{
	unsigned char raw[16];
	char msgid[33], *text;
	struct mail_copy m;
	int64_t id;
	int i;

	s->wal_dirty = true;
	if (!s->cfg->smtp_url[0] || !s->mail.worker) {
		s->mail.given_up++;
		log_info("service: the answer's email given up: no mail "
			 "server configured");
		return;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return;
	for (i = 0; i < 16; i++)
		snprintf(msgid + 2 * i, 3, "%02x", raw[i]);
	m = (struct mail_copy){ t->lang, s->cfg->smtp_from, t->email, msgid,
				now, &s->cfg->hours, NULL, 0 };
	text = mail_render_answer(&m, t->text, answer);
	if (!text || store_outbox_add(s->st, 0, t->email, t->lang, now, &id) ||
	    store_outbox_set_message(s->st, id, text)) {
		log_err("service: the answer's email cannot be queued; given "
			"up");
		s->mail.given_up++;
	} else {
		s->mail.outbox_len++;
		s->mail.hour_count++;
		s->mail.scan_now = true;
	}
	free(text);
}

/* Store the checked answer to t; true when done (answered). */
static bool
answer_store(struct svc *s, struct peer *p, const struct proto_in *in,
	     const struct answer_target *t, int64_t now)
{
	unsigned found = 0;
	char *clean = redact_text(in->text, strlen(in->text), &found);
	int rc;

	if (!clean) {
		svc_send_error(s, p, "not_allowed", "server busy, try again");
		return false;
	}
	rc = store_question_answer(s->st, in->question, clean, now);
	if (rc == 0 && t->email)
		answer_mail(s, t, clean, now);
	free(clean);
	if (rc > 0)
		svc_send_error(s, p, "not_allowed", "already answered");
	else if (rc < 0)
		svc_write_failed(s, p, "not saved, try again");
	return rc == 0;
}

void
questions_on_answer(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct answer_target t = { 0 };
	int64_t now = svc_now(s);
	int rc;

	rc = store_question_get(s->st, in->question, questions_since(s, now),
				target_read, &t);
	if (rc < 0 || t.oom) {
		svc_write_failed(s, p, "not read, try again");
	} else if (rc == 0 || !t.found) {
		svc_send_error(s, p, "unknown_question",
			       "no such question (it may have expired)");
	} else if (t.answered) {
		svc_send_error(s, p, "not_allowed", "already answered");
	} else if (answer_store(s, p, in, &t, now)) {
		svc_stat(s, now, STATS_ANSWERED,
			 now > t.asked_at ? now - t.asked_at : 0, NULL);
		if (s->q.open > 0)
			s->q.open--;
		s->q.dirty = true;
		svc_send(s, p, proto_out_answered(in->question));
	}
	target_free(&t);
}

/* ---------------------------------------------------------------- timers */

static void
questions_expire(struct svc *s, int64_t now)
{
	int64_t n;

	if (now < s->q.next_expire)
		return;
	s->q.next_expire = now + QUESTIONS_EXPIRE_EVERY_S;
	if (store_questions_expire(s->st, questions_since(s, now), &n)) {
		log_err("service: expired questions not deleted");
		return;
	}
	if (n == 0)
		return;
	s->wal_dirty = true;
	questions_recount(s);
	log_info("service: %lld questions older than %d days deleted",
		 (long long)n, s->cfg->question_days);
}

void
questions_sweep(struct svc *s, int64_t now)
{
	struct peer *p;

	for (p = s->peers; p; p = p->next)
		if (p->q_idle && !p->chat && !p->closing &&
		    now - p->last_frame >= QUESTIONS_IDLE_S)
			svc_close_peer(s, p, 1000, "idle");
	questions_expire(s, now);
}

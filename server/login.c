/*
 * login.c - advisor sessions: login by password or by session token, the
 * slow-down after failed logins, and the end of sessions whose connection
 * has been gone past the resume grace.
 *
 * A password is checked with scrypt (auth.h), which takes ~128 MiB and a
 * few hundred milliseconds, so it runs on libuv's thread pool: login_work
 * there touches only its own struct login_job; login_done is back on the
 * loop thread. At most LOGINS_IN_FLIGHT checks run at once. Failures per
 * username are counted by throttle.c (pure). A token login is checked at
 * once on the loop (a SHA-256 and a store lookup).
 *
 * A session (struct advisor) outlives its connection by resume_grace_s so a
 * dropped advisor can log in again with its token and find its chats; past
 * that, login_sweep hands its chats back to the queue (chat.c) and frees
 * it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <uv.h>

#include "log.h"
#include "svc_internal.h"

#define ADVISOR_TOKEN_TTL (12 * 3600)
#define LOGINS_IN_FLIGHT 4          /* password checks at once */

/* A password check on the thread pool; owned by itself, freed in its
 * after-work callback (login_done, loop thread). `p` is cleared by
 * login_detach if the connection closes first. */
struct login_job {
	uv_work_t req;
	struct svc *s;
	struct peer *p;
	char username[STORE_USER_MAX];
	char password[AUTH_PASSWORD_MAX + 1];
	struct store_advisor account;
	bool known;
	int ok;                          /* written on the pool thread */
};

/* Bind peer p to session a and greet it with a fresh token. */
static void
login_ok(struct svc *s, struct peer *p, struct advisor *a)
{
	char token[AUTH_TOKEN_CHARS + 1];

	if (auth_token_new(token, a->token)) {
		svc_send_error(s, p, "auth_failed", "try again");
		svc_close_peer(s, p, 1008, "auth failed");
		return;
	}
	a->token_expires = svc_now(s) + ADVISOR_TOKEN_TTL;
	/* Kept (its digest) so that a token login works after a restart. */
	if (store_advisor_token_add(s->st, a->token, a->account_id, svc_now(s),
				    a->token_expires))
		log_err("service: advisor token not stored");
	if (a->peer && a->peer != p) {
		a->peer->adv = NULL;
		svc_close_peer(s, a->peer, 1000, "logged in elsewhere");
	}
	a->peer = p;
	a->gone_at = 0;
	p->adv = a;
	s->n.logins_ok++;
	svc_send(s, p, proto_out_login_ok(a->name, token, a->available));
	OPENSSL_cleanse(token, sizeof(token));
	chat_greet_advisor(s, a);
	s->queue_dirty = true;          /* estimates change with advisors */
	chat_assign_waiting(s);
}

static void
login_failed(struct svc *s, struct peer *p)
{
	s->n.logins_failed++;
	svc_send_error(s, p, "auth_failed", "wrong username or password");
	svc_close_peer(s, p, 1008, "auth failed");
}

static struct advisor *
find_session(struct svc *s, int64_t account_id)
{
	struct advisor *a;

	for (a = s->advisors; a; a = a->next)
		if (a->account_id == account_id)
			return a;
	return NULL;
}

/* The account's session, created at its first login. NULL on OOM. */
static struct advisor *
session_for(struct svc *s, const struct store_advisor *acc)
{
	struct advisor *a = find_session(s, acc->id);

	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->account_id = acc->id;
	snprintf(a->username, sizeof(a->username), "%s", acc->username);
	snprintf(a->name, sizeof(a->name), "%s", acc->name);
	a->available = true;
	a->next = s->advisors;
	s->advisors = a;
	return a;
}

/* Thread pool: the scrypt check, nothing else. */
static void
login_work(uv_work_t *req)
{
	struct login_job *j = req->data;

	j->ok = auth_verify_password(j->password,
				     j->known ? j->account.phc : NULL);
}

/* Loop thread: the check is done (status != 0: cancelled). */
static void
login_done(uv_work_t *req, int status)
{
	struct login_job *j = req->data;
	struct svc *s = j->s;
	struct advisor *a;
	bool ok = status == 0 && j->ok == 1 && j->known;

	s->logins_in_flight--;
	OPENSSL_cleanse(j->password, sizeof(j->password));
	throttle_note(&s->login_fails, j->username, ok, svc_now(s));
	if (j->p) {
		j->p->job = NULL;
		if (!ok)
			login_failed(s, j->p);
		else if (!(a = session_for(s, &j->account)))
			login_failed(s, j->p);
		else
			login_ok(s, j->p, a);
	}
	free(j);
}

static void
login_password(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct login_job *j;
	int rc;

	if (!throttle_allowed(&s->login_fails, in->username, svc_now(s)) ||
	    s->logins_in_flight >= LOGINS_IN_FLIGHT) {
		login_failed(s, p);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		login_failed(s, p);
		return;
	}
	j->s = s;
	j->p = p;
	snprintf(j->username, sizeof(j->username), "%s", in->username);
	snprintf(j->password, sizeof(j->password), "%s", in->password);
	rc = store_advisor_get(s->st, in->username, &j->account);
	j->known = rc == 0;
	j->req.data = j;
	if (rc < 0 || uv_queue_work(s->loop, &j->req, login_work, login_done)) {
		OPENSSL_cleanse(j->password, sizeof(j->password));
		free(j);
		login_failed(s, p);
		return;
	}
	s->logins_in_flight++;
	p->job = j;
}

/* A token no session holds in memory, given before a restart: the store
 * knows it (by digest) and its account, whose session is found or made. */
static struct advisor *
stored_token_session(struct svc *s, const uint8_t d[AUTH_DIGEST_LEN])
{
	struct store_token t;
	struct advisor *a;

	if (store_advisor_token_get(s->st, d, svc_now(s), &t))
		return NULL;
	a = login_restore_session(s, t.account_id, svc_now(s));
	if (!a)
		return NULL;
	memcpy(a->token, d, AUTH_DIGEST_LEN);
	a->token_expires = t.expires_at;
	return a;
}

static void
login_token(struct svc *s, struct peer *p, const struct proto_in *in)
{
	uint8_t d[AUTH_DIGEST_LEN];
	struct store_advisor acc;
	struct advisor *a;

	auth_token_digest(in->token, d);
	for (a = s->advisors; a; a = a->next)
		if (auth_digest_equal(a->token, d))
			break;
	if (!a)
		a = stored_token_session(s, d);
	/* The account may have been removed since the token was given. */
	if (!a || a->token_expires < svc_now(s) ||
	    store_advisor_get(s->st, a->username, &acc) != 0) {
		login_failed(s, p);
		return;
	}
	login_ok(s, p, a);
}

void
login_on_login(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (p->adv || p->job) {
		svc_send_error(s, p, "not_allowed", "already logged in");
		return;
	}
	if (in->token) {
		login_token(s, p, in);
		return;
	}
	login_password(s, p, in);
}

struct advisor *
login_restore_session(struct svc *s, int64_t account_id, int64_t gone_at)
{
	struct store_advisor acc;
	struct advisor *a = find_session(s, account_id);

	if (a)
		return a;
	if (account_id <= 0 || store_advisor_by_id(s->st, account_id, &acc))
		return NULL;
	OPENSSL_cleanse(acc.phc, sizeof(acc.phc));
	a = session_for(s, &acc);
	if (a)
		a->gone_at = gone_at;
	return a;
}

void
login_detach(struct peer *p)
{
	if (p->job)
		p->job->p = NULL;
}

/* The session goes; its chats go back to the queue first. */
static void
drop_session(struct svc *s, struct advisor *a)
{
	struct advisor **pp;
	struct chat *c;

	chat_requeue(s, a);
	for (c = s->chats; c; c = c->next)
		if (c->advisor == a)
			c->advisor = NULL;
	for (pp = &s->advisors; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	free(a);
}

void
login_sweep(struct svc *s, int64_t now)
{
	struct advisor *a = s->advisors, *next;

	for (; a; a = next) {
		next = a->next;
		if (!a->peer && now - a->gone_at > s->cfg->resume_grace_s)
			drop_session(s, a);
	}
	chat_assign_waiting(s);
}

void
login_free_all(struct svc *s)
{
	while (s->advisors) {
		struct advisor *a = s->advisors;

		s->advisors = a->next;
		free(a);
	}
	throttle_clear(&s->login_fails);
}

/*
 * login.c - advisor sessions: login by password or by session token,
 * logout, the slow-down after failed logins, revocation by another process,
 * and the end of sessions whose connection has been gone past the resume
 * grace.
 *
 * Password checks. A password is checked with scrypt (auth.h: tens of MiB
 * and a few hundred milliseconds), so it runs on libuv's thread pool:
 * login_work there touches only its own struct login_job; login_done is
 * back on the loop thread. At most LOGINS_IN_FLIGHT checks run at once;
 * further logins wait their turn in a FIFO of at most LOGINS_WAITING_MAX
 * (LOGINS_WAITING_PER_ADDRESS of them from one client address), so bogus
 * logins in flight delay the real advisor but never fail her. When every
 * place is taken, a login from an address with fewer waiting takes the
 * place of the newest one of the address with the most (login_room): the
 * shed one, or a login refused because its own address already holds as
 * many as any, is answered error `unavailable` with a retry hint and close
 * 1013 (try again later): holding it would let memory grow without bound,
 * and auth_failed would say its password was wrong. What is left: an
 * attacker holding a waiting login from each of 64 addresses (none with
 * more than the real advisor would have) still makes her retry until a
 * place frees; each check frees one within a second or so.
 *
 * Failures are counted by throttle.c (pure) per (client address, username)
 * and per client address, before a login is queued and again when its turn
 * comes (a pause may have started while it waited). A paused login gets
 * auth_failed with `retry_after_s` and is not counted again.
 *
 * Tokens. A password login gives a new token, kept in the store as its
 * digest with an absolute expiry 12 hours later; a token login looks the
 * digest up in the store (so it works after a restart), answers with the
 * same token and keeps that expiry. A session has one token: a new
 * password login deletes the one it replaces. `logout` deletes it at once.
 *
 * A logout is final at once in memory: the session ends, the client gets
 * `logged_out` and close 1000, and the token's digest is kept in a short
 * list (s->login.logged_out) that token logins are checked against. If the
 * turn's commit fails (a full disk) the store's delete is rolled back and
 * `logged_out` is withheld with the turn's other frames (the close 1000
 * still goes, and is true): the token does not work here; login_sweep
 * deletes it again once the store works, until the store shows it gone.
 * Only a restart before that can revive the token (until its 12 hours are
 * up): the list is not at rest. With LOGOUTS_PENDING_MAX logouts
 * unconfirmed a further logout is answered `unavailable` and its session
 * stays. (A password login's delete of the token it replaces is left out
 * on purpose: when that commit fails, its login_ok is withheld too, and
 * the old token is the one the client still holds.)
 *
 * neuvo-admin's passwd and remove delete an account's tokens in another
 * process: login_sweep polls store_changed_elsewhere each second and then
 * checks every session's token, closing those whose token is gone.
 *
 * A session (struct advisor) outlives its connection by resume_grace_s so a
 * dropped advisor can log in again with its token and find its chats; past
 * that, login_sweep hands its chats back to the queue (chat.c) and frees
 * it. A logout or a revocation ends it at once the same way.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <uv.h>

#include "addr.h"
#include "log.h"
#include "svc_internal.h"

#define ADVISOR_TOKEN_TTL (12 * 3600)
#define LOGINS_IN_FLIGHT 4              /* password checks at once */
#define LOGINS_WAITING_MAX 64           /* password logins waiting */
#define LOGINS_WAITING_PER_ADDRESS 16   /* of them from one address */
#define LOGIN_BUSY_RETRY_S 5            /* the hint when none may wait */
#define TOKEN_EXPIRE_EVERY_S 3600       /* deleting expired tokens */

/*
 * One password login, from its frame until its answer. Owned by the
 * waiting queue (s->login.wait_head) until its turn, then by itself while
 * the pool checks it (freed in login_done, loop thread). `p` is cleared by
 * login_detach if the connection closes while it is checked; a waiting one
 * is unlinked and freed there instead. Loop thread, except login_work.
 */
struct login_job {
	uv_work_t req;
	struct svc *s;
	struct peer *p;
	struct login_job *next;          /* in the waiting queue */
	bool started;                    /* on the pool */
	char addr[ADDR_TEXT_MAX];        /* client address: memory only */
	char username[STORE_USER_MAX];
	char password[AUTH_PASSWORD_MAX + 1];
	struct store_advisor account;
	bool known;
	int ok;                          /* written on the pool thread */
};

static void
job_free(struct login_job *j)
{
	OPENSSL_cleanse(j->password, sizeof(j->password));
	OPENSSL_cleanse(j->account.phc, sizeof(j->account.phc));
	free(j);
}

/* ---------------------------------------------------------------- answers */

static void
login_failed(struct svc *s, struct peer *p)
{
	s->n.logins_failed++;
	svc_send_error(s, p, "auth_failed", "wrong username or password");
	svc_close_peer(s, p, 1008, "auth failed");
}

/* An error that passes by itself (`retry_after_s` says when to try again),
 * then the close. */
static void
login_refuse(struct svc *s, struct peer *p, const char *code,
	     const char *why, int64_t retry_s, int close_code)
{
	s->n.errors_sent++;
	p->errors++;
	svc_send(s, p, proto_out_error_retry(code, why, retry_s));
	svc_close_peer(s, p, close_code,
		       close_code == 1008 ? "auth failed" : "try again later");
}

/* Refused unchecked: failures from this address (for this username) have
 * paused it for `wait` seconds. */
static void
login_paused(struct svc *s, struct peer *p, int64_t wait)
{
	s->n.logins_failed++;
	s->n.logins_paused++;
	login_refuse(s, p, "auth_failed",
		     "too many failed logins; wait before trying again", wait,
		     1008);
}

/* Not refused, not checked: the client may try again soon (close 1013,
 * try again later). */
static void
login_unavailable(struct svc *s, struct peer *p, const char *why)
{
	login_refuse(s, p, "unavailable", why, LOGIN_BUSY_RETRY_S, 1013);
}

/* ---------------------------------------------------------------- sessions */

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

/* The session goes; its chats go back to the queue first. Its connection,
 * if any, must have been let go (end_session). */
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
	OPENSSL_cleanse(a->token, sizeof(a->token));
	free(a);
}

/* End session a now (logout, revocation): its connection no longer speaks
 * for it, and its chats go back to the front of the queue. */
static void
end_session(struct svc *s, struct advisor *a)
{
	if (a->peer) {
		a->peer->adv = NULL;
		a->peer = NULL;
		s->queue_dirty = true;
	}
	drop_session(s, a);
	chat_assign_waiting(s);
}

/* A new token for session a after a password login: its digest stored
 * with the absolute expiry, the one it replaces deleted. Returns 0 with the
 * token's text in `token`, or -1. */
static int
session_new_token(struct svc *s, struct advisor *a,
		  char token[AUTH_TOKEN_CHARS + 1])
{
	uint8_t d[AUTH_DIGEST_LEN];
	int64_t now = svc_now(s);

	if (auth_token_new(token, d))
		return -1;
	if (store_advisor_token_add(s->st, d, a->account_id, now,
				    now + ADVISOR_TOKEN_TTL))
		return -1;
	if (a->has_token && store_advisor_token_delete(s->st, a->token))
		return -1;
	memcpy(a->token, d, sizeof(a->token));
	a->has_token = true;
	a->token_expires = now + ADVISOR_TOKEN_TTL;
	OPENSSL_cleanse(d, sizeof(d));
	return 0;
}

/* Bind peer p to session a and greet it; `token` is the session's token as
 * the client keeps it, `supervisor` the account's role as read now. */
static void
login_ok(struct svc *s, struct peer *p, struct advisor *a, const char *token,
	 bool supervisor)
{
	if (a->peer && a->peer != p) {
		a->peer->adv = NULL;
		svc_close_replaced(s, a->peer, 1000, "logged in elsewhere");
	}
	a->peer = p;
	a->gone_at = 0;
	p->adv = a;
	s->n.logins_ok++;
	desk_session_started(s, a, supervisor);
	svc_send(s, p, proto_out_login_ok(a->name, token, a->available,
					  a->supervisor));
	chat_greet_advisor(s, a);
	s->queue_dirty = true;          /* estimates change with advisors */
	chat_assign_waiting(s);
}

/* Is the account still as it was checked? An `advisor passwd` or `remove`
 * committed while the check ran makes the old password worthless. (One
 * committed after this read also deletes the token given now, and
 * login_sweep then closes the session.) -1 on a store error. */
static int
account_unchanged(struct svc *s, const struct store_advisor *checked)
{
	struct store_advisor now;
	int rc = store_advisor_get(s->st, checked->username, &now);

	if (rc < 0)
		return -1;
	rc = rc == 0 && now.id == checked->id &&
	     !strcmp(now.phc, checked->phc);
	OPENSSL_cleanse(now.phc, sizeof(now.phc));
	return rc;
}

/* The password was right: the account's session with a new token. */
static void
password_ok(struct svc *s, struct peer *p, const struct store_advisor *acc)
{
	char token[AUTH_TOKEN_CHARS + 1];
	struct advisor *a;
	int rc = account_unchanged(s, acc);

	if (rc == 0) {
		login_failed(s, p);
		return;
	}
	a = rc > 0 ? session_for(s, acc) : NULL;
	if (!a || session_new_token(s, a, token)) {
		login_unavailable(s, p, "the session could not be started; "
				  "try again");
		return;
	}
	login_ok(s, p, a, token, acc->supervisor);
	OPENSSL_cleanse(token, sizeof(token));
}

/* --------------------------------------------------------- password checks */

/* Thread pool: the scrypt check, nothing else. */
static void
login_work(uv_work_t *req)
{
	struct login_job *j = req->data;

	j->ok = auth_verify_password(j->password,
				     j->known ? j->account.phc : NULL);
}

static void login_pump(struct svc *s);

/* Loop thread: the check is done (status != 0: cancelled). */
static void
login_done(uv_work_t *req, int status)
{
	struct login_job *j = req->data;
	struct svc *s = j->s;
	bool ok = status == 0 && j->ok == 1 && j->known;

	s->login.running--;
	if (status == 0)
		throttle_login_note(&s->login.fails, j->addr, j->username, ok,
				    svc_now(s));
	if (j->p)
		j->p->job = NULL;
	/* A connection already closing (too many errors, SIGTERM) must not
	 * take the session from the advisor's live one. */
	if (j->p && !j->p->closing) {
		if (ok)
			password_ok(s, j->p, &j->account);
		else
			login_failed(s, j->p);
	}
	job_free(j);
	login_pump(s);
}

/* j's turn: check it on the pool, unless its peer has gone or a pause has
 * started since it was queued. j is owned by the pool or freed. */
static void
login_start(struct svc *s, struct login_job *j)
{
	struct peer *p = j->p;
	int64_t wait;
	int rc;

	if (p->closing) {
		p->job = NULL;
		job_free(j);
		return;
	}
	wait = throttle_login_wait(&s->login.fails, j->addr, j->username,
				   svc_now(s));
	if (wait > 0) {
		p->job = NULL;
		job_free(j);
		login_paused(s, p, wait);
		return;
	}
	/* Read now, not at the frame: the account may have gone meanwhile. */
	rc = store_advisor_get(s->st, j->username, &j->account);
	j->known = rc == 0;
	j->req.data = j;
	if (rc < 0 || uv_queue_work(s->loop, &j->req, login_work,
				    login_done)) {
		p->job = NULL;
		job_free(j);
		login_unavailable(s, p, "the login could not be checked; "
				  "try again");
		return;
	}
	j->started = true;
	s->login.running++;
}

/* Start waiting logins while fewer than LOGINS_IN_FLIGHT run. */
static void
login_pump(struct svc *s)
{
	struct login_job *j;

	while (s->login.running < LOGINS_IN_FLIGHT && s->login.wait_head) {
		j = s->login.wait_head;
		s->login.wait_head = j->next;
		if (!s->login.wait_head)
			s->login.wait_tail = NULL;
		s->login.waiting--;
		j->next = NULL;
		login_start(s, j);
	}
}

/* Unlink waiting job j (prev: the one before it, NULL at the head). */
static void
wait_unlink(struct svc *s, struct login_job *j, struct login_job *prev)
{
	if (prev)
		prev->next = j->next;
	else
		s->login.wait_head = j->next;
	if (s->login.wait_tail == j)
		s->login.wait_tail = prev;
	s->login.waiting--;
	j->next = NULL;
}

/* How many waiting logins come from `addr`. */
static int
waiting_from(const struct svc *s, const char *addr)
{
	const struct login_job *j;
	int n = 0;

	for (j = s->login.wait_head; j; j = j->next)
		n += !strcmp(j->addr, addr);
	return n;
}

/*
 * The waiting login to shed for a newcomer that has `mine` waiting from
 * its own address: the newest one of the address with the most waiting,
 * if that is more than `mine` + 1 would be (so the newcomer never pushes
 * out an address holding no more than it would). NULL: shed nobody. The
 * one before it is in *prev. Quadratic in LOGINS_WAITING_MAX (64): fine.
 */
static struct login_job *
shed_victim(const struct svc *s, int mine, struct login_job **prev)
{
	struct login_job *j, *before = NULL, *victim = NULL;
	int most = mine + 1;

	*prev = NULL;
	for (j = s->login.wait_head; j; before = j, j = j->next) {
		int n = waiting_from(s, j->addr);

		if (n > most || (n == most && victim &&
				 !strcmp(victim->addr, j->addr))) {
			most = n;
			victim = j;
			*prev = before;
		}
	}
	return victim;
}

/*
 * May one more login from `addr` wait its turn? Each address may have
 * LOGINS_WAITING_PER_ADDRESS waiting. When all LOGINS_WAITING_MAX places
 * are taken, the address with the most waiting gives one up (its newest
 * is answered `unavailable`, as if it had come last), so many logins from
 * a few addresses never keep out the real advisor from another.
 */
static bool
login_room(struct svc *s, const char *addr)
{
	struct login_job *victim, *prev;
	int mine;

	if (s->login.running < LOGINS_IN_FLIGHT)
		return true;
	mine = waiting_from(s, addr);
	if (mine >= LOGINS_WAITING_PER_ADDRESS)
		return false;
	if (s->login.waiting < LOGINS_WAITING_MAX)
		return true;
	victim = shed_victim(s, mine, &prev);
	if (!victim)
		return false;
	wait_unlink(s, victim, prev);
	victim->p->job = NULL;
	s->n.logins_busy++;
	login_unavailable(s, victim->p, "too many logins are being checked; "
			  "try again in a few seconds");
	job_free(victim);
	return true;
}

static void
login_password(struct svc *s, struct peer *p, const struct proto_in *in)
{
	const char *addr = s->io.address(p->conn);
	struct login_job *j;
	int64_t wait, now = svc_now(s);

	wait = throttle_login_wait(&s->login.fails, addr, in->username, now);
	if (wait > 0) {
		login_paused(s, p, wait);
		return;
	}
	/* No account has a longer name (neuvo-admin refuses it): nothing to
	 * check, but it counts against the address like any failure. */
	if (strlen(in->username) >= STORE_USER_MAX) {
		throttle_login_note(&s->login.fails, addr, in->username, false,
				    now);
		login_failed(s, p);
		return;
	}
	/* Allocated first: a login shed for this one must not lose its
	 * place for nothing. */
	j = calloc(1, sizeof(*j));
	if (!j) {
		login_unavailable(s, p, "out of memory; try again");
		return;
	}
	if (!login_room(s, addr)) {
		free(j);
		s->n.logins_busy++;
		login_unavailable(s, p, "too many logins are being checked; "
				  "try again in a few seconds");
		return;
	}
	j->s = s;
	j->p = p;
	snprintf(j->addr, sizeof(j->addr), "%s", addr);
	snprintf(j->username, sizeof(j->username), "%s", in->username);
	snprintf(j->password, sizeof(j->password), "%s", in->password);
	p->job = j;
	if (s->login.wait_tail)
		s->login.wait_tail->next = j;
	else
		s->login.wait_head = j;
	s->login.wait_tail = j;
	s->login.waiting++;
	login_pump(s);
}

/* ------------------------------------------------------------------ logouts */

/* Is `digest` logged out, its delete perhaps not yet in the store? */
static bool
is_logged_out(const struct svc *s, const uint8_t digest[AUTH_DIGEST_LEN])
{
	int i;

	for (i = 0; i < s->login.n_logged_out; i++)
		if (auth_digest_equal(s->login.logged_out[i].digest, digest))
			return true;
	return false;
}

static void
logged_out_remove(struct svc *s, int i)
{
	struct login_state *l = &s->login;

	l->logged_out[i] = l->logged_out[--l->n_logged_out];
	OPENSSL_cleanse(&l->logged_out[l->n_logged_out],
			sizeof(l->logged_out[0]));
}

/* Once a logout's turn is over and the store works: is its token gone
 * from the store? Then it is forgotten here; if not (the commit failed),
 * it is deleted again in this turn. */
static void
confirm_logouts(struct svc *s, int64_t now)
{
	struct login_state *l = &s->login;
	int i = 0, rc;

	while (i < l->n_logged_out && !s->store_down) {
		struct logged_out *o = &l->logged_out[i];

		if (o->turn >= s->turn) {
			i++;
			continue;
		}
		rc = store_advisor_token_get(s->st, o->digest, now, NULL);
		if (rc > 0) {
			logged_out_remove(s, i);
			continue;
		}
		if (rc == 0 && store_advisor_token_delete(s->st, o->digest))
			log_err("login: a logged-out token not deleted; "
				"trying again");
		o->turn = s->turn;
		i++;
	}
}

/* ------------------------------------------------------------ token logins */

static void
login_token(struct svc *s, struct peer *p, const struct proto_in *in)
{
	uint8_t d[AUTH_DIGEST_LEN];
	struct store_token tok;
	struct store_advisor acc;
	struct advisor *a;
	bool supervisor;
	int rc;

	auth_token_digest(in->token, d);
	rc = is_logged_out(s, d) ? 1
	     : store_advisor_token_get(s->st, d, svc_now(s), &tok);
	/* The account goes with its tokens; this is for a half-done edit. */
	if (rc == 0)
		rc = store_advisor_by_id(s->st, tok.account_id, &acc);
	if (rc < 0) {
		login_unavailable(s, p, "the login could not be checked; "
				  "try again");
		return;
	}
	if (rc > 0) {
		s->n.logins_failed++;
		svc_send_error(s, p, "auth_failed", "unknown or expired token; "
			       "log in with your password");
		svc_close_peer(s, p, 1008, "auth failed");
		return;
	}
	a = session_for(s, &acc);
	OPENSSL_cleanse(acc.phc, sizeof(acc.phc));
	if (!a) {
		login_unavailable(s, p, "out of memory; try again");
		return;
	}
	supervisor = acc.supervisor;
	/* The same token, the same expiry: a token login extends nothing. */
	memcpy(a->token, d, sizeof(a->token));
	a->has_token = true;
	a->token_expires = tok.expires_at;
	login_ok(s, p, a, in->token, supervisor);
}

void
login_on_login(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (p->adv || p->job) {
		svc_send_error(s, p, "not_allowed", p->adv ? "already logged in"
				: "a login is already being checked");
		return;
	}
	if (in->token) {
		login_token(s, p, in);
		return;
	}
	login_password(s, p, in);
}

void
login_on_logout(struct svc *s, struct peer *p)
{
	struct advisor *a = p->adv;
	struct login_state *l = &s->login;

	if (a->has_token && l->n_logged_out >= LOGOUTS_PENDING_MAX) {
		s->n.errors_sent++;
		svc_send(s, p, proto_out_error_retry("unavailable",
			 "not logged out; try again in a few seconds", 2));
		return;
	}
	if (a->has_token && store_advisor_token_delete(s->st, a->token)) {
		svc_write_failed(s, p, "not logged out; try again");
		return;
	}
	if (a->has_token) {
		memcpy(l->logged_out[l->n_logged_out].digest, a->token,
		       AUTH_DIGEST_LEN);
		l->logged_out[l->n_logged_out++].turn = s->turn;
	}
	a->has_token = false;
	svc_send(s, p, proto_out_logged_out());
	svc_close_peer(s, p, 1000, "logged out");
	end_session(s, a);
}

void
login_detach(struct peer *p)
{
	struct login_job *j = p->job, *prev = NULL, *k;
	struct svc *s;

	if (!j)
		return;
	p->job = NULL;
	if (j->started) {
		j->p = NULL;            /* login_done frees it */
		return;
	}
	s = j->s;
	for (k = s->login.wait_head; k && k != j; k = k->next)
		prev = k;
	wait_unlink(s, j, prev);
	job_free(j);
}

/* ------------------------------------------------------------------ sweeps */

/* A live session whose token has reached its 12 hours is closed; it keeps
 * its chats for the grace, so a password login gets them back. */
static void
expire_sessions(struct svc *s, int64_t now)
{
	struct advisor *a;

	for (a = s->advisors; a; a = a->next) {
		if (!a->has_token || a->token_expires > now)
			continue;
		a->has_token = false;
		if (!a->peer)
			continue;
		svc_send_error(s, a->peer, "auth_failed",
			       "the session has expired; log in again");
		svc_close_peer(s, a->peer, 1008, "session expired");
	}
}

/* Session a's token was deleted by another process: tell its connection,
 * close it, and send its chats back to the queue. */
static void
revoke_session(struct svc *s, struct advisor *a)
{
	s->n.sessions_revoked++;
	if (a->peer) {
		svc_send_error(s, a->peer, "auth_failed",
			       "the session was ended by an administrator; "
			       "log in again");
		svc_close_peer(s, a->peer, 1008, "session revoked");
	}
	log_info("login: a session ended, its token was revoked");
	end_session(s, a);
}

/* A supervisor's session whose account neuvo-admin made an advisor loses
 * the supervisor's reading at once (desk.c), not at its next login: who
 * was demoted must not go on reading residents' chats for hours. -1 when
 * the account cannot be read (tried again next second). */
static int
check_demoted(struct svc *s, struct advisor *a)
{
	struct store_advisor acc;
	int rc = store_advisor_by_id(s->st, a->account_id, &acc);

	if (rc != 0)
		return rc < 0 ? -1 : 0;    /* gone: its token went with it */
	OPENSSL_cleanse(acc.phc, sizeof(acc.phc));
	if (!acc.supervisor) {
		log_info("login: a session lost the supervisor's role");
		desk_session_demoted(s, a);
	}
	return 0;
}

/* neuvo-admin passwd/remove delete tokens in another process, and role
 * changes roles: when the file has changed, check every session's token
 * (and a supervisor's role). */
static void
check_revoked(struct svc *s, int64_t now)
{
	struct advisor *a, *next;
	bool changed = false;
	int rc;

	if (store_changed_elsewhere(s->st, &changed) == 0 && changed)
		s->login.recheck = true;
	if (!s->login.recheck)
		return;
	s->login.recheck = false;
	for (a = s->advisors; a; a = next) {
		next = a->next;
		if (!a->has_token)
			continue;
		rc = store_advisor_token_get(s->st, a->token, now, NULL);
		if (rc < 0)
			s->login.recheck = true;        /* next second */
		else if (rc > 0)
			revoke_session(s, a);
		else if (a->supervisor && check_demoted(s, a))
			s->login.recheck = true;
	}
}

static void
forget_expired_tokens(struct svc *s, int64_t now)
{
	int64_t n;

	if (now < s->login.next_expire)
		return;
	s->login.next_expire = now + TOKEN_EXPIRE_EVERY_S;
	if (store_advisor_tokens_expire(s->st, now, &n))
		log_err("login: expired tokens not deleted; next try in an "
			"hour");
}

void
login_sweep(struct svc *s, int64_t now)
{
	struct advisor *a = s->advisors, *next;

	expire_sessions(s, now);
	confirm_logouts(s, now);
	check_revoked(s, now);
	forget_expired_tokens(s, now);
	for (a = s->advisors; a; a = next) {
		next = a->next;
		if (!a->peer && now - a->gone_at > s->cfg->resume_grace_s)
			drop_session(s, a);
	}
	chat_assign_waiting(s);
}

void
login_init(struct svc *s)
{
	memset(&s->login, 0, sizeof(s->login));
	throttle_login_init(&s->login.fails);
}

void
login_free_all(struct svc *s)
{
	while (s->login.wait_head) {
		struct login_job *j = s->login.wait_head;

		s->login.wait_head = j->next;
		if (j->p)
			j->p->job = NULL;
		job_free(j);
	}
	s->login.wait_tail = NULL;
	s->login.waiting = 0;
	while (s->advisors) {
		struct advisor *a = s->advisors;

		s->advisors = a->next;
		free(a);
	}
	throttle_login_clear(&s->login.fails);
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

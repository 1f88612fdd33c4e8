/*
 * service.h - the chat service: residents, advisors, the queue and the
 * rules of CONTRACT.md section 4, between the network glue (net.c) and the
 * store (store.c).
 *
 * It knows no libwebsockets (it sees struct net_conn through net.h) and no
 * SQL (it calls store.h). It uses libuv only for its thread pool, where
 * password checks run so that a login never stalls the event loop.
 *
 * One struct svc per server, created by main and touched only on the
 * event-loop thread. It owns every chat and advisor session in memory; a
 * chat lives from `hello` until its resident has been gone for longer than
 * resume_grace_s after it ended (or, if it never ended, until that grace
 * ends it with by = "disconnect").
 */
#ifndef NEUVO_SERVICE_H
#define NEUVO_SERVICE_H

#include <stddef.h>
#include <time.h>

#include "protocol.h"

struct config;
struct store;
struct net_conn;
struct uv_loop_s;
struct svc;

/* Create the service over a store it does not own. NULL on OOM. */
struct svc *svc_new(struct uv_loop_s *loop, const struct config *cfg,
		    struct store *st);

/* Free all chats and sessions. Call after every connection has closed and
 * the loop has run dry (password checks in flight hold a pointer). */
void svc_free(struct svc *s);

/* Use a reloaded config from now on (the caller keeps it alive). */
void svc_set_config(struct svc *s, const struct config *cfg);

/* Connection events from net.c. */
void svc_on_open(struct svc *s, struct net_conn *c, enum proto_role role);
void svc_on_frame(struct svc *s, struct net_conn *c, const char *buf,
		  size_t len);
void svc_on_close(struct svc *s, struct net_conn *c);

/* Email copies (issue 5): the SMTP worker to hand copies to (NULL: none,
 * copies unavailable; main stops it after setting NULL). Not owned. */
struct smtp;
void svc_set_mailer(struct svc *s, struct smtp *w);

/* Hold (true) or resume handing copies to the worker; held copies wait in
 * the outbox. main holds them while a new timezone waits for an idle
 * worker. */
void svc_hold_mail(struct svc *s, bool hold);

/* The loop was woken (net_wake) by the SMTP worker: take its results, on
 * the loop thread. */
void svc_on_wake(struct svc *s);

/* Once per loop turn: commit what the turn wrote, then release the frames
 * it queued (or drop them if the commit failed). */
void svc_end_turn(struct svc *s);

/* Every 250 ms: coalesced position and queue pushes; once a second also the
 * timeouts (resume grace, idle chats). */
void svc_tick(struct svc *s);

/* SIGTERM: tell everyone the service is closing (by = "closing" for those in
 * a chat) and close every connection with 1001. */
void svc_shutdown(struct svc *s);

/* Bodies for GET /api/status and GET /metrics; heap strings (caller frees),
 * NULL on OOM. */
char *svc_status_json(struct svc *s);
char *svc_metrics_text(struct svc *s);

#endif

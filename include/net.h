/*
 * net.h - the libwebsockets glue: HTTP + WebSocket on one port.
 *
 * net.c is the only module that knows libwebsockets. It owns one struct
 * net_conn per WebSocket connection, reassembles fragments up to
 * PROTO_MAX_FRAME, keeps a bounded send queue per connection and writes
 * queued frames from the WRITEABLE callback, several in one write (framed
 * by wsframe.h) as one send(). The service (service.h) sees
 * connections only through the functions below, which main hands it as
 * its struct svc_io table.
 *
 * Everything here runs on the event-loop thread.
 *
 * Sealing: frames queued by net_send are held back until net_release, which
 * the main loop calls once per turn after the store has committed, so that
 * nothing reaches a peer before it is on disk.
 */
#ifndef NEUVO_NET_H
#define NEUVO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lws_context;
struct config;
struct svc;
struct uv_loop_s;

/* One per WebSocket connection, owned by net.c; valid from the service's
 * svc_on_open until its svc_on_close returns. */
struct net_conn;

/* Frames waiting for one peer. An advisor with many busy chats is sent
 * hundreds a second, so this is a few seconds of its traffic; the byte cap
 * below is what bounds the memory. */
#define NET_QUEUE_MAX_FRAMES 4096
#define NET_QUEUE_MAX_BYTES (1024 * 1024) /* bytes waiting for one peer,
					   * history frames apart */

/*
 * Create the lws context on `loop` for cfg: the listening socket, TLS when
 * configured, static files from web_root, /api/status, /healthz, /metrics,
 * /ws. Returns NULL (logged) on failure.
 */
struct lws_context *net_start(struct uv_loop_s *loop, const struct config *cfg,
			      struct svc *svc);

/* False when the context came up without its listening socket (port
 * taken, address missing); it must still be stopped with net_stop. */
bool net_listening(struct lws_context *ctx);

/* Point the glue at a reloaded config (origins, limits). */
void net_set_config(const struct config *cfg);

/* The keepalive, called often (main's tick): at most once a second it walks
 * every WebSocket connection, pings one silent for 30 s and hangs up one
 * silent for 60 s (a frame or a pong ends a silence). In place of lws's own
 * per-connection timers, whose sorted list cost O(connections) to re-arm. */
void net_keepalive(void);

/* Begin destroying the context; finishes asynchronously on the loop. */
void net_stop(struct lws_context *ctx);

/*
 * After the loop has run dry following net_stop: on a foreign loop lws frees
 * its context only when destroyed once more. Returns true while anything is
 * left for the loop to run (then run it and call again).
 */
bool net_finish(void);

/*
 * Queue text (a JSON frame) for c; takes ownership of `text` (heap, NUL-
 * terminated) in every case. When c's queue is full the peer is not reading:
 * it is dropped (and may resume later) and -1 returned.
 */
int net_send(struct net_conn *c, char *text);

/*
 * As net_send, for a frame that carries a chat's history (`chat`,
 * `resumed`): it is not held to NET_QUEUE_MAX_BYTES, which a history the
 * limits allow may exceed (CONTRACT.md section 7: a large history never
 * costs the advisor its connection), but to `budget`, the bytes of history
 * frames that may wait for c at once, which the service derives from the
 * limits (proto_history_max_bytes times the chats c may hold). It still
 * counts against NET_QUEUE_MAX_FRAMES. Frames of either kind do not use up
 * the other's room, so a large history on a slow link does not make the
 * next ordinary push look like a peer that stopped reading. A peer that
 * keeps asking for histories without reading them reaches `budget` and is
 * dropped like any other.
 */
int net_send_history(struct net_conn *c, char *text, size_t budget);

/* Close c with a WebSocket close code once what is queued for it has been
 * written. Further net_send calls are dropped. */
void net_close(struct net_conn *c, int code, const char *reason);

/* Drop every frame queued for c, released or not: another connection has
 * taken its place and it is about to be closed (net_close), so a link that
 * stopped reading holds nothing until it times out. */
void net_drop_queue(struct net_conn *c);

/* Release frames queued this turn to the peers (after a commit). */
void net_release(void);

/* Drop frames queued this turn that were not released (commit failed). */
void net_discard_unreleased(void);

/* The service's per-connection data. */
void net_conn_set_user(struct net_conn *c, void *user);
void *net_conn_user(const struct net_conn *c);

/*
 * The client address of c (addr.h: IPv4, or an IPv6 /64, after
 * trusted_proxies), the key of every per-address rule. Owned by c and
 * valid as long as c. Memory only: never store it, log it or send it.
 */
const char *net_conn_address(const struct net_conn *c);

/* Counts for /metrics. */
struct net_stats {
	uint64_t connections_total;
	uint64_t connections_open;
	uint64_t frames_in, frames_out;
	uint64_t dropped_slow;            /* peers dropped for not reading */
	uint64_t dropped_silent;          /* hung up: no frame nor pong 60 s */
	uint64_t refused_origin;
	uint64_t refused_protocol;
	uint64_t refused_per_ip;
};
const struct net_stats *net_get_stats(void);

#endif

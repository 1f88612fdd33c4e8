/*
 * net.c - libwebsockets glue: one port for static files, the JSON
 * endpoints and the WebSocket protocols (see net.h).
 *
 * lws runs on the caller's libuv loop (the "foreign loop"), so thousands of
 * idle connections cost nothing per wake-up. Hardening choices, each for a
 * reason written down in the README's security section:
 *  - ALPN offers only http/1.1 and prior-knowledge HTTP/2 is off, and an
 *    `Upgrade: h2c` is refused in CONFIRM_UPGRADE (confirm_upgrade), so
 *    the HTTP/2 code of lws 4.1.x (its HPACK bug) is never reached;
 *  - CONFIRM_UPGRADE never reads its `in` (CVE-2025-11677: lws may pass a
 *    header it has already freed);
 *  - TLS 1.2 with ECDHE and AEAD ciphers only, or TLS 1.3 (set_tls);
 *  - no WebSocket extension is offered (permessage-deflate costs ~300 KB per
 *    connection and opens compression side channels); info.extensions stays
 *    unset. write_batch relies on it: it frames our frames itself
 *    (wsframe.h), which an extension would make wrong;
 *  - the Origin allow-list and the subprotocol are checked in
 *    FILTER_PROTOCOL_CONNECTION and answered with a bodiless 400 (no
 *    subprotocol), 403 (Origin) or 429 (per-address cap). A subprotocol
 *    that names none of ours never reaches us: lws drops the connection
 *    without an answer.
 *  - the per-address cap counts client addresses (addr.h): the peer, or
 *    behind a trusted proxy the address its X-Forwarded-For vouches for.
 *
 * The state below is one per process and touched only on the loop thread.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "addr.h"
#include "config.h"
#include "iplimit.h"
#include "log.h"
#include "net.h"
#include "protocol.h"
#include "service.h"
#include "wsframe.h"

/* Headroom ahead of a queued frame's text: lws's LWS_PRE, then room for
 * the WebSocket header a frame too large for the batch is given in place
 * (write_alone). */
#define FRAME_PRE (LWS_PRE + WSFRAME_HEADER_MAX)

/* One queued outgoing frame; owned by its connection's queue. */
struct frame {
	struct frame *next;
	size_t len;
	bool history;                   /* net_send_history's, own budget */
	unsigned char data[];           /* FRAME_PRE headroom, then the text */
};

/* One per WebSocket connection (see net.h). Freed at LWS_CALLBACK_CLOSED. */
struct net_conn {
	struct lws *wsi;
	void *user;                     /* the service's struct peer */
	struct frame *head, *tail;
	size_t frames, bytes;
	size_t history_bytes;           /* of `bytes`, in history frames */
	size_t released;                /* frames from head that may go out */
	char *rx;                       /* owned: reassembly of a message that
					 * comes in pieces, NULL otherwise */
	size_t rx_len;
	int close_code;                 /* 0 = stay open */
	char close_reason[64];
	char addr[IPLIMIT_ADDR_MAX];    /* client address (addr.h), memory only */
	bool dead;                      /* being killed; sends are dropped */
	bool close_sent;                /* our close frame is out; await ack */
	bool dirty;                     /* on the release list */
	struct net_conn *dirty_next;
	/* keepalive (net_keepalive): on the list of every connection */
	struct net_conn *all_prev, *all_next;
	uint64_t heard_ms;              /* last frame or pong from the peer */
	bool pinged;                    /* a ping asked since heard_ms */
	bool ping_due;                  /* to be written at the next WRITEABLE */
};

/* Per-session data lws allocates for every connection. */
struct session {
	struct net_conn *conn;          /* WebSocket protocols */
	char addr[IPLIMIT_ADDR_MAX];    /* client address, from the handshake */
	unsigned char *body;            /* HTTP: response body, LWS_PRE ahead */
	size_t body_len;
};

static const struct config *cfg;        /* current config (net_set_config) */
static struct svc *service;
static struct net_conn *dirty_list;     /* connections queued to this turn */
static struct net_conn *all_conns;      /* every WebSocket connection */
static uint64_t next_keepalive_ms;      /* net_keepalive's next walk */
static struct net_stats stats;
static struct iplimit per_ip;           /* connections per peer address */
static struct lws_context *live_ctx;    /* lws writes NULL once fully gone */

/* Now on lws's clock, in milliseconds. */
static uint64_t
now_ms(void)
{
	return (uint64_t)lws_now_usecs() / 1000;
}

enum { PROTO_ID_HTTP, PROTO_ID_RESIDENT, PROTO_ID_ADVISOR };

/* Content-Security-Policy of every answer: only our own files run. */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
	    "img-src 'self' data:; connect-src 'self'; media-src 'self' data:; " \
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* Strict-Transport-Security of every HTTPS answer. */
#define HSTS "max-age=31536000; includeSubDomains"

/* The close opcode's lws_write type. lws 4.1 keeps it out of its public
 * enum (value 4, between HTTP and PING) for lws_close_reason's use. */
#define NET_WRITE_CLOSE ((enum lws_write_protocol)4)

/* ------------------------------------------------------------ send queue */

static void
mark_dirty(struct net_conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->dirty_next = dirty_list;
	dirty_list = c;
}

static void
unmark_dirty(struct net_conn *c)
{
	struct net_conn **pp;

	if (!c->dirty)
		return;
	for (pp = &dirty_list; *pp; pp = &(*pp)->dirty_next) {
		if (*pp == c) {
			*pp = c->dirty_next;
			break;
		}
	}
	c->dirty = false;
}

static void
free_frames(struct frame *f)
{
	while (f) {
		struct frame *next = f->next;
		free(f);
		f = next;
	}
}

/*
 * Close c soon, from anywhere on the loop thread (an lws callback or one of
 * main's timers). write_released closes a dead connection (-1) at its next
 * WRITEABLE; a timeout set outside lws's own service would wait for some
 * other lws event to run its timers, so it is only the fallback for a
 * socket that is never writable again.
 */
static void
kill_conn(struct net_conn *c)
{
	c->dead = true;
	lws_callback_on_writable(c->wsi);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Drop a peer that does not read: its queue is full. The service hears
 * svc_on_close and keeps the chat for the resume grace. */
static void
kill_slow(struct net_conn *c)
{
	stats.dropped_slow++;
	log_info("net: dropping a connection that stopped reading");
	kill_conn(c);
}

/* A peer silent NET_PING_AFTER_MS gets a ping; one still silent
 * NET_HANGUP_AFTER_MS after its last frame or pong is hung up, so a phone
 * that vanished frees its place and its resident can resume elsewhere.
 * Any frame counts as a sign of life, not only a pong. */
#define NET_PING_AFTER_MS 30000
#define NET_HANGUP_AFTER_MS 60000
#define NET_KEEPALIVE_EVERY_MS 1000     /* how often the walk runs */

/* One connection's keepalive at `now`. */
static void
keepalive_one(struct net_conn *c, uint64_t now)
{
	uint64_t silent = now > c->heard_ms ? now - c->heard_ms : 0;

	if (c->dead || c->close_code)
		return;                 /* going anyway, on its own timeout */
	if (silent >= NET_HANGUP_AFTER_MS) {
		stats.dropped_silent++;
		kill_conn(c);
		return;
	}
	if (silent >= NET_PING_AFTER_MS && !c->pinged) {
		c->pinged = true;
		c->ping_due = true;
		lws_callback_on_writable(c->wsi);
	}
}

void
net_keepalive(void)
{
	uint64_t now = now_ms();
	struct net_conn *c, *next;

	if (now < next_keepalive_ms)
		return;
	next_keepalive_ms = now + NET_KEEPALIVE_EVERY_MS;
	for (c = all_conns; c; c = next) {
		next = c->all_next;
		keepalive_one(c, now);
	}
}

/* Append text (taken) to c's queue; -1 (c dropped) when out of memory. */
static int
enqueue(struct net_conn *c, char *text, size_t len, bool history)
{
	struct frame *f = malloc(sizeof(*f) + FRAME_PRE + len);

	if (!f) {
		free(text);
		kill_slow(c);
		return -1;
	}
	f->next = NULL;
	f->len = len;
	f->history = history;
	memcpy(f->data + FRAME_PRE, text, len);
	free(text);
	if (c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	c->frames++;
	c->bytes += len;
	if (history)
		c->history_bytes += len;
	mark_dirty(c);
	return 0;
}

int
net_send(struct net_conn *c, char *text)
{
	size_t len = strlen(text);

	if (c->dead || c->close_code) {
		free(text);
		return 0;
	}
	if (c->frames >= NET_QUEUE_MAX_FRAMES ||
	    c->bytes - c->history_bytes + len > NET_QUEUE_MAX_BYTES) {
		free(text);
		kill_slow(c);
		return -1;
	}
	return enqueue(c, text, len, false);
}

int
net_send_history(struct net_conn *c, char *text, size_t budget)
{
	size_t len = strlen(text);

	if (c->dead || c->close_code) {
		free(text);
		return 0;
	}
	if (c->frames >= NET_QUEUE_MAX_FRAMES ||
	    c->history_bytes + len > budget) {
		free(text);
		kill_slow(c);
		return -1;
	}
	return enqueue(c, text, len, true);
}

void
net_close(struct net_conn *c, int code, const char *reason)
{
	if (c->dead || c->close_code)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	mark_dirty(c);
}

void
net_drop_queue(struct net_conn *c)
{
	free_frames(c->head);
	c->head = NULL;
	c->tail = NULL;
	c->frames = 0;
	c->released = 0;
	c->bytes = 0;
	c->history_bytes = 0;
}

void
net_release(void)
{
	struct net_conn *c = dirty_list, *next;

	dirty_list = NULL;
	for (; c; c = next) {
		next = c->dirty_next;
		c->dirty = false;
		c->released = c->frames;
		if (!c->dead)
			lws_callback_on_writable(c->wsi);
	}
}

void
net_discard_unreleased(void)
{
	struct net_conn *c;

	for (c = dirty_list; c; c = c->dirty_next) {
		struct frame **pp = &c->head;
		size_t i;

		for (i = 0; i < c->released && *pp; i++)
			pp = &(*pp)->next;
		free_frames(*pp);
		*pp = NULL;
		c->frames = c->released;
		c->tail = NULL;
		c->bytes = 0;
		c->history_bytes = 0;
		for (struct frame *f = c->head; f; f = f->next) {
			c->tail = f;
			c->bytes += f->len;
			if (f->history)
				c->history_bytes += f->len;
		}
	}
	net_release();
}

void
net_conn_set_user(struct net_conn *c, void *user)
{
	c->user = user;
}

void *
net_conn_user(const struct net_conn *c)
{
	return c->user;
}

const char *
net_conn_address(const struct net_conn *c)
{
	return c->addr;
}

const struct net_stats *
net_get_stats(void)
{
	return &stats;
}

void
net_set_config(const struct config *c)
{
	cfg = c;
}

/*
 * Send our close frame ourselves. Returning -1 after lws_close_reason works
 * from RECEIVE but, in lws 4.1, not from WRITEABLE, where the connection is
 * dropped without a close frame; so the frame is written here and the
 * peer's answering close (WS_PEER_INITIATED_CLOSE) ends the connection.
 */
static int
send_close(struct net_conn *c)
{
	unsigned char buf[LWS_PRE + 2 + sizeof(c->close_reason)];
	size_t n = strlen(c->close_reason);

	buf[LWS_PRE] = (unsigned char)(c->close_code >> 8);
	buf[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
	memcpy(buf + LWS_PRE + 2, c->close_reason, n);
	if (lws_write(c->wsi, buf + LWS_PRE, n + 2, NET_WRITE_CLOSE) < 0)
		return -1;
	c->close_sent = true;
	/* A peer that never answers is cut after five seconds. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, 5);
	return 0;
}

/*
 * Frames go out several to one lws_write, framed by us (wsframe.h): one
 * send() per WRITEABLE however many frames an advisor's sixty chats have
 * queued, and no lws_send_pipe_choked poll() between them (issue 14).
 *
 * The bytes are handed over as LWS_WRITE_HTTP, which lws 4.1's ws role
 * passes to lws_issue_raw unframed (rops_write_role_protocol_ws, its
 * send_raw), with TLS as without. lws_issue_raw sends at most the
 * protocol's tx_packet_size (+ LWS_PRE + 4) per send(), which protocols[]
 * sets to NET_BATCH_MAX, so a batch goes in one. What the kernel (or
 * SSL_write: lws sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) does not take
 * lws copies into the connection's own buffer and reports as written; it
 * sends that ahead of everything else and delivers no WRITEABLE until it
 * is gone (lws_handle_POLLOUT_event), so frames stay whole and in order,
 * its pings land between our frames, and a frame we have handed over has
 * left our queue for good: our counts stay right. lws holds at most one
 * batch (or one frame larger than a batch) per connection that way, on top
 * of our queue's caps.
 */

/* Bytes, headers included, that one WRITEABLE writes at most. A frame
 * larger than this (a long history) goes alone, from its own memory. */
#define NET_BATCH_MAX (64 * 1024)

/*
 * The batch being written. One for the process, shared by every
 * connection: only the loop thread writes, and a batch lives from its
 * first byte to the return of its lws_write, which has by then sent it or
 * copied what is left. Static, so it lives as long as the process.
 */
static unsigned char batch[LWS_PRE + NET_BATCH_MAX];

/* Take c's first frame off its queue; the caller frees it. */
static struct frame *
pop_head(struct net_conn *c)
{
	struct frame *f = c->head;

	c->head = f->next;
	if (!c->head)
		c->tail = NULL;
	c->frames--;
	c->released--;
	c->bytes -= f->len;
	if (f->history)
		c->history_bytes -= f->len;
	return f;
}

/*
 * Hand lws len bytes of whole frames at buf (LWS_PRE bytes of room before
 * it). lws returns -1 only on failure: it reports bytes it buffered as
 * written. -1 when the write failed.
 */
static int
write_raw(struct net_conn *c, unsigned char *buf, size_t len, size_t frames)
{
	if (lws_write(c->wsi, buf, len, LWS_WRITE_HTTP) < 0)
		return -1;
	stats.frames_out += frames;
	return 0;
}

/* Write c's first frame, too large for the batch, framed in place in its
 * own headroom. -1: the write failed. */
static int
write_alone(struct net_conn *c)
{
	struct frame *f = pop_head(c);
	unsigned char head[WSFRAME_HEADER_MAX];
	size_t hlen = wsframe_text_header(head, f->len);
	unsigned char *start = f->data + FRAME_PRE - hlen;
	int rc;

	memcpy(start, head, hlen);
	rc = write_raw(c, start, hlen + f->len, 1);
	free(f);
	return rc;
}

/* Write as many of c's released frames as fit in the batch (at least the
 * first, alone when it is larger) in one lws_write. -1: it failed. */
static int
write_batch(struct net_conn *c)
{
	unsigned char *out = batch + LWS_PRE;
	size_t used = 0, n = 0;

	if (c->head->len > NET_BATCH_MAX - WSFRAME_HEADER_MAX)
		return write_alone(c);
	while (c->released > 0 && c->head &&
	       wsframe_append(out, NET_BATCH_MAX, &used,
			      c->head->data + FRAME_PRE, c->head->len)) {
		free(pop_head(c));
		n++;
	}
	return write_raw(c, out, used, n);
}

/* The peer showed it is there: a frame or a pong. */
static void
heard(struct net_conn *c)
{
	c->heard_ms = now_ms();
	c->pinged = false;
}

/* The ping net_keepalive asked for, in a WRITEABLE of its own; whatever
 * else waits gets the next one. -1: the write failed. Not empty: lws 4.1
 * hands an empty pong to nobody (ops-ws.c), so its answer would not count
 * as a sign of life. */
static int
write_ping(struct net_conn *c)
{
	unsigned char buf[LWS_PRE + 5];

	c->ping_due = false;
	memcpy(buf + LWS_PRE, "neuvo", 5);
	if (lws_write(c->wsi, buf + LWS_PRE, 5, LWS_WRITE_PING) < 0)
		return -1;
	if ((c->released > 0 && c->head) || c->close_code)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * One write per WRITEABLE: a batch of released frames, or the close once
 * the queue is empty, in a WRITEABLE of its own. Returns -1 to have lws
 * close the connection.
 */
static int
write_released(struct net_conn *c)
{
	if (c->dead)
		return -1;
	if (c->ping_due)
		return write_ping(c);
	if (c->released > 0 && c->head) {
		if (write_batch(c))
			return -1;
		if (c->released > 0 ||
		    (c->close_code && !c->head && !c->close_sent))
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_code && !c->head && !c->close_sent)
		return send_close(c);
	return 0;
}

/* ------------------------------------------------------------- handshake */

static bool
origin_allowed(struct lws *wsi)
{
	char origin[256];
	int i, n;

	n = lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN);
	if (n <= 0)
		return n == 0;  /* no Origin: not a browser, nothing to forge */
	for (i = 0; i < cfg->n_allowed_origins; i++)
		if (!strcmp(origin, cfg->allowed_origins[i]))
			return true;
	return false;
}

/* Answer a refused upgrade with a real HTTP status, then close. Written
 * raw: in the ws role (FILTER_PROTOCOL_CONNECTION) lws_write passes
 * LWS_WRITE_HTTP through unframed, and so does the h1 role before any
 * answer (CONFIRM_UPGRADE). */
static void
refuse_upgrade(struct lws *wsi, const char *status)
{
	unsigned char buf[LWS_PRE + 896];
	int n;

	/* The same security headers as every other answer (info.headers is
	 * not applied to a response written by hand). */
	n = snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
		     "HTTP/1.1 %s\r\n"
		     "Content-Security-Policy: " CSP "\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "Referrer-Policy: no-referrer\r\n"
		     "X-Frame-Options: DENY\r\n"
		     "%s"
		     "Content-Length: 0\r\n"
		     "Connection: close\r\n\r\n", status,
		     lws_is_ssl(wsi) ? "Strict-Transport-Security: " HSTS
				       "\r\n" : "");
	if (n > 0 && (size_t)n < sizeof(buf) - LWS_PRE)
		(void)lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP);
}

static int
max_per_ip(void)
{
	return cfg->max_connections_per_ip;
}

/*
 * The client address of this request into out (addr.h): the peer, or what
 * a trusted proxy's X-Forwarded-For vouches for. lws keeps all headers of
 * a request within max_http_header_data (4 KiB), so xff holds any
 * X-Forwarded-For it lets through; repeated headers come joined by commas.
 */
static void
client_address(struct lws *wsi, char *out, size_t n)
{
	char peer[ADDR_TEXT_MAX], xff[4096];
	const char *forwarded = NULL;

	if (!lws_get_peer_simple(wsi, peer, sizeof(peer)))
		peer[0] = '\0';
	if (cfg->n_trusted_proxies > 0 &&
	    lws_hdr_copy(wsi, xff, sizeof(xff), WSI_TOKEN_X_FORWARDED_FOR) > 0)
		forwarded = xff;
	addr_client(peer, forwarded, cfg->trusted_proxies,
		    cfg->n_trusted_proxies, out, n);
}

static int
filter_upgrade(struct lws *wsi, struct session *pss, int proto_id)
{
	if (proto_id != PROTO_ID_RESIDENT && proto_id != PROTO_ID_ADVISOR) {
		stats.refused_protocol++;
		refuse_upgrade(wsi, "400 Bad Request");
		return 1;
	}
	if (!origin_allowed(wsi)) {
		stats.refused_origin++;
		refuse_upgrade(wsi, "403 Forbidden");
		return 1;
	}
	client_address(wsi, pss->addr, sizeof(pss->addr));
	if (iplimit_count(&per_ip, pss->addr) >= max_per_ip()) {
		stats.refused_per_ip++;
		refuse_upgrade(wsi, "429 Too Many Requests");
		return 1;
	}
	return 0;
}

/*
 * LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: only `Upgrade: websocket` may go on.
 *
 * lws 4.1.6 calls this for two kinds of request, and its `in` must never be
 * read (CVE-2025-11677):
 *  - `Upgrade: h2c` (and websocket): nothing answered yet; returning 0
 *    would switch the connection to lws's HTTP/2, which we keep shut;
 *  - any other Upgrade: lws has already answered 403 and may have freed
 *    the header table, so `in` may point into freed memory. Returning 0
 *    would make lws read it itself and then serve a request whose headers
 *    are gone.
 * So the Upgrade header is read afresh, as lws compares it (its first
 * value, any case); a table that is gone shows no header at all.
 *
 * Returns 0 for websocket. For h2c it answers 403 as lws answers other
 * unknown upgrades (but as HTTP/1.1 with our security headers, where lws
 * would write HTTP/1.0: it learns the version only later) and hangs up.
 * Anything else was answered already, or cannot be read: -1 hangs up.
 */
static int
confirm_upgrade(struct lws *wsi)
{
	char up[16];

	if (lws_hdr_copy_fragment(wsi, up, sizeof(up), WSI_TOKEN_UPGRADE,
				  0) <= 0)
		return -1;
	if (!strcasecmp(up, "websocket"))
		return 0;
	if (!strcasecmp(up, "h2c"))
		refuse_upgrade(wsi, "403 Forbidden");
	return -1;
}

/* ----------------------------------------------------- WebSocket protocols */

/* A message lws hands over in one piece goes straight to the service: an
 * idle connection holds no reassembly buffer (issue 14: memory per queued
 * resident). Only a message that comes in pieces (a fragmented message, or
 * one larger than lws's rx buffer) is gathered in c->rx, allocated for it and
 * freed once it is whole. */
static int
on_receive(struct net_conn *c, struct lws *wsi, const void *in, size_t len)
{
	bool whole = lws_is_final_fragment(wsi) &&
		     !lws_remaining_packet_payload(wsi);

	if (lws_frame_is_binary(wsi)) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
				 (unsigned char *)"text frames only", 16);
		return -1;
	}
	if (c->rx_len + len > PROTO_MAX_FRAME) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)"frame over 16 KiB", 17);
		return -1;
	}
	if (whole && !c->rx) {
		stats.frames_in++;
		svc_on_frame(service, c, in, len);
		return 0;
	}
	if (!c->rx && !(c->rx = malloc(PROTO_MAX_FRAME)))
		return -1;
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!whole)
		return 0;
	stats.frames_in++;
	svc_on_frame(service, c, c->rx, c->rx_len);
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
	return 0;
}

static int
on_established(struct session *pss, struct lws *wsi, int proto_id)
{
	struct net_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	/* The handshake's headers are still there, but the address is the
	 * one the handshake was admitted for. */
	memcpy(c->addr, pss->addr, sizeof(c->addr));
	/* Checked at the handshake too; this catches a race of two at once. */
	if (!iplimit_acquire(&per_ip, c->addr, max_per_ip())) {
		stats.refused_per_ip++;
		free(c);
		return -1;
	}
	c->wsi = wsi;
	c->heard_ms = now_ms();
	c->all_next = all_conns;
	if (all_conns)
		all_conns->all_prev = c;
	all_conns = c;
	pss->conn = c;
	stats.connections_total++;
	stats.connections_open++;
	svc_on_open(service, c, proto_id == PROTO_ID_ADVISOR ? PROTO_ADVISOR
							     : PROTO_RESIDENT);
	return 0;
}

static void
on_closed(struct session *pss)
{
	struct net_conn *c = pss->conn;

	if (!c)
		return;
	pss->conn = NULL;
	svc_on_close(service, c);
	unmark_dirty(c);
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		all_conns = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	free_frames(c->head);
	free(c->rx);
	iplimit_release(&per_ip, c->addr);
	free(c);
	stats.connections_open--;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	    void *in, size_t len)
{
	struct session *pss = user;
	int proto_id = (int)lws_get_protocol(wsi)->id;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return filter_upgrade(wsi, pss, proto_id);
	case LWS_CALLBACK_ESTABLISHED:
		return on_established(pss, wsi, proto_id);
	case LWS_CALLBACK_RECEIVE:
		if (pss->conn)
			heard(pss->conn);
		return pss->conn ? on_receive(pss->conn, wsi, in, len) : -1;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (pss->conn)
			heard(pss->conn);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->conn ? write_released(pss->conn) : -1;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* The answer to our close: hang up without echoing it. */
		return pss->conn && pss->conn->close_sent ? -1 : 0;
	case LWS_CALLBACK_CLOSED:
		on_closed(pss);
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------- HTTP */

static void
free_body(struct session *pss)
{
	free(pss->body);
	pss->body = NULL;
	pss->body_len = 0;
}

/* Build the body for one of our endpoints, with its HTTP status in *code.
 * NULL with *ours false: the path is not ours (404); NULL with *ours true:
 * out of memory (500). */
/* GET /accessibility: the statement in the asked-for language (service.h);
 * NULL when it cannot be read (the caller answers 404). */
static char *
accessibility_body(struct lws *wsi, const char **type)
{
	char arg[32], accept[256];
	const char *lang = lws_get_urlarg_by_name(wsi, "lang=", arg,
						  (int)sizeof(arg));

	if (lws_hdr_copy(wsi, accept, sizeof(accept),
			 WSI_TOKEN_HTTP_ACCEPT_LANGUAGE) <= 0)
		accept[0] = '\0';
	*type = "text/html; charset=utf-8";
	return svc_accessibility_html(service,
				      svc_accessibility_lang(lang, accept));
}

static char *
endpoint_body(struct lws *wsi, const char *path, const char **type,
	      bool *ours, int *code)
{
	*type = "application/json";
	*ours = true;
	*code = HTTP_STATUS_OK;
	if (!strcmp(path, "/accessibility")) {
		char *body = accessibility_body(wsi, type);

		*ours = body != NULL;
		return body;
	}
	if (!strcmp(path, "/api/status"))
		return svc_status_json(service);
	if (!strcmp(path, "/healthz"))
		return svc_health_json(service, code);
	if (!strcmp(path, "/metrics")) {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		return svc_metrics_text(service);
	}
	*ours = false;
	return NULL;
}

static int
http_request(struct session *pss, struct lws *wsi)
{
	unsigned char head[LWS_PRE + 1024], *p = head + LWS_PRE;
	unsigned char *end = head + sizeof(head) - 1;
	char path[128], *text;
	const char *type;
	size_t len;
	bool ours;
	int code;

	if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0) {
		lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	text = endpoint_body(wsi, path, &type, &ours, &code);
	if (!text) {
		lws_return_http_status(wsi, ours ? HTTP_STATUS_INTERNAL_SERVER_ERROR
						 : HTTP_STATUS_NOT_FOUND, NULL);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	len = strlen(text);
	free_body(pss);
	pss->body = malloc(LWS_PRE + len);
	if (!pss->body) {
		free(text);
		return -1;
	}
	memcpy(pss->body + LWS_PRE, text, len);
	pss->body_len = len;
	free(text);
	if (lws_add_http_common_headers(wsi, (unsigned int)code, type, len, &p,
					end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)
					"cache-control:", (const unsigned char *)
					"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, head + LWS_PRE, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int
http_writeable(struct session *pss, struct lws *wsi)
{
	int n;

	if (!pss->body)
		return 0;
	n = lws_write(wsi, pss->body + LWS_PRE, pss->body_len,
		      LWS_WRITE_HTTP_FINAL);
	free_body(pss);
	if (n < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	      void *in, size_t len)
{
	struct session *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* An upgrade with no subprotocol lands on the default one. */
		return filter_upgrade(wsi, pss, PROTO_ID_HTTP);
	case LWS_CALLBACK_HTTP:
		return http_request(pss, wsi);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writeable(pss, wsi);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss)
			free_body(pss);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/* ------------------------------------------------------------------ setup */

/* lws's receive buffer per WebSocket connection (it allocates one for every
 * connection at the upgrade). Most frames are far smaller; a larger one
 * comes to on_receive in pieces and is gathered there. Sends keep their
 * own limit, tx_packet_size: one batch (write_batch) per send(). lws
 * allocates nothing by it. */
#define RX_CHUNK 2048

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, sizeof(struct session), 0, PROTO_ID_HTTP,
	  NULL, 0 },
	{ "neuvo.resident.v1", ws_callback, sizeof(struct session),
	  RX_CHUNK, PROTO_ID_RESIDENT, NULL, NET_BATCH_MAX },
	{ "neuvo.advisor.v1", ws_callback, sizeof(struct session),
	  RX_CHUNK, PROTO_ID_ADVISOR, NULL, NET_BATCH_MAX },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* lws's own keepalive ("validity") off: net_keepalive does it. lws keeps
 * each connection's validity timer in one list sorted by time and inserts
 * by walking it from the front; every timer re-armed is the latest, so each
 * pong and each new connection walked all of them: with 10,000 waiting
 * residents 16 % of the server's CPU went to that walk (issue 14's storm
 * profile), and it grows with the square of the connections. */
static const lws_retry_bo_t keepalive = {
	.secs_since_valid_ping = 0,
	.secs_since_valid_hangup = 0,
};

static struct lws_protocol_vhost_options hdr_hsts = {
	NULL, NULL, "strict-transport-security:", HSTS
};
static struct lws_protocol_vhost_options hdr_frame = {
	NULL, NULL, "x-frame-options:", "DENY"
};
static struct lws_protocol_vhost_options hdr_referrer = {
	&hdr_frame, NULL, "referrer-policy:", "no-referrer"
};
static struct lws_protocol_vhost_options hdr_nosniff = {
	&hdr_referrer, NULL, "x-content-type-options:", "nosniff"
};
static struct lws_protocol_vhost_options hdr_csp = {
	&hdr_nosniff, NULL, "content-security-policy:", CSP
};

static const struct lws_protocol_vhost_options mime_json = {
	NULL, NULL, ".json", "application/json"
};
static const struct lws_protocol_vhost_options mime_mjs = {
	&mime_json, NULL, ".mjs", "text/javascript"
};
static const struct lws_protocol_vhost_options mime_svg = {
	&mime_mjs, NULL, ".svg", "image/svg+xml"
};
static const struct lws_protocol_vhost_options mime_webmanifest = {
	&mime_svg, NULL, ".webmanifest", "application/manifest+json"
};

static struct lws_http_mount mounts[6];
static char web_root[4096], advisor_root[4096];

static void
mount_endpoint(struct lws_http_mount *m, const char *path,
	       const struct lws_http_mount *next)
{
	memset(m, 0, sizeof(*m));
	m->mount_next = next;
	m->mountpoint = path;
	m->mountpoint_len = (unsigned char)strlen(path);
	m->origin = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;
}

static void
mount_files(struct lws_http_mount *m, const char *path, const char *dir,
	    const struct lws_http_mount *next)
{
	memset(m, 0, sizeof(*m));
	m->mount_next = next;
	m->mountpoint = path;
	m->mountpoint_len = (unsigned char)strlen(path);
	m->origin = dir;
	m->def = "index.html";
	m->origin_protocol = LWSMPRO_FILE;
	m->extra_mimetypes = &mime_webmanifest;
	m->cache_max_age = 0;
}

static void
set_mounts(const struct config *c)
{
	snprintf(web_root, sizeof(web_root), "%s", c->web_root);
	snprintf(advisor_root, sizeof(advisor_root), "%s/advisor", c->web_root);
	mount_endpoint(&mounts[5], "/accessibility", NULL);
	mount_endpoint(&mounts[4], "/metrics", &mounts[5]);
	mount_endpoint(&mounts[3], "/healthz", &mounts[4]);
	mount_endpoint(&mounts[2], "/api/status", &mounts[3]);
	mount_files(&mounts[1], "/advisor", advisor_root, &mounts[2]);
	mount_files(&mounts[0], "/", web_root, &mounts[1]);
}

/*
 * TLS (CONTRACT.md section 7): TLS 1.2 with ECDHE key exchange and AEAD
 * ciphers only, or TLS 1.3 (all of whose suites are AEAD with (EC)DHE).
 * Set here, not left to the system's OpenSSL config, which an
 * administrator may have loosened for some other program; @SECLEVEL=2 also
 * refuses keys under 2048 bits (RSA) or 224 bits (EC). Both certificate
 * kinds work: ECDSA and RSA suites are listed.
 */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"@SECLEVEL=2"
#define TLS13_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"

static void
set_tls(struct lws_context_creation_info *info, const struct config *c)
{
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = c->tls_cert;
	info->ssl_private_key_filepath = c->tls_key;
	info->ssl_cipher_list = TLS12_CIPHERS;
	info->tls1_3_plus_cipher_list = TLS13_SUITES;
	info->ssl_options_set = (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
				       SSL_OP_NO_TLSv1_1 |
				       SSL_OP_NO_RENEGOTIATION |
				       SSL_OP_NO_COMPRESSION);
}

struct lws_context *
net_start(struct uv_loop_s *loop, const struct config *c, struct svc *svc)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	void *loops[1] = { loop };
	bool tls = c->tls_cert[0] != '\0';

	cfg = c;
	service = svc;
	set_mounts(c);
	hdr_frame.next = tls ? &hdr_hsts : NULL;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
		       LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (tls)
		set_tls(&info, c);
	info.foreign_loops = loops;
	info.port = c->port;
	info.iface = c->listen;
	/* lws 4.1 binds an IPv4 `listen` on its IPv6 socket as [::], every
	 * address of the host: keep an IPv4 address on an IPv4 socket. */
	if (inet_pton(AF_INET, c->listen, &(struct in_addr){ 0 }) == 1)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.protocols = protocols;
	info.mounts = &mounts[0];
	info.headers = &hdr_csp;
	info.alpn = "http/1.1";
	info.retry_and_idle_policy = &keepalive;
	info.timeout_secs = 5;
	info.timeout_secs_ah_idle = 5;
	info.vhost_name = "neuvo";
	info.server_string = "neuvo";
	info.pcontext = &live_ctx;
	ctx = lws_create_context(&info);
	live_ctx = ctx;
	if (!ctx || !net_listening(ctx))
		log_err("net: cannot listen on %s port %d", c->listen, c->port);
	return ctx;
}

/* lws 4.1 returns a context even when its vhost could not bind. */
bool
net_listening(struct lws_context *ctx)
{
	return lws_get_vhost_by_name(ctx, "neuvo") != NULL;
}

void
net_stop(struct lws_context *ctx)
{
	if (ctx)
		lws_context_destroy(ctx);
	iplimit_clear(&per_ip);
}

bool
net_finish(void)
{
	if (!live_ctx)
		return false;
	lws_context_destroy(live_ctx);
	return live_ctx != NULL;
}

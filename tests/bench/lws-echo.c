/*
 * lws-echo.c - the raw libwebsockets echo server that tests/bench/run.sh
 * measures beside neuvo: the library's ceiling on this machine.
 *
 *   lws-echo [--host 127.0.0.1] [--port 8090]
 *
 * It runs lws the way neuvo does (a foreign libuv loop, UTF-8 checked, no
 * extensions, the same keepalive) and echoes every text message received
 * on subprotocol neuvo.resident.v1, unchanged, so that neuvo-load --mode
 * echo can drive it. It stores nothing, parses nothing and redacts nothing:
 * whatever neuvo does beyond this is the cost of neuvo's own work.
 *
 * Per connection it keeps a bounded queue of copies (as neuvo does, 512
 * frames or 1 MiB) and drops a connection that stops reading. A message
 * that arrives in fragments is gathered up to 16 KiB first (neuvo's frame
 * limit); a whole one is copied once, straight from lws's buffer.
 * SIGINT or SIGTERM ends it (exit 0).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <uv.h>

#define ECHO_MAX_FRAME (16 * 1024)
#define ECHO_MAX_FRAMES 512
#define ECHO_MAX_BYTES (1024 * 1024)

/* One queued copy; owned by its connection's queue. */
struct echo_frame {
	struct echo_frame *next;
	size_t len;
	unsigned char data[];           /* LWS_PRE headroom, then the text */
};

/* One per WebSocket connection: lws allocates it (per_session_data_size)
 * and frees it after LWS_CALLBACK_CLOSED, where its queue is emptied.
 * Touched only on the loop thread. */
struct echo_conn {
	struct echo_frame *head, *tail;
	size_t frames, bytes;
	char *rx;                       /* fragments gathered; NULL mostly */
	size_t rx_len;
	bool too_long;
};

static int
enqueue(struct lws *wsi, struct echo_conn *c, const void *in, size_t len)
{
	struct echo_frame *f;

	if (c->frames >= ECHO_MAX_FRAMES || c->bytes + len > ECHO_MAX_BYTES)
		return -1;              /* it stopped reading: drop it */
	f = malloc(sizeof(*f) + LWS_PRE + len);
	if (!f)
		return -1;
	f->next = NULL;
	f->len = len;
	memcpy(f->data + LWS_PRE, in, len);
	if (c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	c->frames++;
	c->bytes += len;
	lws_callback_on_writable(wsi);
	return 0;
}

static void
drop_queue(struct echo_conn *c)
{
	while (c->head) {
		struct echo_frame *f = c->head;

		c->head = f->next;
		free(f);
	}
	c->tail = NULL;
	free(c->rx);
	c->rx = NULL;
}

/* A piece of a message. Returns -1 to close the connection. */
static int
on_receive(struct lws *wsi, struct echo_conn *c, const char *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi);
	bool done = lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi);

	if (lws_frame_is_binary(wsi))
		return 0;
	if (first && done)
		return enqueue(wsi, c, in, len);
	if (first) {
		c->rx_len = 0;
		c->too_long = false;
	}
	if (!c->rx) {
		c->rx = malloc(ECHO_MAX_FRAME);
		if (!c->rx)
			return -1;
	}
	if (c->rx_len + len > ECHO_MAX_FRAME)
		c->too_long = true;
	else {
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
	}
	if (!done)
		return 0;
	if (c->too_long) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
		return -1;
	}
	return enqueue(wsi, c, c->rx, c->rx_len);
}

/* One lws_write per WRITEABLE, as lws asks. */
static int
on_writable(struct lws *wsi, struct echo_conn *c)
{
	struct echo_frame *f = c->head;
	int n;

	if (!f)
		return 0;
	c->head = f->next;
	if (!c->head)
		c->tail = NULL;
	c->frames--;
	c->bytes -= f->len;
	n = lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT);
	free(f);
	if (n < 0)
		return -1;
	if (c->head)
		lws_callback_on_writable(wsi);
	return 0;
}

static int
on_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	void *in, size_t len)
{
	struct echo_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(c, 0, sizeof(*c));
		break;
	case LWS_CALLBACK_RECEIVE:
		return on_receive(wsi, c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return on_writable(wsi, c);
	case LWS_CALLBACK_CLOSED:
		drop_queue(c);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "http", lws_callback_http_dummy, 0, 0, 0, NULL, 0 },
	{ "neuvo.resident.v1", on_echo, sizeof(struct echo_conn), 4096, 0,
	  NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const lws_retry_bo_t keepalive = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 60,
};

/* The context, and the signal handles; one process, one loop thread. lws
 * sets live_ctx to NULL once the context is gone (info.pcontext). */
static struct lws_context *live_ctx;
static uv_signal_t sigterm, sigint;

/* SIGINT or SIGTERM: start tearing the context down (on a foreign loop
 * lws 4.1 finishes it over further loop runs, as neuvo's main.c does) and
 * close our handles, so that the loop runs dry. */
static void
on_signal(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	if (live_ctx)
		lws_context_destroy(live_ctx);
	if (!uv_is_closing((uv_handle_t *)&sigterm))
		uv_close((uv_handle_t *)&sigterm, NULL);
	if (!uv_is_closing((uv_handle_t *)&sigint))
		uv_close((uv_handle_t *)&sigint, NULL);
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fprintf(stderr, "lws-echo: cannot raise the fd limit\n");
	}
}

static int
parse_args(int argc, char **argv, const char **host, int *port)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host") && i + 1 < argc)
			*host = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			*port = atoi(argv[++i]);
		else
			return -1;
	}
	return *port > 0 && *port < 65536 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	uv_loop_t loop;
	void *loops[1] = { &loop };
	const char *host = "127.0.0.1";
	int port = 8090;

	if (parse_args(argc, argv, &host, &port)) {
		fputs("usage: lws-echo [--host A] [--port P]\n", stderr);
		return 1;
	}
	raise_fd_limit();
	lws_set_log_level(LLL_ERR, NULL);
	if (uv_loop_init(&loop) || uv_signal_init(&loop, &sigterm) ||
	    uv_signal_init(&loop, &sigint) ||
	    uv_signal_start(&sigterm, on_signal, SIGTERM) ||
	    uv_signal_start(&sigint, on_signal, SIGINT))
		return 1;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
		       LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.foreign_loops = loops;
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	info.retry_and_idle_policy = &keepalive;
	info.timeout_secs = 5;
	info.vhost_name = "lws-echo";
	info.pcontext = &live_ctx;
	live_ctx = lws_create_context(&info);
	if (!live_ctx || !lws_get_vhost_by_name(live_ctx, "lws-echo")) {
		/* Like neuvo: a context on a foreign loop that failed to bind
		 * cannot be torn down safely in lws 4.1; leave at once. */
		fprintf(stderr, "lws-echo: cannot listen on %s port %d\n", host,
			port);
		_exit(1);
	}
	fprintf(stderr, "lws-echo listening on %s port %d\n", host, port);
	uv_run(&loop, UV_RUN_DEFAULT);
	while (live_ctx) {
		lws_context_destroy(live_ctx);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	(void)uv_loop_close(&loop);
	return 0;
}

/*
 * main.c - neuvo-server: reads the config, opens the store, and runs the
 * service on one libuv loop shared with libwebsockets.
 *
 * The loop owns five kinds of handle of ours besides lws's own:
 *  - a check handle, run after every poll: the end of a "turn", where the
 *    store commits and queued frames are released (one sync per turn);
 *  - a 250 ms timer driving coalesced pushes and timeouts (svc_tick);
 *  - signal handles: SIGHUP reloads the config, SIGTERM/SIGINT stop (the
 *    chats stay in the store for the next start), SIGUSR1 drains (ends
 *    service for good: no new residents, then a stop once every chat has
 *    ended);
 *  - an async handle the SMTP worker wakes (uv_async_send is the one libuv
 *    call safe from another thread), so its results are taken on the loop;
 *  - a drain timer that gives close frames time at SIGTERM.
 * At the start the service rebuilds the queue and the open chats from the
 * store (svc_restore), so that any stop, a crash included, loses nobody.
 * Signals arrive through the loop, so no handler ever runs inside a
 * callback. One thread of ours runs beside the loop: the SMTP worker
 * (smtp.h), which is stopped and joined before the async handle closes.
 *
 * The service reaches the connections through net.c's functions, handed to
 * it as a struct svc_io table (service.h), with the clocks below.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <uv.h>

#include "config.h"
#include "hours.h"
#include "log.h"
#include "net.h"
#include "neuvo_version.h"
#include "notify.h"
#include "overload.h"
#include "service.h"
#include "smtp.h"
#include "store.h"
#include "tlsfile.h"

#define TICK_MS 250
/* overload.c takes a poll's wait longer than OVERLOAD_WAIT_MAX_MS for a
 * stopped process; the tick must end every wait of a running one well
 * before that. */
_Static_assert(TICK_MS * 2 <= OVERLOAD_WAIT_MAX_MS,
	       "the tick must end every poll's wait before OVERLOAD_WAIT_MAX_MS");
#define DRAIN_MS 1500           /* time for close frames on SIGTERM */

/* Everything the process runs; one, on main's stack. */
struct server {
	uv_loop_t loop;
	uv_check_t turn;
	uv_prepare_t before_poll; /* samples the loop (svc_loop_sample) */
	uv_idle_t spin;         /* polls without waiting while svc_pushing */
	uv_timer_t tick;
	uv_timer_t drain;
	uv_signal_t sighup, sigterm, sigint, sigusr1;
	uv_async_t mail_wake;   /* the SMTP worker has results */
	struct config *cfg;
	struct store *st;
	struct svc *svc;
	struct lws_context *lws;
	struct smtp *smtp;      /* the email worker; NULL when not running */
	bool loop_open;         /* uv_loop_init succeeded */
	bool loop_ready;        /* our handles are initialised */
	bool stopping;
	bool tz_pending;        /* a reload changed the zone; not applied yet */
};

#define USAGE "usage: neuvo-server --config PATH [--check]"

/* --help and --version: what they print on standard output. */
static void
print_help(void)
{
	printf(USAGE "\n"
	       "       neuvo-server --help | --version\n\n"
	       "The neuvo chat server: HTTP and WebSocket on one port.\n"
	       "  --config PATH  the INI file (see neuvo.ini(5))\n"
	       "  --check        validate the config, print ok or every "
	       "error, exit 0/1\n"
	       "Signals: SIGHUP re-reads the config, SIGTERM stops.\n"
	       "See neuvo-server(8).\n");
}

static void
print_version(void)
{
	printf("neuvo-server %s%s%s%s\n", NEUVO_VERSION,
	       NEUVO_GIT_DESCRIBE[0] ? " (git " : "", NEUVO_GIT_DESCRIBE,
	       NEUVO_GIT_DESCRIBE[0] ? ")" : "");
}

/* Returns 0 to run, 1 when --help or --version was answered (exit 0), -1
 * on a bad argument (exit 2). */
static int
parse_args(int argc, char **argv, const char **path, bool *check)
{
	int i;

	*path = NULL;
	*check = false;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help();
			return 1;
		} else if (!strcmp(argv[i], "--version")) {
			print_version();
			return 1;
		} else if (!strcmp(argv[i], "--config")) {
			/* "--config --check" is a missing path, not a file
			 * called "--check". */
			if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2)) {
				fprintf(stderr, "neuvo-server: --config needs "
					"a PATH (" USAGE ")\n");
				return -1;
			}
			*path = argv[++i];
		} else if (!strcmp(argv[i], "--check")) {
			*check = true;
		} else {
			fprintf(stderr, "neuvo-server: unknown argument "
				"'%s' (" USAGE ")\n", argv[i]);
			return -1;
		}
	}
	if (!*path) {
		fprintf(stderr, "neuvo-server: --config PATH is required "
			"(" USAGE ")\n");
		return -1;
	}
	return 0;
}

/* Load and validate; prints every error. Returns the config or NULL. */
static struct config *
load_config(const char *path)
{
	struct config *cfg;
	char *errors = NULL, why[512];

	if (config_load(path, &cfg, &errors)) {
		fputs(errors ? errors : "config: out of memory\n", stderr);
		free(errors);
		return NULL;
	}
	if (hours_tz_apply(&cfg->hours)) {
		fprintf(stderr, "%s: cannot apply timezone %s\n", path,
			cfg->hours.timezone);
		config_free(cfg);
		return NULL;
	}
	if (tlsfile_check(cfg->tls_cert, cfg->tls_key, why, sizeof(why))) {
		fprintf(stderr, "%s: [server] %s\n", path, why);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
warn_restart_needed(const struct config *old, const struct config *new)
{
	if (strcmp(old->listen, new->listen) || old->port != new->port ||
	    strcmp(old->tls_cert, new->tls_cert) ||
	    strcmp(old->tls_key, new->tls_key) ||
	    strcmp(old->database, new->database) ||
	    strcmp(old->web_root, new->web_root))
		log_warn("config: listen, port, TLS, database and web_root "
			 "changes take effect at the next restart");
}

/* The running context keeps the certificate it loaded at the start; say
 * now, not at the next restart, when the files on disk would not load. */
static void
warn_tls_unusable(const struct config *cfg)
{
	char why[512];

	if (tlsfile_check(cfg->tls_cert, cfg->tls_key, why, sizeof(why)))
		log_warn("config: [server] %s: the next restart will fail",
			 why);
}

/*
 * The zone is the process's (TZ, read by localtime_r). setenv must not race
 * the SMTP worker, whose libcurl and OpenSSL read the environment, so the
 * switch waits until the worker has nothing in hand (the loop is the only
 * one that gives it work): at once as a rule, else when the copies already
 * handed over are through, with no new ones given meanwhile.
 */
static void
apply_pending_tz(struct server *srv)
{
	if (!srv->tz_pending)
		return;
	if (srv->smtp && smtp_in_flight(srv->smtp) > 0) {
		svc_hold_mail(srv->svc, true);
		return;
	}
	srv->tz_pending = false;
	svc_hold_mail(srv->svc, false);
	if (hours_tz_apply(&srv->cfg->hours))
		log_err("config: cannot switch to timezone %s",
			srv->cfg->hours.timezone);
	else
		log_info("config: timezone now %s", srv->cfg->hours.timezone);
}

static void
reload(struct server *srv)
{
	struct config *cfg;
	char *errors = NULL;

	log_info("SIGHUP: reloading %s", srv->cfg->path);
	if (config_load(srv->cfg->path, &cfg, &errors)) {
		log_err("config reload refused, keeping the running config:");
		log_err("%s", errors ? errors : "out of memory");
		free(errors);
		return;
	}
	if (strcmp(cfg->hours.timezone, srv->cfg->hours.timezone))
		srv->tz_pending = true;
	warn_restart_needed(srv->cfg, cfg);
	warn_tls_unusable(cfg);
	svc_set_config(srv->svc, cfg);
	net_set_config(cfg);
	config_free(srv->cfg);
	srv->cfg = cfg;
	log_info("config reloaded");
	apply_pending_tz(srv);
}

/* The loop's idle total (svc_io.idle_us). */
static uint64_t
loop_idle_us(struct uv_loop_s *loop)
{
	return uv_metrics_idle_time(loop) / 1000u;
}

/*
 * Just before the loop polls (issue 14): the time and the loop's idle
 * total, for the rate limit's allowance and the overload rule
 * (overload.h). With UV_METRICS_IDLE_TIME, libuv (>= 1.39; Debian 12 has
 * 1.44) first polls without waiting, after adding back the descriptors
 * whose interest changed (lws changes it on every write), and waits,
 * accruing idle time, only if nothing at all was ready: at this moment
 * every socket had been read dry. The idle time is counted before the
 * poll's first callback, so the service sees it as it judges the frames
 * that poll reads. lws keeps the loop from waiting while it holds rx it
 * read but has not handed on (TLS records, its buffer list), and so does
 * our spin; missing a quiet moment only makes the backlog longer, which
 * errs towards the clients. (A poll() of the epoll descriptor here cannot
 * tell: a socket whose interest lws changed is out of the set until libuv
 * adds it back inside the next poll.)
 */
static void
on_before_poll(uv_prepare_t *h)
{
	struct server *srv = h->data;

	if (!srv->svc)
		return;
	svc_loop_sample(srv->svc, uv_hrtime() / 1000u,
			loop_idle_us(&srv->loop));
}

/* Nothing to do: its being active is what counts (on_turn_end). */
static void
on_spin(uv_idle_t *h)
{
	(void)h;
}

static void
on_turn_end(uv_check_t *h)
{
	struct server *srv = h->data;

	svc_end_turn(srv->svc);
	/* An active idle handle makes the next poll return at once, so the
	 * pushes left over go out in the next turns even when no socket
	 * stirs. */
	if (svc_pushing(srv->svc))
		(void)uv_idle_start(&srv->spin, on_spin);
	else
		(void)uv_idle_stop(&srv->spin);
}

static void stop(struct server *srv);

static void
on_tick(uv_timer_t *h)
{
	struct server *srv = h->data;

	apply_pending_tz(srv);
	net_keepalive();
	svc_tick(srv->svc);
	if (svc_drained(srv->svc)) {
		log_info("drained: every chat has ended");
		stop(srv);
	}
}

/* The SMTP worker's wake (any thread): one uv_async_send per result;
 * libuv coalesces sends that arrive before the loop gets round to it. */
static void
wake_for_mail(void *arg)
{
	(void)uv_async_send(arg);
}

static void
on_mail_wake(uv_async_t *h)
{
	struct server *srv = h->data;

	svc_on_wake(srv->svc);
}

/* The service's clocks (struct svc_io). */
static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

static uint64_t
mono_ms(void)
{
	return uv_hrtime() / 1000000u;
}

/* Close our handles; lws closes its own as its context goes, and the loop
 * then runs dry. The SMTP worker must be stopped first (stop_mailer): it
 * may wake mail_wake until it is joined. */
static void
close_handles(struct server *srv)
{
	uv_handle_t *h[] = {
		(uv_handle_t *)&srv->turn, (uv_handle_t *)&srv->before_poll,
		(uv_handle_t *)&srv->spin,
		(uv_handle_t *)&srv->tick,
		(uv_handle_t *)&srv->drain, (uv_handle_t *)&srv->sighup,
		(uv_handle_t *)&srv->sigterm, (uv_handle_t *)&srv->sigint,
		(uv_handle_t *)&srv->sigusr1, (uv_handle_t *)&srv->mail_wake,
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (!uv_is_closing(h[i]))
			uv_close(h[i], NULL);
}

/* Stop the email worker before the handle it wakes is closed. What it
 * finished meanwhile is recorded (the caller's turn commits it), so a copy
 * handed over is not sent again; the rest stays in the outbox. */
static void
stop_mailer(struct server *srv)
{
	if (!srv->smtp)
		return;
	smtp_stop(srv->smtp);
	if (srv->svc) {
		svc_on_wake(srv->svc);
		svc_set_mailer(srv->svc, NULL);
	}
	smtp_free(srv->smtp);
	srv->smtp = NULL;
}

static void
on_drained(uv_timer_t *h)
{
	struct server *srv = h->data;

	stop_mailer(srv);
	net_stop(srv->lws);
	srv->lws = NULL;
	uv_check_stop(&srv->turn);
	svc_end_turn(srv->svc);
	close_handles(srv);
}

static void
stop(struct server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	log_info("stopping: closing connections; the queue and the chats "
		 "are kept for the next start");
	svc_shutdown(srv->svc);
	svc_end_turn(srv->svc);
	uv_timer_stop(&srv->tick);
	uv_timer_start(&srv->drain, on_drained, DRAIN_MS, 0);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct server *srv = h->data;

	if (signum == SIGHUP) {
		(void)notify_send("RELOADING=1");
		reload(srv);
		(void)notify_send("READY=1");
	} else if (signum == SIGUSR1) {
		svc_drain(srv->svc);
	} else {
		(void)notify_send("STOPPING=1");
		stop(srv);
	}
}

/* 10,000 connections need more descriptors than the usual soft limit. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			log_warn("cannot raise the open file limit");
	}
}

/*
 * True when listen:port can be bound now. lws would only log a failure to
 * bind and carry on without a listener, so ask first and give the one-line
 * reason an administrator needs.
 */
static bool
port_free(const char *listen, int port)
{
	struct addrinfo hints, *ai;
	char service[16];
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(listen, service, &hints, &ai);
	if (rc) {
		log_err("cannot listen on %s port %d: %s", listen, port,
			gai_strerror(rc));
		return false;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	rc = fd < 0 ? -1 : 0;
	if (!rc)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!rc)
		rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc)
		log_err("cannot listen on %s port %d: %s", listen, port,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc == 0;
}

static int
init_loop(struct server *srv)
{
	if (uv_loop_init(&srv->loop))
		return -1;
	srv->loop_open = true;
	/* The idle total of svc_loop_sample (libuv >= 1.39). */
	if (uv_loop_configure(&srv->loop, UV_METRICS_IDLE_TIME))
		return -1;
	if (uv_check_init(&srv->loop, &srv->turn) ||
	    uv_prepare_init(&srv->loop, &srv->before_poll) ||
	    uv_idle_init(&srv->loop, &srv->spin) ||
	    uv_timer_init(&srv->loop, &srv->tick) ||
	    uv_timer_init(&srv->loop, &srv->drain) ||
	    uv_signal_init(&srv->loop, &srv->sighup) ||
	    uv_signal_init(&srv->loop, &srv->sigterm) ||
	    uv_signal_init(&srv->loop, &srv->sigint) ||
	    uv_signal_init(&srv->loop, &srv->sigusr1) ||
	    uv_async_init(&srv->loop, &srv->mail_wake, on_mail_wake))
		return -1;
	srv->loop_ready = true;
	srv->mail_wake.data = srv;
	srv->turn.data = srv->tick.data = srv->drain.data = srv;
	srv->before_poll.data = srv->spin.data = srv;
	srv->sighup.data = srv->sigterm.data = srv->sigint.data = srv;
	srv->sigusr1.data = srv;
	if (uv_check_start(&srv->turn, on_turn_end) ||
	    uv_prepare_start(&srv->before_poll, on_before_poll) ||
	    uv_timer_start(&srv->tick, on_tick, TICK_MS, TICK_MS) ||
	    uv_signal_start(&srv->sighup, on_signal, SIGHUP) ||
	    uv_signal_start(&srv->sigterm, on_signal, SIGTERM) ||
	    uv_signal_start(&srv->sigint, on_signal, SIGINT) ||
	    uv_signal_start(&srv->sigusr1, on_signal, SIGUSR1))
		return -1;
	return 0;
}

static const struct svc_io net_io = {
	net_send, net_close, net_release, net_discard_unreleased,
	net_conn_set_user, net_conn_user, net_get_stats, wall_now, mono_ms,
	net_conn_address, net_send_history, net_drop_queue, loop_idle_us
};

static int
run(struct server *srv)
{
	if (!port_free(srv->cfg->listen, srv->cfg->port))
		return 1;
	/* Chats that cannot be resumed (made before tokens were kept) end
	 * now, counted; svc_restore rebuilds the rest. */
	if (store_open(srv->cfg->database, 200, &srv->st) ||
	    store_close_unresumable(srv->st, (int64_t)time(NULL)))
		return 1;
	if (init_loop(srv)) {
		log_err("cannot set up the event loop");
		return 1;
	}
	srv->svc = svc_new(&srv->loop, srv->cfg, srv->st, &net_io);
	if (!srv->svc || svc_restore(srv->svc))
		return 1;
	srv->lws = net_start(&srv->loop, srv->cfg, srv->svc);
	if (!srv->lws)
		return 1;
	if (!net_listening(srv->lws)) {
		/* Lost a race for the port after port_free() said yes. lws 4.1
		 * cannot tear such a context down on a foreign loop without
		 * jumping into its unloaded event-lib plugin, so leave at once;
		 * the store is consistent after every commit. */
		_exit(1);
	}
	srv->smtp = smtp_start(wake_for_mail, &srv->mail_wake);
	if (srv->smtp)
		svc_set_mailer(srv->svc, srv->smtp);
	else
		log_err("email copies unavailable: the SMTP worker did not "
			"start");
	log_info("neuvo-server listening on %s port %d%s", srv->cfg->listen,
		 srv->cfg->port, srv->cfg->tls_cert[0] ? " (TLS)" : "");
	if (notify_send("READY=1") < 0)
		log_warn("cannot tell systemd we are ready ($NOTIFY_SOCKET)");
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	struct server srv;
	const char *path;
	bool check;
	int rc;

	if ((rc = parse_args(argc, argv, &path, &check)))
		return rc > 0 ? 0 : 2;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = load_config(path);
	if (!srv.cfg)
		return 1;
	if (check) {
		printf("ok\n");
		config_free(srv.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit is a full disk to us (SQLite gets an error and
	 * the service says `unavailable`), not a reason to die. */
	signal(SIGXFSZ, SIG_IGN);
	lws_set_log_level(LLL_ERR, NULL);
	raise_fd_limit();
	rc = run(&srv);
	if (rc)
		stop_mailer(&srv);
	if (rc && srv.loop_ready) {
		close_handles(&srv);
		uv_run(&srv.loop, UV_RUN_DEFAULT);
	}
	stop_mailer(&srv);
	if (srv.lws) {
		net_stop(srv.lws);
		uv_run(&srv.loop, UV_RUN_DEFAULT);
	}
	while (net_finish())
		uv_run(&srv.loop, UV_RUN_DEFAULT);
	if (srv.loop_open)
		(void)uv_loop_close(&srv.loop);
	svc_free(srv.svc);
	store_close(srv.st);
	config_free(srv.cfg);
	return rc;
}

/*
 * status.c - what the service tells the world over plain HTTP: the body of
 * GET /api/status (CONTRACT.md section 3: open now, hours, queue, estimate,
 * the chat settings the resident page needs) and of GET /metrics
 * (Prometheus text: counters and gauges, no personal data), plus the count
 * of residents queued today that /metrics shows.
 *
 * net.c calls svc_status_json and svc_metrics_text on the loop thread for
 * each request; they only read the service's state (and the io table's
 * connection counts), so a request changes nothing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "net.h"
#include "sbuf.h"
#include "svc_internal.h"

void
status_init_today(struct svc *s)
{
	int64_t now = svc_now(s), n = 0;
	time_t midnight;

	s->today = hours_local_date((time_t)now);
	midnight = hours_local_time(&s->today, 0);
	if (store_stat_count(s->st, stats_kind_name(STATS_STARTED),
			     (int64_t)midnight, now + 1, &n))
		n = 0;
	s->chats_today = (uint64_t)n;
}

void
status_count_today(struct svc *s, int64_t now)
{
	struct hours_date d = hours_local_date((time_t)now);

	if (hours_date_cmp(&d, &s->today) != 0) {
		s->today = d;
		s->chats_today = 0;
	}
	s->chats_today++;
}

static uint64_t
chats_today(struct svc *s)
{
	struct hours_date d = hours_local_date((time_t)svc_now(s));

	return hours_date_cmp(&d, &s->today) == 0 ? s->chats_today : 0;
}

/* ------------------------------------------------------------ /api/status */

static json_t *
time_json(time_t t)
{
	char buf[40];

	hours_format_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
week_json(const struct hours *h)
{
	static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat",
				      "sun" };
	json_t *o = json_object();
	char buf[32];
	int d, i;

	for (d = 0; d < 7; d++) {
		json_t *arr = json_array();

		for (i = 0; i < h->week[d].n; i++) {
			const struct hours_range *r = &h->week[d].r[i];

			snprintf(buf, sizeof(buf), "%02d:%02d-%02d:%02d",
				 r->start_min / 60, r->start_min % 60,
				 r->end_min / 60, r->end_min % 60);
			json_array_append_new(arr, json_string(buf));
		}
		json_object_set_new(o, days[d], arr);
	}
	return o;
}

static json_t *
today_json(const struct hours *h, time_t now)
{
	struct hours_date d = hours_local_date(now);
	struct hours_day day;
	enum hours_kind kind;
	char date[HOURS_DATE_MAX], ranges[128];

	hours_for_date(h, &d, &day, &kind);
	hours_format_day(&day, ranges, sizeof(ranges));
	hours_format_date(&d, date, sizeof(date));
	return json_pack("{s:s, s:s, s:s}", "date", date, "hours", ranges,
			 "kind", kind == HOURS_HOLIDAY ? "holiday"
				 : kind == HOURS_EXCEPTION ? "exception"
							   : "regular");
}

static json_t *
id_list(const char (*ids)[CONFIG_ID_MAX], int n)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ids[i]));
	return arr;
}

static json_t *
wait_json(long w)
{
	return w < 0 ? json_null() : json_integer(w);
}

char *
svc_status_json(struct svc *s)
{
	const struct config *cfg = s->cfg;
	time_t now = (time_t)svc_now(s), closes, next;
	int free_slots, avail = chat_advisors_available(s, &free_slots);
	/* Draining (svc_drain): closed for good, no next opening. */
	bool open = !s->draining && hours_open_at(&cfg->hours, now, &closes);
	json_t *o;

	o = json_pack("{s:b, s:o, s:o, s:o, s:I, s:i, s:o, s:s, s:o, s:o}",
		"open", open, "now", time_json(now),
		"closes_at", open ? time_json(closes) : json_null(),
		"next_open", s->draining ||
			     hours_next_open(&cfg->hours, now, 14, &next)
			     ? json_null() : time_json(next),
		"queue_length", (json_int_t)s->queue.length,
		"advisors_available", avail,
		"estimated_wait_s",
		wait_json(chat_estimate(s, s->queue.length + 1)),
		"timezone", cfg->hours.timezone,
		"hours", week_json(&cfg->hours),
		"today", today_json(&cfg->hours, now));
	if (!o)
		return NULL;
	if (json_object_set_new(o, "idle_timeout_s",
				json_integer(cfg->idle_timeout_s)) ||
	    json_object_set_new(o, "max_message_chars",
				json_integer(cfg->max_message_chars)) ||
	    json_object_set_new(o, "languages",
				id_list(cfg->languages, cfg->n_languages)) ||
	    json_object_set_new(o, "default_language",
				json_string(cfg->default_language)) ||
	    json_object_set_new(o, "topics",
				id_list(cfg->topics, cfg->n_topics)) ||
	    json_object_set_new(o, "email_available",
				json_boolean(cfg->smtp_url[0] != '\0' &&
					     s->mail.worker != NULL)) ||
	    json_object_set_new(o, "exit_url", json_string(cfg->exit_url)) ||
	    json_object_set_new(o, "other_help", cfg->other_help[0]
				? json_string(cfg->other_help) : json_null()) ||
	    json_object_set_new(o, "questions",
				json_boolean(cfg->questions))) {
		json_decref(o);
		return NULL;            /* a partial body would mislead */
	}
	return proto_dump(o);
}

/* -------------------------------------------------------------- /healthz */

char *
svc_health_json(struct svc *s, int *http_status)
{
	const char *reason;

	*http_status = 200;
	if (!s->store_down)
		return proto_dump(json_pack("{s:s}", "status", "ok"));
	(void)store_last_error(s->st, &reason);
	*http_status = 503;
	return proto_dump(json_pack("{s:s, s:s}", "status", "unavailable",
				    "reason", reason));
}

/* -------------------------------------------------------------- /metrics */

struct metric {
	const char *name, *type, *help;
	uint64_t value;
};

#define METRICS_MAX 64

/* The metrics in the order they are printed; returns how many. */
static size_t
collect_metrics(struct svc *s, struct metric *m)
{
	const struct net_stats *ns = s->io.stats();
	int free_slots, avail = chat_advisors_available(s, &free_slots);
	int online = 0, active = 0;
	struct advisor *a;
	size_t n = 0;

	for (a = s->advisors; a; a = a->next) {
		online += a->peer != NULL;
		active += a->n_active;
	}
#define M(nm, ty, hp, v) m[n++] = (struct metric){ nm, ty, hp, (uint64_t)(v) }
	M("neuvo_open", "gauge", "1 when the service is open now",
	  !s->draining &&
	  hours_open_at(&s->cfg->hours, (time_t)svc_now(s), NULL));
	M("neuvo_draining", "gauge", "1 while ending service for good",
	  s->draining);
	M("neuvo_store_unavailable", "gauge",
	  "1 while the database cannot be written", s->store_down);
	M("neuvo_queue_length", "gauge", "residents waiting", s->queue.length);
	M("neuvo_advisors_online", "gauge", "advisors connected", online);
	M("neuvo_advisors_available", "gauge", "advisors available", avail);
	M("neuvo_chats_active", "gauge", "chats with an advisor", active);
	M("neuvo_chats_today", "gauge", "residents queued today (local day)",
	  chats_today(s));
	M("neuvo_queue_wait_p90_seconds", "gauge", "p90 wait of the last 15 "
	  "min's takes and everyone waiting",
	  waits_p90(&s->recent, &s->queue, svc_now(s)));
	M("neuvo_connections_open", "gauge", "WebSocket connections",
	  ns->connections_open);
	M("neuvo_chats_started_total", "counter", "residents queued",
	  s->n.started);
	M("neuvo_chats_served_total", "counter", "chats taken", s->n.served);
	M("neuvo_chats_abandoned_total", "counter", "left the queue unserved",
	  s->n.abandoned);
	M("neuvo_chats_requeued_total", "counter", "chats put back in the queue",
	  s->n.requeued);
	M("neuvo_chats_timed_out_total", "counter", "chats ended idle",
	  s->n.ended_timeout);
	M("neuvo_queue_full_total", "counter", "turned away, queue full",
	  s->n.queue_full);
	M("neuvo_closed_attempts_total", "counter", "hello while closed",
	  s->n.closed_attempts);
	M("neuvo_messages_total", "counter", "chat messages", s->n.messages);
	M("neuvo_protocol_errors_total", "counter", "error frames sent",
	  s->n.errors_sent);
	M("neuvo_logins_total", "counter", "advisor logins", s->n.logins_ok);
	M("neuvo_login_failures_total", "counter", "failed advisor logins",
	  s->n.logins_failed);
	M("neuvo_logins_checking", "gauge", "password logins being checked",
	  s->login.running);
	M("neuvo_logins_waiting", "gauge", "password logins waiting their turn",
	  s->login.waiting);
	M("neuvo_logins_busy_total", "counter",
	  "password logins told to try again, none may wait",
	  s->n.logins_busy);
	M("neuvo_logins_paused_total", "counter",
	  "password logins refused unchecked, failures paused them",
	  s->n.logins_paused);
	M("neuvo_advisor_sessions_revoked_total", "counter",
	  "advisor sessions closed, token revoked elsewhere",
	  s->n.sessions_revoked);
	M("neuvo_ws_connections_total", "counter", "WebSocket connections",
	  ns->connections_total);
	M("neuvo_ws_frames_in_total", "counter", "frames received",
	  ns->frames_in);
	M("neuvo_ws_frames_out_total", "counter", "frames sent", ns->frames_out);
	M("neuvo_ws_dropped_slow_total", "counter", "peers dropped, not reading",
	  ns->dropped_slow);
	M("neuvo_ws_dropped_silent_total", "counter",
	  "peers hung up, no frame nor pong for 60 s", ns->dropped_silent);
	M("neuvo_ws_refused_origin_total", "counter", "handshakes refused, Origin",
	  ns->refused_origin);
	M("neuvo_ws_refused_protocol_total", "counter",
	  "handshakes refused, subprotocol", ns->refused_protocol);
	M("neuvo_ws_refused_per_ip_total", "counter",
	  "handshakes refused, connections per address", ns->refused_per_ip);
	M("neuvo_questions_open", "gauge",
	  "questions left while closed, not yet answered", s->q.open);
	M("neuvo_email_outbox", "gauge", "email copies waiting in the outbox",
	  s->mail.outbox_len);
	M("neuvo_email_sent_total", "counter",
	  "email copies handed to the mail server", s->mail.sent);
	M("neuvo_email_retried_total", "counter",
	  "email copy attempts that failed for now", s->mail.retried);
	M("neuvo_email_given_up_total", "counter",
	  "email copies given up (5xx, 24 h)", s->mail.given_up);
	M("neuvo_limits_queue_full_per_address_total", "counter",
	  "hellos turned away, waiting chats per address",
	  s->lim.full_per_address);
	M("neuvo_limits_rate_limited_total", "counter",
	  "hellos turned away, new chats per address and hour",
	  s->lim.rate_limited);
	M("neuvo_limits_wait_for_advisor_total", "counter",
	  "messages refused, written while queued", s->lim.wait_for_advisor);
	M("neuvo_limits_chat_full_total", "counter",
	  "messages refused, text per chat", s->lim.chat_full);
	M("neuvo_overload_refused_total", "counter",
	  "hellos turned away (queue_full), the loop too busy",
	  s->lim.overloaded);
	M("neuvo_loop_busy_ms", "gauge",
	  "the event loop's last turn less its wait in the poll, milliseconds",
	  overload_busy_ms(&s->gauge));
	M("neuvo_loop_utilisation", "gauge",
	  "the event loop's share of time working, smoothed, permille",
	  overload_utilisation_permille(&s->gauge));
	M("neuvo_loop_backlog_ms", "gauge",
	  "milliseconds since nothing was left to read",
	  overload_backlog_ms(&s->gauge, s->io.now_ms(), svc_idle_us(s)));
	M("neuvo_blocks_total", "counter", "blocks set by advisors",
	  s->lim.blocks);
	M("neuvo_blocked_hellos_total", "counter",
	  "hellos turned away, address blocked", s->lim.blocked_hellos);
	M("neuvo_blocks", "gauge", "blocks in force",
	  guard_blocks(s->lim.guard, svc_now(s)));
	M("neuvo_limits_addresses", "gauge",
	  "client addresses counted (keyed hashes, memory only)",
	  guard_entries(s->lim.guard));
	M("neuvo_desk_boards_total", "counter",
	  "board pushes to supervisors (coalesced)", s->desk.boards_sent);
	M("neuvo_desk_whispers_total", "counter", "whispers by supervisors",
	  s->desk.whispers);
	M("neuvo_desk_transfers_total", "counter", "chats transferred",
	  s->desk.transfers);
	M("neuvo_desk_alerts_total", "counter", "chats turned urgent",
	  s->desk.alerts);
#undef M
	return n;
}

char *
svc_metrics_text(struct svc *s)
{
	struct metric m[METRICS_MAX];
	size_t i, n = collect_metrics(s, m);
	struct sbuf out;

	sbuf_init(&out);
	for (i = 0; i < n; i++)
		sbuf_addf(&out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
			  m[i].name, m[i].help, m[i].name, m[i].type,
			  m[i].name, (unsigned long long)m[i].value);
	return sbuf_take(&out);
}

/* --------------------------------------------------------- /accessibility */

static const char *
statement_lang(const char *tag, size_t n)
{
	static const char *const langs[] = { "fi", "sv", "en" };
	size_t i;

	for (i = 0; i < 3; i++)
		if (n == 2 && strncasecmp(tag, langs[i], 2) == 0)
			return langs[i];
	return NULL;
}

/* q of one Accept-Language entry's parameters ("; q=0.5"), 1000ths. */
static int
entry_q(const char *params, size_t n)
{
	const char *q = NULL;
	size_t i;
	int v = 0, digits = 0;

	for (i = 0; i + 1 < n; i++)
		if ((params[i] == 'q' || params[i] == 'Q') &&
		    params[i + 1] == '=') {
			q = params + i + 2;
			break;
		}
	if (!q)
		return 1000;
	if (*q == '1')
		return 1000;
	if (*q != '0')
		return 0;
	if (q + 1 < params + n && q[1] == '.')
		for (q += 2; q < params + n && *q >= '0' && *q <= '9' &&
			     digits < 3; q++, digits++)
			v = v * 10 + (*q - '0');
	for (; digits < 3; digits++)
		v *= 10;
	return v;
}

const char *
svc_accessibility_lang(const char *lang, const char *accept)
{
	const char *best = NULL, *p = accept, *found;
	int best_q = 0;

	if (lang && (found = statement_lang(lang, strlen(lang))))
		return found;
	while (p && *p) {
		size_t len = strcspn(p, ","), tag;
		int q;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		tag = strcspn(p, "-;, \t");
		if (tag > len)
			tag = len;
		q = entry_q(p + tag, len - tag);
		found = statement_lang(p, tag);
		if (found && q > best_q) {
			best = found;
			best_q = q;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return best ? best : "fi";
}

char *
svc_accessibility_html(struct svc *s, const char *lang)
{
	char path[4200], *buf;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/accessibility/%s.html",
		 s->cfg->web_root, svc_accessibility_lang(lang, NULL));
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf = malloc(SVC_ACCESSIBILITY_MAX + 1);
	n = buf ? fread(buf, 1, SVC_ACCESSIBILITY_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n == 0 || n > SVC_ACCESSIBILITY_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * load_report.c - the load generator's figures as a table on standard
 * output and as CSV (load.h): one row per step, the workers' counts and
 * histograms added up first.
 */
#include <string.h>

#include "load.h"

const char *const load_error_codes[N_ERRORS] = {
	"rate_limited", "bad_json", "bad_type", "bad_field", "too_long",
	"not_allowed", "auth_failed", "queue_empty", "too_many_chats",
	"unknown_chat", "unavailable", "wait_for_advisor", "chat_full",
	"other"
};

const int load_close_codes[N_CLOSES] = {
	1000, 1001, 1006, 1008, 1009, 1011, 1012, 0
};

void
load_merge(struct step_stats *into, const struct step_stats *s)
{
	size_t i;

	into->advisors_ready += s->advisors_ready;
	into->connected += s->connected;
	into->refused_tcp += s->refused_tcp;
	into->refused_http += s->refused_http;
	if (s->last_http_status)
		into->last_http_status = s->last_http_status;
	into->queued += s->queued;
	into->assigned += s->assigned;
	into->positions += s->positions;
	into->live_at_window += s->live_at_window;
	into->adv_live_at_window += s->adv_live_at_window;
	into->waiting_at_window += s->waiting_at_window;
	into->churned += s->churned;
	into->advisors_up += s->advisors_up;
	into->advisors_relogged += s->advisors_relogged;
	into->sent_r += s->sent_r;
	into->sent_a += s->sent_a;
	into->echoed_r += s->echoed_r;
	into->echoed_a += s->echoed_a;
	into->relayed_r2a += s->relayed_r2a;
	into->relayed_a2r += s->relayed_a2r;
	into->win_echoes += s->win_echoes;
	into->turned_away += s->turned_away;
	into->closed_by_server += s->closed_by_server;
	into->stale_slots += s->stale_slots;
	into->gen_cpu_s += s->gen_cpu_s;
	for (i = 0; i < N_ERRORS; i++)
		into->errors[i] += s->errors[i];
	for (i = 0; i < N_CLOSES; i++)
		into->closes[i] += s->closes[i];
	for (i = 0; i < H_N; i++)
		bench_hist_merge(&into->h[i], &s->h[i]);
}

const char *const load_csv_header =
	"label,mode,step,residents,advisors,rate,offered_msgs_s,window_s,"
	"connected,queued,assigned,live_at_window,echoed_msgs_s,echo_p50_ms,echo_p90_ms,"
	"echo_p99_ms,echo_max_ms,relay_p50_ms,relay_p90_ms,relay_p99_ms,"
	"relay_max_ms,a2r_p50_ms,a2r_p99_ms,adv_echo_p50_ms,adv_echo_p99_ms,"
	"sent,echoed,unechoed,errors,rate_limited,error_codes,refused,"
	"turned_away,closed_by_server,close_codes,server_cpu_s,"
	"msgs_per_cpu_s,server_rss_kib,rss_per_resident_kib,gen_cpu_pct,"
	"lag_p99_ms,waiting_at_window,churned,advisors_up,advisors_relogged,"
	"others_on_server_cpu_pct\n";

static double
ms(const struct bench_hist *h, double p)
{
	return bench_hist_pct(h, p) / 1000.0;
}

static uint64_t
total_errors(const struct step_stats *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < N_ERRORS; i++)
		n += s->errors[i];
	return n;
}

void
load_codes_text(const struct step_stats *s, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < N_ERRORS && used < cap; i++) {
		int n;

		if (!s->errors[i])
			continue;
		n = snprintf(out + used, cap - used, "%s%s=%llu",
			     used ? ";" : "", load_error_codes[i],
			     (unsigned long long)s->errors[i]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

void
load_closes_text(const struct step_stats *s, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < N_CLOSES && used < cap; i++) {
		int n;

		if (!s->closes[i])
			continue;
		n = snprintf(out + used, cap - used, "%s%d=%llu",
			     used ? ";" : "", load_close_codes[i],
			     (unsigned long long)s->closes[i]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

static const char *
mode_name(void)
{
	return load_opt.mode == MODE_CHAT ? "chat" : load_opt.mode == MODE_ECHO ? "echo"
								    : "idle";
}

/* Messages a second the script asks for: every resident that the
 * advisors have room for at `rate` (the rest wait in the queue), and every
 * advisor that holds a chat at `advisor-rate`. */
static double
offered_of(int residents, const struct step_stats *s)
{
	long room = (long)load_opt.advisors * load_opt.chats_per_advisor;

	if (load_opt.mode == MODE_IDLE)
		return 0;
	if (load_opt.mode == MODE_ECHO)
		return residents * load_opt.rate;
	return (double)(residents < room ? residents : room) * load_opt.rate +
	       (double)s->adv_live_at_window * load_opt.advisor_rate;
}

void
load_print_row(FILE *csv, int k, const struct step_stats *s,
	  const struct server_side *srv)
{
	char codes[512], closes[256];
	double echoed_s = (double)s->win_echoes / load_opt.dur_s;
	uint64_t sent = s->sent_r + s->sent_a, echoed = s->echoed_r + s->echoed_a;
	uint64_t unechoed = sent > echoed ? sent - echoed : 0;
	double per_cpu = srv->cpu_s > 0 ? (double)s->win_echoes / srv->cpu_s : 0;
	double rss_per = -1;
	long live = (long)s->live_at_window;

	if (srv->rss_window > 0 && srv->rss_before > 0 && live > 0)
		rss_per = (double)(srv->rss_window - srv->rss_before) / live;
	load_codes_text(s, codes, sizeof(codes));
	load_closes_text(s, closes, sizeof(closes));
	if (load_opt.mode == MODE_IDLE)
		printf("%-8s %7d residents: %llu queued, %llu refused, %llu "
		       "turned away; server RSS %.1f -> %.1f MiB, %.2f KiB "
		       "per queued resident\n", load_opt.label, load_opt.steps[k],
		       (unsigned long long)s->live_at_window,
		       (unsigned long long)(s->refused_tcp + s->refused_http),
		       (unsigned long long)s->turned_away,
		       srv->rss_before / 1024.0, srv->rss_window / 1024.0,
		       rss_per);
	else
		printf("%-8s %6d %6llu %9.0f %9.0f  %7.2f %7.2f %7.2f %8.2f  "
		       "%7.2f %7.2f %6.1f  %8llu %6llu %7.2f %9.0f  %3.0f%% "
		       "%4.0f%% %s\n",
		       load_opt.label, load_opt.steps[k],
		       (unsigned long long)s->live_at_window,
		       offered_of(load_opt.steps[k], s), echoed_s,
		       ms(&s->h[H_ECHO_R], 50), ms(&s->h[H_ECHO_R], 90),
		       ms(&s->h[H_ECHO_R], 99), ms(&s->h[H_ECHO_R], 100),
		       ms(&s->h[H_RELAY_R2A], 50), ms(&s->h[H_RELAY_R2A], 99),
		       ms(&s->h[H_LAG], 99), (unsigned long long)total_errors(s),
		       (unsigned long long)(s->refused_tcp + s->refused_http),
		       srv->cpu_s, per_cpu, s->gen_cpu_s / load_opt.dur_s * 100,
		       srv->others_pct, codes);
	if (load_opt.mode == MODE_CHAT &&
	    (s->waiting_at_window || s->churned || closes[0] ||
	     s->advisors_up < (uint64_t)load_opt.advisors))
		printf("%-8s   %llu waiting, %llu takes made; advisors in: "
		       "%llu of %d (%llu logged in again); closes by the "
		       "server: %s\n", "",
		       (unsigned long long)s->waiting_at_window,
		       (unsigned long long)s->churned,
		       (unsigned long long)s->advisors_up, load_opt.advisors,
		       (unsigned long long)s->advisors_relogged,
		       closes[0] ? closes : "none");
	if (load_opt.mode == MODE_CHAT && s->churned)
		printf("%-8s   %llu position frames in the window, after the "
		       "latest take p50 / p99 / max %.1f / %.1f / %.1f ms\n", "",
		       (unsigned long long)s->positions, ms(&s->h[H_POS], 50),
		       ms(&s->h[H_POS], 99), ms(&s->h[H_POS], 100));
	fflush(stdout);
	if (!csv)
		return;
	fprintf(csv, "%s,%s,%d,%d,%d,%.2f,%.0f,%.2f,%llu,%llu,%llu,%llu,%.1f,"
		"%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
		"%llu,%llu,%llu,%llu,%llu,%s,%llu,%llu,%llu,%s,%.3f,%.0f,%ld,"
		"%.2f,%.0f,%.3f,%llu,%llu,%llu,%llu,%.0f\n",
		load_opt.label, mode_name(), k + 1, load_opt.steps[k],
		load_opt.mode == MODE_CHAT ? load_opt.advisors : 0, load_opt.rate,
		offered_of(load_opt.steps[k], s), load_opt.dur_s,
		(unsigned long long)s->connected,
		(unsigned long long)s->queued, (unsigned long long)s->assigned,
		(unsigned long long)s->live_at_window, echoed_s,
		ms(&s->h[H_ECHO_R], 50), ms(&s->h[H_ECHO_R], 90),
		ms(&s->h[H_ECHO_R], 99), ms(&s->h[H_ECHO_R], 100),
		ms(&s->h[H_RELAY_R2A], 50), ms(&s->h[H_RELAY_R2A], 90),
		ms(&s->h[H_RELAY_R2A], 99), ms(&s->h[H_RELAY_R2A], 100),
		ms(&s->h[H_RELAY_A2R], 50), ms(&s->h[H_RELAY_A2R], 99),
		ms(&s->h[H_ECHO_A], 50), ms(&s->h[H_ECHO_A], 99),
		(unsigned long long)sent, (unsigned long long)echoed,
		(unsigned long long)unechoed,
		(unsigned long long)total_errors(s),
		(unsigned long long)s->errors[0], codes,
		(unsigned long long)(s->refused_tcp + s->refused_http),
		(unsigned long long)s->turned_away,
		(unsigned long long)s->closed_by_server, closes, srv->cpu_s,
		per_cpu, srv->rss_window, rss_per,
		s->gen_cpu_s / load_opt.dur_s * 100, ms(&s->h[H_LAG], 99),
		(unsigned long long)s->waiting_at_window,
		(unsigned long long)s->churned,
		(unsigned long long)s->advisors_up,
		(unsigned long long)s->advisors_relogged, srv->others_pct);
	fflush(csv);
}

void
load_print_header(void)
{
	printf("# %s mode against %s:%d, %d step(s), %d worker(s), "
	       "%.0f s window each\n", mode_name(), load_opt.host, load_opt.port,
	       load_opt.n_steps, load_opt.procs, load_opt.dur_s);
	if (load_opt.mode == MODE_IDLE)
		return;
	printf("%-8s %6s %6s %9s %9s  %7s %7s %7s %8s  %7s %7s %6s  %8s %6s "
	       "%7s %9s  %4s %5s %s\n", "server", "resid", "live", "offered/s",
	       "echoed/s", "echo50", "echo90", "echo99", "echomax", "rel50",
	       "rel99", "lag99", "errors", "refus", "srvCPU", "msgs/CPUs",
	       "gen", "other", "codes");
	printf("(latencies in ms; live = residents chatting when the window "
	       "opened; lag99 = how late the generator wrote, p99; gen = the "
	       "generator's CPU; other = other work on the server's CPU)\n");
}

/*
 * admin.c - neuvo-admin: the administrator's command line (CONTRACT.md
 * section 1). Advisor accounts, the opening hours as the server will apply
 * them, the figures of section 6 (stats.c), the manager's report
 * (report.c), transcripts export and purge, and backup and restore of the
 * database (store_backup.c).
 *
 * It opens the same database as a running server; SQLite's WAL lets both
 * work at once, and the admin waits up to five seconds for a lock.
 * Every bad argument ends with a one-line reason on standard error and a
 * non-zero exit.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "config.h"
#include "hours.h"
#include "log.h"
#include "neuvo_version.h"
#include "report.h"
#include "stats.h"
#include "store.h"

#define EXIT_USAGE 2

/* The parsed command line; strings point into argv. */
struct args {
	const char *config;
	const char *words[4];           /* command words, e.g. advisor add U */
	int n_words;
	const char *name;               /* --name */
	const char *role;               /* --role: advisor | supervisor */
	int days;                       /* --days */
	const char *from, *to;          /* --from, --to: YYYY-MM-DD */
	const char *format;             /* --format: csv | json */
	const char *out;                /* --out FILE */
	const char *title;              /* --title */
	const char *lang;               /* --lang: the report's language */
	bool answered;                  /* --help or --version: printed */
};

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "neuvo-admin: reason" on one line; returns the usage exit code. */
static int
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "neuvo-admin: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static void
print_help(void)
{
	printf("usage: neuvo-admin --config PATH COMMAND [OPTIONS]\n"
	       "       neuvo-admin --help | --version\n\n"
	       "Commands:\n"
	       "  advisor add USER --name NAME [--role advisor|supervisor]\n"
	       "                 (password on standard input)\n"
	       "  advisor list | advisor remove USER | advisor passwd USER\n"
	       "  advisor role USER advisor|supervisor\n"
	       "  hours [--days N]\n"
	       "  stats --from YYYY-MM-DD --to YYYY-MM-DD "
	       "[--format csv|json]\n"
	       "  report --from D --to D --out FILE.html [--title T] "
	       "[--lang fi|sv|en]\n"
	       "  transcripts export [--from D] [--to D]\n"
	       "  purge\n"
	       "  backup FILE       a consistent copy while the server runs\n"
	       "  restore FILE      replace the database (server stopped)\n"
	       "See neuvo-admin(8).\n");
}

static void
print_version(void)
{
	printf("neuvo-admin %s%s%s%s\n", NEUVO_VERSION,
	       NEUVO_GIT_DESCRIBE[0] ? " (git " : "", NEUVO_GIT_DESCRIBE,
	       NEUVO_GIT_DESCRIBE[0] ? ")" : "");
}

static int
parse_days(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 366)
		return -1;
	*out = (int)v;
	return 0;
}

/* Where the value of a string option goes; NULL for any other word. */
static const char **
string_option(struct args *a, const char *arg)
{
	if (!strcmp(arg, "--config"))
		return &a->config;
	if (!strcmp(arg, "--name"))
		return &a->name;
	if (!strcmp(arg, "--role"))
		return &a->role;
	if (!strcmp(arg, "--from"))
		return &a->from;
	if (!strcmp(arg, "--to"))
		return &a->to;
	if (!strcmp(arg, "--format"))
		return &a->format;
	if (!strcmp(arg, "--out"))
		return &a->out;
	if (!strcmp(arg, "--title"))
		return &a->title;
	if (!strcmp(arg, "--lang"))
		return &a->lang;
	return NULL;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->days = 14;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **dst = string_option(a, arg);
		bool days = !strcmp(arg, "--days");

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			print_help();
			a->answered = true;
			return 0;
		} else if (!strcmp(arg, "--version")) {
			print_version();
			a->answered = true;
			return 0;
		} else if (dst || days) {
			/* "--config --name x" is a missing value, not a file
			 * called "--name". */
			if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))
				return die("%s needs a value", arg);
			if (dst)
				*dst = argv[++i];
			else if (parse_days(argv[++i], &a->days))
				return die("--days takes a number 1-366, not '%s'",
					   argv[i]);
		} else if (arg[0] == '-') {
			return die("unknown or incomplete option '%s'", arg);
		} else if (a->n_words < 4) {
			a->words[a->n_words++] = arg;
		} else {
			return die("too many arguments at '%s'", arg);
		}
	}
	if (!a->config)
		return die("--config PATH is required");
	if (a->n_words == 0)
		return die("no command given (advisor, hours, stats, "
			   "transcripts, purge, report, backup, restore)");
	return 0;
}

static struct config *
load(const char *path)
{
	struct config *cfg;
	char *errors = NULL;

	if (config_load(path, &cfg, &errors)) {
		fputs(errors ? errors : "config: out of memory\n", stderr);
		free(errors);
		return NULL;
	}
	if (hours_tz_apply(&cfg->hours)) {
		fprintf(stderr, "neuvo-admin: cannot apply timezone %s\n",
			cfg->hours.timezone);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* ------------------------------------------------------------- advisors */

static bool
valid_username(const char *u)
{
	size_t i, n = strlen(u);

	if (n == 0 || n >= STORE_USER_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)u[i]) &&
		    !isdigit((unsigned char)u[i]) && !strchr("._-", u[i]))
			return false;
	return true;
}

/* Read one line of password from stdin into buf. Returns 0 or exits code. */
static int
read_password(char *buf, size_t n)
{
	size_t len;

	if (!fgets(buf, (int)n, stdin))
		return die("no password on standard input");
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == n - 1)
		return die("password longer than 256 characters");
	buf[len] = '\0';
	if (len < AUTH_PASSWORD_MIN)
		return die("password shorter than 8 characters");
	return 0;
}

static int
hash_from_stdin(char phc[AUTH_PHC_MAX])
{
	char pw[AUTH_PASSWORD_MAX + 2];
	int rc = read_password(pw, sizeof(pw));

	if (rc)
		return rc;
	rc = auth_hash_password(pw, phc);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc)
		return die("could not hash the password");
	return 0;
}

/* "advisor" or "supervisor" into *supervisor; -1 (said) for anything
 * else. */
static int
parse_role(const char *role, bool *supervisor)
{
	if (!strcmp(role, "advisor") || !strcmp(role, "supervisor")) {
		*supervisor = !strcmp(role, "supervisor");
		return 0;
	}
	die("role '%s' must be advisor or supervisor", role);
	return -1;
}

static int
advisor_add(struct store *st, const char *user, const char *name,
	    bool supervisor)
{
	char phc[AUTH_PHC_MAX];
	int rc;

	if (!valid_username(user))
		return die("username '%s' must be 1-63 of a-z 0-9 . _ -", user);
	if (!name || !*name || strlen(name) >= STORE_NAME_MAX)
		return die("--name \"Display name\" (1-127 bytes) is required");
	if ((rc = hash_from_stdin(phc)))
		return rc;
	rc = store_advisor_add_role(st, user, name, phc, (int64_t)time(NULL),
				    supervisor);
	if (rc == 1)
		return die("advisor '%s' exists already", user);
	if (rc)
		return die("database error adding '%s'", user);
	printf("advisor %s added\n", user);
	return 0;
}

static int
print_advisor(void *ctx, const struct store_advisor *a)
{
	char when[32];
	time_t t = (time_t)a->created_at;

	(void)ctx;
	hours_format_rfc3339(t, when, sizeof(when));
	printf("%s\t%s\t%s\t%s\n", a->username, a->name, when,
	       a->supervisor ? "supervisor" : "advisor");
	return 0;
}

static int
advisor_passwd(struct store *st, const char *user)
{
	char phc[AUTH_PHC_MAX];
	int rc;

	if ((rc = hash_from_stdin(phc)))
		return rc;
	rc = store_advisor_set_password(st, user, phc);
	if (rc == 1)
		return die("no advisor '%s'", user);
	if (rc)
		return die("database error changing '%s'", user);
	printf("password of %s changed\n", user);
	return 0;
}

static int
advisor_remove(struct store *st, const char *user)
{
	int rc = store_advisor_remove(st, user);

	if (rc == 1)
		return die("no advisor '%s'", user);
	if (rc)
		return die("database error removing '%s'", user);
	printf("advisor %s removed\n", user);
	return 0;
}

/* advisor role USER ROLE: takes effect at the account's next login. */
static int
advisor_role(struct store *st, const char *user, bool supervisor)
{
	int rc = store_advisor_set_role(st, user, supervisor);

	if (rc == 1)
		return die("no advisor '%s'", user);
	if (rc)
		return die("database error changing '%s'", user);
	printf("%s is now %s (from the next login)\n", user,
	       supervisor ? "a supervisor" : "an advisor");
	return 0;
}

/* The words and options of `advisor VERB ...` are right for the verb;
 * *supervisor gets the role asked for (add, role). 0, or the exit code
 * (said). */
static int
advisor_usage(const struct args *a, const char *verb, bool *supervisor)
{
	int want = !strcmp(verb, "list") ? 2 : !strcmp(verb, "role") ? 4 : 3;

	*supervisor = false;
	if (strcmp(verb, "add") && strcmp(verb, "list") &&
	    strcmp(verb, "remove") && strcmp(verb, "passwd") &&
	    strcmp(verb, "role"))
		return a->n_words < 2
		       ? die("usage: advisor add USER --name N [--role R] | "
			     "list | remove USER | passwd USER | role USER R")
		       : die("unknown advisor command '%s'", verb);
	if (a->n_words != want)
		return !strcmp(verb, "list")
		       ? die("advisor list takes no more arguments")
		       : !strcmp(verb, "role")
		       ? die("usage: advisor role USER advisor|supervisor")
		       : die("usage: advisor add USER --name N [--role R] | "
			     "list | remove USER | passwd USER | role USER R");
	if (a->role && strcmp(verb, "add"))
		return die("--role is for advisor add; use advisor role USER "
			   "ROLE");
	if (!strcmp(verb, "role") && parse_role(a->words[3], supervisor))
		return EXIT_USAGE;
	if (!strcmp(verb, "add") && a->role && parse_role(a->role, supervisor))
		return EXIT_USAGE;
	return 0;
}

static int
cmd_advisor(const struct args *a, const struct config *cfg)
{
	const char *verb = a->n_words > 1 ? a->words[1] : "";
	struct store *st;
	bool supervisor;
	int rc;

	if ((rc = advisor_usage(a, verb, &supervisor)))
		return rc;
	if (store_open(cfg->database, 5000, &st))
		return die("cannot open the database %s", cfg->database);
	if (!strcmp(verb, "add"))
		rc = advisor_add(st, a->words[2], a->name, supervisor);
	else if (!strcmp(verb, "role"))
		rc = advisor_role(st, a->words[2], supervisor);
	else if (!strcmp(verb, "list"))
		rc = store_advisor_each(st, print_advisor, NULL) ? 1 : 0;
	else if (!strcmp(verb, "remove"))
		rc = advisor_remove(st, a->words[2]);
	else
		rc = advisor_passwd(st, a->words[2]);
	store_close(st);
	return rc;
}

/* ---------------------------------------------------------------- hours */

static int
cmd_hours(const struct args *a, const struct config *cfg)
{
	struct hours_date d = hours_local_date(time(NULL));
	char line[256];
	int i;

	if (a->n_words != 1)
		return die("hours takes no arguments besides --days N");
	for (i = 0; i < a->days; i++) {
		struct hours_date day = hours_date_add(&d, i);

		hours_format_line(&cfg->hours, &day, line, sizeof(line));
		printf("%s\n", line);
	}
	return 0;
}

/* ------------------------------------------------- figures and transcripts */

/* The events read for stats; owns the array and every label. */
struct events {
	struct stats_event *v;
	size_t n, cap;
};

static void
events_free(struct events *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		free((char *)ev->v[i].label);
	free(ev->v);
}

static int
collect_event(void *ctx, const struct store_stat *e)
{
	struct events *ev = ctx;
	struct stats_event *x;
	enum stats_kind kind;

	if (stats_kind_parse(e->kind, &kind))
		return 0;               /* a kind this version does not count */
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 256;
		struct stats_event *nv = realloc(ev->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		ev->v = nv;
		ev->cap = cap;
	}
	x = &ev->v[ev->n];
	x->at = e->at;
	x->kind = kind;
	x->value = e->value;
	x->label = e->label ? strdup(e->label) : NULL;
	if (e->label && !x->label)
		return -1;
	ev->n++;
	return 0;
}

/* Parse --from/--to (both required for stats and report). */
static int
parse_range(const struct args *a, struct hours_date *from,
	    struct hours_date *to)
{
	if (!a->from || !a->to)
		return die("--from YYYY-MM-DD and --to YYYY-MM-DD are required");
	if (hours_parse_date(a->from, from))
		return die("--from takes a date YYYY-MM-DD, not '%s'", a->from);
	if (hours_parse_date(a->to, to))
		return die("--to takes a date YYYY-MM-DD, not '%s'", a->to);
	if (hours_date_cmp(to, from) < 0)
		return die("--to %s is before --from %s", a->to, a->from);
	if (hours_day_number(to) - hours_day_number(from) >= STATS_MAX_DAYS)
		return die("at most %d days at once", STATS_MAX_DAYS);
	return 0;
}

/* Read the events of the local days from..to and compute their figures. */
static int
compute_range(const struct config *cfg, const struct hours_date *from,
	      const struct hours_date *to, struct stats_range *r)
{
	struct hours_date end = hours_date_add(to, 1);
	struct events ev = { NULL, 0, 0 };
	struct store *st;
	int rc;

	if (store_open(cfg->database, 5000, &st))
		return die("cannot open the database %s", cfg->database);
	rc = store_stats_each(st, (int64_t)hours_local_time(from, 0),
			      (int64_t)hours_local_time(&end, 0),
			      collect_event, &ev);
	store_close(st);
	if (rc == 0)
		rc = stats_compute(ev.v, ev.n, from, to, r);
	events_free(&ev);
	if (rc)
		return die("could not read the figures from %s",
			   cfg->database);
	return 0;
}

static int
write_all(FILE *f, const char *text)
{
	size_t n = strlen(text);

	return fwrite(text, 1, n, f) == n ? 0 : -1;
}

static int
cmd_stats(const struct args *a, const struct config *cfg)
{
	const char *format = a->format ? a->format : "json";
	struct hours_date from, to;
	struct stats_range r;
	char *text;
	int rc;

	if (a->n_words != 1)
		return die("usage: stats --from YYYY-MM-DD --to YYYY-MM-DD "
			   "[--format csv|json]");
	if (strcmp(format, "csv") && strcmp(format, "json"))
		return die("--format takes csv or json, not '%s'", format);
	if ((rc = parse_range(a, &from, &to)) ||
	    (rc = compute_range(cfg, &from, &to, &r)))
		return rc;
	text = !strcmp(format, "csv") ? stats_render_csv(&r)
				      : stats_render_json(&r);
	stats_free(&r);
	if (!text)
		return die("out of memory rendering the figures");
	rc = write_all(stdout, text) || fflush(stdout) ? 1 : 0;
	free(text);
	return rc;
}

static int
save_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = write_all(f, text);
	if (fclose(f))
		rc = -1;
	return rc;
}

static int
cmd_report(const struct args *a, const struct config *cfg)
{
	const char *lang = a->lang ? a->lang : cfg->default_language;
	struct report_input in = { NULL, &cfg->hours, a->title, NULL, NULL,
				   lang };
	struct hours_date from, to, today = hours_local_date(time(NULL));
	struct stats_range r;
	char made[HOURS_DATE_MAX], why[512];
	json_t *strings;
	char *html;
	int rc;

	if (a->n_words != 1 || !a->out)
		return die("usage: report --from YYYY-MM-DD --to YYYY-MM-DD "
			   "--out FILE.html [--title T] [--lang fi|sv|en]");
	if ((rc = parse_range(a, &from, &to)))
		return rc;
	strings = report_strings_load(cfg->web_root, lang, why, sizeof(why));
	if (!strings)
		return die("--lang %s: %s", lang, why);
	if ((rc = compute_range(cfg, &from, &to, &r))) {
		json_decref(strings);
		return rc;
	}
	hours_format_date(&today, made, sizeof(made));
	in.stats = &r;
	in.generated = made;
	in.strings = strings;
	html = report_render_html(&in);
	stats_free(&r);
	json_decref(strings);
	if (!html)
		return die("out of memory rendering the report");
	rc = save_file(a->out, html);
	free(html);
	if (rc)
		return die("cannot write %s", a->out);
	printf("report written to %s\n", a->out);
	return 0;
}

/* Export state: the open store (for each chat's messages) and its start. */
struct export {
	struct store *st;
	json_t *messages;
	int64_t started_at;
	bool failed;            /* a message could not be added */
};

static int
export_message(void *ctx, const struct store_msg *m)
{
	struct export *x = ctx;

	if (json_array_append_new(x->messages, json_pack(
		"{s:s, s:I, s:s, s:b}", "from", m->from,
		"at_s", (json_int_t)(m->at - x->started_at), "text", m->text,
		"redacted", m->redacted)))
		x->failed = true;
	return x->failed ? 1 : 0;
}

static json_t *
transcript_json(struct export *x, const struct store_transcript *t)
{
	char when[32];

	hours_format_rfc3339((time_t)t->started_at, when, sizeof(when));
	return json_pack("{s:s, s:o, s:o, s:s, s:O, s:o, s:O}",
			 "started", when,
			 "waited_s", t->taken_at < 0 ? json_null()
			 : json_integer(t->taken_at - t->started_at),
			 "duration_s", t->ended_at < 0 ? json_null()
			 : json_integer(t->ended_at - t->started_at),
			 "lang", t->lang, "topics", t->topics,
			 "outcome", t->outcome ? json_string(t->outcome)
					       : json_null(),
			 "messages", x->messages);
}

static int
export_chat(void *ctx, const struct store_transcript *t)
{
	struct export *x = ctx;
	json_t *o;
	char *line;
	int rc;

	x->messages = json_array();
	x->started_at = t->started_at;
	if (!x->messages ||
	    store_messages_each(x->st, t->id, export_message, x) ||
	    x->failed) {
		json_decref(x->messages);
		return -1;
	}
	o = transcript_json(x, t);
	json_decref(x->messages);
	line = o ? json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
	json_decref(o);
	if (!line)
		return -1;
	rc = printf("%s\n", line) < 0 ? -1 : 0;
	free(line);
	return rc;
}

/* The instants of --from (default: the beginning) and the end of --to
 * (default: now and onwards). */
static int
export_range(const struct args *a, int64_t *from, int64_t *to)
{
	struct hours_date d;

	*from = 0;
	*to = INT64_MAX;
	if (a->from && hours_parse_date(a->from, &d))
		return die("--from takes a date YYYY-MM-DD, not '%s'", a->from);
	if (a->from)
		*from = (int64_t)hours_local_time(&d, 0);
	if (a->to && hours_parse_date(a->to, &d))
		return die("--to takes a date YYYY-MM-DD, not '%s'", a->to);
	if (a->to) {
		d = hours_date_add(&d, 1);
		*to = (int64_t)hours_local_time(&d, 0);
	}
	if (*to < *from)
		return die("--to is before --from");
	return 0;
}

static int
cmd_transcripts(const struct args *a, const struct config *cfg)
{
	struct export x = { NULL, NULL, 0, false };
	int64_t from, to;
	int rc;

	if (a->n_words != 2 || strcmp(a->words[1], "export"))
		return die("usage: transcripts export [--from YYYY-MM-DD] "
			   "[--to YYYY-MM-DD]");
	if ((rc = export_range(a, &from, &to)))
		return rc;
	if (store_open(cfg->database, 5000, &x.st))
		return die("cannot open the database %s", cfg->database);
	rc = store_transcripts_each(x.st, from, to, export_chat, &x);
	store_close(x.st);
	if (rc || fflush(stdout))
		return die("transcripts export failed");
	return 0;
}

/* Deleted transcripts must not live on in the WAL. The server reads only
 * briefly, so a few short tries are enough; true when the WAL is empty. */
static bool
empty_wal(struct store *st)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	int i, rc = 1;

	for (i = 0; i < 20 && rc == 1; i++) {
		rc = store_checkpoint(st);
		if (rc == 1)
			(void)nanosleep(&pause, NULL);
	}
	return rc == 0;
}

static int
cmd_purge(const struct args *a, const struct config *cfg)
{
	int64_t now = (int64_t)time(NULL), n = 0, q = 0;
	int64_t before = now - (int64_t)cfg->retention_days * 86400;
	struct store *st;
	bool flushed = true;
	int rc;

	if (a->n_words != 1)
		return die("purge takes no arguments");
	if (store_open(cfg->database, 5000, &st))
		return die("cannot open the database %s", cfg->database);
	rc = store_purge(st, before, &n);
	/* questions left while closed go after their own question_days
	 * (CONTRACT.md section 9), answered or not, with any address */
	if (rc == 0)
		rc = store_questions_expire(st, now - (int64_t)cfg->question_days *
					    86400, &q);
	if (rc == 0)
		rc = store_commit(st);
	if (rc == 0)
		flushed = empty_wal(st);
	store_close(st);
	if (rc)
		return die("purge failed on %s", cfg->database);
	printf("purged %lld chats older than %d days\n", (long long)n,
	       cfg->retention_days);
	if (q > 0)
		printf("deleted %lld questions older than %d days\n",
		       (long long)q, cfg->question_days);
	if (!flushed)
		fprintf(stderr, "neuvo-admin: the WAL is in use and may still "
			"hold purged text; run purge again later\n");
	return 0;
}

/* ------------------------------------------------------ backup, restore */

static int
cmd_backup(const struct args *a, const struct config *cfg)
{
	char why[1024];
	int version = 0;

	if (a->n_words != 2)
		return die("usage: backup FILE (a new file)");
	if (store_backup(cfg->database, a->words[1], &version, why,
			 sizeof(why))) {
		fprintf(stderr, "neuvo-admin: backup failed: %s\n", why);
		return 1;
	}
	printf("backup of %s written to %s (schema %d, integrity ok)\n",
	       cfg->database, a->words[1], version);
	return 0;
}

static int
cmd_restore(const struct args *a, const struct config *cfg)
{
	char why[1024];

	if (a->n_words != 2)
		return die("usage: restore FILE (a file made by backup)");
	if (store_restore(cfg->database, a->words[1], why, sizeof(why))) {
		fprintf(stderr, "neuvo-admin: restore refused: %s\n", why);
		return 1;
	}
	printf("%s restored from %s\n", cfg->database, a->words[1]);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct args a;
	int rc;

	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	if (a.answered)
		return 0;
	cfg = load(a.config);
	if (!cfg)
		return 1;
	if (!strcmp(a.words[0], "advisor"))
		rc = cmd_advisor(&a, cfg);
	else if (!strcmp(a.words[0], "hours"))
		rc = cmd_hours(&a, cfg);
	else if (!strcmp(a.words[0], "stats"))
		rc = cmd_stats(&a, cfg);
	else if (!strcmp(a.words[0], "report"))
		rc = cmd_report(&a, cfg);
	else if (!strcmp(a.words[0], "transcripts"))
		rc = cmd_transcripts(&a, cfg);
	else if (!strcmp(a.words[0], "purge"))
		rc = cmd_purge(&a, cfg);
	else if (!strcmp(a.words[0], "backup"))
		rc = cmd_backup(&a, cfg);
	else if (!strcmp(a.words[0], "restore"))
		rc = cmd_restore(&a, cfg);
	else
		rc = die("unknown command '%s'", a.words[0]);
	config_free(cfg);
	return rc;
}

/*
 * admin.c - neuvo-admin: the administrator's command line (CONTRACT.md
 * section 1). Advisor accounts, the opening hours as the server will apply
 * them, and (later) figures and transcripts.
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

#include <openssl/crypto.h>

#include "auth.h"
#include "config.h"
#include "hours.h"
#include "log.h"
#include "store.h"

#define EXIT_USAGE 2

/* The parsed command line; strings point into argv. */
struct args {
	const char *config;
	const char *words[4];           /* command words, e.g. advisor add U */
	int n_words;
	const char *name;               /* --name */
	int days;                       /* --days */
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

static int
parse_args(int argc, char **argv, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->days = 14;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--config") && i + 1 < argc) {
			a->config = argv[++i];
		} else if (!strcmp(arg, "--name") && i + 1 < argc) {
			a->name = argv[++i];
		} else if (!strcmp(arg, "--days") && i + 1 < argc) {
			if (parse_days(argv[++i], &a->days))
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
			   "transcripts, purge)");
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

static int
advisor_add(struct store *st, const char *user, const char *name)
{
	char phc[AUTH_PHC_MAX];
	int rc;

	if (!valid_username(user))
		return die("username '%s' must be 1-63 of a-z 0-9 . _ -", user);
	if (!name || !*name || strlen(name) >= STORE_NAME_MAX)
		return die("--name \"Display name\" (1-127 bytes) is required");
	if ((rc = hash_from_stdin(phc)))
		return rc;
	rc = store_advisor_add(st, user, name, phc, (int64_t)time(NULL));
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
	printf("%s\t%s\t%s\n", a->username, a->name, when);
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

static int
cmd_advisor(const struct args *a, const struct config *cfg)
{
	const char *verb = a->n_words > 1 ? a->words[1] : "";
	struct store *st;
	int rc;

	if (strcmp(verb, "list") && a->n_words != 3)
		return die("usage: advisor add USER --name N | list | remove "
			   "USER | passwd USER");
	if (!strcmp(verb, "list") && a->n_words != 2)
		return die("advisor list takes no more arguments");
	if (strcmp(verb, "add") && strcmp(verb, "list") &&
	    strcmp(verb, "remove") && strcmp(verb, "passwd"))
		return die("unknown advisor command '%s'", verb);
	if (store_open(cfg->database, 5000, &st))
		return die("cannot open the database %s", cfg->database);
	if (!strcmp(verb, "add"))
		rc = advisor_add(st, a->words[2], a->name);
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

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct args a;
	int rc;

	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	cfg = load(a.config);
	if (!cfg)
		return 1;
	if (!strcmp(a.words[0], "advisor"))
		rc = cmd_advisor(&a, cfg);
	else if (!strcmp(a.words[0], "hours"))
		rc = cmd_hours(&a, cfg);
	else if (!strcmp(a.words[0], "stats") ||
		 !strcmp(a.words[0], "transcripts") ||
		 !strcmp(a.words[0], "purge"))
		rc = die("'%s' is not built yet in this version", a.words[0]);
	else
		rc = die("unknown command '%s'", a.words[0]);
	config_free(cfg);
	return rc;
}

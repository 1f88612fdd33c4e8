/* test_redact_corpus.c - runs the labelled redaction corpus
 * (tests/redaction-corpus.tsv: LABEL TAB INPUT TAB EXPECTED) and prints the
 * false-positive and false-negative counts; any non-zero count fails. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "redact.h"
#include "unit.h"

struct tally {
	int lines, false_pos, false_neg, wrong;
};

/* Split "a\tb\tc" in place; returns 0 when there are three fields. */
static int
split(char *line, char **label, char **input, char **expected)
{
	char *t1 = strchr(line, '\t'), *t2;

	if (!t1)
		return -1;
	t2 = strchr(t1 + 1, '\t');
	if (!t2)
		return -1;
	*t1 = *t2 = '\0';
	*label = line;
	*input = t1 + 1;
	*expected = t2 + 1;
	return 0;
}

static void
check_line(struct tally *t, int lineno, const char *label, const char *input,
	   const char *expected)
{
	unsigned found;
	char *got = redact_text(input, strlen(input), &found);

	assert_non_null(got);
	t->lines++;
	if (strcmp(got, expected)) {
		if (!strcmp(label, "keep"))
			t->false_pos++;
		else if (strcmp(got, input) == 0 || strlen(got) > strlen(expected))
			t->false_neg++;
		else
			t->wrong++;
		print_message("corpus line %d (%s): '%s' -> '%s', want '%s'\n",
			      lineno, label, input, got, expected);
	}
	free(got);
}

static void
corpus_has_no_errors(void **state)
{
	FILE *f = fopen(NEUVO_TEST_CORPUS, "r");
	char *line = NULL, *label = NULL, *input = NULL, *expected = NULL;
	size_t cap = 0;
	struct tally t = { 0, 0, 0, 0 };
	int lineno = 0;
	ssize_t n;

	(void)state;
	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (split(line, &label, &input, &expected))
			fail_msg("corpus line %d is not LABEL TAB INPUT TAB "
				 "EXPECTED", lineno);
		check_line(&t, lineno, label, input, expected);
	}
	free(line);
	fclose(f);
	printf("redaction corpus: %d lines, false positives %d, false "
	       "negatives %d, wrong output %d\n", t.lines, t.false_pos,
	       t.false_neg, t.wrong);
	assert_true(t.lines >= 150);
	assert_int_equal(t.false_pos, 0);
	assert_int_equal(t.false_neg, 0);
	assert_int_equal(t.wrong, 0);
}

int
test_redact_corpus_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_has_no_errors),
	};

	return cmocka_run_group_tests_name("redact_corpus", tests, NULL, NULL);
}

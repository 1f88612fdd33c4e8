/*
 * test_redact_corpus.c - runs the labelled redaction corpus
 * (tests/redaction-corpus.tsv: LABEL TAB INPUT TAB EXPECTED, # comments)
 * through redact_text() and prints one summary line:
 *
 *   redaction corpus: N lines, false positives F, false negatives M, wrong output W
 *
 * A false positive is a keep line that changed, or more placeholders of a
 * kind than expected (a harmless number hidden). A false negative is fewer
 * placeholders of a kind than expected (personal data left in). Wrong
 * output is any other difference, the REDACT_* bits included. Any non-zero
 * count fails, and so does a corpus of fewer than 150 lines.
 */
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

#define KINDS 4

static const char *const placeholders[KINDS] = {
	"[hetu]", "[phone]", "[email]", "[iban]",
};
static const unsigned bits[KINDS] = {
	REDACT_HETU, REDACT_PHONE, REDACT_EMAIL, REDACT_IBAN,
};
static const char *const labels[] = {
	"hetu", "phone", "email", "iban", "keep", "mixed",
};

struct tally {
	int lines, false_pos, false_neg, wrong;
};

static int
count_of(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static int
known_label(const char *label)
{
	size_t k;

	for (k = 0; k < sizeof(labels) / sizeof(labels[0]); k++)
		if (!strcmp(label, labels[k]))
			return 1;
	return 0;
}

/* Split "a\tb\tc" in place; 0 when there are exactly three fields. */
static int
split(char *line, char **label, char **input, char **expected)
{
	char *t1 = strchr(line, '\t'), *t2;

	if (!t1)
		return -1;
	t2 = strchr(t1 + 1, '\t');
	if (!t2 || strchr(t2 + 1, '\t'))
		return -1;
	*t1 = *t2 = '\0';
	*label = line;
	*input = t1 + 1;
	*expected = t2 + 1;
	return 0;
}

/* The bits a correct run reports: one per kind of placeholder added. */
static unsigned
expected_bits(const char *input, const char *expected)
{
	unsigned want = 0;
	int k;

	for (k = 0; k < KINDS; k++)
		if (count_of(expected, placeholders[k]) >
		    count_of(input, placeholders[k]))
			want |= bits[k];
	return want;
}

/* Sorts one difference into the tally; returns its name for the report. */
static const char *
classify(struct tally *t, const char *label, const char *got,
	 const char *expected)
{
	int k, fewer = 0, more = 0;

	if (!strcmp(label, "keep")) {
		t->false_pos++;
		return "false positive";
	}
	for (k = 0; k < KINDS; k++) {
		int g = count_of(got, placeholders[k]);
		int e = count_of(expected, placeholders[k]);

		fewer |= g < e;
		more |= g > e;
	}
	if (fewer) {
		t->false_neg++;
		return "false negative";
	}
	if (more) {
		t->false_pos++;
		return "false positive";
	}
	t->wrong++;
	return "wrong output";
}

static void
check_line(struct tally *t, int lineno, const char *label, const char *input,
	   const char *expected)
{
	unsigned found = 0xffu;
	char *got = redact_text(input, strlen(input), &found);
	const char *what;

	assert_non_null(got);
	t->lines++;
	if (strcmp(got, expected)) {
		what = classify(t, label, got, expected);
		print_message("corpus line %d (%s) %s:\n  in:   %s\n  got:  %s\n"
			      "  want: %s\n", lineno, label, what, input, got,
			      expected);
	} else if (found != expected_bits(input, expected)) {
		t->wrong++;
		print_message("corpus line %d (%s): found bits 0x%x, want "
			      "0x%x\n", lineno, label, found,
			      expected_bits(input, expected));
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
	if (!f)
		fail_msg("cannot open the corpus %s", NEUVO_TEST_CORPUS);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (split(line, &label, &input, &expected) ||
		    !known_label(label)) {
			free(line);
			fclose(f);
			fail_msg("corpus line %d is not LABEL TAB INPUT TAB "
				 "EXPECTED with a known label", lineno);
		}
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

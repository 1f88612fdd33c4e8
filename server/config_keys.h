/*
 * config_keys.h - private to config.c and config_keys.c: the table of keys
 * and how each value is checked and stored.
 *
 * config.c reads the file (lines, sections, duplicates, the rules between
 * keys); config_keys.c knows every key: its section, its kind, its range and
 * the field of struct config it sets. Adding a key touches config_keys.c
 * (and config.h for its field) only.
 */
#ifndef NEUVO_CONFIG_KEYS_H
#define NEUVO_CONFIG_KEYS_H

#include <stddef.h>

#include "config.h"

#define CONFIG_LINE_CHARS_MAX 4000 /* longest line, without "\r\n" */

/* A key with rules of its own: set cfg from value, or -1 with why. */
typedef int (*config_special_fn)(struct config *cfg, const char *value,
				 char *why, size_t why_n);

enum key_kind {
	KIND_TEXT,              /* any string, "" included */
	KIND_NONEMPTY,          /* a string that must not be "" */
	KIND_INT,               /* min..max */
	KIND_BOOL,
	KIND_DAY,               /* hours_parse_day */
	KIND_SPECIAL            /* its own function */
};

/* One key of the file; static and read-only (the table in config_keys.c). */
struct config_key {
	const char *section;
	const char *name;
	enum key_kind kind;
	size_t offset;          /* of the field in struct config */
	int min, max;
	config_special_fn special;
};

/* The key `name` of `section`, or NULL when there is none. */
const struct config_key *config_key_find(const char *section,
					 const char *name);

/* Set k's field of cfg from value. Returns 0, or -1 with why filled (a
 * reason without the key's name). */
int config_key_apply(struct config *cfg, const struct config_key *k,
		     const char *value, char *why, size_t why_n);

/* Free a list of allowed origins as config_key_apply built it. */
void config_free_origins(char **list, int n);

#endif

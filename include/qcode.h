/*
 * qcode.h - the pickup code of a question left while closed (CONTRACT.md
 * section 9): made, read back as a resident types it, and turned into the
 * digest that is all the store keeps of it.
 *
 * A code is QCODE_LEN characters from QCODE_ALPHABET: upper-case letters
 * and digits without those easily mistaken for one another (0 O, 1 I L),
 * drawn from OpenSSL's CSPRNG. 31^12 is about 2^59, and a guess costs a
 * round trip that the service throttles per address. The server sends it
 * plain; the page shows it in groups. As typed back, letters may be lower
 * case and spaces and dashes are ignored.
 *
 * The store keeps only SHA-256 of the code's canonical form (as for
 * resident tokens, auth.h); the code itself lives in the frame sent to the
 * resident and nowhere else. No allocation; any thread.
 */
#ifndef NEUVO_QCODE_H
#define NEUVO_QCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QCODE_LEN 12
#define QCODE_ALPHABET "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#define QCODE_DIGEST_LEN 32             /* SHA-256 */

/* A new random code into text (NUL-terminated) and its digest. Returns 0,
 * or -1 when the random generator fails (nothing usable is written). */
int qcode_new(char text[QCODE_LEN + 1], uint8_t digest[QCODE_DIGEST_LEN]);

/* A code as a resident typed it, in canonical form: letters upper-cased,
 * spaces, tabs and dashes dropped. Returns 0 with out filled, or -1 when
 * what is left is not QCODE_LEN characters of the alphabet. */
int qcode_normalise(const char *typed, char out[QCODE_LEN + 1]);

/* The digest of a canonical code. */
void qcode_digest(const char *code, uint8_t digest[QCODE_DIGEST_LEN]);

#endif

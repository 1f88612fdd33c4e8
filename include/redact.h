/*
 * redact.h - removes personal data from chat text before it is stored,
 * relayed or echoed (CONTRACT.md section 5).
 *
 * Finds Finnish personal identity codes (every century sign, Unicode dashes
 * for '-', real date, check character valid or not, letters glued on or
 * not), phone numbers (+358, 358 and national forms, mobile and landline,
 * groups split by spaces, hyphens or dots), email addresses and IBANs
 * (mod-97 valid, or Finnish with a mistyped check), and replaces each with
 * [hetu], [phone], [email] or [iban]. Ordinary numbers (prices, dates,
 * times, counts, street numbers, postcodes, order numbers) are left as
 * they are.
 *
 * Pure logic, no I/O, no global state: safe to call from any thread.
 */
#ifndef NEUVO_REDACT_H
#define NEUVO_REDACT_H

#include <stddef.h>

/* Bits for what was found. */
#define REDACT_HETU  0x1u
#define REDACT_PHONE 0x2u
#define REDACT_EMAIL 0x4u
#define REDACT_IBAN  0x8u

/*
 * Redact `len` bytes of UTF-8 `text` (need not be NUL-terminated).
 * Returns a new NUL-terminated heap string (caller frees) and sets *found to
 * the REDACT_* bits of what was replaced (0 when nothing). Returns NULL only
 * when memory runs out.
 */
char *redact_text(const char *text, size_t len, unsigned *found);

#endif

/*
 * tlsfile.h - check the configured certificate and key before the server
 * relies on them.
 *
 * libwebsockets loads tls_cert and tls_key only when it creates its
 * context, and a bad file then shows up as "cannot listen", which points
 * the administrator at the port instead of the file. `--check`, the start
 * and every reload call tlsfile_check first, so the reason is one line
 * naming the key and the file. Knows OpenSSL, nothing of lws or SQLite.
 */
#ifndef NEUVO_TLSFILE_H
#define NEUVO_TLSFILE_H

#include <stddef.h>

/*
 * Load the PEM certificate chain at cert and the PEM private key at key into
 * a throw-away OpenSSL context and check that the key belongs to the
 * certificate. Both empty means plain HTTP: returns 0 at once.
 *
 * Returns 0 when the pair is usable; -1 with a one-line reason in why
 * (naming "tls_cert" or "tls_key" and the file) when it is not. Allocates
 * nothing that outlives the call; safe from the loop thread only, like
 * every other config step.
 */
int tlsfile_check(const char *cert, const char *key, char *why, size_t why_n);

#endif

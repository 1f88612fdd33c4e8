/*
 * tlsfile.c - load the certificate and key once, up front (tlsfile.h).
 *
 * The same OpenSSL calls lws makes at context creation, on a context that is
 * freed before returning, so what passes here is what lws will accept.
 */
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tlsfile.h"

/* The first queued OpenSSL reason, or a fallback; clears the queue so the
 * next caller starts clean. */
static const char *
ssl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : fallback;
}

static int
fail(char *why, size_t why_n, const char *key, const char *path,
     const char *what, const char *reason)
{
	snprintf(why, why_n, "%s %s: %s (%s)", key, path, what, reason);
	return -1;
}

static int
load_pair(SSL_CTX *ctx, const char *cert, const char *key, char *why,
	  size_t why_n)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return fail(why, why_n, "tls_cert", cert,
			    "no usable PEM certificate",
			    ssl_reason("unreadable"));
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1)
		return 0;
	/* OpenSSL compares the key with the loaded certificate as it loads
	 * it; a key that parsed but does not match gets its own words, as it
	 * is the likeliest mix-up after a renewal. */
	if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH)
		return fail(why, why_n, "tls_key", key,
			    "does not belong to the certificate in tls_cert",
			    ssl_reason("key mismatch"));
	return fail(why, why_n, "tls_key", key, "no usable PEM private key",
		    ssl_reason("unreadable"));
}

int
tlsfile_check(const char *cert, const char *key, char *why, size_t why_n)
{
	SSL_CTX *ctx;
	int rc;

	if (!cert[0] && !key[0])
		return 0;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(why, why_n, "cannot create a TLS context (%s)",
			 ssl_reason("out of memory"));
		return -1;
	}
	rc = load_pair(ctx, cert, key, why, why_n);
	SSL_CTX_free(ctx);
	return rc;
}

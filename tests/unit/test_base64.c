/* test_base64.c - RFC 4648 base64 in the three forms the server writes
 * (padded for mail, unpadded for PHC strings, unpadded URL-safe for
 * tokens), and the strict decoder that reads PHC strings back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"
#include "unit.h"

static void
encodes_to(const char *in, unsigned flags, const char *want)
{
	char out[64];

	assert_int_equal(b64_encoded_len(strlen(in), flags), strlen(want));
	assert_int_equal(b64_encode(in, strlen(in), out, flags), strlen(want));
	assert_string_equal(out, want);
}

static void
decodes_to(const char *in, unsigned flags, const char *want)
{
	char out[64];
	long n = b64_decode(in, strlen(in), out, sizeof(out), flags);

	assert_int_equal(n, (long)strlen(want));
	assert_memory_equal(out, want, (size_t)n);
}

static void
refused(const char *in, unsigned flags)
{
	char out[64];

	assert_int_equal(b64_decode(in, strlen(in), out, sizeof(out), flags),
			 -1);
}

/* The test vectors of RFC 4648 section 10. */
static void
rfc4648_vectors_padded(void **state)
{
	(void)state;
	encodes_to("", 0, "");
	encodes_to("f", 0, "Zg==");
	encodes_to("fo", 0, "Zm8=");
	encodes_to("foo", 0, "Zm9v");
	encodes_to("foob", 0, "Zm9vYg==");
	encodes_to("fooba", 0, "Zm9vYmE=");
	encodes_to("foobar", 0, "Zm9vYmFy");
	decodes_to("Zm9vYg==", 0, "foob");
	decodes_to("Zm9vYmE=", 0, "fooba");
	decodes_to("", 0, "");
}

static void
rfc4648_vectors_unpadded(void **state)
{
	(void)state;
	encodes_to("f", B64_NOPAD, "Zg");
	encodes_to("fo", B64_NOPAD, "Zm8");
	encodes_to("foob", B64_NOPAD, "Zm9vYg");
	decodes_to("Zg", B64_NOPAD, "f");
	decodes_to("Zm8", B64_NOPAD, "fo");
	decodes_to("Zm9vYmFy", B64_NOPAD, "foobar");
}

/* The two alphabets differ in exactly the last two characters. */
static void
url_alphabet(void **state)
{
	(void)state;
	encodes_to("\xfb\xff", 0, "+/8=");
	encodes_to("\xfb\xff", B64_URL | B64_NOPAD, "-_8");
	decodes_to("-_8", B64_URL | B64_NOPAD, "\xfb\xff");
	refused("+/8", B64_URL | B64_NOPAD);
	refused("-_8=", 0);
}

static void
every_length_round_trips(void **state)
{
	static const unsigned forms[] = { 0, B64_NOPAD, B64_URL | B64_NOPAD };
	unsigned char in[100], back[100];
	char text[140];
	size_t n, k, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (k = 0; k < 3; k++)
		for (n = 0; n <= sizeof(in); n++) {
			size_t len = b64_encode(in, n, text, forms[k]);

			assert_int_equal(len, b64_encoded_len(n, forms[k]));
			assert_int_equal(b64_decode(text, len, back,
						    sizeof(back), forms[k]),
					 (long)n);
			assert_memory_equal(back, in, n);
		}
}

static void
padding_must_match_the_form(void **state)
{
	(void)state;
	refused("Zg", 0);               /* padding missing */
	refused("Zg=", 0);
	refused("Zg==", B64_NOPAD);     /* padding where none goes */
	refused("Zm8=", B64_NOPAD);
	refused("Zg===", 0);
	refused("====", 0);
	refused("Z===", 0);
}

static void
foreign_characters_refused(void **state)
{
	(void)state;
	refused("Zm9v Yg", B64_NOPAD);
	refused("Zm9v\nYg", B64_NOPAD);
	refused(" Zm9v", B64_NOPAD);
	refused("Zm9v*", B64_NOPAD);
	refused("Zm=v", 0);             /* '=' inside */
}

static void
impossible_lengths_refused(void **state)
{
	(void)state;
	refused("Z", B64_NOPAD);        /* six bits end no byte */
	refused("Zm9vY", B64_NOPAD);
}

/* "Zh" would be "f" with stray low bits: only the canonical text counts. */
static void
non_zero_fill_bits_refused(void **state)
{
	(void)state;
	refused("Zh", B64_NOPAD);
	refused("Zh==", 0);
	refused("Zm9", B64_NOPAD);
	decodes_to("Zm8", B64_NOPAD, "fo");
}

static void
output_bound_respected(void **state)
{
	char out[4] = "....";

	(void)state;
	assert_int_equal(b64_decode("Zm9vYg", 6, out, 3, B64_NOPAD), -1);
	assert_int_equal(b64_decode("Zm9v", 4, out, 3, B64_NOPAD), 3);
	assert_int_equal(out[3], '.');
}

int
test_base64_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4648_vectors_padded),
		cmocka_unit_test(rfc4648_vectors_unpadded),
		cmocka_unit_test(url_alphabet),
		cmocka_unit_test(every_length_round_trips),
		cmocka_unit_test(padding_must_match_the_form),
		cmocka_unit_test(foreign_characters_refused),
		cmocka_unit_test(impossible_lengths_refused),
		cmocka_unit_test(non_zero_fill_bits_refused),
		cmocka_unit_test(output_bound_respected),
	};

	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}

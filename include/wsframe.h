/*
 * wsframe.h - the headers of the WebSocket frames the server writes itself
 * (RFC 6455 section 5.2), and the batch they are gathered into.
 *
 * net.c hands lws several queued frames in one write (one send per
 * WRITEABLE instead of one per frame), so it frames them here rather than
 * letting lws frame each. Every frame the server sends this way is a final
 * text frame: FIN set, RSV bits clear, opcode 1, unmasked (a server never
 * masks), its length in the shortest form the RFC allows.
 *
 * RSV bits clear is right only while no extension is negotiated: net.c
 * offers none. Were permessage-deflate ever offered, lws's own framing
 * (which runs the extension) would have to come back.
 *
 * Pure: no lws, no allocation, no state.
 */
#ifndef NEUVO_WSFRAME_H
#define NEUVO_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>

/* The longest header: 2 bytes, then a 64-bit length. */
#define WSFRAME_HEADER_MAX 10

/*
 * Write the header of a final, unmasked text frame of `len` payload bytes
 * into out, which has room for WSFRAME_HEADER_MAX bytes. Returns the
 * header's length: 2 (len up to 125), 4 (up to 65535, a 16-bit length) or
 * 10 (a 64-bit length; its top bit stays clear, as the RFC requires, for
 * any len a size_t of 64 bits or less can hold in memory).
 */
size_t wsframe_text_header(unsigned char *out, size_t len);

/*
 * Append one frame, header then the `len` bytes at text, to buf, which
 * holds *used bytes of its `cap`. Returns true and advances *used; false,
 * with buf and *used untouched, when the frame does not fit whole.
 */
bool wsframe_append(unsigned char *buf, size_t cap, size_t *used,
		    const void *text, size_t len);

#endif

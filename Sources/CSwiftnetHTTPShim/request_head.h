#ifndef SWIFTNET_REQUEST_HEAD_H
#define SWIFTNET_REQUEST_HEAD_H

#include <stddef.h>
#include <stdint.h>

/* A connection's first request head is read (peeked) and judged here before libmicrohttpd sees
 * the connection, because everything MHD refuses by itself it answers with a built-in HTML page
 * that no option changes. Whatever passes here MHD parses without refusing: the limits sit well
 * inside MHD's 32 KiB per-connection memory, and the syntax is stricter than MHD's. */

/* dockerd's heads are about 200 bytes with 4 fields. Each query argument and each cookie of a
 * Cookie header counts as a field, since MHD stores each as one. */
#define REQUEST_HEAD_MAX_BYTES 8192u
#define REQUEST_HEAD_MAX_FIELDS 100u

enum head_verdict {
    HEAD_INCOMPLETE,  /* no end of head yet, and nothing wrong so far */
    HEAD_ACCEPTED,
    HEAD_REFUSED,
};

struct head_refusal {
    unsigned int status;
    /* JSON-safe: only fixed text, numbers and an HTTP-version token the checker validated. */
    char message[160];
};

/* Judges `bytes`, the start of what a client sent. Returns HEAD_REFUSED as soon as the bytes
 * seen so far are wrong (a malformed request line is refused before the rest arrives), with
 * the status (400, 413 or 431) and message in `refusal`. `max_body_bytes` only shapes the 413
 * message for a Content-Length too large to be a number at all; smaller oversize bodies are
 * answered later, by the request handler, like those of later requests on the connection. */
enum head_verdict request_head_check(const uint8_t *bytes, size_t len, size_t max_body_bytes,
                                     struct head_refusal *refusal);

/* NULL if MHD decodes a body framed by this Transfer-Encoding value (leading white space
 * already taken off, as MHD takes it off), else why the request must be refused (400).
 * `value` need not be NUL-terminated. MHD 0.9.75 reads any other value as a body of unknown
 * length that it neither decodes nor ends: the client would get no answer at all. */
const char *transfer_encoding_refusal(const uint8_t *value, size_t len);

#endif

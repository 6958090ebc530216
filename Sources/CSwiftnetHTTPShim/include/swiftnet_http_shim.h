#ifndef SWIFTNET_HTTP_SHIM_H
#define SWIFTNET_HTTP_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libmicrohttpd's start call is variadic and its access handler is called several times per
 * request (headers, each body piece, end). Swift cannot call the former and should not have to
 * keep per-request state across the latter, so this shim owns both and calls Swift exactly once
 * per complete request. */

/* Opaque: the handler only hands it back to swiftnet_http_reply_set. */
typedef struct swiftnet_http_reply swiftnet_http_reply;

/* Opaque running daemon. */
typedef struct swiftnet_http_server swiftnet_http_server;

/* Called once per complete request on one of the daemon's worker threads, concurrently with
 * other requests. All pointers are valid only during the call. `body` may be NULL when
 * `body_len` is 0. The handler answers by calling swiftnet_http_reply_set before returning; if
 * it does not, the client gets a 500. It must not call swiftnet_http_stop (that joins the very
 * thread it runs on). */
typedef void (*swiftnet_http_handler)(void *context,
                                      const char *method,
                                      const char *url,
                                      const uint8_t *body,
                                      size_t body_len,
                                      swiftnet_http_reply *reply);

/* Receives libmicrohttpd's own diagnostics, one line without the trailing newline, from any
 * thread. */
typedef void (*swiftnet_http_log)(void *context, const char *message);

/* Copies `body` and `content_type` (both may be NULL), so the caller's buffers need only live
 * for the duration of this call. A status outside 200...599 becomes 500. Calling it again
 * replaces the previous answer. Returns 0 on success, -1 if no response could be built (out of
 * memory); the client then gets a 500. */
int swiftnet_http_reply_set(swiftnet_http_reply *reply,
                            unsigned int status,
                            const uint8_t *body,
                            size_t body_len,
                            const char *content_type);

/* Serves HTTP/1.1 on `listen_fd`, a socket already bound and listening (AF_UNIX or TCP).
 * Ownership of `listen_fd` passes to the server in every case: it is closed by
 * swiftnet_http_stop, or before this function returns NULL.
 *
 * threads: worker threads, each with its own epoll set (1 = a single internal thread).
 * idle_timeout_seconds: a connection with no traffic for this long is closed (0 = never).
 * request_deadline_seconds: a request whose body is still arriving after this long is aborted
 *   (0 = no deadline).
 * max_body_bytes: larger bodies are answered with 413 and the connection is closed.
 * connection_limit: further connections are accepted and closed at once (0 = MHD default).
 * log: may be NULL.
 *
 * Returns NULL on failure with a reason in `error` (always NUL-terminated when error_len > 0). */
swiftnet_http_server *swiftnet_http_start(int listen_fd,
                                          unsigned int threads,
                                          unsigned int idle_timeout_seconds,
                                          unsigned int request_deadline_seconds,
                                          size_t max_body_bytes,
                                          unsigned int connection_limit,
                                          swiftnet_http_handler handler,
                                          swiftnet_http_log log,
                                          void *context,
                                          char *error,
                                          size_t error_len);

/* Stops accepting, closes every connection and the listening socket, waits for all worker
 * threads (so no handler runs after it returns) and frees the server. NULL is ignored. */
void swiftnet_http_stop(swiftnet_http_server *server);

#ifdef __cplusplus
}
#endif

#endif

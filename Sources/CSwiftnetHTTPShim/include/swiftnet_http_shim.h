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

/* Receives libmicrohttpd's own diagnostics and the accept loop's reports (connections closed
 * by the connection policy, accept failures), one line without the trailing newline, from any
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

/* How the server treats connections; see swiftnet_http_start. */
struct swiftnet_http_limits {
    /* Worker threads, each with its own epoll set (1 = a single internal thread). */
    unsigned int threads;
    /* A kept-alive connection whose next request head is not complete this long after the
     * previous answer is closed (0 = never). Absolute: trickled bytes do not extend it. */
    unsigned int idle_timeout_seconds;
    /* A new connection whose first request head is not complete this long after it was
     * accepted is answered 408 and closed (at least 1). */
    unsigned int header_deadline_seconds;
    /* A request whose body is still arriving this long after its head is aborted (0 = no
     * deadline). */
    unsigned int body_deadline_seconds;
    /* Larger bodies are answered 413 and the connection is closed. */
    size_t max_body_bytes;
    /* At this many open connections, each new one first closes the connection that has waited
     * longest among those sending their first head, else among those idle between requests,
     * else among those sending a body; never one being handled or answered. */
    unsigned int soft_connection_limit;
    /* Never more open connections: beyond it, when every one is being served, a new client is
     * answered 503. At least soft_connection_limit and threads; at most 1000000, with
     * threads at most 1024. */
    unsigned int hard_connection_limit;
};

/* Serves HTTP/1.1 on `listen_fd`, a socket already bound and listening (AF_UNIX or TCP).
 * Ownership of `listen_fd` passes to the server in every case: it is closed by
 * swiftnet_http_stop, or before this function returns NULL.
 *
 * A connection's first request head is checked by the server's own accept loop before
 * libmicrohttpd sees the connection, so malformed heads, unsupported versions (400) and
 * oversize heads (431, over 8192 bytes or 100 fields) get a JSON {"Err": ...} answer. Later
 * requests on a kept-alive connection are parsed by libmicrohttpd, which answers what it
 * refuses there with its HTML page; a Transfer-Encoding it would not decode and an oversize
 * body still get JSON (see shim.c).
 *
 * log: may be NULL.
 *
 * Returns NULL on failure with a reason in `error` (always NUL-terminated when error_len > 0). */
swiftnet_http_server *swiftnet_http_start(int listen_fd,
                                          const struct swiftnet_http_limits *limits,
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

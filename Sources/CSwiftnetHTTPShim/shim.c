/* The HTTP server. libmicrohttpd parses requests and runs the worker threads; the gate
 * (gate.c) accepts connections and checks each one's first request head before MHD sees it;
 * the registry (connection_registry.c) knows every connection's phase and enforces the
 * deadlines and the connection limits.
 *
 * What still gets libmicrohttpd's own HTML refusal: a bad head in a later request on a
 * kept-alive connection (MHD reads it from the socket before any callback of ours runs, and
 * its version check and memory limit answer with compiled-in pages that no option in 0.9.75
 * changes; only a byte-copying proxy in front of MHD could intercept them), and a malformed
 * chunked body (refused in the middle of the body). dockerd sends neither. A Transfer-Encoding
 * that MHD would not decode reaches our access handler, which refuses it in JSON. */
#define _GNU_SOURCE
#include "swiftnet_http_shim.h"

#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <microhttpd.h>

#include "connection_registry.h"
#include "gate.h"
#include "request_head.h"

struct swiftnet_http_reply {
    struct MHD_Response *response;
    unsigned int status;
};

struct swiftnet_http_server {
    struct MHD_Daemon *daemon;
    swiftnet_http_handler handler;
    swiftnet_http_log log;
    void *context;
    size_t max_body_bytes;
    struct connection_registry registry;
    struct gate gate;
    /* Built once and queued many times: MHD responses are reference counted and thread-safe. */
    struct MHD_Response *too_large;
    struct MHD_Response *no_answer;
    /* MHD explains a failed start only through its logger. The line is kept for the error
     * message, written and read by the starting thread alone so workers cannot race on it. */
    pthread_t starter;
    char start_log[512];
};

/* Lives from the first access-handler call of a request until MHD reports it completed. */
struct request_state {
    uint8_t *body;
    size_t body_len;
    size_t body_cap;
    bool too_large;
};

/* Connections MHD may count beyond the registry's: one per worker between MHD reporting a
 * connection closed (the registry forgets it) and MHD's own count going down. */
#define MHD_LIMIT_MARGIN 64u

/* Content-Length is attacker-chosen: trust it for pre-sizing only up to this much. */
#define INITIAL_BODY_CAPACITY_LIMIT ((size_t) 64 * 1024)
#define MIN_BODY_CAPACITY ((size_t) 1024)

static void on_mhd_log(void *cls, const char *format, va_list ap)
{
    static const char prefix[] = "libmicrohttpd: ";
    struct swiftnet_http_server *server = cls;
    char attributed[sizeof prefix - 1 + 512];
    char *line = attributed + sizeof prefix - 1;
    int n;

    /* MHD cannot be told that a connection passed in with MHD_add_connection is a Unix socket
     * (0.9.75 passes "unknown"), so it tries TCP_NODELAY/TCP_CORK on each answer and reports
     * the EOPNOTSUPP, and then that it could not "push" the data, every time. A Unix socket
     * has no such buffering to push; on TCP these are latency hints. The lines are noise. */
    if (0 == strncmp(format, "Setting %s option to %s state failed", 36)
        || 0 == strncmp(format, "Failed to push the data from buffers", 36))
        return;
    memcpy(attributed, prefix, sizeof prefix - 1);
    n = vsnprintf(line, 512, format, ap);
    if (n < 0)
        return;
    if (n >= 512)
        n = 511;
    while (n > 0 && ('\n' == line[n - 1] || '\r' == line[n - 1]))
        line[--n] = '\0';
    /* Thread test first: worker threads must not read `daemon` while start assigns it. */
    if (pthread_equal(pthread_self(), server->starter) && NULL == server->daemon)
        memcpy(server->start_log, line, (size_t) n + 1);
    if (NULL != server->log)
        server->log(server->context, attributed);
}

int swiftnet_http_reply_set(swiftnet_http_reply *reply,
                            unsigned int status,
                            const uint8_t *body,
                            size_t body_len,
                            const char *content_type)
{
    struct MHD_Response *response;

    if (NULL == reply)
        return -1;
    if (NULL == body)
        body_len = 0;
    /* MUST_COPY: the Swift array behind `body` is gone once the handler returns. */
    response = MHD_create_response_from_buffer(body_len, (void *) body, MHD_RESPMEM_MUST_COPY);
    if (NULL == response)
        return -1;
    /* MHD refuses values with CR/LF or empty ones; the body still goes out without the header
     * rather than not at all. */
    if (NULL != content_type && '\0' != content_type[0])
        (void) MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (NULL != reply->response)
        MHD_destroy_response(reply->response);
    reply->response = response;
    /* 1xx, 204 and 304 would make MHD drop the body or wait for a second answer. */
    reply->status = (status >= 200 && status <= 599 && 204 != status && 304 != status)
                    ? status : MHD_HTTP_INTERNAL_SERVER_ERROR;
    return 0;
}

static struct MHD_Response *make_static_response(const char *json, bool close_connection)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(json), (void *) json, MHD_RESPMEM_MUST_COPY);

    if (NULL == response)
        return NULL;
    if (MHD_YES != MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                           "application/json")
        || (close_connection
            && MHD_YES != MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close"))) {
        MHD_destroy_response(response);
        return NULL;
    }
    return response;
}

static bool append_body(struct request_state *state, const char *data, size_t size,
                        size_t limit)
{
    if (size > limit - state->body_len)
        return false;
    if (state->body_len + size > state->body_cap) {
        size_t cap = state->body_cap < MIN_BODY_CAPACITY ? MIN_BODY_CAPACITY : state->body_cap;
        uint8_t *grown;

        while (cap < state->body_len + size)
            cap = cap > limit / 2 ? limit : cap * 2;
        grown = realloc(state->body, cap);
        if (NULL == grown)
            return false;
        state->body = grown;
        state->body_cap = cap;
    }
    memcpy(state->body + state->body_len, data, size);
    state->body_len += size;
    return true;
}

/* The registry entry MHD keeps for the connection (set when MHD started it). */
static struct tracked_connection *tracked(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return NULL == info ? NULL : info->socket_context;
}

/* False if the connection policy has already ended the connection: the request is aborted
 * rather than handled for a client that would never see the answer. */
static bool enter_phase(struct swiftnet_http_server *server, struct MHD_Connection *connection,
                        enum connection_phase phase)
{
    struct tracked_connection *entry = tracked(connection);

    return NULL == entry || registry_enter(&server->registry, entry, phase, gate_monotonic_ms());
}

/* An answer queued on the access handler's first call, before the body is read: MHD then
 * skips the body and closes the connection. */
static enum MHD_Result answer_before_body(struct swiftnet_http_server *server,
                                          struct MHD_Connection *connection, unsigned int status,
                                          struct MHD_Response *response)
{
    (void) enter_phase(server, connection, PHASE_HANDLING);
    return MHD_queue_response(connection, status, response);
}

/* `message` must need no JSON escaping. */
static enum MHD_Result refuse_before_body(struct swiftnet_http_server *server,
                                          struct MHD_Connection *connection, unsigned int status,
                                          const char *message)
{
    char json[256];
    struct MHD_Response *response;
    enum MHD_Result queued;

    snprintf(json, sizeof json, "{\"Err\":\"%s\"}", message);
    response = make_static_response(json, true);
    if (NULL == response)
        return MHD_NO;
    queued = answer_before_body(server, connection, status, response);
    MHD_destroy_response(response);
    return queued;
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *connection,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **req_cls)
{
    struct swiftnet_http_server *server = cls;
    struct request_state *state = *req_cls;
    struct swiftnet_http_reply reply = { NULL, 0 };
    enum MHD_Result queued;

    (void) version;

    if (NULL == state) {
        /* Headers complete, body not yet read: the body deadline starts. */
        const char *length, *encoding;

        if (!enter_phase(server, connection, PHASE_BODY))
            return MHD_NO;
        state = calloc(1, sizeof *state);
        if (NULL == state)
            return MHD_NO;
        *req_cls = state;
        /* The gate checked this already for a connection's first request, not for later
         * ones on a kept-alive connection: without this, MHD would wait for the end of a
         * body it cannot find, and the client would get no answer. */
        encoding = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_TRANSFER_ENCODING);
        if (NULL != encoding) {
            const char *why = transfer_encoding_refusal((const uint8_t *) encoding,
                                                        strlen(encoding));

            if (NULL != why)
                return refuse_before_body(server, connection, MHD_HTTP_BAD_REQUEST, why);
        }
        /* With a Transfer-Encoding, MHD neither reads nor checks Content-Length: the body is
         * chunked whatever it says, and its size is judged as it arrives. */
        length = NULL != encoding ? NULL
                 : MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (NULL != length) {
            /* MHD has already refused a malformed Content-Length; an out-of-range one
             * saturates to ULLONG_MAX here, which is over any limit. */
            unsigned long long announced = strtoull(length, NULL, 10);

            if (announced > server->max_body_bytes)
                return answer_before_body(server, connection, MHD_HTTP_CONTENT_TOO_LARGE,
                                          server->too_large);
            if (announced > 0) {
                size_t cap = (size_t) announced;

                if (cap > INITIAL_BODY_CAPACITY_LIMIT)
                    cap = INITIAL_BODY_CAPACITY_LIMIT;
                state->body = malloc(cap);
                if (NULL == state->body)
                    return MHD_NO;
                state->body_cap = cap;
            }
        }
        return MHD_YES;
    }

    if (0 != *upload_data_size) {
        if (!state->too_large
            && !append_body(state, upload_data, *upload_data_size, server->max_body_bytes)) {
            /* MHD accepts a response only before the body or after all of it, so a chunked
             * body that outgrows the limit is drained (bounded by the body deadline, when one
             * is set) and answered 413 at its end. */
            state->too_large = true;
            free(state->body);
            state->body = NULL;
            state->body_len = 0;
            state->body_cap = 0;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    /* Request complete: from here on the connection is never ended early. */
    if (!enter_phase(server, connection, PHASE_HANDLING))
        return MHD_NO;
    if (state->too_large)
        return MHD_queue_response(connection, MHD_HTTP_CONTENT_TOO_LARGE, server->too_large);

    server->handler(server->context, method, url, state->body, state->body_len, &reply);
    if (NULL == reply.response)
        return MHD_queue_response(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, server->no_answer);
    queued = MHD_queue_response(connection, reply.status, reply.response);
    MHD_destroy_response(reply.response);
    return queued;
}

static void on_request_completed(void *cls,
                                 struct MHD_Connection *connection,
                                 void **req_cls,
                                 enum MHD_RequestTerminationCode toe)
{
    struct request_state *state = *req_cls;

    (void) toe;
    /* Answered (or aborted): a kept-alive connection now waits for its next request. */
    (void) enter_phase(cls, connection, PHASE_IDLE);
    if (NULL == state)
        return;
    free(state->body);
    free(state);
    *req_cls = NULL;
}

/* MHD reports CLOSED before it closes the fd (daemon.c, MHD_cleanup_connections and the failure
 * path of new_connection_process_ in 0.9.75), so removing the entry here, under the registry
 * lock, is what makes the gate's shutdown(2) of an entry's fd safe. */
static void on_connection(void *cls,
                          struct MHD_Connection *connection,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct swiftnet_http_server *server = cls;

    if (MHD_CONNECTION_NOTIFY_STARTED == code) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);

        if (NULL != info)
            *socket_context = registry_attach(&server->registry, info->connect_fd,
                                              gate_monotonic_ms());
    } else if (MHD_CONNECTION_NOTIFY_CLOSED == code && NULL != *socket_context) {
        registry_remove(&server->registry, *socket_context);
        free(*socket_context);
        *socket_context = NULL;
    }
}

static void on_gate_log(void *context, const char *message)
{
    struct swiftnet_http_server *server = context;
    char attributed[600];

    if (NULL == server->log)
        return;
    snprintf(attributed, sizeof attributed, "HTTP accept loop: %s", message);
    server->log(server->context, attributed);
}

static void set_error(char *error, size_t error_len, const char *message)
{
    if (NULL != error && error_len > 0)
        snprintf(error, error_len, "%s", message);
}

static void free_server(struct swiftnet_http_server *server)
{
    if (NULL != server->too_large)
        MHD_destroy_response(server->too_large);
    if (NULL != server->no_answer)
        MHD_destroy_response(server->no_answer);
    free(server);
}

static bool limits_valid(const struct swiftnet_http_limits *limits)
{
    return limits->threads >= 1 && limits->threads <= 1024 && limits->header_deadline_seconds >= 1
           && limits->hard_connection_limit <= 1000000
           && limits->max_body_bytes > 0 && limits->soft_connection_limit >= 1
           && limits->hard_connection_limit >= limits->soft_connection_limit
           && limits->hard_connection_limit >= limits->threads;
}

swiftnet_http_server *swiftnet_http_start(int listen_fd,
                                          const struct swiftnet_http_limits *limits,
                                          swiftnet_http_handler handler,
                                          swiftnet_http_log log,
                                          void *context,
                                          char *error,
                                          size_t error_len)
{
    struct swiftnet_http_server *server;
    struct registry_policy policy;
    char too_large_json[96];
    struct MHD_OptionItem options[8];
    size_t n_options = 0;
    /* Internal epoll threads, each with its own epoll set and no select() FD_SETSIZE cap.
     * Measured on 2 cores against select, poll and epoll+TURBO: all within noise (~35-45k req/s
     * serial, ~100k with 8 clients), so the plainest scalable mode wins. No listening socket:
     * the gate accepts and passes connections in with MHD_add_connection, which needs ITC to
     * wake a worker. */
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG
                         | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;

    set_error(error, error_len, "");
    if (NULL == handler || NULL == limits || !limits_valid(limits)) {
        set_error(error, error_len, "handler and valid limits are required");
        close(listen_fd);
        return NULL;
    }
    server = calloc(1, sizeof *server);
    if (NULL == server) {
        set_error(error, error_len, "out of memory");
        close(listen_fd);
        return NULL;
    }
    server->handler = handler;
    server->log = log;
    server->context = context;
    server->max_body_bytes = limits->max_body_bytes;
    server->starter = pthread_self();

    snprintf(too_large_json, sizeof too_large_json,
             "{\"Err\":\"request body larger than %zu bytes\"}", limits->max_body_bytes);
    server->too_large = make_static_response(too_large_json, true);
    server->no_answer = make_static_response("{\"Err\":\"handler produced no response\"}", false);
    policy = (struct registry_policy) {
        .soft_limit = limits->soft_connection_limit,
        .hard_limit = limits->hard_connection_limit,
        .header_deadline_ms = (uint64_t) limits->header_deadline_seconds * 1000u,
        .idle_limit_ms = (uint64_t) limits->idle_timeout_seconds * 1000u,
        .body_deadline_ms = (uint64_t) limits->body_deadline_seconds * 1000u,
    };
    if (NULL == server->too_large || NULL == server->no_answer
        || 0 != registry_init(&server->registry, &policy)) {
        set_error(error, error_len, "out of memory");
        free_server(server);
        close(listen_fd);
        return NULL;
    }

    /* A pool size of 0 or 1 draws a warning, so the option is left out instead; the array form
     * makes that possible without a second copy of the call. MHD's own inactivity timeout stays
     * as a backstop for answers the client does not read; the registry enforces the rest. */
    options[n_options++] = (struct MHD_OptionItem) {
        MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t) limits->idle_timeout_seconds, NULL };
    options[n_options++] = (struct MHD_OptionItem) {
        MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) on_request_completed, server };
    options[n_options++] = (struct MHD_OptionItem) {
        MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) on_connection, server };
    /* The registry enforces the hard limit; MHD's own limit must never be reached. MHD splits
     * it evenly across workers and MHD_add_connection's capacity check races the worker's own,
     * so an uneven spread of passed-in connections can fill one worker; and 0.9.75 then leaves
     * that worker's cleanup mutex locked on the refusal path (new_connection_process_, fixed
     * upstream in 67061d5c, 2023), deadlocking it for good. So every worker may take them all. */
    options[n_options++] = (struct MHD_OptionItem) {
        MHD_OPTION_CONNECTION_LIMIT,
        (intptr_t) (((uintptr_t) limits->hard_connection_limit + MHD_LIMIT_MARGIN) * limits->threads),
        NULL };
    if (limits->threads > 1)
        options[n_options++] = (struct MHD_OptionItem) {
            MHD_OPTION_THREAD_POOL_SIZE, (intptr_t) limits->threads, NULL };
    options[n_options++] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };

    /* The external logger has to come first or MHD prints early messages to stderr itself. */
    server->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, server,
                                      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
                                      MHD_OPTION_ARRAY, options,
                                      MHD_OPTION_END);
    if (NULL == server->daemon) {
        if (NULL != error && error_len > 0)
            snprintf(error, error_len, "libmicrohttpd refused to start%s%s",
                     server->start_log[0] ? ": " : "", server->start_log);
        registry_destroy(&server->registry);
        free_server(server);
        close(listen_fd);
        return NULL;
    }
    if (0 != gate_start(&server->gate, listen_fd, server->daemon, &server->registry,
                        limits->max_body_bytes, limits->header_deadline_seconds, on_gate_log,
                        server, error, error_len)) {
        MHD_stop_daemon(server->daemon);
        registry_destroy(&server->registry);
        free_server(server);
        return NULL;
    }
    return server;
}

void swiftnet_http_stop(swiftnet_http_server *server)
{
    if (NULL == server)
        return;
    /* The gate first, so nothing new reaches MHD and no shutdown(2) races MHD's closing. Then
     * MHD joins its workers, completes (and frees) in-flight requests and closes every
     * connection, reporting each closed to the registry. */
    gate_stop(&server->gate);
    MHD_stop_daemon(server->daemon);
    registry_destroy(&server->registry);
    free_server(server);
}

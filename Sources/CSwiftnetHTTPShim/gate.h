#ifndef SWIFTNET_GATE_H
#define SWIFTNET_GATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#include "connection_registry.h"
#include "request_head.h"

/* The accept loop in front of libmicrohttpd (which runs without a listening socket). One thread:
 * accepts, admits each connection through the registry, holds it until its first request head
 * is complete (peeking, so MHD still reads every byte), answers what MHD would refuse with a
 * JSON error itself, hands the rest to MHD with MHD_add_connection, and enforces the registry's
 * deadlines. */

typedef void (*gate_log)(void *context, const char *message);

struct gate {
    int listen_fd;
    int epoll_fd;
    int wake_fd;
    pthread_t thread;
    bool running;
    struct MHD_Daemon *daemon;
    struct connection_registry *registry;
    size_t max_body_bytes;
    unsigned int header_deadline_seconds;
    gate_log log;
    void *log_context;
    uint64_t accept_paused_until_ms;
    /* accept(2) failures for want of descriptors since the last report. */
    uint64_t out_of_descriptors;
    struct registry_counters logged;
    uint64_t logged_at_ms;
    /* Entries the gate dropped during one round of events; freed once no event can name them. */
    struct tracked_connection *graveyard;
    uint8_t peek[REQUEST_HEAD_MAX_BYTES + 1];
};

/* Takes the listening socket (closed by gate_stop, or here on failure). Returns 0, or -1 with
 * a reason in `error`. */
int gate_start(struct gate *gate, int listen_fd, struct MHD_Daemon *daemon,
               struct connection_registry *registry, size_t max_body_bytes,
               unsigned int header_deadline_seconds, gate_log log, void *log_context,
               char *error, size_t error_len);
/* Joins the thread, closes the connections it still holds and the listening socket. */
void gate_stop(struct gate *gate);

uint64_t gate_monotonic_ms(void);

#endif

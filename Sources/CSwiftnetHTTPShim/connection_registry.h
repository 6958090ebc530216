#ifndef SWIFTNET_CONNECTION_REGISTRY_H
#define SWIFTNET_CONNECTION_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Every open client connection, where it is in its life, and since when: the one place that
 * decides which connection must go (a deadline passed, or room is needed for a new client).
 *
 * Two owners share it. The gate thread owns a connection until its first request head is
 * complete (PHASE_HEAD) and closes such connections itself. libmicrohttpd owns it afterwards;
 * those are ended with shutdown(2) from the gate thread, which is safe because MHD reports
 * MHD_CONNECTION_NOTIFY_CLOSED (and the entry is removed, under the lock) before it closes the
 * descriptor, so while an entry is in the list under the lock its fd is that connection's. */

enum connection_phase {
    PHASE_HEAD,      /* the gate waits for the first request head */
    PHASE_HANDOFF,   /* handed to MHD, which has not started it yet */
    PHASE_IDLE,      /* MHD waits for the next request (keep-alive) */
    PHASE_BODY,      /* head complete, body arriving */
    PHASE_HANDLING,  /* in the handler, or its answer being sent: never ended early */
};

/* Why the gate got a PHASE_HEAD connection back to close. */
enum release_reason {
    RELEASE_EVICTED,         /* room for a new client */
    RELEASE_HEAD_DEADLINE,   /* answered 408 */
};

struct tracked_connection {
    struct tracked_connection *prev, *next;
    /* Gate-side chain of released entries, see registry_take_released. */
    struct tracked_connection *released_next;
    enum release_reason release_reason;
    bool released;
    /* Gate only: in the gate's epoll set, waiting for more of its head. */
    bool in_gate_epoll;
    int fd;
    enum connection_phase phase;
    /* When the entry entered its phase; in PHASE_HANDOFF, when the fd was last found to be
     * the socket handed off. */
    uint64_t since_ms;
    /* PHASE_HANDOFF: the socket the fd was when handed off (fstat). */
    dev_t socket_device;
    ino_t socket_inode;
    /* Shut down, waiting for MHD to close it; no longer counts as active. */
    bool closing;
    struct sockaddr_storage address;
    socklen_t address_len;
};

struct registry_policy {
    unsigned int soft_limit;
    unsigned int hard_limit;
    uint64_t header_deadline_ms;
    uint64_t idle_limit_ms;     /* 0 = none */
    uint64_t body_deadline_ms;  /* 0 = none */
};

struct registry_counters {
    uint64_t evicted;
    uint64_t head_deadlines;
    uint64_t idle_limits;
    uint64_t body_deadlines;
    uint64_t refused_busy;
};

struct connection_registry {
    pthread_mutex_t lock;
    struct tracked_connection *first, *last;
    unsigned int count;    /* entries in the list */
    unsigned int closing;  /* of those, shut down and on their way out */
    struct registry_policy policy;
    struct registry_counters counters;
    /* PHASE_HEAD entries taken out of the list for the gate to close. */
    struct tracked_connection *released;
};

int registry_init(struct connection_registry *registry, const struct registry_policy *policy);
/* Frees every entry left; MHD and the gate must be stopped. */
void registry_destroy(struct connection_registry *registry);

/* Gate: a new connection. Ends older ones to stay within the soft limit (PHASE_HEAD ones come
 * back through registry_take_released). Returns NULL if the hard limit is reached and nothing
 * can be ended (every connection is being served): refuse the new one. */
struct tracked_connection *registry_admit(struct connection_registry *registry, int fd,
                                          const struct sockaddr *address, socklen_t address_len,
                                          uint64_t now_ms);
/* Gate: ends the oldest connection not being served, for when accept(2) runs out of file
 * descriptors. Returns false if there is none. */
bool registry_make_room(struct connection_registry *registry);
/* Gate: the entry's head is complete and it goes to MHD next. Returns false, changing
 * nothing, if the fd cannot be identified (fstat failed): the caller drops the connection. */
bool registry_hand_off(struct connection_registry *registry, struct tracked_connection *entry,
                       uint64_t now_ms);
/* Gate or MHD: the connection is gone (the caller closes the fd, or MHD does right after). */
void registry_remove(struct connection_registry *registry, struct tracked_connection *entry);
/* MHD, on MHD_CONNECTION_NOTIFY_STARTED: the entry the gate handed off on `fd`. */
struct tracked_connection *registry_attach(struct connection_registry *registry, int fd,
                                           uint64_t now_ms);
/* MHD: the connection moves on. Returns false if it is closing: the caller aborts the request
 * instead of running the handler for a client that will not see the answer. */
bool registry_enter(struct connection_registry *registry, struct tracked_connection *entry,
                    enum connection_phase phase, uint64_t now_ms);
/* Gate: ends connections past their deadline. Returns the next deadline (ms, monotonic), or
 * UINT64_MAX if none. */
uint64_t registry_sweep(struct connection_registry *registry, uint64_t now_ms);
/* Gate: the PHASE_HEAD entries ended since the last call, chained by released_next. They are
 * out of the list; the caller closes their fd and frees them. */
struct tracked_connection *registry_take_released(struct connection_registry *registry);
/* Gate, stopping: ends every connection it holds (they come back as released). */
void registry_release_heads(struct connection_registry *registry);
void registry_counters(struct connection_registry *registry, struct registry_counters *out);

#endif

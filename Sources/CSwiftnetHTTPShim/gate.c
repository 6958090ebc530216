#define _GNU_SOURCE
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64
/* Bounds one round so deadlines and stop requests are looked at during a flood. */
#define ACCEPTS_PER_ROUND 64
/* Out of file descriptors with nothing to end at once: MHD closes what was ended within a
 * worker's loop iteration, typically well under a millisecond. */
#define ACCEPT_PAUSE_MS 10u
/* Any other accept(2) failure is unexpected; retried, and logged, once a second. */
#define ACCEPT_ERROR_PAUSE_MS 1000u
/* Deadlines of connections MHD holds are checked at least this often. */
#define SWEEP_INTERVAL_MS 500u
#define DRAIN_LIMIT_BYTES 65536u
#define REPORT_INTERVAL_MS 10000u

/* epoll tags for the two descriptors that are not connections. */
static char listen_tag, wake_tag;

uint64_t gate_monotonic_ms(void)
{
    /* Coarse is a vDSO read without a syscall; deadlines are whole seconds. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void gate_logf(struct gate *gate, const char *format, ...)
{
    char line[512];
    va_list ap;

    if (NULL == gate->log)
        return;
    va_start(ap, format);
    vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    gate->log(gate->log_context, line);
}

static const char *reason_phrase(unsigned int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* Answers {"Err": message} and closes. `message` must need no JSON escaping. What the client
 * sent is read first (bounded): closing a TCP socket with unread data sends a reset, which can
 * destroy the answer before the client reads it. */
static void answer_and_close(int fd, unsigned int status, const char *message)
{
    char body[256], response[512];
    char drain[4096];
    size_t drained = 0;
    int body_len, len;

    while (drained < DRAIN_LIMIT_BYTES) {
        ssize_t n = recv(fd, drain, sizeof drain, MSG_DONTWAIT);
        if (n <= 0)
            break;
        drained += (size_t) n;
    }
    body_len = snprintf(body, sizeof body, "{\"Err\":\"%s\"}", message);
    if (body_len < 0 || (size_t) body_len >= sizeof body)
        body_len = snprintf(body, sizeof body, "{\"Err\":\"request refused\"}");
    len = snprintf(response, sizeof response,
                   "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                   "Connection: close\r\n\r\n%s",
                   status, reason_phrase(status), body_len, body);
    if (len > 0 && (size_t) len < sizeof response)
        (void) send(fd, response, (size_t) len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void) shutdown(fd, SHUT_WR);
    close(fd);
}

/* The entry stays allocated until the round's events are handled: a later event of the same
 * round may still name it (it is marked released, and skipped). */
static void bury(struct gate *gate, struct tracked_connection *entry)
{
    entry->released = true;
    entry->released_next = gate->graveyard;
    gate->graveyard = entry;
}

static void free_graveyard(struct gate *gate)
{
    while (NULL != gate->graveyard) {
        struct tracked_connection *next = gate->graveyard->released_next;
        free(gate->graveyard);
        gate->graveyard = next;
    }
}

/* Closes the connections the registry ended while the gate held them. Returns how many. */
static unsigned int close_released(struct gate *gate)
{
    struct tracked_connection *entry = registry_take_released(gate->registry), *next;
    unsigned int closed = 0;
    char message[96];

    for (; NULL != entry; entry = next) {
        next = entry->released_next;
        if (RELEASE_HEAD_DEADLINE == entry->release_reason) {
            snprintf(message, sizeof message, "request head not complete within %u s",
                     gate->header_deadline_seconds);
            answer_and_close(entry->fd, 408, message);
        } else {
            close(entry->fd);
        }
        bury(gate, entry);
        closed++;
    }
    return closed;
}

static void drop(struct gate *gate, struct tracked_connection *entry)
{
    registry_remove(gate->registry, entry);
    close(entry->fd);
    bury(gate, entry);
}

static void hand_off(struct gate *gate, struct tracked_connection *entry)
{
    struct sockaddr_storage address = entry->address;
    socklen_t address_len = entry->address_len;
    int fd = entry->fd;

    if (entry->in_gate_epoll)
        (void) epoll_ctl(gate->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    if (!registry_hand_off(gate->registry, entry, gate_monotonic_ms())) {
        gate_logf(gate, "could not identify a connection's socket (fstat): %s; closed it",
                  strerror(errno));
        drop(gate, entry);
        return;
    }
    /* From here on MHD may start, serve and close the connection on its own threads: the entry
     * is MHD's unless the call fails, in which case MHD has closed the fd already. */
    if (MHD_YES != MHD_add_connection(gate->daemon, fd, (const struct sockaddr *) &address,
                                      address_len)) {
        int code = errno;
        registry_remove(gate->registry, entry);
        bury(gate, entry);
        gate_logf(gate, "could not pass a connection to libmicrohttpd: %s", strerror(code));
    }
}

/* Looks at what the client sent so far, without consuming it. */
static void examine(struct gate *gate, struct tracked_connection *entry, uint32_t events)
{
    struct head_refusal refusal;
    ssize_t n;

    do
        n = recv(entry->fd, gate->peek, sizeof gate->peek, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && EINTR == errno);
    if (n < 0 && (EAGAIN == errno || EWOULDBLOCK == errno))
        n = -2;
    if (n == -1 || n == 0) {
        /* Gone (or broken) before its head was complete. */
        drop(gate, entry);
        return;
    }
    switch (n < 0 ? HEAD_INCOMPLETE
                  : request_head_check(gate->peek, (size_t) n, gate->max_body_bytes, &refusal)) {
    case HEAD_INCOMPLETE:
        if (0 != (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
            /* The client stopped sending: the head will never be complete. */
            drop(gate, entry);
            return;
        }
        if (!entry->in_gate_epoll) {
            /* Edge-triggered: every arrival of data is an event, although the peeked bytes
             * stay unread. Adding reports data that came in since the peek. */
            struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                                         .data.ptr = entry };
            if (0 != epoll_ctl(gate->epoll_fd, EPOLL_CTL_ADD, entry->fd, &event)) {
                drop(gate, entry);
                return;
            }
            entry->in_gate_epoll = true;
        }
        return;
    case HEAD_ACCEPTED:
        hand_off(gate, entry);
        return;
    case HEAD_REFUSED:
        registry_remove(gate->registry, entry);
        answer_and_close(entry->fd, refusal.status, refusal.message);
        bury(gate, entry);
        return;
    }
}

static void set_accepting(struct gate *gate, bool accepting)
{
    struct epoll_event event = { .events = accepting ? EPOLLIN : 0, .data.ptr = &listen_tag };
    (void) epoll_ctl(gate->epoll_fd, EPOLL_CTL_MOD, gate->listen_fd, &event);
}

static void pause_accepting(struct gate *gate, uint64_t now_ms, uint64_t pause_ms)
{
    if (0 == gate->accept_paused_until_ms)
        set_accepting(gate, false);
    gate->accept_paused_until_ms = now_ms + pause_ms;
}

static void accept_pending(struct gate *gate)
{
    unsigned int round;

    for (round = 0; round < ACCEPTS_PER_ROUND; round++) {
        struct sockaddr_storage address;
        socklen_t address_len = sizeof address;
        struct tracked_connection *entry;
        int fd = accept4(gate->listen_fd, (struct sockaddr *) &address, &address_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            int code = errno;

            switch (code) {
            case EINTR:
            case ECONNABORTED:
            case EPROTO:
                continue;
            case EAGAIN:
#if EWOULDBLOCK != EAGAIN
            case EWOULDBLOCK:
#endif
                return;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                /* Ending a connection the gate holds frees a descriptor at once; one MHD holds
                 * is freed when MHD has closed it, so wait a little then. */
                if (registry_make_room(gate->registry) && close_released(gate) > 0)
                    continue;
                gate->out_of_descriptors++;
                pause_accepting(gate, gate_monotonic_ms(), ACCEPT_PAUSE_MS);
                return;
            default:
                gate_logf(gate, "accept() failed: %s; retrying in %u ms", strerror(code),
                          ACCEPT_ERROR_PAUSE_MS);
                pause_accepting(gate, gate_monotonic_ms(), ACCEPT_ERROR_PAUSE_MS);
                return;
            }
        }
        entry = registry_admit(gate->registry, fd, (const struct sockaddr *) &address, address_len,
                               gate_monotonic_ms());
        close_released(gate);
        if (NULL == entry) {
            answer_and_close(fd, 503,
                             "server busy: every connection is taken by a request being served; "
                             "retry shortly");
            continue;
        }
        /* Clients usually write right after connecting: often the head is here already. */
        examine(gate, entry, 0);
    }
}

/* One line per interval while connections are being ended for the policy, not per connection:
 * under a flood that would be thousands of lines. */
static void report(struct gate *gate, uint64_t now_ms)
{
    struct registry_counters now;
    uint64_t evicted, heads, bodies, busy;

    if (now_ms - gate->logged_at_ms < REPORT_INTERVAL_MS)
        return;
    registry_counters(gate->registry, &now);
    evicted = now.evicted - gate->logged.evicted;
    heads = now.head_deadlines - gate->logged.head_deadlines;
    bodies = now.body_deadlines - gate->logged.body_deadlines;
    busy = now.refused_busy - gate->logged.refused_busy;
    if (0 != gate->out_of_descriptors) {
        gate_logf(gate,
                  "ran out of file descriptors %llu times in the last %u s (RLIMIT_NOFILE is "
                  "below what the connection limits need): closed connections not being served "
                  "to make room", (unsigned long long) gate->out_of_descriptors,
                  REPORT_INTERVAL_MS / 1000u);
        gate->out_of_descriptors = 0;
    }
    if (0 != evicted + heads + bodies + busy) {
        gate_logf(gate,
                  "connection policy in the last %u s: %llu connections closed to make room for "
                  "new clients (soft limit %u), %llu request heads and %llu bodies past their "
                  "deadline, %llu clients refused because every connection was being served "
                  "(hard limit %u)",
                  REPORT_INTERVAL_MS / 1000u, (unsigned long long) evicted,
                  gate->registry->policy.soft_limit, (unsigned long long) heads,
                  (unsigned long long) bodies, (unsigned long long) busy,
                  gate->registry->policy.hard_limit);
    }
    gate->logged = now;
    gate->logged_at_ms = now_ms;
}

static int wait_timeout(const struct gate *gate, uint64_t now_ms, uint64_t next_deadline_ms)
{
    uint64_t wait = SWEEP_INTERVAL_MS;

    if (next_deadline_ms <= now_ms)
        return 0;
    if (next_deadline_ms - now_ms < wait)
        wait = next_deadline_ms - now_ms;
    if (0 != gate->accept_paused_until_ms) {
        if (gate->accept_paused_until_ms <= now_ms)
            return 0;
        if (gate->accept_paused_until_ms - now_ms < wait)
            wait = gate->accept_paused_until_ms - now_ms;
    }
    return (int) wait;
}

static void *gate_main(void *argument)
{
    struct gate *gate = argument;
    struct epoll_event events[MAX_EVENTS];
    uint64_t next_deadline_ms = UINT64_MAX, last_sweep_ms = gate_monotonic_ms();
    bool stopping = false;

    gate->logged_at_ms = last_sweep_ms;
    while (!stopping) {
        uint64_t now_ms = gate_monotonic_ms();
        int n = epoll_wait(gate->epoll_fd, events, MAX_EVENTS,
                           wait_timeout(gate, now_ms, next_deadline_ms));
        int i;

        for (i = 0; i < n; i++) {
            void *tag = events[i].data.ptr;

            if (&wake_tag == tag) {
                stopping = true;
            } else if (&listen_tag == tag) {
                accept_pending(gate);
            } else {
                /* Only connections still waiting for their head are in the set (one event per
                 * fd per round, and a handed-off one left the set first); released ones are
                 * closed but not freed before the round ends. */
                struct tracked_connection *entry = tag;
                if (!entry->released)
                    examine(gate, entry, events[i].events);
            }
        }
        now_ms = gate_monotonic_ms();
        if (0 != gate->accept_paused_until_ms && gate->accept_paused_until_ms <= now_ms) {
            gate->accept_paused_until_ms = 0;
            set_accepting(gate, true);
        }
        if (now_ms >= next_deadline_ms || now_ms - last_sweep_ms >= SWEEP_INTERVAL_MS) {
            next_deadline_ms = registry_sweep(gate->registry, now_ms);
            last_sweep_ms = now_ms;
            close_released(gate);
        }
        report(gate, now_ms);
        free_graveyard(gate);
    }
    return NULL;
}

static void set_error(char *error, size_t error_len, const char *what, int code)
{
    if (NULL != error && error_len > 0)
        snprintf(error, error_len, "%s%s%s", what, code ? ": " : "", code ? strerror(code) : "");
}

int gate_start(struct gate *gate, int listen_fd, struct MHD_Daemon *daemon,
               struct connection_registry *registry, size_t max_body_bytes,
               unsigned int header_deadline_seconds, gate_log log, void *log_context,
               char *error, size_t error_len)
{
    struct epoll_event event;
    int flags, accepting = 0, code;
    socklen_t length = sizeof accepting;

    memset(gate, 0, sizeof *gate);
    gate->listen_fd = listen_fd;
    gate->epoll_fd = -1;
    gate->wake_fd = -1;
    gate->daemon = daemon;
    gate->registry = registry;
    gate->max_body_bytes = max_body_bytes;
    gate->header_deadline_seconds = header_deadline_seconds;
    gate->log = log;
    gate->log_context = log_context;

    if (0 != getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) || !accepting) {
        set_error(error, error_len, "the descriptor is not a listening socket",
                  0 == accepting ? 0 : errno);
        goto failed;
    }
    /* accept4 in a loop until EAGAIN: the gate must never block on an empty backlog. */
    flags = fcntl(listen_fd, F_GETFL);
    if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        set_error(error, error_len, "cannot make the listening socket non-blocking", errno);
        goto failed;
    }
    gate->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    gate->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (gate->epoll_fd < 0 || gate->wake_fd < 0) {
        set_error(error, error_len, "cannot create the accept loop's epoll set", errno);
        goto failed;
    }
    event = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &listen_tag };
    if (0 != epoll_ctl(gate->epoll_fd, EPOLL_CTL_ADD, listen_fd, &event)) {
        set_error(error, error_len, "cannot watch the listening socket", errno);
        goto failed;
    }
    event = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &wake_tag };
    if (0 != epoll_ctl(gate->epoll_fd, EPOLL_CTL_ADD, gate->wake_fd, &event)) {
        set_error(error, error_len, "cannot watch the stop signal", errno);
        goto failed;
    }
    code = pthread_create(&gate->thread, NULL, gate_main, gate);
    if (0 != code) {
        set_error(error, error_len, "cannot start the accept thread", code);
        goto failed;
    }
    gate->running = true;
    return 0;

failed:
    if (gate->epoll_fd >= 0)
        close(gate->epoll_fd);
    if (gate->wake_fd >= 0)
        close(gate->wake_fd);
    close(listen_fd);
    return -1;
}

void gate_stop(struct gate *gate)
{
    uint64_t one = 1;

    if (!gate->running)
        return;
    while (write(gate->wake_fd, &one, sizeof one) < 0 && EINTR == errno)
        ;
    pthread_join(gate->thread, NULL);
    gate->running = false;
    registry_release_heads(gate->registry);
    close_released(gate);
    free_graveyard(gate);
    close(gate->listen_fd);
    close(gate->epoll_fd);
    close(gate->wake_fd);
}

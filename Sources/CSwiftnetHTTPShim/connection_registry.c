#include "connection_registry.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* An entry handed to MHD counts against the limits until MHD starts it (registry_attach) or
 * the connection is gone. MHD closes the fd without any callback when it fails before
 * starting it, and it may also simply not have started it yet: its worker can spend any time
 * in one handler first. Only the fd tells the two apart, so it is looked at this often: gone,
 * or now another file, means MHD closed it. A timer alone would drop entries whose
 * connections are still waiting, and the gate could then pass MHD more connections than the
 * hard limit (MHD's own limit, set above it in shim.c, is then the only bound left). */
#define HANDOFF_CHECK_MS 1000u

int registry_init(struct connection_registry *registry, const struct registry_policy *policy)
{
    memset(registry, 0, sizeof *registry);
    registry->policy = *policy;
    return pthread_mutex_init(&registry->lock, NULL);
}

void registry_destroy(struct connection_registry *registry)
{
    struct tracked_connection *entry = registry->first, *next;

    while (NULL != entry) {
        next = entry->next;
        free(entry);
        entry = next;
    }
    registry->first = registry->last = NULL;
    pthread_mutex_destroy(&registry->lock);
}

static void unlink_entry(struct connection_registry *registry, struct tracked_connection *entry)
{
    if (NULL != entry->prev)
        entry->prev->next = entry->next;
    else
        registry->first = entry->next;
    if (NULL != entry->next)
        entry->next->prev = entry->prev;
    else
        registry->last = entry->prev;
    entry->prev = entry->next = NULL;
    registry->count--;
    if (entry->closing)
        registry->closing--;
}

static void append_entry(struct connection_registry *registry, struct tracked_connection *entry)
{
    entry->prev = registry->last;
    entry->next = NULL;
    if (NULL != registry->last)
        registry->last->next = entry;
    else
        registry->first = entry;
    registry->last = entry;
    registry->count++;
}

/* Lock held. A gate-owned entry leaves the list for the gate to close; an MHD-owned one is
 * shut down (MHD sees end of stream and closes it) and stays until MHD reports it closed. */
static void end_connection(struct connection_registry *registry, struct tracked_connection *entry,
                           enum release_reason reason)
{
    if (PHASE_HEAD == entry->phase) {
        unlink_entry(registry, entry);
        entry->released = true;
        entry->release_reason = reason;
        entry->released_next = registry->released;
        registry->released = entry;
        return;
    }
    (void) shutdown(entry->fd, SHUT_RDWR);
    entry->closing = true;
    registry->closing++;
}

/* Lock held. The connection to end for room: the one that has waited longest among those
 * still sending their first head (never served: the cheapest to drop, and where floods of
 * silent or trickling connections sit), else among those idle between requests (dockerd's
 * kept-alive ones are only touched when the excess has completed requests too), else among
 * those sending a body. Never one in the handler or being answered. */
static struct tracked_connection *oldest_unserved(struct connection_registry *registry)
{
    struct tracked_connection *entry, *oldest[3] = { NULL, NULL, NULL };
    int tier;

    for (entry = registry->first; NULL != entry; entry = entry->next) {
        if (entry->closing)
            continue;
        switch (entry->phase) {
        case PHASE_HEAD: tier = 0; break;
        case PHASE_IDLE: tier = 1; break;
        case PHASE_BODY: tier = 2; break;
        default: continue;
        }
        if (NULL == oldest[tier] || entry->since_ms < oldest[tier]->since_ms)
            oldest[tier] = entry;
    }
    for (tier = 0; tier < 3; tier++) {
        if (NULL != oldest[tier])
            return oldest[tier];
    }
    return NULL;
}

struct tracked_connection *registry_admit(struct connection_registry *registry, int fd,
                                          const struct sockaddr *address, socklen_t address_len,
                                          uint64_t now_ms)
{
    struct tracked_connection *entry, *stale;

    entry = calloc(1, sizeof *entry);
    if (NULL == entry)
        return NULL;
    entry->fd = fd;
    entry->phase = PHASE_HEAD;
    entry->since_ms = now_ms;
    if (address_len > sizeof entry->address)
        address_len = sizeof entry->address;
    memcpy(&entry->address, address, address_len);
    entry->address_len = address_len;

    pthread_mutex_lock(&registry->lock);
    /* The kernel reuses a number only once it is closed: an entry handed off on this fd that
     * MHD never started is gone for good. */
    for (stale = registry->first; NULL != stale; stale = stale->next) {
        if (PHASE_HANDOFF == stale->phase && fd == stale->fd) {
            unlink_entry(registry, stale);
            free(stale);
            break;
        }
    }
    while (registry->count - registry->closing >= registry->policy.soft_limit) {
        struct tracked_connection *victim = oldest_unserved(registry);

        if (NULL == victim)
            break;
        end_connection(registry, victim, RELEASE_EVICTED);
        registry->counters.evicted++;
    }
    if (registry->count >= registry->policy.hard_limit) {
        registry->counters.refused_busy++;
        pthread_mutex_unlock(&registry->lock);
        free(entry);
        return NULL;
    }
    append_entry(registry, entry);
    pthread_mutex_unlock(&registry->lock);
    return entry;
}

bool registry_make_room(struct connection_registry *registry)
{
    struct tracked_connection *victim;

    pthread_mutex_lock(&registry->lock);
    victim = oldest_unserved(registry);
    if (NULL != victim) {
        end_connection(registry, victim, RELEASE_EVICTED);
        registry->counters.evicted++;
    }
    pthread_mutex_unlock(&registry->lock);
    return NULL != victim;
}

bool registry_hand_off(struct connection_registry *registry, struct tracked_connection *entry,
                       uint64_t now_ms)
{
    struct stat socket_stat;

    if (0 != fstat(entry->fd, &socket_stat))
        return false;
    pthread_mutex_lock(&registry->lock);
    entry->phase = PHASE_HANDOFF;
    entry->since_ms = now_ms;
    entry->socket_device = socket_stat.st_dev;
    entry->socket_inode = socket_stat.st_ino;
    pthread_mutex_unlock(&registry->lock);
    return true;
}

/* Lock held. Whether the fd of a PHASE_HANDOFF entry still is the socket handed off. The
 * kernel numbers socket inodes from a counter, so another file that got the same fd number
 * has another inode (short of 2^32 inodes made in between). */
static bool still_handed_off(const struct tracked_connection *entry)
{
    struct stat socket_stat;

    return 0 == fstat(entry->fd, &socket_stat) && socket_stat.st_dev == entry->socket_device
           && socket_stat.st_ino == entry->socket_inode;
}

void registry_remove(struct connection_registry *registry, struct tracked_connection *entry)
{
    pthread_mutex_lock(&registry->lock);
    unlink_entry(registry, entry);
    pthread_mutex_unlock(&registry->lock);
}

struct tracked_connection *registry_attach(struct connection_registry *registry, int fd,
                                           uint64_t now_ms)
{
    struct tracked_connection *entry;

    pthread_mutex_lock(&registry->lock);
    for (entry = registry->first; NULL != entry; entry = entry->next) {
        if (PHASE_HANDOFF == entry->phase && fd == entry->fd)
            break;
    }
    if (NULL == entry) {
        /* Every connection MHD starts was handed off by the gate, and its entry stays until
         * the fd is closed; should one still be missing, it is tracked so that it counts. */
        entry = calloc(1, sizeof *entry);
        if (NULL != entry) {
            entry->fd = fd;
            append_entry(registry, entry);
        }
    }
    if (NULL != entry) {
        /* Its head is already complete in the socket; MHD reads it next. */
        entry->phase = PHASE_IDLE;
        entry->since_ms = now_ms;
    }
    pthread_mutex_unlock(&registry->lock);
    return entry;
}

bool registry_enter(struct connection_registry *registry, struct tracked_connection *entry,
                    enum connection_phase phase, uint64_t now_ms)
{
    bool open;

    pthread_mutex_lock(&registry->lock);
    open = !entry->closing;
    if (open) {
        entry->phase = phase;
        entry->since_ms = now_ms;
    }
    pthread_mutex_unlock(&registry->lock);
    return open;
}

static uint64_t deadline_of(const struct registry_policy *policy,
                            const struct tracked_connection *entry)
{
    uint64_t limit;

    switch (entry->phase) {
    case PHASE_HEAD: limit = policy->header_deadline_ms; break;
    case PHASE_HANDOFF: limit = HANDOFF_CHECK_MS; break;
    case PHASE_IDLE: limit = policy->idle_limit_ms; break;
    case PHASE_BODY: limit = policy->body_deadline_ms; break;
    default: limit = 0; break;
    }
    return 0 == limit ? UINT64_MAX : entry->since_ms + limit;
}

uint64_t registry_sweep(struct connection_registry *registry, uint64_t now_ms)
{
    struct tracked_connection *entry, *next;
    uint64_t next_deadline = UINT64_MAX;

    pthread_mutex_lock(&registry->lock);
    for (entry = registry->first; NULL != entry; entry = next) {
        uint64_t deadline = deadline_of(&registry->policy, entry);

        next = entry->next;
        if (entry->closing)
            continue;
        if (now_ms < deadline) {
            if (deadline < next_deadline)
                next_deadline = deadline;
            continue;
        }
        switch (entry->phase) {
        case PHASE_HEAD:
            end_connection(registry, entry, RELEASE_HEAD_DEADLINE);
            registry->counters.head_deadlines++;
            break;
        case PHASE_HANDOFF:
            if (still_handed_off(entry)) {
                entry->since_ms = now_ms;
                if (now_ms + HANDOFF_CHECK_MS < next_deadline)
                    next_deadline = now_ms + HANDOFF_CHECK_MS;
            } else {
                unlink_entry(registry, entry);
                free(entry);
            }
            break;
        case PHASE_IDLE:
            end_connection(registry, entry, RELEASE_EVICTED);
            registry->counters.idle_limits++;
            break;
        case PHASE_BODY:
            end_connection(registry, entry, RELEASE_EVICTED);
            registry->counters.body_deadlines++;
            break;
        default:
            break;
        }
    }
    pthread_mutex_unlock(&registry->lock);
    return next_deadline;
}

struct tracked_connection *registry_take_released(struct connection_registry *registry)
{
    struct tracked_connection *released;

    pthread_mutex_lock(&registry->lock);
    released = registry->released;
    registry->released = NULL;
    pthread_mutex_unlock(&registry->lock);
    return released;
}

void registry_release_heads(struct connection_registry *registry)
{
    struct tracked_connection *entry, *next;

    pthread_mutex_lock(&registry->lock);
    for (entry = registry->first; NULL != entry; entry = next) {
        next = entry->next;
        if (PHASE_HEAD == entry->phase)
            end_connection(registry, entry, RELEASE_EVICTED);
    }
    pthread_mutex_unlock(&registry->lock);
}

void registry_counters(struct connection_registry *registry, struct registry_counters *out)
{
    pthread_mutex_lock(&registry->lock);
    *out = registry->counters;
    pthread_mutex_unlock(&registry->lock);
}

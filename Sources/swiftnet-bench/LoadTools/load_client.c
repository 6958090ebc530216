/* swiftnet-load: a lean load client for a plugin socket, the benchmark's neutral reference.
 *
 * Each connection is one thread with one keep-alive Unix-socket connection that sends
 * IpamDriver.RequestAddress and then IpamDriver.ReleaseAddress of the address it got, over and
 * over, each request head and body in one write(2) as dockerd's Go client sends them. Every
 * request's latency (write to complete answer) is recorded; the summary is one line:
 *
 *   pairs=N seconds=S rate=PAIRS_PER_S p50_us=.. p99_us=.. max_us=.. errors=E all_pairs=M
 *
 * pairs counts the pairs measured; all_pairs every pair answered, the warm-up's and the last ones
 * in flight included: all the server did while the client ran, for its CPU time per request.
 *
 * usage: swiftnet-load SOCKET POOL_ID CONNECTIONS SECONDS [WARMUP_SECONDS]
 * Built by `swiftnet-bench` with `cc -O2 -pthread`. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct worker {
    pthread_t thread;
    const char *socket_path;
    const char *pool;
    uint32_t *latencies; /* nanoseconds, one per request after the warm-up */
    size_t count, capacity;
    unsigned long long pairs;
    unsigned long long all_pairs;
    int error;
};

static atomic_int phase; /* 0 warm-up, 1 measuring, 2 stop */

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        length -= (size_t) n;
    }
    return 0;
}

/* Reads one whole answer into buffer (NUL-terminated); returns the body's offset or -1. */
static long read_answer(int fd, char *buffer, size_t size, int *status)
{
    size_t have = 0;
    long body = -1;
    size_t length = 0;

    for (;;) {
        ssize_t n;
        if (body < 0) {
            char *end;
            buffer[have] = '\0';
            end = strstr(buffer, "\r\n\r\n");
            if (end != NULL) {
                char *line = strcasestr(buffer, "\r\ncontent-length:");
                body = end + 4 - buffer;
                if (line == NULL || line > end)
                    return -1;
                length = strtoul(line + 17, NULL, 10);
                if ((size_t) body + length >= size)
                    return -1;
                if (sscanf(buffer, "HTTP/1.%*d %d", status) != 1)
                    return -1;
            }
        }
        if (body >= 0 && have >= (size_t) body + length) {
            buffer[have] = '\0';
            return body;
        }
        n = read(fd, buffer + have, size - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t) n;
    }
}

static int request(int fd, const char *path, const char *body, char *answer, size_t size,
                   long *body_at)
{
    char message[1024];
    int status = 0;
    int length = snprintf(message, sizeof message,
                          "POST %s HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\n"
                          "Content-Length: %zu\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n"
                          "Content-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n%s",
                          path, strlen(body), body);

    if (length <= 0 || (size_t) length >= sizeof message || write_all(fd, message, (size_t) length) != 0)
        return -1;
    *body_at = read_answer(fd, answer, size, &status);
    return *body_at < 0 ? -1 : status;
}

static void record(struct worker *worker, uint64_t nanoseconds)
{
    if (worker->count == worker->capacity) {
        size_t capacity = worker->capacity ? worker->capacity * 2 : 65536;
        uint32_t *grown = realloc(worker->latencies, capacity * sizeof *grown);
        if (grown == NULL)
            return;
        worker->latencies = grown;
        worker->capacity = capacity;
    }
    worker->latencies[worker->count++] = nanoseconds > UINT32_MAX ? UINT32_MAX : (uint32_t) nanoseconds;
}

static void *run(void *argument)
{
    struct worker *worker = argument;
    char answer[65536], body[512], address[64];
    int fd = connect_unix(worker->socket_path);

    if (fd < 0) {
        worker->error = 1;
        return NULL;
    }
    snprintf(body, sizeof body, "{\"PoolID\":\"%s\",\"Address\":\"\",\"Options\":null}", worker->pool);
    for (;;) {
        int current = atomic_load_explicit(&phase, memory_order_relaxed);
        uint64_t t0, t1, t2;
        long at;
        char *start, *slash, release[512];

        if (current == 2)
            break;
        t0 = now_ns();
        if (request(fd, "/IpamDriver.RequestAddress", body, answer, sizeof answer, &at) != 200)
            goto failed;
        t1 = now_ns();
        start = strstr(answer + at, "\"Address\":\"");
        slash = start ? strchr(start + 11, '/') : NULL;
        if (slash == NULL || (size_t) (slash - start - 11) >= sizeof address)
            goto failed;
        memcpy(address, start + 11, (size_t) (slash - start - 11));
        address[slash - start - 11] = '\0';
        snprintf(release, sizeof release, "{\"PoolID\":\"%s\",\"Address\":\"%s\"}", worker->pool, address);
        if (request(fd, "/IpamDriver.ReleaseAddress", release, answer, sizeof answer, &at) != 200)
            goto failed;
        t2 = now_ns();
        worker->all_pairs++;
        if (current == 1 && atomic_load_explicit(&phase, memory_order_relaxed) == 1) {
            record(worker, t1 - t0);
            record(worker, t2 - t1);
            worker->pairs++;
        }
    }
    close(fd);
    return NULL;
failed:
    worker->error = 1;
    close(fd);
    return NULL;
}

static int compare(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

static void sleep_seconds(double seconds)
{
    struct timespec t = { (time_t) seconds, (long) ((seconds - (double) (time_t) seconds) * 1e9) };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) { }
}

int main(int argc, char **argv)
{
    struct worker *workers;
    int connections, errors = 0;
    double seconds, warmup = argc > 5 ? atof(argv[5]) : 0.2;
    uint64_t started, ended;
    size_t total = 0;
    unsigned long long pairs = 0, all_pairs = 0;
    uint32_t *all;

    if (argc < 5) {
        fprintf(stderr, "usage: %s SOCKET POOL_ID CONNECTIONS SECONDS [WARMUP_SECONDS]\n", argv[0]);
        return 2;
    }
    connections = atoi(argv[3]);
    seconds = atof(argv[4]);
    if (connections < 1 || connections > 1024 || seconds <= 0 || warmup < 0) {
        fprintf(stderr, "connections must be 1...1024, seconds > 0\n");
        return 2;
    }
    workers = calloc((size_t) connections, sizeof *workers);
    for (int i = 0; i < connections; i++) {
        workers[i].socket_path = argv[1];
        workers[i].pool = argv[2];
        if (pthread_create(&workers[i].thread, NULL, run, &workers[i]) != 0) {
            fprintf(stderr, "cannot start thread\n");
            return 1;
        }
    }
    sleep_seconds(warmup);
    started = now_ns();
    atomic_store(&phase, 1);
    sleep_seconds(seconds);
    atomic_store(&phase, 2);
    ended = now_ns();
    for (int i = 0; i < connections; i++) {
        pthread_join(workers[i].thread, NULL);
        errors += workers[i].error;
        total += workers[i].count;
        pairs += workers[i].pairs;
        all_pairs += workers[i].all_pairs;
    }
    all = malloc((total ? total : 1) * sizeof *all);
    total = 0;
    for (int i = 0; i < connections; i++) {
        memcpy(all + total, workers[i].latencies, workers[i].count * sizeof *all);
        total += workers[i].count;
    }
    qsort(all, total, sizeof *all, compare);
#define PERCENTILE(p) (total ? all[(size_t) ((double) (total - 1) * (p))] / 1000.0 : 0.0)
    printf("pairs=%llu seconds=%.3f rate=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%d all_pairs=%llu\n",
           pairs, (double) (ended - started) / 1e9, (double) pairs / ((double) (ended - started) / 1e9),
           PERCENTILE(0.5), PERCENTILE(0.99), PERCENTILE(1.0), errors, all_pairs);
    return errors ? 1 : 0;
}

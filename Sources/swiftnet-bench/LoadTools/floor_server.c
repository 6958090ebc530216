/* swiftnet-floor: the transport floor for the benchmark. A server on a Unix socket that reads
 * each HTTP/1.1 request (head and Content-Length body) and answers every one with the same
 * canned RequestAddress body, doing no work at all: one thread per connection, blocking reads,
 * one write per answer.
 *
 * usage: swiftnet-floor SOCKET     (runs until killed)
 * Built by `swiftnet-bench` with `cc -O2 -pthread`. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char body[] = "{\"Address\":\"10.0.0.2/8\",\"Data\":{}}";
static char answer[256];
static size_t answer_length;

static void *serve(void *argument)
{
    int fd = (int) (long) argument;
    char buffer[65536];
    size_t have = 0;

    for (;;) {
        char *end;
        buffer[have] = '\0';
        while ((end = strstr(buffer, "\r\n\r\n")) != NULL) {
            char *line = strcasestr(buffer, "\r\ncontent-length:");
            size_t head = (size_t) (end + 4 - buffer);
            size_t length = (line != NULL && line < end) ? strtoul(line + 17, NULL, 10) : 0;
            if (head + length >= sizeof buffer)
                goto done;
            if (have < head + length)
                break;
            if (write(fd, answer, answer_length) != (ssize_t) answer_length)
                goto done;
            memmove(buffer, buffer + head + length, have - head - length);
            have -= head + length;
            buffer[have] = '\0';
        }
        ssize_t n = read(fd, buffer + have, sizeof buffer - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t) n;
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    int listener;

    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    answer_length = (size_t) snprintf(answer, sizeof answer,
                                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                      "Content-Length: %zu\r\n\r\n%s", sizeof body - 1, body);
    signal(SIGPIPE, SIG_IGN);
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(address.sun_path, sizeof address.sun_path, "%s", argv[1]);
    unlink(argv[1]);
    if (listener < 0 || bind(listener, (struct sockaddr *) &address, sizeof address) != 0
        || listen(listener, 128) != 0) {
        perror("swiftnet-floor");
        return 1;
    }
    for (;;) {
        pthread_t thread;
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("accept");
            return 1;
        }
        if (pthread_create(&thread, NULL, serve, (void *) (long) fd) != 0)
            close(fd);
        else
            pthread_detach(thread);
    }
}

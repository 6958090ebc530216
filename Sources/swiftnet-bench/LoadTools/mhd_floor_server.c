/* swiftnet-mhd-floor: the floor of the HTTP library swiftnet is built on. libmicrohttpd on a
 * Unix socket, configured as swiftnet configures it (internal epoll threads, a pool of 4),
 * reads each request's body and answers every one with the same canned RequestAddress body,
 * doing no other work. The gap between this and the plain C floor is what the library costs;
 * the gap between this and swiftnet is swiftnet's own work (gate, JSON, IPAM, commit, log).
 *
 * usage: swiftnet-mhd-floor SOCKET [THREADS]     (runs until killed)
 * Built by `swiftnet-bench` with `cc -O2 -pthread ... -lmicrohttpd`. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <microhttpd.h>

static const char body[] = "{\"Address\":\"10.0.0.2/8\",\"Data\":{}}";
static struct MHD_Response *canned;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    static int marker;

    (void) cls; (void) url; (void) method; (void) version; (void) upload_data;
    if (NULL == *req_cls) {
        *req_cls = &marker;
        return MHD_YES;
    }
    if (0 != *upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, canned);
}

int main(int argc, char **argv)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    unsigned int threads = argc > 2 ? (unsigned int) atoi(argv[2]) : 4;
    int listener;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SOCKET [THREADS]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    canned = MHD_create_response_from_buffer(sizeof body - 1, (void *) body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(canned, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    snprintf(address.sun_path, sizeof address.sun_path, "%s", argv[1]);
    unlink(argv[1]);
    if (listener < 0 || bind(listener, (struct sockaddr *) &address, sizeof address) != 0
        || listen(listener, 128) != 0) {
        perror("swiftnet-mhd-floor");
        return 1;
    }
    if (NULL == MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                                 on_request, NULL, MHD_OPTION_LISTEN_SOCKET, listener,
                                 MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_END)) {
        fprintf(stderr, "swiftnet-mhd-floor: libmicrohttpd did not start\n");
        return 1;
    }
    for (;;)
        pause();
}

#define _GNU_SOURCE
#include "swiftnet_link_layer.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <unistd.h>

const int swiftnet_packet_outgoing = PACKET_OUTGOING;

int swiftnet_unshare_network(void)
{
    return unshare(CLONE_NEWNET) == 0 ? 0 : -errno;
}

int swiftnet_packet_open(int ifindex, uint16_t ethertype)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ethertype));
    if (fd < 0) return -errno;
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ethertype);
    address.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int swiftnet_packet_send(int fd, int ifindex, uint16_t ethertype, const uint8_t destination[6],
                         const void *payload, size_t length)
{
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ethertype);
    address.sll_ifindex = ifindex;
    address.sll_halen = 6;
    memcpy(address.sll_addr, destination, 6);
    ssize_t sent = sendto(fd, payload, length, 0, (struct sockaddr *)&address, sizeof address);
    if (sent < 0) return -errno;
    return (int)sent;
}

int swiftnet_packet_receive(int fd, void *buffer, size_t capacity, int timeout_ms, int *packet_type,
                            uint8_t source[6])
{
    struct pollfd waiting = { .fd = fd, .events = POLLIN };
    int ready;
    do {
        ready = poll(&waiting, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return -errno;
    if (ready == 0) return 0;
    struct sockaddr_ll from;
    socklen_t size = sizeof from;
    ssize_t received = recvfrom(fd, buffer, capacity, 0, (struct sockaddr *)&from, &size);
    if (received < 0) return errno == EAGAIN ? 0 : -errno;
    *packet_type = from.sll_pkttype;
    memset(source, 0, 6);
    if (from.sll_halen == 6) memcpy(source, from.sll_addr, 6);
    return (int)received;
}

int swiftnet_packet_join_multicast(int fd, int ifindex, const uint8_t group[6])
{
    struct packet_mreq request;
    memset(&request, 0, sizeof request);
    request.mr_ifindex = ifindex;
    request.mr_type = PACKET_MR_MULTICAST;
    request.mr_alen = 6;
    memcpy(request.mr_address, group, 6);
    return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &request, sizeof request) == 0 ? 0 : -errno;
}

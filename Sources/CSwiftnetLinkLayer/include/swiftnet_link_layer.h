#ifndef SWIFTNET_LINK_LAYER_H
#define SWIFTNET_LINK_LAYER_H

#include <stddef.h>
#include <stdint.h>

/* Linux calls Swift's Glibc module does not declare: it is built without _GNU_SOURCE (so no
 * unshare or CLONE_NEWNET) and without <netpacket/packet.h> (so no sockaddr_ll). Every
 * function returns 0 (or a count) on success and -errno on failure. */

/* unshare(CLONE_NEWNET): moves the calling thread alone into a new, empty network namespace. */
int swiftnet_unshare_network(void);

/* A datagram AF_PACKET socket (the kernel adds and strips the Ethernet header) for one
 * ethertype, bound to one interface, close-on-exec and non-blocking. Returns the descriptor. */
int swiftnet_packet_open(int ifindex, uint16_t ethertype);

/* Sends `length` bytes of payload to the 6-byte hardware address `destination`. */
int swiftnet_packet_send(int fd, int ifindex, uint16_t ethertype, const uint8_t destination[6],
                         const void *payload, size_t length);

/* Waits up to `timeout_ms` for one frame; returns its payload length (0 on timeout), the
 * kernel's packet type (PACKET_HOST, PACKET_BROADCAST, PACKET_OUTGOING, …) in `packet_type` and
 * the sender's 6-byte hardware address in `source`. */
int swiftnet_packet_receive(int fd, void *buffer, size_t capacity, int timeout_ms, int *packet_type,
                            uint8_t source[6]);

/* Makes the interface accept frames to the multicast hardware address `group` for as long as
 * the socket is open (PACKET_ADD_MEMBERSHIP): a NIC filters multicast it was not asked for. */
int swiftnet_packet_join_multicast(int fd, int ifindex, const uint8_t group[6]);

/* PACKET_OUTGOING: a copy of a frame this host sent, which a packet socket also sees. */
extern const int swiftnet_packet_outgoing;

#endif

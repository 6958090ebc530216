import CSwiftnetLinkLayer
import Glibc
import SwiftnetAddress

/// Asks the LAN behind a parent link whether an address is taken, the way a host checks an
/// address before using it: IPv4 by ARP probes (RFC 5227), IPv6 by duplicate address detection's
/// neighbour solicitations (RFC 4862 §5.4). Both come from the unspecified address, so no
/// neighbour learns a binding from them; whoever answers for the address, announces it, or
/// probes for it at the same moment has it.
///
/// It sees the LAN only: frames the parent sends do not reach the parent's own macvlan children,
/// so addresses of this host's containers are the IPAM's to know, not the probe's.
package struct NeighbourProbe: Sendable {
    /// Probes sent, one per interval, before deciding nobody has the address.
    package var tries: Int
    /// How long to listen after each probe.
    package var intervalMilliseconds: Int

    /// 3 × 100 ms: a free address costs 300 ms, a taken one the LAN's answer time (well under
    /// 1 ms on a switch). RFC 5227's 1–2 s per probe is meant for a host configuring itself and
    /// would stall every RequestAddress.
    package init(tries: Int = 3, intervalMilliseconds: Int = 100) {
        self.tries = tries
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Worst case: how long `answer(for:on:links:)` takes when nobody answers.
    package var timeoutMilliseconds: Int { tries * intervalMilliseconds }

    /// The hardware address of whoever has `address` on `parent`'s LAN; nil when nobody
    /// answered in time. Throws when it cannot ask: no such link, link down, no socket.
    package func answer(for address: IPAddress, on parent: String, links: LinkManager) throws -> [UInt8]? {
        let operation = "probe \(address) by \(address.family == .v4 ? "ARP" : "NDP") on \(parent)"
        guard (1...20).contains(tries), (1...2_000).contains(intervalMilliseconds) else {
            throw KernelError.probe(operation: operation, reason: "tries must be 1…20 and the interval 1…2000 ms")
        }
        guard let link = try links.link(named: parent) else {
            throw KernelError.interfaceNotFound(parent, operation: operation)
        }
        guard link.isUp else { throw KernelError.probe(operation: operation, reason: "\(parent) is down") }
        guard link.mac.count == 6 else {
            throw KernelError.probe(operation: operation, reason: "\(parent) is not an Ethernet link")
        }
        let target = address.bytes
        let ethertype: UInt16, probe: [UInt8], destination: [UInt8]
        let holder: (ArraySlice<UInt8>, [UInt8]) -> [UInt8]?
        switch address.family {
        case .v4:
            ethertype = ARPPacket.ethertype
            probe = ARPPacket.probe(senderMAC: link.mac, target: target)
            destination = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
            holder = { packet, _ in ARPPacket.holder(of: target, in: packet, ownMAC: link.mac) }
        case .v6:
            ethertype = NDPPacket.ethertype
            probe = NDPPacket.solicitation(for: target)
            destination = NDPPacket.solicitedNodeMAC(for: target)
            holder = { packet, source in NDPPacket.holder(of: target, in: packet, sourceMAC: source, ownMAC: link.mac) }
        }

        let fd = swiftnet_packet_open(link.index, ethertype)
        guard fd >= 0 else { throw NeighbourProbe.failure(operation, "open a packet socket", -fd) }
        defer { close(fd) }
        if address.family == .v6 {
            // Answers to a probe from :: go to all nodes (ff02::1); a NIC passes that group only
            // when someone joined it, which a parent with IPv6 off has not.
            let joined = swiftnet_packet_join_multicast(fd, link.index, NDPPacket.allNodesMAC)
            guard joined == 0 else { throw NeighbourProbe.failure(operation, "join the all-nodes group", -joined) }
        }
        var frame = [UInt8](repeating: 0, count: 1_500)
        var source = [UInt8](repeating: 0, count: 6)
        for _ in 0..<tries {
            let sent = probe.withUnsafeBytes { payload in
                swiftnet_packet_send(fd, link.index, ethertype, destination, payload.baseAddress, payload.count)
            }
            guard sent >= 0 else { throw NeighbourProbe.failure(operation, "send", -sent) }
            let deadline = NeighbourProbe.now() + Int64(intervalMilliseconds)
            while true {
                let remaining = Int32(max(0, deadline - NeighbourProbe.now()))
                var packetType: Int32 = 0
                let received = frame.withUnsafeMutableBytes { buffer in
                    source.withUnsafeMutableBufferPointer {
                        swiftnet_packet_receive(fd, buffer.baseAddress, buffer.count, remaining, &packetType, $0.baseAddress)
                    }
                }
                guard received >= 0 else { throw NeighbourProbe.failure(operation, "receive", -received) }
                if received > 0, packetType != swiftnet_packet_outgoing, let found = holder(frame[..<Int(received)], source) {
                    return found
                }
                if received == 0 || remaining == 0 { break }
            }
        }
        return nil
    }

    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    static func failure(_ operation: String, _ step: String, _ errno: Int32) -> KernelError {
        .probe(operation: operation, reason: "\(step): \(String(cString: strerror(errno)))")
    }
}

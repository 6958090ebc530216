import CSwiftnetLinkLayer
import Glibc
import SwiftnetAddress

/// Asks the LAN behind a parent link whether an IPv4 address is taken, the way RFC 5227 probes
/// do: ARP requests from 0.0.0.0 (so no neighbour learns a binding from them) for the address,
/// broadcast on the parent; anyone who answers for it, announces it, or probes for it at the
/// same moment has it.
///
/// It sees the LAN only: frames the parent sends do not reach the parent's own macvlan children,
/// so addresses of this host's containers are the IPAM's to know, not the probe's.
/// IPv6 (NDP neighbour solicitation) is not implemented.
package struct ARPProbe: Sendable {
    /// Requests sent, one per interval, before deciding nobody has the address.
    package var tries: Int
    /// How long to listen after each request.
    package var intervalMilliseconds: Int

    /// 3 × 100 ms: a free address costs 300 ms, a taken one the LAN's answer time (well under
    /// 1 ms on a switch). RFC 5227's 1–2 s per probe is meant for a host configuring itself and
    /// would stall every RequestAddress.
    package init(tries: Int = 3, intervalMilliseconds: Int = 100) {
        self.tries = tries
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Worst case: how long `answer(for:on:)` takes when nobody answers.
    package var timeoutMilliseconds: Int { tries * intervalMilliseconds }

    /// The hardware address of whoever has `address` on `parent`'s LAN; nil when nobody
    /// answered in time. Throws when it cannot ask: IPv6, no such link, link down, no socket.
    package func answer(for address: IPAddress, on parent: String, links: LinkManager) throws -> [UInt8]? {
        let operation = "probe \(address) by ARP on \(parent)"
        guard address.family == .v4 else {
            throw KernelError.probe(operation: operation, reason: "only IPv4 is probed (NDP is not implemented)")
        }
        guard (1...20).contains(tries), (1...2_000).contains(intervalMilliseconds) else {
            throw KernelError.probe(operation: operation, reason: "tries must be 1…20 and the interval 1…2000 ms")
        }
        guard let link = try links.link(named: parent) else {
            throw KernelError.interfaceNotFound(parent, operation: operation)
        }
        guard link.isUp else {
            throw KernelError.probe(operation: operation, reason: "\(parent) is down")
        }
        guard link.mac.count == 6 else {
            throw KernelError.probe(operation: operation, reason: "\(parent) is not an Ethernet link")
        }
        let fd = swiftnet_packet_open(link.index, ARPProbe.ethertype)
        guard fd >= 0 else { throw ARPProbe.failure(operation, "open a packet socket", -fd) }
        defer { close(fd) }

        let target = address.bytes
        let request = ARPProbe.request(senderMAC: link.mac, target: target)
        let broadcast: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        var frame = [UInt8](repeating: 0, count: 1_500)
        for _ in 0..<tries {
            let sent = request.withUnsafeBytes { payload in
                swiftnet_packet_send(fd, link.index, ARPProbe.ethertype, broadcast, payload.baseAddress, payload.count)
            }
            guard sent >= 0 else { throw ARPProbe.failure(operation, "send", -sent) }
            let deadline = ARPProbe.now() + Int64(intervalMilliseconds)
            while true {
                let remaining = Int32(max(0, deadline - ARPProbe.now()))
                var packetType: Int32 = 0
                let received = frame.withUnsafeMutableBytes {
                    swiftnet_packet_receive(fd, $0.baseAddress, $0.count, remaining, &packetType)
                }
                guard received >= 0 else { throw ARPProbe.failure(operation, "receive", -received) }
                if received > 0, packetType != swiftnet_packet_outgoing,
                   let holder = ARPProbe.holder(of: target, in: frame[..<Int(received)], ownMAC: link.mac) {
                    return holder
                }
                if received == 0 || remaining == 0 { break }
            }
        }
        return nil
    }

    static let ethertype: UInt16 = 0x0806

    /// An ARP probe: request, sender protocol address 0.0.0.0, target hardware address zero.
    static func request(senderMAC: [UInt8], target: [UInt8]) -> [UInt8] {
        [0, 1, 0x08, 0x00, 6, 4, 0, 1] + senderMAC + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0] + target
    }

    /// The sender of an ARP packet that shows `target` taken: a reply or request from it, or
    /// another host's probe for it (RFC 5227 §2.1.1); nil for anything else.
    static func holder(of target: [UInt8], in packet: ArraySlice<UInt8>, ownMAC: [UInt8]) -> [UInt8]? {
        let bytes = Array(packet)
        guard bytes.count >= 28, bytes[0...5] == [0, 1, 0x08, 0x00, 6, 4] else { return nil }
        let operation = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        let senderMAC = Array(bytes[8..<14]), senderIP = Array(bytes[14..<18]), targetIP = Array(bytes[24..<28])
        guard operation == 1 || operation == 2, senderMAC != ownMAC else { return nil }
        if senderIP == target { return senderMAC }
        if operation == 1, senderIP == [0, 0, 0, 0], targetIP == target { return senderMAC }
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

import XCTest
@testable import SwiftnetKernel

/// The probes' ARP and NDP packets themselves (no root, no network).
final class NeighbourProbePacketTests: XCTestCase {
    let own: [UInt8] = [0x02, 0, 0, 0, 0, 1], other: [UInt8] = [0x02, 0, 0, 0, 0, 2]
    let target: [UInt8] = [10, 213, 0, 5]

    func arp(operation: UInt8, senderMAC: [UInt8], senderIP: [UInt8], targetIP: [UInt8]) -> ArraySlice<UInt8> {
        ArraySlice([0, 1, 0x08, 0x00, 6, 4, 0, operation] + senderMAC + senderIP + [UInt8](repeating: 0, count: 6) + targetIP)
    }

    func testARPProbeIsRFC5227Shaped() {
        let request = ARPPacket.probe(senderMAC: own, target: target)
        XCTAssertEqual(request.count, 28)
        XCTAssertEqual(Array(request[0..<8]), [0, 1, 0x08, 0x00, 6, 4, 0, 1], "Ethernet/IPv4 request")
        XCTAssertEqual(Array(request[8..<14]), own)
        XCTAssertEqual(Array(request[14..<18]), [0, 0, 0, 0], "sender address 0.0.0.0: nobody learns from a probe")
        XCTAssertEqual(Array(request[18..<24]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(request[24..<28]), target)
    }

    func testWhatARPCountsAsTheAddressTaken() {
        XCTAssertEqual(ARPPacket.holder(of: target, in: arp(operation: 2, senderMAC: other, senderIP: target, targetIP: [0, 0, 0, 0]), ownMAC: own),
                       other, "a reply from it")
        XCTAssertEqual(ARPPacket.holder(of: target, in: arp(operation: 1, senderMAC: other, senderIP: target, targetIP: target), ownMAC: own),
                       other, "its announcement")
        XCTAssertEqual(ARPPacket.holder(of: target, in: arp(operation: 1, senderMAC: other, senderIP: [0, 0, 0, 0], targetIP: target), ownMAC: own),
                       other, "another host probing for it at the same time")
        XCTAssertNil(ARPPacket.holder(of: target, in: arp(operation: 1, senderMAC: own, senderIP: [0, 0, 0, 0], targetIP: target), ownMAC: own),
                     "our own probe")
        XCTAssertNil(ARPPacket.holder(of: target, in: arp(operation: 2, senderMAC: other, senderIP: [10, 213, 0, 6], targetIP: target), ownMAC: own),
                     "someone else's address")
        XCTAssertNil(ARPPacket.holder(of: target, in: arp(operation: 1, senderMAC: other, senderIP: [10, 213, 0, 6], targetIP: target), ownMAC: own),
                     "someone asking for it is not someone having it")
        XCTAssertNil(ARPPacket.holder(of: target, in: arp(operation: 3, senderMAC: other, senderIP: target, targetIP: target), ownMAC: own),
                     "RARP")
        XCTAssertNil(ARPPacket.holder(of: target, in: arp(operation: 2, senderMAC: other, senderIP: target, targetIP: target).dropLast(), ownMAC: own),
                     "short")
    }

    let target6: [UInt8] = [0xfd, 0, 0x02, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]

    func testNDPSolicitationIsADADProbe() {
        let packet = NDPPacket.solicitation(for: target6)
        XCTAssertEqual(packet.count, 40 + 24)
        XCTAssertEqual(packet[0] >> 4, 6)
        XCTAssertEqual(Array(packet[4..<6]), [0, 24], "payload length")
        XCTAssertEqual(packet[6], 58, "ICMPv6")
        XCTAssertEqual(packet[7], 255, "hop limit 255, or receivers drop it")
        XCTAssertEqual(Array(packet[8..<24]), [UInt8](repeating: 0, count: 16), "from ::")
        XCTAssertEqual(Array(packet[24..<40]), [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x34, 0x56, 0x78], "solicited-node group")
        XCTAssertEqual(NDPPacket.solicitedNodeMAC(for: target6), [0x33, 0x33, 0xff, 0x34, 0x56, 0x78])
        XCTAssertEqual(packet[40], 135)
        XCTAssertEqual(Array(packet[48..<64]), target6)
        // A correct checksum makes the sum over pseudo-header and message come out as zero.
        XCTAssertEqual(NDPPacket.checksum(source: Array(packet[8..<24]), destination: Array(packet[24..<40]),
                                          message: Array(packet[40...])), 0)
        var corrupted = Array(packet[40...])
        corrupted[20] ^= 1
        XCTAssertNotEqual(NDPPacket.checksum(source: Array(packet[8..<24]), destination: Array(packet[24..<40]), message: corrupted), 0)
    }

    func ndp(type: UInt8, source: [UInt8], target: [UInt8], options: [UInt8] = [], hopLimit: UInt8 = 255) -> ArraySlice<UInt8> {
        let message = [type, 0, 0, 0, 0x60, 0, 0, 0] + target + options
        return ArraySlice([0x60, 0, 0, 0, 0, UInt8(message.count), 58, hopLimit] + source + [0xff, 2] + [UInt8](repeating: 0, count: 13) + [1] + message)
    }

    func testWhatNDPCountsAsTheAddressTaken() {
        let linkLocal: [UInt8] = [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [9]
        let unspecified = [UInt8](repeating: 0, count: 16)
        let tllao: [UInt8] = [2, 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]
        XCTAssertEqual(NDPPacket.holder(of: target6, in: ndp(type: 136, source: target6, target: target6, options: tllao), sourceMAC: other, ownMAC: own),
                       [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee], "an advertisement: its target link-layer address")
        XCTAssertEqual(NDPPacket.holder(of: target6, in: ndp(type: 136, source: target6, target: target6), sourceMAC: other, ownMAC: own),
                       other, "an advertisement without the option: the frame's sender")
        XCTAssertEqual(NDPPacket.holder(of: target6, in: ndp(type: 135, source: unspecified, target: target6), sourceMAC: other, ownMAC: own),
                       other, "another host's DAD for it")
        XCTAssertNil(NDPPacket.holder(of: target6, in: ndp(type: 135, source: unspecified, target: target6), sourceMAC: own, ownMAC: own),
                     "our own probe")
        XCTAssertNil(NDPPacket.holder(of: target6, in: ndp(type: 135, source: linkLocal, target: target6), sourceMAC: other, ownMAC: own),
                     "someone resolving it is not someone having it")
        XCTAssertNil(NDPPacket.holder(of: target6, in: ndp(type: 136, source: target6, target: target6, hopLimit: 64), sourceMAC: other, ownMAC: own),
                     "not from the link")
        var elsewhere = target6
        elsewhere[15] ^= 1
        XCTAssertNil(NDPPacket.holder(of: target6, in: ndp(type: 136, source: elsewhere, target: elsewhere), sourceMAC: other, ownMAC: own))
    }
}

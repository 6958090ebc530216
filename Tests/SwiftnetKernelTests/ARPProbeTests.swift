import XCTest
@testable import SwiftnetKernel

/// The ARP packets themselves (no root, no network).
final class ARPProbeTests: XCTestCase {
    let own: [UInt8] = [0x02, 0, 0, 0, 0, 1], other: [UInt8] = [0x02, 0, 0, 0, 0, 2]
    let target: [UInt8] = [10, 213, 0, 5]

    func packet(operation: UInt8, senderMAC: [UInt8], senderIP: [UInt8], targetIP: [UInt8]) -> ArraySlice<UInt8> {
        ArraySlice([0, 1, 0x08, 0x00, 6, 4, 0, operation] + senderMAC + senderIP + [UInt8](repeating: 0, count: 6) + targetIP)
    }

    func testProbeRequestIsRFC5227Shaped() {
        let request = ARPProbe.request(senderMAC: own, target: target)
        XCTAssertEqual(request.count, 28)
        XCTAssertEqual(Array(request[0..<8]), [0, 1, 0x08, 0x00, 6, 4, 0, 1], "Ethernet/IPv4 request")
        XCTAssertEqual(Array(request[8..<14]), own)
        XCTAssertEqual(Array(request[14..<18]), [0, 0, 0, 0], "sender address 0.0.0.0: nobody learns from a probe")
        XCTAssertEqual(Array(request[18..<24]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(request[24..<28]), target)
    }

    func testWhatCountsAsTheAddressTaken() {
        XCTAssertEqual(ARPProbe.holder(of: target, in: packet(operation: 2, senderMAC: other, senderIP: target, targetIP: [0, 0, 0, 0]), ownMAC: own),
                       other, "a reply from it")
        XCTAssertEqual(ARPProbe.holder(of: target, in: packet(operation: 1, senderMAC: other, senderIP: target, targetIP: target), ownMAC: own),
                       other, "its announcement")
        XCTAssertEqual(ARPProbe.holder(of: target, in: packet(operation: 1, senderMAC: other, senderIP: [0, 0, 0, 0], targetIP: target), ownMAC: own),
                       other, "another host probing for it at the same time")
        XCTAssertNil(ARPProbe.holder(of: target, in: packet(operation: 1, senderMAC: own, senderIP: [0, 0, 0, 0], targetIP: target), ownMAC: own),
                     "our own probe")
        XCTAssertNil(ARPProbe.holder(of: target, in: packet(operation: 2, senderMAC: other, senderIP: [10, 213, 0, 6], targetIP: target), ownMAC: own),
                     "someone else's address")
        XCTAssertNil(ARPProbe.holder(of: target, in: packet(operation: 1, senderMAC: other, senderIP: [10, 213, 0, 6], targetIP: target), ownMAC: own),
                     "someone asking for it is not someone having it")
        XCTAssertNil(ARPProbe.holder(of: target, in: packet(operation: 3, senderMAC: other, senderIP: target, targetIP: target), ownMAC: own),
                     "RARP")
        XCTAssertNil(ARPProbe.holder(of: target, in: packet(operation: 2, senderMAC: other, senderIP: target, targetIP: target).dropLast(), ownMAC: own),
                     "short")
    }
}

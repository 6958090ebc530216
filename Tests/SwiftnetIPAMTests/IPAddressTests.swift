import SwiftnetAddress
import XCTest
@testable import SwiftnetIPAM

final class IPAddressTests: XCTestCase {
    func testIPv4RoundTrip() {
        for text in ["0.0.0.0", "10.0.0.1", "172.18.255.254", "255.255.255.255"] {
            XCTAssertEqual(IPAddress(text)?.description, text)
        }
    }

    func testIPv4Rejects() {
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 "] {
            XCTAssertNil(IPAddress(text), text)
        }
    }

    /// The start-up scan parses addresses from SQLite's bytes in place: it must agree with the
    /// String parser on every input, good or bad.
    func testParsingFromUTF8BytesAgreesWithParsingText() {
        let inputs = ["0.0.0.0", "10.0.0.1", "172.18.255.254", "255.255.255.255", "", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                      "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 ", "2001:db8::5:7", "::", "::ffff:10.1.2.3", "1::2::3", "g::1", ":"]
        for text in inputs {
            let fromBytes = Array(text.utf8).withUnsafeBytes { IPAddress(utf8: $0) }
            XCTAssertEqual(fromBytes, IPAddress(text), text)
        }
    }

    func testIPv6FormatsLikeGo() {
        let cases = [
            ("2001:DB8::5:7", "2001:db8::5:7"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("fe80::", "fe80::"),
            ("1:0:0:1:0:0:0:1", "1:0:0:1::1"),
            ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"),
            ("::ffff:10.1.2.3", "::ffff:10.1.2.3"),
            ("fd00:1:2:3:4:5:6:7", "fd00:1:2:3:4:5:6:7"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(IPAddress(input)?.description, expected, input)
        }
    }

    func testIPv6Rejects() {
        for text in [":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1:", ":1", "1:2:3:4:5:6:7:8::"] {
            XCTAssertNil(IPAddress(text), text)
        }
    }

    func testBytesRoundTrip() {
        let address = IPAddress("fd12:3456:789a::42")!
        XCTAssertEqual(IPAddress(bytes: address.bytes), address)
        XCTAssertEqual(IPAddress("10.1.2.3")!.bytes, [10, 1, 2, 3])
    }

    func testPrefixCanonicalAndContains() {
        let prefix = IPPrefix("172.18.3.4/16")!
        XCTAssertEqual(prefix.description, "172.18.0.0/16")
        XCTAssertTrue(prefix.contains(IPAddress("172.18.255.255")!))
        XCTAssertFalse(prefix.contains(IPAddress("172.19.0.0")!))
        XCTAssertTrue(prefix.overlaps(IPPrefix("172.0.0.0/8")!))
        XCTAssertFalse(prefix.overlaps(IPPrefix("172.19.0.0/16")!))
        XCTAssertEqual(IPPrefix("::/0")!.lastOrdinal, .max)
        XCTAssertEqual(IPPrefix("10.0.0.0/8")!.lastOrdinal, (1 << 24) - 1)
        XCTAssertNil(IPPrefix("10.0.0.0/33"))
        XCTAssertNil(IPPrefix("10.0.0.0"))
        XCTAssertNil(IPPrefix("10.0.0.0/-1"))
        XCTAssertEqual(IPPrefix("fd00::1/64")?.description, "fd00::/64")
    }
}

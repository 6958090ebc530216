import SwiftnetAddress
import XCTest
@testable import SwiftnetIPAM

/// Special-purpose ranges as pools and gateways, and text that must parse to nothing rather
/// than to something else.
final class SpecialPurposeTests: XCTestCase {
    var ipam = IPAMAllocator(configuration: .dockerDefaults(ulaGlobalID: 0xAB_CDEF_0123))

    func pool(_ pool: String, v6: Bool = false) throws -> PoolRecord {
        let record = try ipam.planRequestPool(.init(addressSpace: "LocalDefault", pool: pool, v6: v6), hostRoutes: { [] })
        ipam.apply(.createPool(record))
        return record
    }

    func testClassification() {
        let cases: [(String, String?)] = [
            ("127.0.0.0/8", "127.0.0.0/8 is loopback"), ("127.5.0.0/16", "127.0.0.0/8 is loopback"),
            ("0.1.0.0/16", "0.0.0.0/8 is \"this network\" (source addresses only, RFC 1122)"),
            ("169.254.3.0/24", "169.254.0.0/16 is link-local (RFC 3927)"), ("224.0.0.0/24", "224.0.0.0/4 is multicast"),
            ("239.255.0.0/16", "224.0.0.0/4 is multicast"),
            ("255.255.255.0/24", "240.0.0.0/4 is reserved (class E and the limited broadcast address)"),
            ("96.0.0.0/3", "127.0.0.0/8 is loopback"),  // contains a range: overlaps too
            ("::1/128", "::1/128 is loopback"), ("::ffff:10.0.0.0/120", "::ffff:0.0.0.0/96 is IPv4-mapped (RFC 4291)"),
            ("fe80::/64", "fe80::/10 is link-local"), ("febf:1::/64", "fe80::/10 is link-local"),
            ("ff02::/64", "ff00::/8 is multicast"),
            ("10.0.0.0/8", nil), ("172.17.0.0/16", nil), ("192.168.0.0/16", nil), ("100.64.0.0/10", nil),
            ("1.0.0.0/8", nil), ("126.255.255.0/24", nil), ("128.0.0.0/16", nil), ("169.253.0.0/16", nil),
            ("223.255.255.0/24", nil), ("fd00::/64", nil), ("2001:db8::/32", nil), ("fec0::/10", nil), ("::2/128", nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(IPPrefix(text)?.specialPurposeRange?.description, expected, text)
        }
        XCTAssertEqual(IPAddress("127.0.0.1")?.specialPurposeRange?.prefix.description, "127.0.0.0/8")
        XCTAssertEqual(IPAddress("255.255.255.255")?.specialPurposeRange?.prefix.description, "240.0.0.0/4")
        XCTAssertEqual(IPAddress("::")?.specialPurposeRange?.prefix.description, "::/128")
        XCTAssertNil(IPAddress("10.0.0.1")?.specialPurposeRange)
    }

    func testReservedRoles() {
        let v4 = IPPrefix("10.1.2.0/24")!
        XCTAssertEqual(v4.reservedRole(of: IPAddress("10.1.2.0")!), "the network address")
        XCTAssertEqual(v4.reservedRole(of: IPAddress("10.1.2.255")!), "the broadcast address")
        XCTAssertNil(v4.reservedRole(of: IPAddress("10.1.2.1")!))
        XCTAssertNil(v4.reservedRole(of: IPAddress("10.1.3.0")!), "outside the prefix")
        XCTAssertNil(IPPrefix("10.1.2.0/31")!.reservedRole(of: IPAddress("10.1.2.0")!), "RFC 3021: both /31 addresses are hosts")
        XCTAssertNil(IPPrefix("10.1.2.7/32")!.reservedRole(of: IPAddress("10.1.2.7")!))
        XCTAssertEqual(IPPrefix("fd00::/64")!.reservedRole(of: IPAddress("fd00::")!), "the subnet-router anycast address")
        XCTAssertNil(IPPrefix("fd00::/64")!.reservedRole(of: IPAddress("fd00::ffff:ffff:ffff:ffff")!), "IPv6 has no broadcast")
    }

    func testSpecialPurposePoolsAreRefused() throws {
        for (text, v6) in [("127.1.0.0/16", false), ("169.254.0.0/16", false), ("224.1.0.0/16", false), ("240.0.0.0/24", false),
                           ("0.1.0.0/16", false), ("96.0.0.0/3", false), ("fe80::/64", true), ("ff05::/64", true),
                           ("::1/128", true), ("::ffff:0:0/96", true)] {
            XCTAssertThrowsError(try pool(text, v6: v6), text) { error in
                guard case .specialPurpose(let what, let range)? = error as? IPAMError else { return XCTFail("\(error)") }
                XCTAssertEqual(what, "address pool \(IPPrefix(text)!)")
                XCTAssertTrue("\(error)".contains("\(range.prefix) is \(range.meaning)"), "\(error)")
            }
        }
        XCTAssertEqual("\(IPAMError.specialPurpose(what: "address pool 127.1.0.0/16", range: IPPrefix("127.1.0.0/16")!.specialPurposeRange!))",
                       "invalid address pool 127.1.0.0/16: 127.0.0.0/8 is loopback, a special-purpose range no network can use")
        XCTAssertTrue(ipam.poolIDs.isEmpty, "nothing was made")
    }

    /// Docker 29's `--subnet 0.0.0.0/N` / `::/N` mean "any free pool of size N", not 0.0.0.0/8 or ::/128.
    func testSizeOnlyPoolsStillWork() throws {
        XCTAssertEqual(try pool("0.0.0.0/24").prefix.description, "172.17.0.0/24")
        XCTAssertEqual(try pool("::/80", v6: true).prefix.length, 80)
        XCTAssertEqual(try pool("::/128", v6: true).prefix.length, 128)
    }

    func testSpecialPurposeGatewayIsRefusedInAPoolFromBefore() throws {
        // Recorded by a version that did not refuse such pools.
        let legacy = PoolRecord(id: "LocalDefault/127.77.0.0/16", addressSpace: "LocalDefault", prefix: IPPrefix("127.77.0.0/16")!,
                                subPool: nil, options: [:])
        ipam.apply(.createPool(legacy))
        let gateway = [IPAMOptions.requestAddressType: IPAMOptions.gatewayRequest]
        XCTAssertThrowsError(try ipam.planRequestAddress(.init(poolID: legacy.id, address: "127.77.0.1", options: gateway))) { error in
            XCTAssertEqual("\(error)", "invalid gateway 127.77.0.1: 127.0.0.0/8 is loopback, a special-purpose range no network can use")
        }
        // The gateway of a good pool, and the network or broadcast address as gateway.
        let good = try pool("10.70.0.0/24")
        XCTAssertNoThrow(try ipam.planRequestAddress(.init(poolID: good.id, address: "10.70.0.254", options: gateway)))
        for reserved in ["10.70.0.0", "10.70.0.255"] {
            XCTAssertThrowsError(try ipam.planRequestAddress(.init(poolID: good.id, address: reserved, options: gateway))) { error in
                XCTAssertEqual(error as? IPAMError, .reservedAddress(IPAddress(reserved)!, pool: good.prefix))
            }
        }
    }

    /// Prefix lengths are 1 to 3 digits: no sign, space, or a number only Int's overflow check stops.
    func testPrefixLengthText() {
        for bad in ["10.0.0.0/99999999999999999999", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/8 ", "10.0.0.0/", "10.0.0.0/0008",
                    "10.0.0.0/٨", "10.0.0.0/8/8", "10.0.0.0/-0", "fd00::/129", "fd00::/1e2", "/8", "10.0.0.0//8"] {
            XCTAssertNil(IPPrefix(bad), bad)
        }
        XCTAssertEqual(IPPrefix("10.0.0.0/008")?.length, 8, "Go's ParseCIDR reads leading zeros too")
        XCTAssertEqual(IPPrefix.parseCIDR("10.1.2.3/16")?.address.description, "10.1.2.3", "kept as written")
        XCTAssertEqual(IPPrefix("fd00::/128")?.length, 128)
    }
}

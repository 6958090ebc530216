import SwiftnetAddress
import XCTest
@testable import SwiftnetNetworkModel

/// CreateNetwork's `IPv4Data`/`IPv6Data`, as dockerd's default IPAM may give them to the driver.
final class NetworkSubnetTests: XCTestCase {
    func reason(_ pool: String, _ gateway: String) -> String? {
        do {
            _ = try NetworkSubnet(ipamPool: pool, gateway: gateway)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testUsablePools() throws {
        XCTAssertEqual(try NetworkSubnet(ipamPool: "172.18.0.0/16", gateway: "172.18.0.1/16"),
                       NetworkSubnet(pool: IPPrefix("172.18.0.0/16")!, gateway: IPAddress("172.18.0.1")))
        XCTAssertEqual(try NetworkSubnet(ipamPool: "10.77.0.0/16", gateway: "10.77.0.254").gateway, IPAddress("10.77.0.254"))
        XCTAssertNil(try NetworkSubnet(ipamPool: "fd00:1::/64", gateway: "").gateway)
        XCTAssertEqual(try NetworkSubnet(ipamPool: "fd00:1::/64", gateway: "fd00:1::1/64").gateway, IPAddress("fd00:1::1"))
        XCTAssertEqual(try NetworkSubnet(ipamPool: "10.9.9.8/31", gateway: "10.9.9.8/31").gateway, IPAddress("10.9.9.8"), "/31: no network address")
    }

    func testSpecialPurposePoolsAreRefused() {
        let cases = [
            ("127.0.0.0/24", "127.0.0.1/24", "127.0.0.0/8 is loopback"),
            ("0.0.0.0/24", "0.0.0.1/24", "0.0.0.0/8 is \"this network\""),  // literal here: dockerd's IPAM resolved any size-only request
            ("169.254.5.0/24", "", "169.254.0.0/16 is link-local"),
            ("224.0.1.0/24", "", "224.0.0.0/4 is multicast"),
            ("240.1.0.0/16", "", "240.0.0.0/4 is reserved"),
            ("fe80::/64", "fe80::1/64", "fe80::/10 is link-local"),
            ("ff02::/16", "", "ff00::/8 is multicast"),
            ("::ffff:0:0/96", "", "::ffff:0.0.0.0/96 is IPv4-mapped"),
            ("::1/128", "", "::1/128 is loopback"),
            ("::/128", "", "::/128 is the unspecified address"),
        ]
        for (pool, gateway, expected) in cases {
            let text = reason(pool, gateway) ?? "accepted"
            XCTAssertTrue(text.hasPrefix("invalid IPAM data: pool ") && text.contains(expected), "\(pool): \(text)")
        }
    }

    func testGatewayOnTheNetworkOrBroadcastAddressIsRefused() {
        XCTAssertEqual(reason("10.77.0.0/16", "10.77.0.0/16"),
                       "invalid IPAM data: gateway 10.77.0.0 is the network address of 10.77.0.0/16; a host address is needed")
        XCTAssertEqual(reason("10.77.0.0/16", "10.77.255.255"),
                       "invalid IPAM data: gateway 10.77.255.255 is the broadcast address of 10.77.0.0/16; a host address is needed")
        XCTAssertEqual(reason("fd00:1::/64", "fd00:1::/64"),
                       "invalid IPAM data: gateway fd00:1:: is the subnet-router anycast address of fd00:1::/64; a host address is needed")
    }

    func testMalformedData() {
        XCTAssertEqual(reason("10.0.0.0/99999999999999999999", ""), "invalid IPAM data: pool '10.0.0.0/99999999999999999999' is not a CIDR")
        XCTAssertEqual(reason("10.0.0.0/24", "10.0.1.1/24"), "invalid IPAM data: gateway '10.0.1.1/24' is not an address in 10.0.0.0/24")
        XCTAssertEqual(reason("10.0.0.0/24", "10.0.0.1/99999999999999999999"),
                       "invalid IPAM data: gateway '10.0.0.1/99999999999999999999' is not an address in 10.0.0.0/24")
        XCTAssertNotNil(reason("10.0.0.0/24", "fd00::1/64"))
    }
}

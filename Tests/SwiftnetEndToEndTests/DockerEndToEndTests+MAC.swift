import Foundation
import SwiftnetTestSupport
import XCTest

/// Every endpoint of a network has its own MAC. dockerd 20.10 cannot make IPv4-less networks
/// (where address-derived MACs could collide; the namespace tests cover that), but it can ask
/// for one MAC twice with `--mac-address`.
extension DockerEndToEndTests {
    func testTheSameMACAddressTwiceOnOneNetworkIsRefused() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let mac = "02:aa:bb:cc:\(String(format: "%02x", Int.random(in: 16...255))):01"
        let first = try runContainer("first", network: network.name, extra: ["--mac-address", mac])
        XCTAssertTrue(exec(first, ["ip", "link", "show", "eth0"]).output.contains(mac))
        containers.append("swt-\(tag)-second")
        let second = Shell.run(Self.docker, runArguments("second", network: network.name, extra: ["--mac-address", mac]), timeout: 90)
        XCTAssertNotEqual(second.status, 0, "a second container with \(mac) on the same network must be refused")
        XCTAssertTrue(second.both.contains("MAC address \(mac) is already used"), second.both)
        // The first one is untouched and a container without --mac-address still starts.
        XCTAssertTrue(exec(first, ["ip", "link", "show", "eth0"]).output.contains(mac))
        _ = try runContainer("third", network: network.name)
    }
}

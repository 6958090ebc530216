import Foundation
import SwiftnetTestSupport
import XCTest

/// Every endpoint of a network gets its own MAC. swiftnet derives it from the address
/// (02:42 + the low 32 bits), which for IPv6-only endpoints is not unique by itself.
extension BridgeDataplaneTests {
    /// An IPv6-only endpoint with `address`, joined and moved into a namespace as dockerd does.
    func addIPv6OnlyContainer(to network: TestNetwork, address: String) throws -> (namespace: String, mac: String?) {
        let cidr = try client.requestAddress(pool: network.poolID, address: address)
        let id = Shell.randomHex(64)
        let create = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","Interface":{"Address":"","AddressIPv6":"\#(cidr)","MacAddress":""},"Options":{}}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)")
        let join = try client.call("/NetworkDriver.Join",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","SandboxKey":"/var/run/docker/netns/test","Options":{}}"#)
        let source = try XCTUnwrap((join.object["InterfaceName"] as? [String: String])?["SrcName"], "\(join.object)")
        let namespace = "swtest-" + Shell.randomHex(8)
        namespaces.append(namespace)
        for step in [
            Shell.ip("netns", "add", namespace),
            Shell.ip("link", "set", source, "netns", namespace),
            Shell.inNamespace(namespace, ["/bin/busybox", "sysctl", "-w", "net.ipv6.conf.all.accept_dad=0"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", source, "name", "eth0"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "addr", "add", cidr, "dev", "eth0", "nodad"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", "eth0", "up"]),
        ] {
            XCTAssertTrue(step.succeeded, step.both)
        }
        return (namespace, (create.object["Interface"] as? [String: Any])?["MacAddress"] as? String)
    }

    func testIPv6OnlyEndpointsSharingTheirLow32BitsGetDistinctMACsAndTalk() throws {
        let network = try createIPv6OnlyNetwork()
        let prefix = String(network.subnet.dropLast("::/64".count))
        let a = try addIPv6OnlyContainer(to: network, address: "\(prefix)::2")
        let b = try addIPv6OnlyContainer(to: network, address: "\(prefix)::1:0:0:2")
        let macA = try XCTUnwrap(a.mac), macB = try XCTUnwrap(b.mac)
        XCTAssertEqual(macA, "02:42:00:00:00:02", "the first endpoint keeps the address-derived MAC")
        XCTAssertNotEqual(macA, macB)
        var pinged = Shell.Result(status: 1, output: "", error: "")
        for _ in 0..<10 where !pinged.succeeded {
            pinged = Shell.inNamespace(a.namespace, ["/bin/busybox", "ping", "-6", "-c", "1", "-W", "1", "\(prefix)::1:0:0:2"], timeout: 5)
        }
        XCTAssertTrue(pinged.succeeded, pinged.both)
    }

    /// A MAC dockerd asks for (`--mac-address`) that another endpoint of the network has is
    /// refused, with nothing made.
    func testARequestedMACAnotherEndpointHasIsRefused() throws {
        let network = try createNetwork()
        _ = try addContainer(to: network, mac: "02:aa:bb:cc:dd:01")
        let cidr = try client.requestAddress(pool: network.poolID)
        let id = Shell.randomHex(64)
        links.append("swv" + id.prefix(11))  // only if it were made after all
        let refused = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":"02:aa:bb:cc:dd:01"},"Options":{"com.docker.network.endpoint.macaddress":"Aqq7zN0B"}}"#)
        XCTAssertEqual(refused.status, 500)
        XCTAssertTrue("\(refused.object)".contains("MAC address 02:aa:bb:cc:dd:01 is already used"), "\(refused.object)")
        XCTAssertFalse(Shell.linkNames().contains("swv" + id.prefix(11)))
    }
}

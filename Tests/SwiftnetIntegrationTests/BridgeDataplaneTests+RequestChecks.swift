import Foundation
import SwiftnetTestSupport
import XCTest

/// Requests dockerd never sends but a hand-made or mixed-up one could: refused, or acting on
/// nothing, and never changing what they do not name.
extension BridgeDataplaneTests {
    func testEndpointCallsNamingAnotherNetworkOrADeletedEndpointActOnNothing() throws {
        let a = try createNetwork()
        let b = try createNetwork()
        let container = try addContainer(to: a)
        try publish(container, on: a, hostPort: Int.random(in: 20000...29999), containerPort: 80)
        let wrong = #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(b.id)"}"#
        for call in ["Leave", "DeleteEndpoint", "RevokeExternalConnectivity"] {
            XCTAssertEqual(try client.call("/NetworkDriver.\(call)", wrong).status, 200, call)
        }
        XCTAssertEqual(try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(b.id)","Options":{},"SandboxKey":"/var/run/docker/netns/x"}"#).status, 500)
        XCTAssertEqual(try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(b.id)","Options":{}}"#).status, 500)
        XCTAssertEqual(try client.call("/NetworkDriver.EndpointOperInfo", wrong).object["Value"] as? [String: String], [:])
        let info = try client.call("/NetworkDriver.EndpointOperInfo", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(a.id)"}"#)
        XCTAssertEqual(((info.object["Value"] as? [String: Any])?["swiftnet.published"] as? [String])?.count, 1, "its port is still published")
        XCTAssertTrue(ping(from: container.namespace, a.gateway).succeeded, "the endpoint is untouched")

        // Deleted: its veth waits a moment for the batch delete, but it takes no Join or ports.
        let right = #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(a.id)"}"#
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", right).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(a.id)","Options":{},"SandboxKey":"/var/run/docker/netns/x"}"#).status, 500)
        XCTAssertEqual(try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(a.id)","Options":{}}"#).status, 500)
    }

    func testCreateNetworkAndCreateEndpointRefuseWhatCannotWorkAndMakeNothing() throws {
        let network = try createNetwork()
        let container = try addContainer(to: network)
        let linksBefore = Set(Shell.linkNames())
        func createRawNetwork(ipv4: String, ipv6: String = "[]", options: String = #""com.docker.network.generic":{}"#) throws -> (Int, String) {
            let id = Shell.randomHex(64)
            let (status, object) = try client.call("/NetworkDriver.CreateNetwork",
                #"{"IPv4Data":\#(ipv4),"IPv6Data":\#(ipv6),"NetworkID":"\#(id)","Options":{\#(options)}}"#)
            return (status, "\(object["Err"] ?? "")")
        }
        let same = #"[{"AddressSpace":"LocalDefault","Gateway":"\#(network.gateway)/24","Pool":"\#(network.subnet)"}]"#
        let (overlapStatus, overlap) = try createRawNetwork(ipv4: same)
        XCTAssertEqual(overlapStatus, 500)
        XCTAssertTrue(overlap.contains("overlaps \(network.subnet) of swiftnet network \(network.id.prefix(12))"), overlap)
        let other = #"[{"AddressSpace":"LocalDefault","Gateway":"10.231.77.1/24","Pool":"10.231.77.0/24"}]"#
        let (parentStatus, parent) = try createRawNetwork(ipv4: other, options: #""com.docker.network.generic":{"parent":"lo"}"#)
        XCTAssertEqual(parentStatus, 500)
        XCTAssertTrue(parent.contains("parent"), parent)
        let (ipv4Status, ipv4) = try createRawNetwork(ipv4: other, options: #""com.docker.network.enable_ipv4":"yes please""#)
        XCTAssertEqual(ipv4Status, 500)
        XCTAssertTrue(ipv4.contains("com.docker.network.enable_ipv4"), ipv4)
        let (familyStatus, family) = try createRawNetwork(ipv4: "[]", ipv6: other)
        XCTAssertEqual(familyStatus, 500)
        XCTAssertTrue(family.contains("came in IPv6Data"), family)

        func createEndpoint(_ address: String, _ addressIPv6: String = "") throws -> (Int, String) {
            let (status, object) = try client.call("/NetworkDriver.CreateEndpoint",
                #"{"EndpointID":"\#(Shell.randomHex(64))","Interface":{"Address":"\#(address)","AddressIPv6":"\#(addressIPv6)","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#)
            return (status, "\(object["Err"] ?? "")")
        }
        let (outsideStatus, outside) = try createEndpoint("10.231.99.5/24")
        XCTAssertEqual(outsideStatus, 500)
        XCTAssertTrue(outside.contains("is not in a subnet of network"), outside)
        let (v6Status, v6) = try createEndpoint("", "fd00:1::5/64")
        XCTAssertEqual(v6Status, 500)
        XCTAssertTrue(v6.contains("Interface.AddressIPv6"), v6)
        let (takenStatus, taken) = try createEndpoint(container.cidr)
        XCTAssertEqual(takenStatus, 500)
        XCTAssertTrue(taken.contains("is held by endpoint \(container.endpointID.prefix(12))"), taken)
        XCTAssertEqual(Set(Shell.linkNames()), linksBefore, "nothing made")
        XCTAssertTrue(ping(from: container.namespace, network.gateway).succeeded)
    }
}

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
        // The network's own addresses (another IPAM could hand them out, or a gateway
        // released by hand and requested again): before, the gateway was taken and Join
        // answered the container's own address as its gateway.
        let base = network.subnet.split(separator: ".").prefix(3).joined(separator: ".")
        for (address, role) in [("\(network.gateway)/24", "the network's gateway"), ("\(base).0/24", "the network address"),
                                ("\(base).255/24", "the broadcast address")] {
            let (status, refusal) = try createEndpoint(address)
            XCTAssertEqual(status, 500, address)
            XCTAssertTrue(refusal.contains("cannot be a container's") && refusal.contains(role), refusal)
        }
        XCTAssertEqual(Set(Shell.linkNames()), linksBefore, "nothing made")
        XCTAssertTrue(ping(from: container.namespace, network.gateway).succeeded)
    }

    /// dockerd releases an endpoint's address after DeleteEndpoint, and goes on when that
    /// failed. Before, the IPAM freed it anyway and the next RequestAddress handed it to
    /// another container while the endpoint still had it. Now the release is refused, naming
    /// the endpoint, and nothing changes. The gateway and the pool are released before
    /// DeleteNetwork (dockerd's order): those still go.
    func testAnAddressALiveEndpointHoldsIsNotReleased() throws {
        let network = try createNetwork()
        let container = try addContainer(to: network)
        let (status, object) = try client.call("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(network.poolID)","Address":"\#(container.address)"}"#)
        XCTAssertEqual(status, 400)
        XCTAssertTrue("\(object["Err"] ?? "")".contains("endpoint \(container.endpointID.prefix(12)) of network \(network.id.prefix(12)) still holds it"),
                      "\(object)")
        let again = try client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(network.poolID)","Address":"\#(container.address)","Options":{}}"#)
        XCTAssertEqual(again.status, 500, "still allocated: \(again.object)")
        XCTAssertTrue(ping(from: container.namespace, network.gateway).succeeded, "the endpoint is untouched")

        // In dockerd's order every release goes through.
        try removeContainer(container, from: network)
        try deleteNetwork(network)
        let state = try JSONSerialization.jsonObject(with: Data(client.get("/state").body)) as? [String: Any]
        XCTAssertFalse("\(state?["pools"] ?? "")".contains(network.subnet), "the pool is gone")
    }
}

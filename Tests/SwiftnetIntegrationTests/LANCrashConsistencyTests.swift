import Foundation
import SwiftnetKernel
import SwiftnetTestSupport
import XCTest

/// kill -9 at each crash point of a macvlan network's life (`SWIFTNET_CRASH_AT`), restart, and
/// check the state is consistent: what was not answered is rolled back (no record, no link),
/// dockerd's retry succeeds, and `docker network rm` then leaves no link.
final class LANCrashConsistencyTests: LANServerTestCase {
    /// After the record, before any link.
    func testCrashAfterTheNetworkRecord() throws { try crashCreatingNetwork(at: "network.create.recorded", shim: true) }

    /// After the host shim is made.
    func testCrashAfterTheHostShim() throws { try crashCreatingNetwork(at: "network.create.shim", shim: true) }

    /// After the parent swiftnet owns (a dummy for a network given no parent) is made.
    func testCrashAfterTheOwnedParent() throws {
        if let missing = try LinkTypeSupport.missing(.dummy) { throw XCTSkip("\(missing)") }
        try crashCreatingNetwork(at: "network.create.parent", shim: false, parent: nil)
    }

    func testCrashAfterTheEndpointRecordAndAfterItsChild() throws {
        for point in ["endpoint.create.recorded", "endpoint.create.veth"] {
            let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0"])
            XCTAssertEqual(status, 200, "\(body)")
            let cidr = try client.requestAddress(pool: network.poolID)
            let endpointID = Shell.randomHex(64)
            let create = #"{"EndpointID":"\#(endpointID)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#
            try restart(crashAt: point)
            _ = try? client.call("/NetworkDriver.CreateEndpoint", create)
            XCTAssertTrue(server.waitForCrash(seconds: 5), "\(point) was not reached:\n\(server.log.suffix(2000))")
            try restart(crashAt: nil)
            XCTAssertEqual(try hostLinks(), ["eth0"], "\(point): the half-made child is gone")
            // dockerd retries.
            XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint", create).status, 200, point)
            XCTAssertEqual(Set(try hostLinks()), ["eth0", "swc" + endpointID.prefix(11)])
            XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
            try client.releaseAddress(pool: network.poolID, address: String(cidr.split(separator: "/")[0]))
            try deleteNetwork(network)
            XCTAssertEqual(try hostLinks(), ["eth0"], point)
        }
    }

    func restart(crashAt point: String?) throws {
        client.close()
        if point == nil { server.kill9() } else { XCTAssertEqual(server.terminate(), 0) }
        server.environment = point.map { ["SWIFTNET_CRASH_AT": $0] } ?? [:]
        try server.start()
        client = try server.client()
    }

    func crashCreatingNetwork(at point: String, shim: Bool, parent: String? = "eth0") throws {
        let pool = try client.requestPool(subnet)
        let gateway = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let shimCIDR = shim ? try client.requestAddress(pool: pool.id, address: address(250)) : nil
        var generic = ["swiftnet.mode": "macvlan"]
        if let parent { generic["parent"] = parent }
        if shim { generic["swiftnet.host_shim"] = "true" }
        let id = Shell.randomHex(64)
        let aux = shimCIDR.map { #"{"host_shim":"\#($0)"}"# } ?? "{}"
        let body = #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(subnet)","AuxAddresses":\#(aux)}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.generic":\#(Self.json(generic))}}"#
        try restart(crashAt: point)
        _ = try? client.call("/NetworkDriver.CreateNetwork", body)
        XCTAssertTrue(server.waitForCrash(seconds: 5), "\(point) was not reached:\n\(server.log.suffix(2000))")
        try restart(crashAt: nil)
        XCTAssertEqual(try hostLinks(), ["eth0"], "\(point): the unanswered network's links are rolled back\n\(server.log.suffix(2000))")
        XCTAssertEqual(try recordedNetworks(), [], point)
        // dockerd retries CreateNetwork; then `docker network rm`.
        XCTAssertEqual(try client.call("/NetworkDriver.CreateNetwork", body).status, 200, point)
        let made = Set(try hostLinks())
        XCTAssertEqual(made.count, shim || parent == nil ? 2 : 1, "\(made)")
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(id)"}"#).status, 200)
        XCTAssertEqual(try hostLinks(), ["eth0"], point)
        XCTAssertEqual(try recordedNetworks(), [], point)
    }
}

import SwiftnetAddress
import SwiftnetBridge
import SwiftnetJSON
import SwiftnetNetworkModel
import XCTest

/// ProgramExternalConnectivity: host port choice, conflicts, and the firewall that carries them.
final class PortPublishingTests: DriverTestCase {
    func testAnExactHostPortIsPublishedProgrammedAndHairpinned() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id, options: Self.portMap(container: 80, host: 8080))
        let expected = [PublishedPort(proto: .tcp, hostIP: nil, hostPort: 8080, containerPort: 80)]
        XCTAssertEqual(store.endpoints[endpoint.id]?.publishedPorts, expected)
        XCTAssertEqual(firewall.ports[endpoint.id], expected)
        XCTAssertEqual(dataplane.hairpinned, [Self.hostVeth(endpoint.id)])
    }

    func testAHostPortAnotherEndpointPublishesIsRefused() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80, host: 8080))
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: second.id,
                                                                    options: Self.portMap(container: 80, host: 8080))) { error in
            guard case DriverError.hostPortInUse = error else { return XCTFail("\(error)") }
            // Which binding holds it, and no Swift range printed as is ("8080...8080").
            XCTAssertEqual("\(error)", "host port already in use: *:8080/tcp (published by endpoint \(first.id.prefix(12)))")
        }
        XCTAssertEqual(store.endpoints[second.id]?.publishedPorts, [])
    }

    func testAHostPortASocketHoldsIsRefused() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        hostPorts.hold(8080)
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id,
                                                                    options: Self.portMap(container: 80, host: 8080))) { error in
            XCTAssertEqual("\(error)", "host port already in use: *:8080/tcp (a process on the host listens on it)")
        }
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id,
                                                                    options: Self.portMap(container: 80, host: 8080, hostEnd: 8080 + 0))) { error in
            XCTAssertTrue("\(error)".contains("*:8080/tcp"), "\(error)")
        }
    }

    func testARangeTakesItsFirstFreePortAndAnyPortSkipsTakenOnes() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        hostPorts.hold(8080)
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id,
                                               options: Self.portMap(container: 80, host: 8080, hostEnd: 8082))
        XCTAssertEqual(store.endpoints[first.id]?.publishedPorts.map(\.hostPort), [8081])
        // -p 80 with no host port: the ephemeral range (49000…) minus what sockets and swiftnet hold.
        hostPorts.hold(49_000)
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id,
                                               options: Self.portMap(container: 81))
        XCTAssertEqual(store.endpoints[first.id]?.publishedPorts.map(\.hostPort), [49_001])
        try driver.programExternalConnectivity(networkID: network, endpointID: second.id, options: Self.portMap(container: 81))
        XCTAssertEqual(store.endpoints[second.id]?.publishedPorts.map(\.hostPort), [49_002])
    }

    func testAnInternalNetworkPublishesNothing() throws {
        let network = try createNetwork(isInternal: true)
        let endpoint = try createEndpoint(1, network: network)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id, options: Self.portMap(container: 80, host: 8080))
        XCTAssertEqual(store.endpoints[endpoint.id]?.publishedPorts, [])
        XCTAssertEqual(dataplane.hairpinned, [])
    }

    func testAFailedFirewallLeavesThePortsAsTheyWere() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        firewall.setFailing(true)
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id,
                                                                    options: Self.portMap(container: 80, host: 8080)))
        XCTAssertEqual(driver.endpoint(endpoint.id)?.publishedPorts, [])
        XCTAssertEqual(store.endpoints[endpoint.id]?.publishedPorts, [])
    }

    /// A revoke whose firewall change fails changes nothing: the endpoint keeps its ports in
    /// memory as in the store, and no other endpoint can take them.
    func testAFailedRevokeKeepsThePorts() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80, host: 8080))
        firewall.setFailing(true)
        XCTAssertThrowsError(try driver.revokeExternalConnectivity(networkID: network, endpointID: first.id))
        firewall.setFailing(false)
        XCTAssertEqual(driver.endpoint(first.id)?.publishedPorts.map(\.hostPort), [8080])
        XCTAssertEqual(store.endpoints[first.id]?.publishedPorts.map(\.hostPort), [8080])
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: second.id,
                                                                    options: Self.portMap(container: 80, host: 8080)))
    }

    func testRevokeTakesThePortsOutOfTheFirewall() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id, options: Self.portMap(container: 80, host: 8080))
        try driver.revokeExternalConnectivity(networkID: network, endpointID: endpoint.id)
        XCTAssertEqual(store.endpoints[endpoint.id]?.publishedPorts, [])
        XCTAssertEqual(firewall.ports[endpoint.id], [])
    }

    func testThePortsOfAnEndpointBeingDeletedAreFreeAtOnce() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80, host: 8080))
        try driver.deleteEndpoint(networkID: network, endpointID: first.id)
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        XCTAssertNoThrow(try driver.programExternalConnectivity(networkID: network, endpointID: second.id,
                                                                options: Self.portMap(container: 80, host: 8080)))
    }

    /// The taken-port index follows every change of the records: revoke, republish, a failed
    /// publish, delete, and a restart that loads the records.
    func testTheTakenPortsFollowRevokeRepublishDeleteAndRestart() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        let port8080 = Self.portMap(container: 80, host: 8080)
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: port8080)
        // Publishing anew the ports it has is not a clash with itself.
        XCTAssertNoThrow(try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: port8080))
        try driver.revokeExternalConnectivity(networkID: network, endpointID: first.id)
        try driver.programExternalConnectivity(networkID: network, endpointID: second.id, options: port8080)
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: port8080))
        firewall.setFailing(true)
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: first.id,
                                                                    options: Self.portMap(container: 80, host: 9090)))
        firewall.setFailing(false)
        // The failed publish left nothing in the index: another endpoint can take 9090.
        let third = try createEndpoint(3, network: network, address: "10.1.0.4/24")
        XCTAssertNoThrow(try driver.programExternalConnectivity(networkID: network, endpointID: third.id,
                                                                options: Self.portMap(container: 80, host: 9090)))
        try driver.revokeExternalConnectivity(networkID: network, endpointID: third.id)
        driver = try makeDriver()  // a restart: the index is built from the stored records
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: port8080))
        XCTAssertNoThrow(try driver.programExternalConnectivity(networkID: network, endpointID: first.id,
                                                                options: Self.portMap(container: 80, host: 9090)))
        try driver.deleteEndpoint(networkID: network, endpointID: second.id)
        XCTAssertNoThrow(try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: port8080))
        XCTAssertEqual(driver.endpoint(first.id)?.publishedPorts.map(\.hostPort), [8080])
    }

    /// Many any-port requests in one call take consecutive free ports, skipping those other
    /// endpoints and sockets hold.
    func testAnyPortRequestsOfOneCallTakeConsecutiveFreePorts() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80))
        hostPorts.hold(49_002)
        let two: JSONObject = [PortBindingRequest.portMapKey: .array([81, 82].map { port in .object([
            "Proto": .number(6), "Port": .number(Double(port)), "HostIP": .string(""), "HostPort": .number(0), "HostPortEnd": .number(0),
        ]) })]
        try driver.programExternalConnectivity(networkID: network, endpointID: second.id, options: two)
        XCTAssertEqual(driver.endpoint(second.id)?.publishedPorts.map(\.hostPort), [49_001, 49_003])
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: two)) { error in
            guard case DriverError.noFreeHostPort = error else { return XCTFail("\(error)") }
        }
    }

    func hostPorts(of endpoint: (id: String, mac: MACAddress?)) -> [Int] {
        driver.endpoint(endpoint.id)?.publishedPorts.map(\.hostPort) ?? []
    }

    /// Any port goes round the ephemeral range (49000…49003 here) from after the last one
    /// handed out, as Docker's allocator does, instead of from its start: a port just freed
    /// is not handed out again at once, and the end of the range wraps to its start.
    func testAnyPortContinuesAfterTheLastOneHandedOutAndWrapsAround() throws {
        let network = try createNetwork()
        let endpoints = try (1...3).map { try createEndpoint($0, network: network, address: "10.1.0.\($0 + 1)/24") }
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[0].id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: endpoints[0]), [49_000])
        try driver.revokeExternalConnectivity(networkID: network, endpointID: endpoints[0].id)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[1].id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: endpoints[1]), [49_001])
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[2].id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: endpoints[2]), [49_002])
        hostPorts.hold(49_003)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[0].id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: endpoints[0]), [49_000], "49003 is held: round to the start")
    }

    /// Wherever the search starts, a port another endpoint or a socket holds is never handed
    /// out, and a full range is refused.
    func testAnyPortNeverTakesAHeldPortWhereverItStarts() throws {
        let network = try createNetwork()
        let endpoints = try (1...5).map { try createEndpoint($0, network: network, address: "10.1.0.\($0 + 1)/24") }
        for endpoint in endpoints.prefix(4) {
            try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id, options: Self.portMap(container: 80))
        }
        XCTAssertEqual(endpoints.prefix(4).flatMap { hostPorts(of: $0) }, [49_000, 49_001, 49_002, 49_003])
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[4].id,
                                                                    options: Self.portMap(container: 80))) { error in
            guard case DriverError.noFreeHostPort = error else { return XCTFail("\(error)") }
        }
        try driver.revokeExternalConnectivity(networkID: network, endpointID: endpoints[2].id)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[4].id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: endpoints[4]), [49_002])
        try driver.revokeExternalConnectivity(networkID: network, endpointID: endpoints[0].id)
        hostPorts.hold(49_000)
        XCTAssertThrowsError(try driver.programExternalConnectivity(networkID: network, endpointID: endpoints[2].id,
                                                                    options: Self.portMap(container: 80)))
    }

    /// An endpoint published again (dockerd repeats ProgramExternalConnectivity) keeps the
    /// host ports it has, though the search for a new one would now start elsewhere or find
    /// a lower port free; a request it had no port for gets a new one.
    func testAnEndpointPublishedAgainKeepsItsPorts() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let second = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80, host: 8080))
        try driver.programExternalConnectivity(networkID: network, endpointID: second.id, options: Self.portMap(container: 80))
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: second), [49_000])
        XCTAssertEqual(hostPorts(of: first), [49_001])
        // 8080 is free again and 49000's search would start at 49002.
        try driver.revokeExternalConnectivity(networkID: network, endpointID: second.id)
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: Self.portMap(container: 80))
        XCTAssertEqual(hostPorts(of: first), [49_001])
        let both: JSONObject = [PortBindingRequest.portMapKey: .array([81, 80].map { port in .object([
            "Proto": .number(6), "Port": .number(Double(port)), "HostIP": .string(""), "HostPort": .number(0), "HostPortEnd": .number(0),
        ]) })]
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id, options: both)
        XCTAssertEqual(hostPorts(of: first), [49_002, 49_001])
        // A range keeps its port too, though the range's first port is free now.
        try driver.programExternalConnectivity(networkID: network, endpointID: second.id, options: Self.portMap(container: 90, host: 9000))
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id,
                                               options: Self.portMap(container: 90, host: 9000, hostEnd: 9002))
        XCTAssertEqual(hostPorts(of: first), [9_001])
        try driver.revokeExternalConnectivity(networkID: network, endpointID: second.id)
        try driver.programExternalConnectivity(networkID: network, endpointID: first.id,
                                               options: Self.portMap(container: 90, host: 9000, hostEnd: 9002))
        XCTAssertEqual(hostPorts(of: first), [9_001])
        XCTAssertEqual(store.endpoints[first.id]?.publishedPorts.map(\.hostPort), [9_001])
    }
}

import Foundation
import SwiftnetClient
import SwiftnetCrashPoints
import SwiftnetFirewall
import SwiftnetTestSupport
import XCTest

/// Fault injection: for every crash point, the call that reaches it kills the server
/// (SIGKILL, as a crash would), the server restarts on the same state, the test retries the
/// call as dockerd does after a transport error, and the state must be whole: no link without
/// a record, every recorded network working, no address handed out twice, every address
/// accounted for.
extension BridgeDataplaneTests {
    func testEveryCrashPointLeavesAConsistentState() throws {
        var covered: [String] = []
        for point in CrashPoint.all {
            try crashAndCheck(point)
            covered.append(point)
        }
        print("crash points covered: \(covered.count) of \(CrashPoint.all.count)")
        XCTAssertEqual(covered, CrashPoint.all)
    }

    /// A reboot: the state file stays, every swiftnet interface and rule is gone and the
    /// recorded boot id is another one. Networks come back; stale endpoints are freed.
    func testSimulatedRebootRestoresNetworksAndFreesStaleEndpoints() throws {
        let network = try createNetwork()
        let container = try addContainer(to: network)
        XCTAssertEqual(server.terminate(), 0)
        Shell.ip("netns", "del", container.namespace)
        Shell.ip("link", "del", network.bridge)
        try? Firewall(prefix: chainPrefix).remove()
        let sql = "UPDATE endpoint SET boot_id = 'an-earlier-boot'"
        XCTAssertTrue(Shell.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", server.statePath, sql]).succeeded)
        try server.start()
        client = try server.client()
        let state = try currentState()
        XCTAssertEqual(state.endpoints, [:], "the stale endpoint is freed")
        XCTAssertTrue(server.log.contains("recorded in an earlier boot"), server.log)
        XCTAssertTrue(server.log.contains("released \(container.address)"), server.log)
        XCTAssertEqual(state.allocated[network.poolID], 1, "only the gateway stays allocated")
        let again = try addContainer(to: network)
        XCTAssertTrue(ping(from: again.namespace, network.gateway).succeeded, "the network works again")
        XCTAssertFalse(ourRules().isEmpty, "firewall rules are back")
    }

    // MARK: one crash point

    func crashAndCheck(_ point: String) throws {
        // A fresh server and state for each point.
        server.cleanUp()
        server = ServerProcess()
        server.extraArguments = ["--chain-prefix", chainPrefix]
        try server.start()
        client = try server.client()
        var held: [String: Set<String>] = [:]  // pool id → addresses the "dockerd" holds
        var extraNetworks: [String] = []

        let network = try createNetwork()
        held[network.poolID] = [network.gateway]
        var container: TestContainer?
        if point.hasPrefix("endpoint.delete") || point.hasPrefix("ports.") {
            container = try addContainer(to: network)
            held[network.poolID]!.insert(container!.address)
        }
        let portmap = #"{"com.docker.network.portmap":[{"HostIP":"","HostPort":\#(Int.random(in: 30000...39999)),"HostPortEnd":0,"IP":"","Port":80,"Proto":6}]}"#
        if point == "ports.revoke.firewall" {
            XCTAssertEqual(try client.call("/NetworkDriver.ProgramExternalConnectivity",
                                           #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)","Options":\#(portmap)}"#).status, 200)
        }
        // What each target call needs, prepared before arming.
        var prepared: [String: String] = [:]
        switch point {
        case "ipam.ReleasePool.committed":
            prepared["pool"] = try client.requestPool("10.232.\(Int.random(in: 0...250)).0/24").id
        case "ipam.ReleaseAddress.committed":
            let address = try client.requestAddress(pool: network.poolID)
            prepared["address"] = String(address.split(separator: "/")[0])
        case let p where p.hasPrefix("network.create"):
            let subnet = Shell.unusedSubnetBase("10.233") + ".0/24"
            let pool = try client.requestPool(subnet)
            let gateway = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
            let id = Shell.randomHex(64)
            bridges.append("swn-" + id.prefix(10))
            extraNetworks.append(id)
            held[pool.id] = [String(gateway.split(separator: "/")[0])]
            prepared["body"] = #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(subnet)"}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.generic":{}}}"#
        case let p where p.hasPrefix("network.delete"):
            // dockerd releases the IPAM side first, then deletes the network.
            try client.releaseAddress(pool: network.poolID, address: network.gateway)
            _ = try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(network.poolID)"}"#)
            held[network.poolID] = nil
        case let p where p.hasPrefix("endpoint.create") || p == "endpoint.join.recorded":
            let address = try client.requestAddress(pool: network.poolID)
            held[network.poolID]!.insert(String(address.split(separator: "/")[0]))
            let id = Shell.randomHex(64)
            prepared["endpoint"] = id
            prepared["create"] = #"{"EndpointID":"\#(id)","Interface":{"Address":"\#(address)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#
            if point == "endpoint.join.recorded" {
                XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint", prepared["create"]!).status, 200)
            }
        default:
            break
        }

        // Arm and call.
        XCTAssertEqual(server.terminate(), 0)
        server.environment = ["SWIFTNET_CRASH_AT": point]
        try server.start()
        client = try server.client()
        let join = #"{"EndpointID":"\#(prepared["endpoint"] ?? "")","NetworkID":"\#(network.id)","Options":{},"SandboxKey":"/var/run/docker/netns/x"}"#
        func target() throws {
            switch point {
            case "ipam.RequestPool.committed":
                _ = try client.call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.234.7.0/24"}"#)
            case "ipam.ReleasePool.committed":
                _ = try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(prepared["pool"]!)"}"#)
            case "ipam.RequestAddress.committed":
                _ = try client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(network.poolID)","Options":{"com.docker.network.endpoint.name":"crashy"}}"#)
            case "ipam.ReleaseAddress.committed":
                _ = try client.call("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(network.poolID)","Address":"\#(prepared["address"]!)"}"#)
            case let p where p.hasPrefix("network.create"):
                _ = try client.call("/NetworkDriver.CreateNetwork", prepared["body"]!)
            case let p where p.hasPrefix("network.delete"):
                _ = try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(network.id)"}"#)
            case let p where p.hasPrefix("endpoint.create"):
                _ = try client.call("/NetworkDriver.CreateEndpoint", prepared["create"]!)
            case "endpoint.join.recorded":
                _ = try client.call("/NetworkDriver.Join", join)
            case let p where p.hasPrefix("endpoint.delete"):
                _ = try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)"}"#)
                _ = try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)"}"#)
            case "ports.program.firewall":
                _ = try client.call("/NetworkDriver.ProgramExternalConnectivity",
                                    #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)","Options":\#(portmap)}"#)
            case "ports.revoke.firewall":
                _ = try client.call("/NetworkDriver.RevokeExternalConnectivity", #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)"}"#)
            default:
                XCTFail("no call reaches \(point)")
            }
        }
        try? target()
        XCTAssertTrue(server.waitForCrash(seconds: 5), "\(point) was not reached:\n\(server.log.suffix(2000))")

        // Restart and retry as dockerd does after a transport error.
        server.environment = [:]
        try server.start()
        client = try server.client()
        switch point {
        case "ipam.RequestPool.committed":
            let (status, object) = try client.call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.234.7.0/24"}"#)
            XCTAssertEqual(status, 200, "a retried RequestPool gets the pool it made: \(object)")
            if let id = object["PoolID"] as? String { held[id] = [] }
        case "ipam.ReleasePool.committed":
            XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(prepared["pool"]!)"}"#).status, 200)
        case "ipam.RequestAddress.committed":
            let again = try client.requestAddress(pool: network.poolID, options: #"{"com.docker.network.endpoint.name":"crashy"}"#)
            held[network.poolID]!.insert(String(again.split(separator: "/")[0]))
        case "ipam.ReleaseAddress.committed":
            try client.releaseAddress(pool: network.poolID, address: prepared["address"]!)
        case let p where p.hasPrefix("network.create"):
            XCTAssertEqual(try client.call("/NetworkDriver.CreateNetwork", prepared["body"]!).status, 200)
        case let p where p.hasPrefix("network.delete"):
            XCTAssertEqual(try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(network.id)"}"#).status, 200)
        case let p where p.hasPrefix("endpoint.create"):
            XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint", prepared["create"]!).status, 200)
        case "endpoint.join.recorded":
            XCTAssertEqual(try client.call("/NetworkDriver.Join", join).status, 200)
        case let p where p.hasPrefix("endpoint.delete"):
            XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
            try client.releaseAddress(pool: network.poolID, address: container!.address)
            held[network.poolID]!.remove(container!.address)
        case "ports.program.firewall":
            XCTAssertEqual(try client.call("/NetworkDriver.ProgramExternalConnectivity",
                                           #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)","Options":\#(portmap)}"#).status, 200)
        case "ports.revoke.firewall":
            XCTAssertEqual(try client.call("/NetworkDriver.RevokeExternalConnectivity", #"{"EndpointID":"\#(container!.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
            XCTAssertEqual(ourRules().filter { $0.contains("--to-destination") }, [], "no published port left after revoke")
        default:
            break
        }
        usleep(200_000)  // retired veths are deleted in batches 50 ms after a DeleteEndpoint
        let endpoints = [container?.endpointID, prepared["endpoint"]].compactMap { $0 }
        try checkInvariants(point: point, held: held, knownNetworks: [network.id] + extraNetworks, knownEndpoints: endpoints)
    }

    func checkInvariants(point: String, held: [String: Set<String>], knownNetworks: [String], knownEndpoints: [String]) throws {
        let state = try currentState()
        let links = Set(Shell.linkNames())
        // No link without a record, no record without its link.
        for id in knownNetworks {
            let bridge = "swn-" + id.prefix(10)
            XCTAssertEqual(links.contains(bridge), state.networks[id] != nil, "\(point): bridge \(bridge) vs its record")
        }
        for id in knownEndpoints {
            let veth = "swv" + id.prefix(11)
            XCTAssertEqual(links.contains(veth), state.endpoints[id] != nil, "\(point): veth \(veth) vs its record")
        }
        // Every address accounted for, none handed out twice.
        for (pool, addresses) in held {
            XCTAssertEqual(state.allocated[pool], addresses.count, "\(point): pool \(pool) allocations vs addresses held")
            for address in addresses {
                let (status, object) = try client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool)","Address":"\#(address)"}"#)
                XCTAssertEqual(status, 500, "\(point): \(address) is held but could be handed out again: \(object)")
            }
        }
        // Every recorded network works.
        for id in state.networks.keys where knownNetworks.contains(id) {
            guard let gateway = state.gateways[id], let pool = held.first(where: { $0.value.contains(gateway) })?.key else { continue }
            let network = TestNetwork(id: id, poolID: pool, subnet: "", gateway: gateway, bridge: "swn-" + id.prefix(10))
            let probe = try addContainer(to: network)
            XCTAssertTrue(ping(from: probe.namespace, gateway).succeeded, "\(point): network \(id.prefix(12)) does not work")
            try removeContainer(probe, from: network)
        }
        // Leave nothing for the next point.
        for id in state.networks.keys {
            _ = try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(id)"}"#)
        }
    }

    struct ServerState {
        var networks: [String: String] = [:]       // id → bridge
        var gateways: [String: String] = [:]       // id → gateway
        var endpoints: [String: String] = [:]      // id → host veth
        var endpointStates: [String: String] = [:]
        var allocated: [String: Int] = [:]         // pool id → allocations

    }

    func currentState() throws -> ServerState {
        let raw = try server.client()
        defer { raw.close() }
        try raw.sendRaw(Array("GET /state HTTP/1.1\r\nHost: plugin.moby.localhost\r\nContent-Length: 0\r\n\r\n".utf8))
        let response = try raw.readResponse()
        XCTAssertEqual(response.status, 200)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        var state = ServerState()
        for network in object["networks"] as? [[String: Any]] ?? [] {
            let id = network["id"] as! String
            state.networks[id] = network["bridge"] as? String
            state.gateways[id] = ((network["subnets"] as? [[String: Any]])?.first?["gateway"] as? String)
        }
        for endpoint in object["endpoints"] as? [[String: Any]] ?? [] {
            state.endpoints[endpoint["id"] as! String] = endpoint["hostVeth"] as? String
            state.endpointStates[endpoint["id"] as! String] = endpoint["state"] as? String
        }
        for pool in object["pools"] as? [[String: Any]] ?? [] {
            state.allocated[pool["id"] as! String] = (pool["allocated"] as? NSNumber)?.intValue
        }
        return state
    }
}


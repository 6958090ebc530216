import Foundation
import SwiftnetFirewall
@testable import SwiftnetStore
import SwiftnetTestSupport
import XCTest

/// `swiftnet ls`, `inspect`, `pools`, `doctor` and `gc` against a real server with real
/// networks (namespaces play the containers), and against its state file once it has stopped.
extension BridgeDataplaneTests {
    /// Runs the `swiftnet` CLI against this test's server (or, with `offline`, only its state file).
    func swiftnet(_ arguments: [String], offline: Bool = false) -> Shell.Result {
        let socket = offline ? server.folder + "/no-server.sock" : server.socketPath
        return Shell.run(ServerProcess.binary, arguments + ["--socket", socket, "--state", server.statePath], timeout: 60)
    }

    func json(_ result: Shell.Result, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        return try XCTUnwrap(object, "not a JSON object: \(result.both)", file: file, line: line)
    }

    func publish(_ container: TestContainer, on network: TestNetwork, hostPort: Int, containerPort: Int) throws {
        let portmap = #"[{"HostIP":"","HostPort":\#(hostPort),"HostPortEnd":\#(hostPort),"IP":"","Port":\#(containerPort),"Proto":6}]"#
        let program = try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)","Options":{"com.docker.network.endpoint.exposedports":[{"Port":\#(containerPort),"Proto":6}],"com.docker.network.portmap":\#(portmap)}}"#)
        XCTAssertEqual(program.status, 200, "\(program.object)")
    }

    func testListInspectAndPoolsFromTheServerAndFromTheStateFile() throws {
        let network = try createNetwork(generic: #"{"com.docker.network.driver.mtu":"1400"}"#)
        let web = try addContainer(to: network, name: "web")
        let db = try addContainer(to: network)
        let hostPort = Int.random(in: 20000...29999)
        try publish(web, on: network, hostPort: hostPort, containerPort: 80)
        let short = String(network.id.prefix(12))

        let list = swiftnet(["ls"])
        XCTAssertTrue(list.succeeded, list.both)
        let row = list.output.split(separator: "\n").first { $0.hasPrefix(short) }.map(String.init) ?? ""
        for part in [network.bridge, network.subnet, network.gateway, "2/254", "nat", "driver.mtu=1400"] {
            XCTAssertTrue(row.contains(part), "ls row lacks \(part): \(list.output)")
        }
        let listJSON = try json(swiftnet(["ls", "--json"]))
        let networks = listJSON["networks"] as? [[String: Any]] ?? []
        let listed = try XCTUnwrap(networks.first { $0["id"] as? String == network.id }, "\(listJSON)")
        XCTAssertEqual(listed["bridge"] as? String, network.bridge)
        XCTAssertEqual(listed["endpoints"] as? Int, 2)
        XCTAssertEqual(listed["capacity"] as? String, "254")
        XCTAssertEqual(listed["mtu"] as? Int, 1400)
        XCTAssertEqual((listed["subnets"] as? [[String: Any]])?.first?["gateway"] as? String, network.gateway)

        // By id prefix and by bridge name.
        for key in [String(network.id.prefix(6)), network.bridge] {
            let inspect = swiftnet(["inspect", "--text", key])
            XCTAssertTrue(inspect.succeeded, inspect.both)
            for part in [network.id, "MTU:       1400", web.endpointID.prefix(12) + "", db.endpointID.prefix(12) + "", web.cidr, db.cidr,
                         web.mac ?? "?", "swv" + web.endpointID.prefix(11), "web", "\(hostPort)->80/tcp", "3/254 allocated"] {
                XCTAssertTrue(inspect.output.contains(part), "inspect \(key) lacks \(part): \(inspect.output)")
            }
        }
        let inspectJSON = try json(swiftnet(["inspect", short, "--json"]))
        let endpoints = inspectJSON["endpoints"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(endpoints.compactMap { $0["id"] as? String }), [web.endpointID, db.endpointID])
        let webEntry = endpoints.first { $0["id"] as? String == web.endpointID }
        XCTAssertEqual(webEntry?["containerName"] as? String, "web")
        XCTAssertEqual(webEntry?["address"] as? String, web.cidr)
        XCTAssertEqual(webEntry?["mac"] as? String, web.mac)
        XCTAssertEqual(webEntry?["published"] as? [String], ["*:\(hostPort)->80/tcp"])
        XCTAssertEqual((inspectJSON["pools"] as? [[String: Any]])?.first?["allocated"] as? Int, 3)
        let missing = swiftnet(["inspect", "0000000"])
        XCTAssertFalse(missing.succeeded)
        XCTAssertTrue(missing.error.contains("no swiftnet network"), missing.both)

        let pools = swiftnet(["pools"])
        XCTAssertTrue(pools.output.contains(network.subnet), pools.both)
        XCTAssertTrue(pools.output.contains("(\(network.bridge))"), pools.both)
        let poolsJSON = try json(swiftnet(["pools", "--json"]))
        let pool = (poolsJSON["pools"] as? [[String: Any]])?.first { $0["prefix"] as? String == network.subnet }
        XCTAssertEqual(pool?["allocated"] as? Int, 3)
        XCTAssertEqual(pool?["network"] as? String, network.id)

        // The server stopped: the same answers from the state file.
        let onlineNetworks = swiftnet(["ls", "--json"]).output
        let onlinePools = swiftnet(["pools", "--json"]).output
        let onlineInspect = swiftnet(["inspect", short, "--json"]).output
        let onlineInspectArray = swiftnet(["inspect", short]).output
        server.terminate()
        XCTAssertEqual(swiftnet(["ls", "--json"], offline: true).output, onlineNetworks)
        XCTAssertEqual(swiftnet(["pools", "--json"], offline: true).output, onlinePools)
        XCTAssertEqual(swiftnet(["inspect", short, "--json"], offline: true).output, onlineInspect)
        XCTAssertEqual(swiftnet(["inspect", short], offline: true).output, onlineInspectArray)
        let offlineList = swiftnet(["ls"], offline: true)
        XCTAssertTrue(offlineList.output.contains(short), offlineList.both)
        let nothing = Shell.run(ServerProcess.binary, ["ls", "--socket", server.folder + "/none.sock", "--state", server.folder + "/none.db"])
        XCTAssertFalse(nothing.succeeded)
        XCTAssertTrue(nothing.error.contains("no swiftnet server answers"), nothing.both)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.folder + "/none.db"), "ls must not create a state file")
    }

    /// The four kinds of drift the issue names — a deleted bridge, a foreign address on a
    /// bridge, a missing rule, an orphan veth — found, explained, and repaired by --fix. A
    /// missing rule is found by the doctor of a stopped server: a running one restores its
    /// chains itself within one guard round (5 s), as checked here too.
    func testDoctorFindsAndFixesDrift() throws {
        let broken = try createNetwork(generic: #"{"com.docker.network.driver.mtu":"1400"}"#)
        let a1 = try addContainer(to: broken)
        let a2 = try addContainer(to: broken)
        let other = try createNetwork()
        let web = try addContainer(to: other)
        let b2 = try addContainer(to: other)
        let hostPort = Int.random(in: 20000...29999)
        try publish(web, on: other, hostPort: hostPort, containerPort: 8080)

        let healthy = swiftnet(["doctor"])
        XCTAssertEqual(healthy.status, 0, healthy.both)
        XCTAssertTrue(healthy.output.hasPrefix("ok: state and kernel agree (2 networks, 4 endpoints"), healthy.both)

        // 1. A deleted bridge (its containers' veths fall off it); one of them also loses its MTU.
        XCTAssertTrue(Shell.ip("link", "del", broken.bridge).succeeded)
        let a1Veth = "swv" + a1.endpointID.prefix(11)
        XCTAssertTrue(Shell.ip("link", "set", a1Veth, "mtu", "1500").succeeded)
        // 2. A foreign address on the other bridge.
        let foreign = other.subnet.replacingOccurrences(of: ".0/24", with: ".200/24")
        XCTAssertTrue(Shell.ip("addr", "add", foreign, "dev", other.bridge).succeeded)
        // 3. (The published port's DNAT rule: below, with the server stopped.)
        let dnat = try XCTUnwrap(Shell.run("/usr/sbin/iptables-save", ["-t", "nat"]).output.split(separator: "\n")
            .first { $0.hasPrefix("-A \(chainPrefix)-DNAT") && $0.contains("--dport \(hostPort)") }.map(String.init))
        func deleteDNAT() {
            let delete = Shell.run("/usr/sbin/iptables", ["-w", "-t", "nat", "-D"] + dnat.split(separator: " ").dropFirst().map(String.init))
            XCTAssertTrue(delete.succeeded, delete.both)
        }
        // 4. An orphan veth on the other bridge, named as swiftnet names them.
        let orphan = "swv" + Shell.randomHex(11)
        links.append(orphan)
        XCTAssertTrue(Shell.ip("link", "add", orphan, "type", "veth", "peer", "name", "swc" + orphan.dropFirst(3)).succeeded)
        XCTAssertTrue(Shell.ip("link", "set", orphan, "master", other.bridge).succeeded)

        let sick = swiftnet(["doctor"])
        XCTAssertEqual(sick.status, 1, sick.both)
        for expected in ["[bridge-missing] bridge \(broken.bridge)", "[foreign-address] address \(foreign) on bridge \(other.bridge)",
                         "[orphan-veth] \(orphan) is attached to \(other.bridge)", "repair: swiftnet doctor --fix",
                         "ip addr del \(foreign) dev \(other.bridge)"] {
            XCTAssertTrue(sick.output.contains(expected), "doctor lacks '\(expected)':\n\(sick.output)")
        }
        let report = try json(swiftnet(["doctor", "--json"]))
        XCTAssertEqual(report["healthy"] as? Bool, false)
        let kinds = Set((report["findings"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
        XCTAssertTrue(kinds.isSuperset(of: ["bridge-missing", "foreign-address", "orphan-veth"]), "\(kinds)")
        // The veths of the deleted bridge's containers are detached: said too, and the MTU.
        XCTAssertTrue(kinds.isSuperset(of: ["veth-detached", "veth-mtu"]), "\(kinds)")

        let fixed = swiftnet(["doctor", "--fix"])
        XCTAssertEqual(fixed.status, 0, fixed.both + "\n" + server.log)
        XCTAssertTrue(fixed.output.contains("repaired: recreated bridge \(broken.bridge)"), fixed.output)
        XCTAssertTrue(fixed.output.contains("repaired: removed foreign address \(foreign) from \(other.bridge)"), fixed.output)
        XCTAssertTrue(fixed.output.contains("repaired: deleted \(orphan), which no record owns"), fixed.output)
        let verdict = fixed.output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(verdict.hasPrefix("ok: state and kernel agree (2 networks, 4 endpoints, "), fixed.output)
        XCTAssertEqual(swiftnet(["doctor"]).status, 0)

        // And it works again: the recreated bridge carries its containers' traffic, the
        // foreign address and the orphan are gone, the published port answers.
        XCTAssertTrue(ping(from: a1.namespace, a2.address).succeeded, "containers of the recreated bridge")
        XCTAssertTrue(ping(from: a1.namespace, broken.gateway).succeeded, "gateway of the recreated bridge")
        XCTAssertTrue(ping(from: b2.namespace, web.address).succeeded)
        XCTAssertFalse(Shell.ip("-o", "addr", "show", "dev", other.bridge).output.contains(foreign))
        XCTAssertFalse(Shell.linkNames().contains(orphan))
        XCTAssertTrue(Shell.ip("-o", "link", "show", a1Veth).output.contains("mtu 1400 "), "veth MTU set back")
        XCTAssertTrue(Shell.ip("-o", "link", "show", broken.bridge).output.contains("mtu 1400 "), "bridge recreated with its MTU")
        XCTAssertTrue(Shell.run("/usr/sbin/iptables-save", ["-t", "nat"]).output.contains(dnat))

        // The running server's guard puts back a rule someone deleted, within a round or two.
        let said = "swiftnet's iptables chains were changed by something else; restored them"
        let saidBefore = server.log.components(separatedBy: said).count
        deleteDNAT()
        let restored = {
            Shell.run("/usr/sbin/iptables-save", ["-t", "nat"]).output.contains(dnat)
                && self.server.log.components(separatedBy: said).count > saidBefore
        }
        let deadline = Date().addingTimeInterval(15)
        while !restored() && Date() < deadline { usleep(100_000) }
        XCTAssertTrue(restored(), "the deleted DNAT rule was not restored (and said so) within 15 s:\n\(server.log)")

        // With the server stopped, the same from the state file (and the chains it recorded).
        server.terminate()
        XCTAssertTrue(Shell.ip("link", "del", broken.bridge).succeeded)
        deleteDNAT()
        let offline = swiftnet(["doctor", "--json"], offline: true)
        XCTAssertEqual(offline.status, 1, offline.both)
        let offlineKinds = Set((try json(offline)["findings"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
        XCTAssertEqual(offlineKinds, ["bridge-missing", "veth-detached", "rule-missing"], offline.output)
        let offlineText = swiftnet(["doctor"], offline: true).output
        for expected in ["[rule-missing]", "--dport \(hostPort)", "a published port does not reach its container"] {
            XCTAssertTrue(offlineText.contains(expected), "doctor lacks '\(expected)':\n\(offlineText)")
        }
        let offlineFix = swiftnet(["doctor", "--fix"], offline: true)
        XCTAssertEqual(offlineFix.status, 0, offlineFix.both)
        XCTAssertTrue(offlineFix.output.contains("repaired: re-applied the firewall"), offlineFix.output)
        XCTAssertTrue(Shell.run("/usr/sbin/iptables-save", ["-t", "nat"]).output.contains(dnat))
        XCTAssertTrue(ping(from: a1.namespace, a2.address).succeeded, "repaired without a server")
    }

    func testGCFreesTheStaleEndpointAndNothingElse() throws {
        let network = try createNetwork()
        let a = try addContainer(to: network)
        let gone = try addContainer(to: network)
        let c = try addContainer(to: network)
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n")

        // The container's namespace goes without dockerd telling swiftnet (a crashed dockerd).
        XCTAssertTrue(Shell.ip("netns", "del", gone.namespace).succeeded)
        namespaces.removeAll { $0 == gone.namespace }
        let vethGone = { !Shell.linkNames().contains("swv" + gone.endpointID.prefix(11)) }
        for _ in 0..<100 where !vethGone() { usleep(20_000) }
        XCTAssertTrue(vethGone())

        let doctor = swiftnet(["doctor"])
        XCTAssertEqual(doctor.status, 1)
        XCTAssertTrue(doctor.output.contains("[endpoint-stale] endpoint \(gone.endpointID.prefix(12)) has lost its veth"), doctor.output)

        let dry = try json(swiftnet(["gc", "--dry-run", "--json"]))
        XCTAssertEqual(dry["dryRun"] as? Bool, true)
        XCTAssertEqual((dry["freed"] as? [[String: Any]])?.compactMap { $0["endpoint"] as? String }, [gone.endpointID])
        XCTAssertEqual((try json(swiftnet(["inspect", network.bridge, "--json"]))["endpoints"] as? [Any])?.count, 3,
                       "--dry-run changes nothing")

        let freed = swiftnet(["gc"])
        XCTAssertTrue(freed.succeeded, freed.both)
        XCTAssertEqual(freed.output, "freed endpoint \(gone.endpointID.prefix(12)) of network \(network.id.prefix(12)) "
                       + "(swv\(gone.endpointID.prefix(11))): its veth swv\(gone.endpointID.prefix(11)) is gone; address \(gone.address)\n")
        let after = try json(swiftnet(["inspect", network.bridge, "--json"]))
        XCTAssertEqual(Set((after["endpoints"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }), [a.endpointID, c.endpointID])
        XCTAssertEqual((after["pools"] as? [[String: Any]])?.first?["allocated"] as? Int, 3, "gateway + the two live containers")
        // The address is free again, the others are still held.
        XCTAssertEqual(try client.requestAddress(pool: network.poolID, address: gone.address), gone.cidr)
        let held = try client.call("/IpamDriver.RequestAddress", #"{"Address":"\#(a.address)","PoolID":"\#(network.poolID)"}"#)
        XCTAssertNotEqual(held.status, 200, "\(held.object)")
        XCTAssertTrue(ping(from: a.namespace, c.address).succeeded, "the live containers still talk")
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n")
        XCTAssertEqual(swiftnet(["doctor"]).status, 0, swiftnet(["doctor"]).output)
        let metrics = PrometheusSamples.parse(try client.get("/metrics").text)
        XCTAssertEqual(metrics[#"swiftnet_reconcile_repairs_total{source="gc"}"#], 1, "one endpoint freed by gc")

        // An address handed out whose answer dockerd never got (swiftnet died before it):
        // allocated, held by no endpoint. A requested one (--aux-address) is never freed.
        let leaked = String(try client.requestAddress(pool: network.poolID).split(separator: "/")[0])
        let aux = network.subnet.replacingOccurrences(of: ".0/24", with: ".250")
        _ = try client.requestAddress(pool: network.poolID, address: aux)
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n", "younger than the 60 s grace: dockerd may be about to use it")
        usleep(1_100_000)
        let dryLeak = try json(swiftnet(["gc", "--minimum-age", "0", "--dry-run", "--json"]))
        XCTAssertEqual((dryLeak["addresses"] as? [[String: Any]])?.compactMap { $0["address"] as? String }, [leaked], "\(dryLeak)")
        XCTAssertEqual((dryLeak["freed"] as? [Any])?.count, 0)
        let freedLeak = swiftnet(["gc", "--minimum-age", "0"])
        XCTAssertEqual(freedLeak.output, "freed address \(leaked) in pool \(network.poolID) of network \(network.id.prefix(12)): "
                       + "handed out 0 s ago or more, held by no endpoint\n", freedLeak.both)
        XCTAssertEqual(try client.requestAddress(pool: network.poolID, address: leaked), leaked + "/24", "free again")
        XCTAssertNotEqual(try client.call("/IpamDriver.RequestAddress", #"{"Address":"\#(aux)","PoolID":"\#(network.poolID)"}"#).status, 200,
                          "the requested address stays allocated")
        try client.releaseAddress(pool: network.poolID, address: leaked)
    }
}

extension BridgeDataplaneTests {
    /// dockerd stops a container while swiftnet is down for longer than it retries: it moves
    /// the container's interface back into the host's namespace (under its first name) and
    /// gives up on Leave, DeleteEndpoint and ReleaseAddress. Within a minute of the Join that is
    /// also what a Join whose answer a crash lost looks like (dockerd retries it), so nothing
    /// is taken then; later the doctor reports it and the next start (or `gc`) frees it with its
    /// address and published port.
    func testAJoinedEndpointWhoseInterfaceIsBackInTheHostIsFreedWithItsPort() throws {
        let network = try createNetwork()
        let live = try addContainer(to: network)
        let stopped = try addContainer(to: network)
        let hostPort = Int.random(in: 20000...29999)
        try publish(stopped, on: network, hostPort: hostPort, containerPort: 80)
        let containerEnd = "swc" + stopped.endpointID.prefix(11)
        for step in [
            Shell.inNamespace(stopped.namespace, ["/usr/sbin/ip", "link", "set", "eth0", "down"]),
            Shell.inNamespace(stopped.namespace, ["/usr/sbin/ip", "link", "set", "eth0", "name", containerEnd]),
            Shell.inNamespace(stopped.namespace, ["/usr/sbin/ip", "link", "set", containerEnd, "netns", "1"]),
        ] {
            XCTAssertTrue(step.succeeded, step.both)
        }
        Shell.ip("netns", "del", stopped.namespace)
        namespaces.removeAll { $0 == stopped.namespace }
        XCTAssertTrue(Shell.linkNames().contains(containerEnd))
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n", "joined moments ago: dockerd may be about to move it")
        XCTAssertEqual(swiftnet(["doctor"]).status, 0, swiftnet(["doctor"]).output)

        // The server down, and the Join two minutes back.
        XCTAssertEqual(server.terminate(), 0)
        do {  // closed at the end of the block: the state allows one opener at a time
            let store = try StateStore(path: server.statePath)
            try store.queue.write { try $0.execute(sql: "UPDATE endpoint SET joined_at = joined_at - 120") }
        }
        let doctor = swiftnet(["doctor"], offline: true)
        XCTAssertEqual(doctor.status, 1, doctor.both)
        XCTAssertTrue(doctor.output.contains("[endpoint-stale] endpoint \(stopped.endpointID.prefix(12)) was joined, but its container's interface "
                                             + "\(containerEnd) is back in the host's namespace"), doctor.output)
        try server.start()
        client = try server.client()
        XCTAssertTrue(server.log.contains("freed endpoint \(stopped.endpointID.prefix(12)) (\(stopped.cidr)): its container's interface "
                                          + "\(containerEnd) is back in the host's namespace"), server.log.suffix(3000).description)
        XCTAssertFalse(Shell.linkNames().contains(containerEnd), "the veth pair is deleted")
        XCTAssertFalse(Shell.run("/usr/sbin/iptables-save", ["-t", "nat"]).output.contains("--dport \(hostPort) "), "its published port is gone")
        XCTAssertEqual(try client.requestAddress(pool: network.poolID, address: stopped.address), stopped.cidr, "its address is free again")
        XCTAssertTrue(ping(from: live.namespace, network.gateway).succeeded)

        // Just joined, its interface not moved yet: left alone.
        let joining = Shell.randomHex(64)
        let cidr = try client.requestAddress(pool: network.poolID)
        XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(joining)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(joining)","NetworkID":"\#(network.id)","Options":{},"SandboxKey":"/var/run/docker/netns/test"}"#).status, 200)
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n")
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(joining)","NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(joining)","NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertEqual(swiftnet(["doctor"]).status, 0, swiftnet(["doctor"]).output)
    }

    /// dockerd gives up on an endpoint whose Join swiftnet never answered (down from just after
    /// CreateEndpoint), or whose DeleteEndpoint it never answered (down from just after Leave):
    /// a minute after that creation or Leave, with its container's interface in the host's
    /// namespace, the endpoint is stale; before, it is left alone (dockerd may be retrying).
    func testAnEndpointLeftOrNeverJoinedIsFreedAMinuteLater() throws {
        let network = try createNetwork()
        func create() throws -> (id: String, cidr: String) {
            let id = Shell.randomHex(64)
            let cidr = try client.requestAddress(pool: network.poolID)
            XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint",
                #"{"EndpointID":"\#(id)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#).status, 200)
            return (id, cidr)
        }
        let neverJoined = try create()
        let left = try create()
        XCTAssertEqual(try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(left.id)","NetworkID":"\#(network.id)","Options":{},"SandboxKey":"/var/run/docker/netns/test"}"#).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(left.id)","NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n", "moments ago: dockerd may be about to Join or DeleteEndpoint")
        XCTAssertEqual(swiftnet(["doctor"]).status, 0, swiftnet(["doctor"]).output)

        // The server down, the creation and the Leave two minutes back.
        XCTAssertEqual(server.terminate(), 0)
        do {
            let store = try StateStore(path: server.statePath)
            try store.queue.write {
                try $0.execute(sql: "UPDATE endpoint SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '-120 seconds'), joined_at = joined_at - 120")
            }
        }
        let doctor = swiftnet(["doctor"], offline: true)
        XCTAssertEqual(doctor.status, 1, doctor.both)
        for endpoint in [neverJoined, left] {
            XCTAssertTrue(doctor.output.contains("[endpoint-stale] endpoint \(endpoint.id.prefix(12)) was left or never joined over a minute ago"),
                          doctor.output)
        }
        try server.start()
        client = try server.client()
        for endpoint in [neverJoined, left] {
            XCTAssertTrue(server.log.contains("freed endpoint \(endpoint.id.prefix(12)) (\(endpoint.cidr)): it was left or never joined over a minute ago"),
                          server.log.suffix(3000).description)
            XCTAssertFalse(Shell.linkNames().contains("swv" + endpoint.id.prefix(11)), "the veth pair is deleted")
            XCTAssertEqual(try client.requestAddress(pool: network.poolID, address: String(endpoint.cidr.split(separator: "/")[0])),
                           endpoint.cidr, "its address is free again")
        }
        // A new one is left alone (and its veth pair deleted with the test's links after).
        let fresh = try create()
        links.append("swv" + fresh.id.prefix(11))
        XCTAssertEqual(swiftnet(["gc"]).output, "nothing to free\n")
    }

    /// The habits of Docker's CLI: `inspect` prints an indented JSON array (one object per
    /// network named), `--format` takes a Go-template subset on ls/inspect/pools and refuses
    /// the rest before asking the server, `ls -q` prints ids, and every failure starts with
    /// `swiftnet: error:`.
    func testInspectPrintsAnArrayAndFormatTemplatesAndQuietPrintWhatTheySay() throws {
        let first = try createNetwork(generic: #"{"com.docker.network.driver.mtu":"1400"}"#)
        let second = try createNetwork()
        let web = try addContainer(to: first, name: "web")
        let short = String(first.id.prefix(12))

        // inspect: JSON by default, an array as docker network inspect prints it.
        let inspect = swiftnet(["inspect", short, second.bridge])
        XCTAssertEqual(inspect.status, 0, inspect.both)
        XCTAssertTrue(inspect.output.hasPrefix("[\n    {\n        \"formatVersion\": 1,\n"), inspect.output)
        let array = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [[String: Any]], inspect.output)
        XCTAssertEqual(array.compactMap { ($0["network"] as? [String: Any])?["id"] as? String }, [first.id, second.id])
        // Each element is what --json prints for that network on one line (the earlier format).
        let compact = swiftnet(["inspect", short, "--json"])
        XCTAssertEqual(compact.output.split(separator: "\n").count, 1, compact.output)
        XCTAssertEqual(NSDictionary(dictionary: array[0]), NSDictionary(dictionary: try json(compact)))
        XCTAssertEqual(((array[0]["endpoints"] as? [[String: Any]])?.first)?["id"] as? String, web.endpointID)
        XCTAssertTrue(swiftnet(["inspect", "--text", short]).output.contains("MTU:       1400"))
        XCTAssertEqual(swiftnet(["inspect", "--format", "table", short]).output, swiftnet(["inspect", "--text", short]).output)
        XCTAssertEqual(swiftnet(["inspect", short, second.bridge, "--format", "{{.Bridge}} {{.MTU}} {{.Endpoints}}"]).output,
                       "\(first.bridge) 1400 1\n\(second.bridge)  0\n")
        let inspectJSONLine = swiftnet(["inspect", short, "--format", "{{json .}}"])
        XCTAssertEqual(NSDictionary(dictionary: try json(inspectJSONLine)), NSDictionary(dictionary: array[0]), "{{json .}} of inspect: its object")
        // A network not found: the others printed, the error said, status 1 (as docker does).
        let partly = swiftnet(["inspect", short, "0000000"])
        XCTAssertEqual(partly.status, 1, partly.both)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(partly.output.utf8)) as? [Any])?.count, 1, partly.output)
        XCTAssertTrue(partly.error.hasPrefix("swiftnet: error: no swiftnet network has an id starting with or a bridge named '0000000'"),
                      partly.error)

        // ls: -q ids, --format fields, json lines, table.
        let quiet = swiftnet(["ls", "-q"])
        XCTAssertEqual(quiet.status, 0, quiet.both)
        XCTAssertEqual(Set(quiet.output.split(separator: "\n").map(String.init)), [short, String(second.id.prefix(12))])
        XCTAssertEqual(Set(swiftnet(["ls", "-q", "--no-trunc"]).output.split(separator: "\n").map(String.init)), [first.id, second.id])
        let lines = Set(swiftnet(["ls", "--format", "{{.ID}} {{.Bridge}} {{.Subnets}} {{.Gateways}} {{.Mode}} {{json .Subnets}}"])
            .output.split(separator: "\n").map(String.init))
        XCTAssertTrue(lines.contains("\(first.id) \(first.bridge) \(first.subnet) \(first.gateway) nat [\"\(first.subnet)\"]"), "\(lines)")
        let jsonLines = swiftnet(["ls", "--format", "json"]).output.split(separator: "\n")
        XCTAssertEqual(jsonLines.count, 2)
        let ids = try jsonLines.map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["id"] as? String }
        XCTAssertEqual(Set(ids.compactMap { $0 }), [first.id, second.id])
        let table = swiftnet(["ls", "--format", "table {{.ShortID}}\\t{{.Bridge}}"]).output.split(separator: "\n")
        XCTAssertEqual(table.first.map(String.init), "SHORT ID      BRIDGE", "\(table)")
        XCTAssertTrue(table.contains { $0 == "\(short)  \(first.bridge)" }, "\(table)")

        // pools.
        let pools = swiftnet(["pools", "--format", "{{.Prefix}} {{.Allocated}} {{.Network}}"]).output
        XCTAssertTrue(pools.split(separator: "\n").contains { $0 == "\(first.subnet) 2 \(first.id)" }, pools)

        // Refused before the server is asked: unknown fields, other template actions, combinations.
        for (arguments, message) in [
            (["ls", "--format", "{{.Name}}"], "swiftnet: error: --format: ls has no field .Name (dockerd does not tell a plugin"),
            (["pools", "--format", "{{.Bridge}}"], "swiftnet: error: --format: pools has no field .Bridge; its fields: .ID .AddressSpace"),
            (["inspect", short, "--format", "{{range .Subnets}}{{end}}"], "swiftnet: error: --format: {{range .Subnets}} is not supported"),
            (["ls", "-q", "--format", "{{.ID}}"], "swiftnet: error: -q prints ids only"),
            (["ls", "--json", "--format", "json"], "swiftnet: error: --json and --format: give one"),
            (["inspect", short, "--text", "--json"], "swiftnet: error: --text takes neither"),
        ] {
            let refused = swiftnet(arguments)
            XCTAssertEqual(refused.status, 64, "\(arguments): \(refused.both)")
            XCTAssertTrue(refused.error.hasPrefix(message), "\(arguments): \(refused.error)")
            XCTAssertEqual(refused.output, "", "\(arguments)")
        }
    }

    /// One prefix for every failure, and the exit statuses `--help` documents.
    func testEveryFailureStartsWithOnePrefix() throws {
        let none = ["--socket", server.folder + "/none.sock", "--state", server.folder + "/none.db"]
        for (arguments, status, message) in [
            (["ls"] + none, 1, "swiftnet: error: no swiftnet server answers on"),
            (["inspect", "x"] + none, 1, "swiftnet: error: no swiftnet server answers on"),
            (["doctor"] + none, 2, "swiftnet: error: doctor could not check: no swiftnet server answers on"),
            (["gc"] + none, 1, "swiftnet: error: no swiftnet server answers on"),
            (["ls", "--bogus"], 64, "swiftnet: error: Unknown option '--bogus'"),
            (["inspect"], 64, "swiftnet: error: Missing expected argument"),
            (["serve", "--threads", "0"], 64, "swiftnet: error: --threads must be 1 to 64"),
            (["frobnicate"], 64, "swiftnet: error: Unexpected argument 'frobnicate'"),
        ] {
            let result = Shell.run(ServerProcess.binary, arguments, timeout: 60)
            XCTAssertEqual(result.status, Int32(status), "\(arguments): \(result.both)")
            XCTAssertTrue(result.error.hasPrefix(message), "\(arguments): \(result.error)")
        }
        let help = Shell.run(ServerProcess.binary, ["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.contains("starting with `swiftnet: error: `"), help.output)
    }
}

extension BridgeDataplaneTests {
    /// A network's bridge name taken, while swiftnet was away, by a link it did not make (the
    /// host's own, say): start-up and `doctor --fix` leave that link alone, `doctor` says so,
    /// and once the name is free `--fix` builds the bridge again.
    func testABridgeNameTakenByAnotherLinkIsLeftAlone() throws {
        let network = try createNetwork()
        _ = try createNetwork()  // a healthy one: its rules include those matching every swn- name
        server.terminate()
        let deleted = Shell.ip("link", "del", network.bridge)
        XCTAssertTrue(deleted.succeeded, deleted.both)
        // The host's own bridge of that name (group 0: not made by this swiftnet).
        let added = Shell.ip("link", "add", network.bridge, "type", "bridge")
        XCTAssertTrue(added.succeeded, added.both)
        let foreign = network.subnet.replacingOccurrences(of: ".0/24", with: ".77/24")
        XCTAssertTrue(Shell.ip("addr", "add", foreign, "dev", network.bridge).succeeded)
        try server.start()
        client = try server.client()

        let shown = Shell.ip("-o", "addr", "show", "dev", network.bridge).output
        XCTAssertTrue(shown.contains("inet \(foreign)"), "the other link keeps its address: \(shown)")
        XCTAssertFalse(shown.contains("inet \(network.gateway)/"), "and gets no gateway: \(shown)")
        XCTAssertTrue(server.log.contains("could not repair network \(network.id.prefix(12))"), server.log)
        // Rules name interfaces: none may decide the other link's traffic (an ACCEPT for
        // "-i NAME ! -o NAME" first in FORWARD would forward its traffic past the host's policy).
        func rulesNamingTheBridge() -> [String] {
            ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"].flatMap { tool in
                Shell.run(tool, []).output.split(separator: "\n").map(String.init)
                    .filter { $0.hasPrefix("-A ") && $0.contains(" \(network.bridge) ") || $0.hasSuffix(" \(network.bridge)") }
            }
        }
        XCTAssertEqual(rulesNamingTheBridge(), [])
        // The rules matching every swn- name at once only keep such links apart from
        // swiftnet's bridges (or jump to a branch, which holds no rule for this name).
        let wildcards = ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"].flatMap { tool in
            Shell.run(tool, []).output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") && $0.contains(" swn-") && $0.contains("+ ") }
        }
        XCTAssertFalse(wildcards.isEmpty)
        for rule in wildcards {
            XCTAssertTrue(rule.hasSuffix(" -j DROP") || rule.range(of: #"-j [A-Za-z0-9_-]+-(FORWARD|DNATED)-[0-9a-f]$"#, options: .regularExpression) != nil,
                          rule)
        }
        let doctor = swiftnet(["doctor"])
        XCTAssertEqual(doctor.status, 1)
        XCTAssertTrue(doctor.output.contains("[bridge-taken] \(network.bridge) exists but is a bridge swiftnet did not make"), doctor.output)
        XCTAssertFalse(doctor.output.contains("[rule-missing]"), "no rule is expected for a taken name: \(doctor.output)")
        XCTAssertEqual(swiftnet(["doctor", "--fix"]).status, 1, "not fixable while the name is taken")
        XCTAssertTrue(Shell.ip("-o", "addr", "show", "dev", network.bridge).output.contains("inet \(foreign)"))
        // No container is put on the other link meanwhile.
        let cidr = try client.requestAddress(pool: network.poolID)
        let endpointID = Shell.randomHex(64)
        let refused = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(endpointID)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#)
        XCTAssertEqual(refused.status, 500, "\(refused.object)")
        XCTAssertTrue("\(refused.object)".contains("swiftnet did not make"), "\(refused.object)")
        XCTAssertFalse(Shell.linkNames().contains("swv" + endpointID.prefix(11)))
        try client.releaseAddress(pool: network.poolID, address: String(cidr.split(separator: "/")[0]))

        XCTAssertTrue(Shell.ip("link", "del", network.bridge).succeeded)
        let fixed = swiftnet(["doctor", "--fix"])
        XCTAssertEqual(fixed.status, 0, fixed.both)
        XCTAssertTrue(Shell.ip("-o", "addr", "show", "dev", network.bridge).output.contains("inet \(network.gateway)/24"))
        XCTAssertFalse(rulesNamingTheBridge().isEmpty, "its rules are back once the bridge is swiftnet's again")
    }
}

extension BridgeDataplaneTests {
    /// A server restarted on its state with another `--chain-prefix` removes the chains of the
    /// prefix it last used: left, they went on sending published ports to addresses that later
    /// belong to other containers, and nothing rendered them again.
    func testAnotherChainPrefixOnRestartRemovesTheOldChains() throws {
        let network = try createNetwork()
        let web = try addContainer(to: network)
        let hostPort = Int.random(in: 30_000...39_000)
        XCTAssertEqual(try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(web.endpointID)","NetworkID":"\#(network.id)","Options":{"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":\#(hostPort),"HostPortEnd":\#(hostPort)}]}}"#).status, 200)
        XCTAssertTrue(ourRules().contains { $0.contains("--dport \(hostPort)") }, "\(ourRules())")
        let newPrefix = chainPrefix + "X"
        defer { try? Firewall(prefix: newPrefix).remove() }
        XCTAssertEqual(server.terminate(), 0)
        server.extraArguments = ["--chain-prefix", newPrefix]
        try server.start()
        client = try server.client()
        let saved = Shell.run("/usr/sbin/iptables-save", []).output + Shell.run("/usr/sbin/ip6tables-save", []).output
        let lines = saved.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.contains("\(chainPrefix)-") }, [], "the old prefix's chains and jumps are gone")
        XCTAssertTrue(lines.contains { $0.hasPrefix("-A \(newPrefix)-DNAT") }, "the new prefix's rules publish the port")
        XCTAssertTrue(server.log.contains("removed the chains of the chain prefix this state's server last used"), server.log.suffix(2000).description)
    }

    /// An overlap refusal says who holds the pool: a swiftnet network, or none (a `docker
    /// network create` whose rollback was lost while swiftnet was down), and what frees it.
    func testAnOverlapRefusalNamesTheHolder() throws {
        let network = try createNetwork()
        let taken = try client.call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"\#(network.subnet)","V6":false}"#)
        XCTAssertNotEqual(taken.status, 200)
        XCTAssertTrue("\(taken.object["Err"] ?? "")".contains("the subnet of swiftnet network \(network.id.prefix(12))"), "\(taken.object)")
        let base = subnetBase()
        let lone = try client.requestPool("\(base).0/24")
        let again = try client.call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"\#(base).0/24","V6":false}"#)
        XCTAssertTrue("\(again.object["Err"] ?? "")".contains("no swiftnet network uses it; if no Docker network does either, swiftnet gc --docker releases it"),
                      "\(again.object)")
        XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(lone.id)"}"#).status, 200)
    }
}

extension BridgeDataplaneTests {
    /// A second server, or a tool on another state file, refused because this server holds the
    /// plugin socket or the chain prefix, changes nothing. Until December 2026 a second `serve`
    /// on a taken socket first restored the prefix's chains from its own empty state, wiping
    /// every rule of the running server (loopback and isolation drops, masquerade, published
    /// ports) until that server's next change, and left the state files it had created; a
    /// second server on another socket ran beside the first, each restoring the chains to its
    /// own state.
    func testASecondServerOrToolOnThePrefixChangesNothing() throws {
        let network = try createNetwork()
        let web = try addContainer(to: network)
        let hostPort = Int.random(in: 30_000...39_000)
        try publish(web, on: network, hostPort: hostPort, containerPort: 80)
        func rules() -> [String] {
            (Shell.run("/usr/sbin/iptables-save", []).output + Shell.run("/usr/sbin/ip6tables-save", []).output)
                .split(separator: "\n").map(String.init).filter { $0.contains("\(chainPrefix)-") }
        }
        let before = rules()
        XCTAssertTrue(before.contains { $0.contains("--dport \(hostPort)") }, "\(before)")
        let pid = try XCTUnwrap(server.process).processIdentifier
        let other = server.folder + "/other"
        let otherPrefix = "SWQ" + Shell.randomHex(6).uppercased()
        defer { try? Firewall(prefix: otherPrefix).remove() }
        func serve(socket: String, prefix: String) -> Shell.Result {
            Shell.run(ServerProcess.binary, ["serve", "--socket", socket, "--state", other + "/state/swiftnet.db", "--chain-prefix", prefix],
                      timeout: 20)
        }

        let onTheSocket = serve(socket: server.socketPath, prefix: chainPrefix)
        XCTAssertNotEqual(onTheSocket.status, 0)
        XCTAssertTrue(onTheSocket.error.contains("another process is already listening on unix socket"), onTheSocket.both)
        XCTAssertEqual(rules(), before, "a server refused for the socket changed the running server's rules")
        XCTAssertFalse(FileManager.default.fileExists(atPath: other), "the refused server left \(other)")

        let onThePrefix = serve(socket: other + ".sock", prefix: chainPrefix)
        XCTAssertNotEqual(onThePrefix.status, 0)
        XCTAssertTrue(onThePrefix.error.contains("another swiftnet (pid \(pid)) owns the iptables chains \(chainPrefix)-… in this network namespace"),
                      onThePrefix.both)
        XCTAssertTrue(onThePrefix.error.contains("--chain-prefix"), onThePrefix.both)
        XCTAssertEqual(rules(), before, "a server refused for the chain prefix changed the running server's rules")
        XCTAssertFalse(FileManager.default.fileExists(atPath: other), "the refused server left \(other)")

        // A state of another server (its own prefix, stopped), repaired while this server runs:
        // with this server's prefix, refused; read-only questions still answered.
        let second = ServerProcess()
        defer { second.cleanUp() }
        second.extraArguments = ["--chain-prefix", otherPrefix]
        try second.start()
        XCTAssertEqual(second.terminate(), 0)
        func tool(_ arguments: [String]) -> Shell.Result {
            Shell.run(ServerProcess.binary, arguments + ["--socket", second.folder + "/none.sock", "--state", second.statePath,
                                                         "--chain-prefix", chainPrefix], timeout: 60)
        }
        // (Refused first because the state's server ran with another prefix: a second set of
        // chains nothing would remove.)
        let fix = tool(["doctor", "--fix"])
        XCTAssertEqual(fix.status, 2, fix.both)
        XCTAssertTrue(fix.error.contains("last ran with --chain-prefix \(otherPrefix); --chain-prefix \(chainPrefix) would install a second set"),
                      fix.both)
        let gc = tool(["gc"])
        XCTAssertNotEqual(gc.status, 0, gc.both)
        XCTAssertTrue(gc.error.contains("would install a second set of iptables chains (\(chainPrefix)-*) that nothing removes"), gc.both)
        XCTAssertEqual(tool(["gc", "--dry-run"]).status, 0)
        XCTAssertEqual(tool(["ls"]).status, 0)
        let remove = Shell.run(ServerProcess.binary, ["remove-firewall", "--chain-prefix", chainPrefix], timeout: 60)
        XCTAssertNotEqual(remove.status, 0, remove.both)
        XCTAssertTrue(remove.error.contains("another swiftnet (pid \(pid)) owns the iptables chains \(chainPrefix)-…"), remove.both)
        XCTAssertEqual(rules(), before, "a refused tool changed the running server's rules")
        // The prefix names a file now: the tools take only what names chains.
        let traversal = Shell.run(ServerProcess.binary, ["doctor", "--fix", "--state", second.statePath, "--chain-prefix", "../../x"], timeout: 60)
        XCTAssertEqual(traversal.status, 64, traversal.both)
        XCTAssertTrue(traversal.error.contains("--chain-prefix: chain prefix '../../x' is not"), traversal.both)

        // The server still owns its chains: it restores them when someone else empties one.
        let said = "swiftnet's iptables chains were changed by something else; restored them"
        let saidBefore = server.log.components(separatedBy: said).count
        XCTAssertTrue(Shell.run("/usr/sbin/iptables", ["-w", "-t", "raw", "-F", "\(chainPrefix)-LOOPBACK"]).succeeded)
        let deadline = Date().addingTimeInterval(15)
        while (rules() != before || server.log.components(separatedBy: said).count == saidBefore) && Date() < deadline { usleep(100_000) }
        XCTAssertEqual(rules(), before, "the emptied loopback chain was not restored within 15 s")
        XCTAssertEqual(server.log.components(separatedBy: said).count, saidBefore + 1, server.log)
    }

    /// A tool given `--state` while a server answers on `--socket` asked that server, whatever
    /// state it serves: `ls --state mine.db` listed another server's networks, and `gc` or
    /// `doctor --fix` would have changed them. Now a `--state` that is not the server's is
    /// refused; the same file through a link is the server's.
    func testAToolGivenAnotherStateThanTheServersIsRefused() throws {
        let network = try createNetwork()
        let other = server.folder + "/other.db"
        for arguments in [["ls"], ["doctor"], ["gc", "--dry-run"], ["doctor", "--fix"]] {
            let result = Shell.run(ServerProcess.binary, arguments + ["--socket", server.socketPath, "--state", other], timeout: 60)
            XCTAssertNotEqual(result.status, 0, "\(arguments): \(result.both)")
            XCTAssertTrue(result.error.contains("serves \(server.statePath), not \(other)"), "\(arguments): \(result.both)")
        }
        let link = server.folder + "/link.db"
        XCTAssertNoThrow(try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: server.statePath))
        for state in [link, server.statePath] {
            let listed = Shell.run(ServerProcess.binary, ["ls", "--socket", server.socketPath, "--state", state], timeout: 60)
            XCTAssertTrue(listed.succeeded && listed.output.contains(network.id.prefix(12)), listed.both)
        }
        let unnamed = Shell.run(ServerProcess.binary, ["ls", "--socket", server.socketPath], timeout: 60)
        XCTAssertTrue(unnamed.succeeded && unnamed.output.contains(network.id.prefix(12)), "no --state: whatever the server serves\n\(unnamed.both)")

        // Stopped: a change with another --chain-prefix than the state's server ran with
        // installed a second set of chains nothing removed; refused, reading still answered.
        XCTAssertEqual(server.terminate(), 0)
        let otherPrefix = "SWQ" + Shell.randomHex(6).uppercased()
        defer { try? Firewall(prefix: otherPrefix).remove() }
        let offline = ["--socket", server.folder + "/none.sock", "--state", server.statePath, "--chain-prefix", otherPrefix]
        let fix = Shell.run(ServerProcess.binary, ["doctor", "--fix"] + offline, timeout: 60)
        XCTAssertNotEqual(fix.status, 0, fix.both)
        XCTAssertTrue(fix.error.contains("last ran with --chain-prefix \(chainPrefix)"), fix.both)
        XCTAssertFalse(Shell.run("/usr/sbin/iptables-save", []).output.contains(otherPrefix), "no second set of chains")
        let read = Shell.run(ServerProcess.binary, ["doctor"] + offline, timeout: 60)
        XCTAssertFalse(read.error.contains("last ran with"), read.both)
    }
}

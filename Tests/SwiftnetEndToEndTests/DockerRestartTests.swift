import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// swiftnet and dockerd restarting under running containers, end to end (real dockerd, real
/// `swiftnet serve` on the plugin socket, busybox containers). Set-up, tear-down and helpers
/// are DockerTestCase's (DockerTestSupport.swift): everything a test makes is removed in
/// tearDown, also when it fails, and every wait is bounded. A test that stops dockerd starts it
/// again in tearDown whatever happened.
final class DockerRestartTests: DockerTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let dockerdScript = repositoryRoot + "/test/dockerd.sh"
    static let dockerdLog = "/var/log/swiftnet-test-dockerd.log"
    static let dockerdPidFile = "/run/swiftnet-test-dockerd.pid"
    static let dockerdDataRoot = "/var/lib/swiftnet-test-docker"

    /// Set while this test has stopped dockerd: tearDown starts it again first.
    var stoppedDockerd = false

    override func tearDownWithError() throws {
        if stoppedDockerd {
            let started = Self.runDockerdScript([], timeout: 120)
            if started.status != 0 { print("tearDown: test/dockerd.sh did not bring dockerd back: \(started.both)") }
            stoppedDockerd = false
        }
        try super.tearDownWithError()
    }

    // MARK: kill -9 of swiftnet

    /// kill -9 of swiftnet leaves the running containers' dataplane alone; restarted on the
    /// same state it hands new containers addresses nobody holds, and GET /state lists every
    /// endpoint.
    func testKillNineWhileContainersRunKeepsTrafficAndAddressesUnique() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let page = "old-\(tag)"
        let web = try runContainer("web", network: network.name, extra: ["--stop-timeout", "1"], command: httpd(content: page))
        let client = try runContainer("client", network: network.name, extra: ["--stop-timeout", "1"])
        let webAddress = try containerIPv4(web, network: network.name)
        let clientAddress = try containerIPv4(client, network: network.name)
        XCTAssertNotEqual(webAddress, clientAddress)
        try assertTalk(client: client, clientAddress: clientAddress, web: web, webAddress: webAddress, page: page, when: "before the kill")

        let server = try XCTUnwrap(server)
        server.kill9()
        XCTAssertFalse(Self.socketAnswers(Self.pluginSocket), "the killed server must not answer")
        try assertTalk(client: client, clientAddress: clientAddress, web: web, webAddress: webAddress, page: page,
                       when: "while swiftnet is down")

        try server.start()  // same socket, same state file
        XCTAssertTrue(server.log.contains("serving"), "restarted server logs `serving`")

        let new1 = try runContainer("new1", network: network.name, extra: ["--stop-timeout", "1"])
        let new2 = try runContainer("new2", network: network.name, extra: ["--stop-timeout", "1"])
        let new1Address = try containerIPv4(new1, network: network.name)
        let new2Address = try containerIPv4(new2, network: network.name)
        let all = [webAddress, clientAddress, new1Address, new2Address]
        XCTAssertEqual(Set(all).count, 4, "every container has its own address after the restart: \(all)")
        for address in all { XCTAssertTrue(address.hasPrefix(subnet.base + "."), "\(address) in \(subnet.cidr)") }

        try assertTalk(client: client, clientAddress: clientAddress, web: web, webAddress: webAddress, page: page,
                       when: "after the restart")
        eventually("a new container reaches the old web container") {
            let fetched = self.fetch(in: new1, "http://\(webAddress):8080/")
            return (fetched.output.contains(page), fetched.both)
        }
        eventually("the new containers reach each other") {
            let ping = self.exec(new2, ["ping", "-c", "1", "-W", "2", new1Address])
            return (ping.status == 0, ping.both)
        }

        // GET /state: one endpoint per container, with the address dockerd shows.
        let state = try stateReport()
        let endpoints = state["endpoints"] as? [[String: Any]] ?? []
        let ours = endpoints.filter { $0["network"] as? String == network.id }
        let stateAddresses = Set(ours.compactMap { ($0["address"] as? String)?.split(separator: "/").first.map(String.init) })
        XCTAssertEqual(ours.count, 4, "GET /state lists the 4 endpoints: \(endpoints)")
        XCTAssertEqual(stateAddresses, Set(all), "GET /state addresses: \(endpoints)")
        let entries = try inspectNetwork(network.name)["Containers"] as? [String: [String: Any]] ?? [:]
        let dockerEndpoints = Set(entries.values.compactMap { $0["EndpointID"] as? String })
        XCTAssertEqual(Set(ours.compactMap { $0["id"] as? String }), dockerEndpoints, "GET /state endpoint ids = docker's")
        let networks = state["networks"] as? [[String: Any]] ?? []
        XCTAssertTrue(networks.contains { $0["id"] as? String == network.id }, "GET /state lists the network: \(networks)")
        let pools = state["pools"] as? [[String: Any]] ?? []
        let pool = pools.first { $0["prefix"] as? String == subnet.cidr }
        // 4 containers (the gateway is not counted as an allocation by every IPAM; accept 4 or 5).
        let allocated = (pool?["allocated"] as? Double).map(Int.init) ?? -1
        XCTAssertTrue([4, 5].contains(allocated), "pool \(subnet.cidr) holds the 4 addresses (+ gateway): \(pools)")
    }

    // MARK: dockerd restart

    /// dockerd stops (its containers with it) and starts again while swiftnet keeps running;
    /// the `--restart always` containers come back and the frontend finds `backend` by name.
    func testDockerdRestartBringsBackRestartAlwaysContainersReachableByName() throws {
        try skipUnlessDockerdIsOurs()
        let network = try createNetwork()  // automatic pool
        let page = "restart-\(tag)"
        let always = ["--restart", "always", "--stop-timeout", "1"]
        let backend = try runContainer("backend", network: network.name, extra: always + ["--network-alias", "backend"],
                                       command: httpd(content: page))
        let frontend = try runContainer("frontend", network: network.name, extra: always)
        try assertFrontendReachesBackend(frontend: frontend, backend: backend, network: network.name, page: page,
                                         when: "before the dockerd restart")

        stoppedDockerd = true
        let stopped = Self.runDockerdScript(["--stop"], timeout: 90)
        XCTAssertEqual(stopped.status, 0, "test/dockerd.sh --stop: \(stopped.both)")
        XCTAssertTrue(stopped.output.contains("dockerd stopped"), stopped.both)
        XCTAssertNotEqual(Shell.run(Self.docker, ["version"], timeout: 10).status, 0, "dockerd must be down")
        let started = Self.runDockerdScript([], timeout: 120)
        guard started.status == 0 else {
            XCTFail("test/dockerd.sh did not start dockerd again: \(started.both)\n\(dockerdLogTail())")
            return
        }
        stoppedDockerd = false
        XCTAssertTrue(server?.process?.isRunning ?? false, "swiftnet kept running through the dockerd restart")

        let back = eventually("both --restart always containers run again", timeout: 60, interval: 1) {
            let states = [backend, frontend].map { container in
                Shell.run(Self.docker, ["inspect", "--format", "{{.State.Running}} {{.State.Status}} {{.State.Error}}", container], timeout: 15)
            }
            return (states.allSatisfy { $0.output.hasPrefix("true ") }, states.map(\.both).joined(separator: "\n"))
        }
        guard back else {
            XCTFail("containers did not come back after the dockerd restart\n\(dockerdLogTail())\nswiftnet log:\n\(swiftnetLogTail(60))")
            return
        }
        try assertFrontendReachesBackend(frontend: frontend, backend: backend, network: network.name, page: page,
                                         when: "after the dockerd restart", timeout: 30)
        let state = try stateReport()
        let endpoints = (state["endpoints"] as? [[String: Any]] ?? []).filter { $0["network"] as? String == network.id }
        XCTAssertEqual(endpoints.count, 2, "GET /state: the two containers' endpoints after the restart, no leftovers: \(endpoints)")
    }

    // MARK: removal

    /// Containers and the network removed through docker: swiftnet's state, links and
    /// iptables hold nothing of them.
    func testRemovingEverythingLeavesNothing() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let automatic = try createNetwork()  // an automatic pool too
        let one = try runContainer("one", network: network.name, extra: ["--stop-timeout", "1"], command: httpd(content: "x-\(tag)"))
        let two = try runContainer("two", network: network.name, extra: ["--stop-timeout", "1"])
        let three = try runContainer("three", network: automatic.name, extra: ["--stop-timeout", "1"])
        eventually("the two containers talk") {
            let address = (try? self.containerIPv4(one, network: network.name)) ?? ""
            let ping = self.exec(two, ["ping", "-c", "1", "-W", "2", address])
            return (ping.status == 0, ping.both)
        }
        var endpointIDs: [String] = []
        for name in [network.name, automatic.name] {
            let entries = try inspectNetwork(name)["Containers"] as? [String: [String: Any]] ?? [:]
            endpointIDs += entries.values.compactMap { $0["EndpointID"] as? String }
        }
        XCTAssertEqual(endpointIDs.count, 3)
        let during = try stateReport()
        XCTAssertEqual((during["endpoints"] as? [Any])?.count, 3, "\(during)")
        XCTAssertEqual((during["networks"] as? [Any])?.count, 2, "\(during)")
        XCTAssertFalse((during["pools"] as? [Any] ?? []).isEmpty, "\(during)")

        try docker(["rm", "-f", one, two, three], timeout: 60)
        for name in [network.name, automatic.name] {
            try docker(["network", "rm", name])
            networks.removeAll { $0 == name }
        }

        let state = try stateReport()
        XCTAssertEqual((state["networks"] as? [Any])?.count, 0, "GET /state networks: \(state)")
        XCTAssertEqual((state["endpoints"] as? [Any])?.count, 0, "GET /state endpoints: \(state)")
        // ReleasePool drops the pool (IPAMAllocator.planReleasePool): none may remain.
        XCTAssertEqual((state["pools"] as? [Any])?.count, 0, "GET /state pools: \(state)")

        let names = [network.id, automatic.id].map { "swn-" + $0.prefix(10) }
            + endpointIDs.flatMap { ["swv" + $0.prefix(11), "swc" + $0.prefix(11)] }
        // Endpoint veths are deleted after DeleteEndpoint has answered: give them a moment.
        eventually("no swn-/swv/swc link of this test's networks and endpoints remains", timeout: 10) {
            let left = Set(Shell.linkNames()).intersection(names)
            return (left.isEmpty, "left: \(left.sorted())")
        }
        let newLinks = Set(Shell.linkNames().filter(Shell.isSwiftnetLink)).subtracting(linksBefore)
        XCTAssertEqual(newLinks, [], "swiftnet links made during the test and left behind")

        if let chainPrefix {
            for save in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"] {
                let rules = Shell.run(save, [])
                XCTAssertEqual(rules.status, 0, rules.both)
                let leftovers = rules.output.split(separator: "\n").map(String.init).filter { line in
                    guard line.contains(chainPrefix) || line.contains(subnet.base + ".") else { return false }
                    if line.hasPrefix(":\(chainPrefix)-") { return false }  // chain declarations
                    // A jump from a built-in chain into ours (PREROUTING/OUTPUT qualify it with
                    // `-m addrtype --dst-type LOCAL`); no address of the test on it.
                    let words = line.split(separator: " ").map(String.init)
                    if words.count >= 4, words[0] == "-A", !words[1].hasPrefix(chainPrefix + "-"),
                       words[words.count - 2] == "-j", words[words.count - 1].hasPrefix(chainPrefix + "-"),
                       !line.contains(subnet.base + ".") { return false }
                    return true
                }
                XCTAssertEqual(leftovers, [], "\(save): rules of \(chainPrefix) left after everything was removed")
            }
        }
    }

    // MARK: helpers

    /// The containers ping each other and the client fetches the web page by address.
    func assertTalk(client: String, clientAddress: String, web: String, webAddress: String, page: String, when: String,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        eventually("\(when): client pings web \(webAddress)", file: file, line: line) {
            let ping = self.exec(client, ["ping", "-c", "1", "-W", "2", webAddress])
            return (ping.status == 0, ping.both)
        }
        eventually("\(when): web pings client \(clientAddress)", file: file, line: line) {
            let ping = self.exec(web, ["ping", "-c", "1", "-W", "2", clientAddress])
            return (ping.status == 0, ping.both)
        }
        eventually("\(when): client fetches http://\(webAddress):8080/", file: file, line: line) {
            let fetched = self.fetch(in: client, "http://\(webAddress):8080/")
            return (fetched.output.contains(page), fetched.both)
        }
    }

    /// The frontend resolves `backend` through Docker's embedded DNS to backend's address and
    /// fetches its page from it.
    func assertFrontendReachesBackend(frontend: String, backend: String, network: String, page: String, when: String,
                                      timeout: Double = 20, file: StaticString = #filePath, line: UInt = #line) throws {
        var address = ""
        eventually("\(when): frontend resolves backend through 127.0.0.11", timeout: timeout, file: file, line: line) {
            let lookup = self.exec(frontend, ["timeout", "10", "nslookup", "backend", "127.0.0.11"], timeout: 20)
            address = Self.nslookupAddresses(lookup.output).first(where: Self.isIPv4) ?? ""
            return (!address.isEmpty, lookup.both)
        }
        let expected = try containerIPv4(backend, network: network)
        XCTAssertEqual(address, expected, "\(when): backend resolves to its address on \(network)", file: file, line: line)
        eventually("\(when): frontend fetches http://backend=\(address):8080/", timeout: timeout, file: file, line: line) {
            let fetched = self.fetch(in: frontend, "http://\(address):8080/")
            return (fetched.output.contains(page), fetched.both)
        }
    }

    /// `GET /state` on the plugin socket, decoded.
    func stateReport(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let client = try UnixHTTPClient(socketPath: Self.pluginSocket, timeoutSeconds: 10)
        defer { client.close() }
        try client.sendRaw(Array("GET /state HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8))
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200, "GET /state: \(response.text)", file: file, line: line)
        guard let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            XCTFail("GET /state is not a JSON object: \(response.text)", file: file, line: line)
            throw Shell.Failure(description: "GET /state")
        }
        return object
    }

    /// Restarting dockerd is only ours to do when test/dockerd.sh started the one that answers.
    func skipUnlessDockerdIsOurs() throws {
        let pid = ((try? String(contentsOfFile: Self.dockerdPidFile, encoding: .utf8)) ?? "").filter(\.isNumber)
        let commandLine = ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "")
            .replacingOccurrences(of: "\0", with: " ")
        guard !pid.isEmpty, commandLine.contains("dockerd"), commandLine.contains("--data-root \(Self.dockerdDataRoot)") else {
            throw XCTSkip("the running dockerd was not started by test/dockerd.sh (no live pid in \(Self.dockerdPidFile) with --data-root \(Self.dockerdDataRoot)); this test restarts dockerd only when it is the test one")
        }
        let root = Shell.run(Self.docker, ["info", "--format", "{{.DockerRootDir}}"], timeout: 20)
        guard root.output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.dockerdDataRoot else {
            throw XCTSkip("the dockerd answering on the default socket is not test/dockerd.sh's (root dir \(root.both)); not restarting it")
        }
    }

    /// test/dockerd.sh with every descriptor above 2 closed first: Foundation's Process learns
    /// that a child exited from a descriptor the child inherits, and the dockerd the script
    /// leaves running would otherwise hold it, so the script never looks finished.
    static func runDockerdScript(_ arguments: [String], timeout: Double) -> Shell.Result {
        let closeAndRun = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; exec /bin/bash "$0" "$@""#
        return Shell.run("/bin/bash", ["-c", closeAndRun, dockerdScript] + arguments, timeout: timeout)
    }

    func dockerdLogTail(_ lines: Int = 60) -> String {
        let tail = Shell.run("/usr/bin/tail", ["-n", "\(lines)", Self.dockerdLog])
        return "dockerd log (\(Self.dockerdLog), last \(lines) lines):\n\(tail.output)"
    }

    func swiftnetLogTail(_ lines: Int) -> String {
        server?.log.split(separator: "\n").suffix(lines).joined(separator: "\n") ?? ""
    }
}

import Foundation
import SwiftnetClient
import XCTest

/// swiftnet under a real dockerd: the real `swiftnet serve` on the plugin path dockerd
/// discovers (`/run/docker/plugins/swiftnet.sock`, driver `swiftnet`), driven only through
/// `/usr/bin/docker`, checked from inside busybox containers (image `bb:latest`, made by
/// test/dockerd.sh), from the host and from a test host in its own network namespace.
///
/// The seed scenario (shared/docs/seed-docker-network.txt §3–4): a frontend container reaches
/// `backend:8080` by name on a user-defined network, and not by name on the default bridge.
///
/// Every container gets `--dns 127.0.0.1`, so no lookup leaves the machine; traffic goes only
/// to containers, namespaces and addresses the tests create, in subnets of 10.240.0.0/12 that
/// no host route uses (test hosts on /30s in 10.249.0.0/16). Everything a test makes is listed
/// and removed in tearDown, also when the test fails. Every wait is bounded.
final class DockerEndToEndTests: XCTestCase {
    static let docker = "/usr/bin/docker"
    static let ipTool = "/usr/sbin/ip"
    static let busybox = "/bin/busybox"
    static let pluginSocket = "/run/docker/plugins/swiftnet.sock"
    static let image = "bb:latest"

    var server: ServerProcess?
    /// Unique per test: names of networks and containers, the chain prefix, namespaces.
    let tag = DockerEndToEndTests.randomHex(8)
    var chainPrefix: String?
    var autoPoolBase = ""
    var containers: [String] = []
    var networks: [String] = []
    var namespaces: [String] = []
    var links: [String] = []
    var background: [Process] = []
    var folders: [String] = []
    /// swiftnet's links (swn-, swv, swc) that were there before the test (another suite's).
    var linksBefore: Set<String> = []
    var usedThirdOctets: Set<String> = []

    // MARK: set-up and tear-down

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root (dockerd, netlink, iptables, network namespaces)") }
        let version = Self.run(Self.docker, ["version", "--format", "{{.Server.Version}}"], timeout: 20)
        guard version.status == 0 else {
            throw XCTSkip("no dockerd answers `/usr/bin/docker version` on the default socket (test/dockerd.sh starts one; test/run.sh runs it): \(version.stderr)")
        }
        let image = Self.run(Self.docker, ["image", "inspect", "--format", "{{.Id}}", Self.image], timeout: 20)
        guard image.status == 0 else {
            XCTFail("image \(Self.image) is missing: run test/dockerd.sh, which imports it from /bin/busybox\n\(image.both)")
            throw XCTSkip("image \(Self.image) missing")
        }
        try waitUntilNoOtherServer()

        linksBefore = Set(Self.linkNames().filter(Self.isSwiftnetLink))
        let server = ServerProcess(socketPath: Self.pluginSocket)
        self.server = server
        // Automatic pools (a network created without --subnet) come from an unused /16 of
        // 10.240.0.0/12, never from dockerd's 172.x list.
        autoPoolBase = try freeSecondOctetBase()
        server.extraArguments = ["--default-address-pool", "base=\(autoPoolBase).0.0/16,size=24"]
        let help = Self.run(ServerProcess.binary, ["serve", "--help"], timeout: 20)
        if help.stdout.contains("--chain-prefix") {
            chainPrefix = "SWT" + tag.uppercased()
            server.extraArguments += ["--chain-prefix", chainPrefix!]
        }
        try server.start()
    }

    override func tearDownWithError() throws {
        // Containers first (they hold endpoints), then networks, then our own test hosts.
        if !containers.isEmpty {
            let removed = Self.run(Self.docker, ["rm", "-f"] + containers, timeout: 120)
            if removed.status != 0 && !removed.stderr.contains("No such container") {
                print("tearDown: docker rm -f: \(removed.both)")
            }
        }
        for network in networks.reversed() {
            let removed = Self.run(Self.docker, ["network", "rm", network], timeout: 60)
            if removed.status != 0 && !removed.stderr.contains("No such network") && !removed.stderr.contains("not found") {
                print("tearDown: docker network rm \(network): \(removed.both)")
            }
        }
        for process in background where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for namespace in namespaces { Self.run(Self.ipTool, ["netns", "del", namespace]) }
        for link in links where Self.linkNames().contains(link) { Self.run(Self.ipTool, ["link", "del", link]) }
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }

        if let server {
            server.terminate()
            let failed = (testRun?.failureCount ?? 0) + (testRun?.unexpectedExceptionCount ?? 0) > 0
            if failed {
                // Keep swiftnet's log for the report; the temporary folder goes.
                let kept = "/tmp/swiftnet-e2e-logs/\(name.filter { $0.isLetter || $0.isNumber })-\(tag).log"
                try? FileManager.default.createDirectory(atPath: "/tmp/swiftnet-e2e-logs", withIntermediateDirectories: true)
                try? FileManager.default.copyItem(atPath: server.logPath, toPath: kept)
                print("swiftnet log kept at \(kept); last lines:\n" + server.log.split(separator: "\n").suffix(40).joined(separator: "\n"))
            }
            server.cleanUp()
        }
        if let chainPrefix { removeChains(prefix: chainPrefix) }
    }

    /// Only one swiftnet may serve the plugin socket. One we did not start: wait (bounded).
    func waitUntilNoOtherServer() throws {
        let deadline = Date().addingTimeInterval(300)
        var announced = false
        while Self.socketAnswers(Self.pluginSocket) {
            if Date() > deadline {
                XCTFail("another swiftnet still serves \(Self.pluginSocket) after 5 minutes; stop it to run the end-to-end tests")
                throw XCTSkip("plugin socket busy")
            }
            if !announced {
                print("another swiftnet serves \(Self.pluginSocket); waiting (up to 5 minutes) for it to stop")
                announced = true
            }
            sleep(2)
        }
    }

    static func socketAnswers(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path),
              let client = try? UnixHTTPClient(socketPath: path, timeoutSeconds: 2) else { return false }
        defer { client.close() }
        return (try? client.post("/Plugin.Activate", body: []))?.status == 200
    }

    /// Our chains and every jump into them, in both families, by exact name.
    func removeChains(prefix: String) {
        for (save, tool) in [("/usr/sbin/iptables-save", "/usr/sbin/iptables"), ("/usr/sbin/ip6tables-save", "/usr/sbin/ip6tables")] {
            let saved = Self.run(save, [])
            var table = ""
            var ours: [(String, String)] = []
            for line in saved.stdout.split(separator: "\n").map(String.init) {
                if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
                if line.hasPrefix(":\(prefix)-") {
                    ours.append((table, String(line.dropFirst().split(separator: " ")[0])))
                    continue
                }
                let words = line.split(separator: " ").map(String.init)
                guard words.count > 2, words[0] == "-A", !words[1].hasPrefix(prefix + "-"),
                      let target = words.firstIndex(of: "-j"), target + 1 < words.count,
                      words[target + 1].hasPrefix(prefix + "-") else { continue }
                Self.run(tool, ["-w", "-t", table, "-D"] + words.dropFirst())
            }
            for (table, chain) in ours { Self.run(tool, ["-w", "-t", table, "-F", chain]) }
            for (table, chain) in ours { Self.run(tool, ["-w", "-t", table, "-X", chain]) }
        }
    }

    // MARK: the seed scenario

    /// shared/docs/seed-docker-network.txt §3–4: backend started on the default bridge, then
    /// connected to a user-defined network; a frontend on that network finds it by name
    /// (Docker's embedded DNS at 127.0.0.11) and fetches from port 8080; on the default bridge
    /// the name does not resolve, only the address answers.
    func testSeedFrontendReachesBackendByNameOnlyOnTheUserDefinedNetwork() throws {
        let network = try createNetwork()  // automatic pool, like `docker network create custom-bridge`
        let backend = try runContainer("backend", network: nil, command: httpd(content: "backend-\(tag)"))
        try docker(["network", "connect", "--alias", "backend", network.name, backend])
        let frontend = try runContainer("frontend", network: network.name)

        // By the alias `backend` and by the container's own name.
        for name in ["backend", backend] {
            var address = ""
            eventually("frontend resolves \(name) through 127.0.0.11") {
                let lookup = self.exec(frontend, ["timeout", "10", "nslookup", name], timeout: 20)
                address = Self.nslookupAddresses(lookup.stdout).first(where: Self.isIPv4) ?? ""
                return (!address.isEmpty, lookup.both)
            }
            let expected = try containerIPv4(backend, network: network.name)
            XCTAssertEqual(address, expected, "\(name) must resolve to backend's address on \(network.name)")
            eventually("frontend fetches http://\(name)=\(address):8080/") {
                let page = self.fetch(in: frontend, "http://\(address):8080/")
                return (page.stdout.contains("backend-\(tag)"), page.both)
            }
        }
        let resolv = exec(frontend, ["cat", "/etc/resolv.conf"])
        XCTAssertTrue(resolv.stdout.contains("nameserver 127.0.0.11"), "embedded DNS on a user-defined network: \(resolv.both)")

        // §4: on the default bridge the name does not resolve (only the IP works).
        let lonely = try runContainer("frontend-default", network: nil)
        let lookup = exec(lonely, ["timeout", "10", "nslookup", backend], timeout: 20)
        XCTAssertTrue(Self.nslookupAddresses(lookup.stdout).filter(Self.isIPv4).isEmpty,
                      "\(backend) must not resolve on the default bridge: \(lookup.both)")
        let lookupAlias = exec(lonely, ["timeout", "10", "nslookup", "backend"], timeout: 20)
        XCTAssertTrue(Self.nslookupAddresses(lookupAlias.stdout).filter(Self.isIPv4).isEmpty,
                      "backend must not resolve on the default bridge: \(lookupAlias.both)")
        let bridgeAddress = try containerIPv4(backend, network: "bridge")
        eventually("on the default bridge backend answers by address \(bridgeAddress)") {
            let page = self.fetch(in: lonely, "http://\(bridgeAddress):8080/")
            return (page.stdout.contains("backend-\(tag)"), page.both)
        }
    }

    // MARK: inspect

    /// An automatic pool: dockerd shows the IPAM's pool and gateway. (With --subnet, dockerd
    /// 20.10 shows the user's configuration instead, where the gateway is empty unless given;
    /// the --gateway case is in testSubnetIPRangeGatewayAuxAddressIPAndMAC.)
    func testInspectShowsSubnetGatewayAndEachContainersAddresses() throws {
        let network = try createNetwork()
        let one = try runContainer("one", network: network.name)
        let two = try runContainer("two", network: network.name)

        let inspected = try inspectNetwork(network.name)
        XCTAssertEqual(inspected["Driver"] as? String, "swiftnet")
        let ipam = inspected["IPAM"] as? [String: Any]
        XCTAssertEqual(ipam?["Driver"] as? String, "swiftnet")
        let config = (ipam?["Config"] as? [[String: Any]])?.first
        let cidr = config?["Subnet"] as? String ?? ""
        // The server's automatic pools: /24s of autoPoolBase.0.0/16, lowest free first.
        XCTAssertTrue(cidr.hasPrefix(autoPoolBase + ".") && cidr.hasSuffix(".0/24"), "Subnet from \(autoPoolBase).0.0/16: \(inspected)")
        let subnet = Subnet(base: cidr.split(separator: ".").prefix(3).joined(separator: "."))
        XCTAssertEqual(config?["Gateway"] as? String, subnet.host(1), "the first address is the default gateway: \(inspected)")

        let entries = inspected["Containers"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(entries.count, 2, "\(inspected)")
        for container in [one, two] {
            let id = try docker(["inspect", "--format", "{{.Id}}", container])
            guard let entry = entries[id] else { XCTFail("\(container) (\(id)) missing from \(entries)"); continue }
            XCTAssertEqual(entry["Name"] as? String, container)
            let cidr = entry["IPv4Address"] as? String ?? ""
            let mac = entry["MacAddress"] as? String ?? ""
            XCTAssertTrue(cidr.hasPrefix(subnet.base + ".") && cidr.hasSuffix("/24"), "IPv4Address \(cidr) in \(subnet.cidr)")
            XCTAssertNotEqual(cidr, subnet.host(1) + "/24", "a container never gets the gateway")
            XCTAssertEqual(mac.split(separator: ":").count, 6, "MacAddress \(mac)")
            XCTAssertFalse((entry["EndpointID"] as? String ?? "").isEmpty)
            // What the container sees is what inspect says.
            let eth0 = exec(container, ["ip", "addr", "show", "eth0"])
            XCTAssertTrue(eth0.stdout.contains("inet \(cidr) "), "eth0 of \(container) has \(cidr): \(eth0.both)")
            XCTAssertTrue(eth0.stdout.lowercased().contains("link/ether \(mac.lowercased())"), "eth0 of \(container) has \(mac): \(eth0.both)")
            let route = exec(container, ["ip", "route"])
            XCTAssertTrue(route.stdout.contains("default via \(subnet.host(1))"), "default route via the gateway: \(route.both)")
        }
        let addresses = entries.values.compactMap { $0["IPv4Address"] as? String }
        XCTAssertEqual(Set(addresses).count, addresses.count, "two containers, two addresses: \(addresses)")
        let macs = entries.values.compactMap { $0["MacAddress"] as? String }
        XCTAssertEqual(Set(macs).count, macs.count, "two containers, two MACs: \(macs)")
    }

    // MARK: connect / disconnect

    func testConnectAndDisconnectARunningContainer() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let peer = try runContainer("peer", network: network.name)
        let peerAddress = try containerIPv4(peer, network: network.name)
        let roamer = try runContainer("roamer", network: nil)  // on the default bridge
        XCTAssertFalse(exec(roamer, ["ip", "-o", "addr"]).stdout.contains(subnet.base + "."))

        try docker(["network", "connect", network.name, roamer])
        let address = try containerIPv4(roamer, network: network.name)
        XCTAssertTrue(address.hasPrefix(subnet.base + "."), address)
        eventually("the connected container has an interface with \(address)") {
            let addr = self.exec(roamer, ["ip", "-o", "addr"])
            return (addr.stdout.contains("inet \(address)/24"), addr.both)
        }
        let interfaces = exec(roamer, ["ip", "-o", "link"])
        XCTAssertTrue(interfaces.stdout.contains("eth1"), "a second interface, eth1: \(interfaces.both)")
        eventually("the connected container reaches its new peer \(peerAddress)") {
            let ping = self.exec(roamer, ["ping", "-c", "1", "-W", "2", peerAddress])
            return (ping.status == 0, ping.both)
        }

        try docker(["network", "disconnect", network.name, roamer])
        eventually("the interface with \(address) is gone after disconnect") {
            let addr = self.exec(roamer, ["ip", "-o", "addr"])
            return (addr.status == 0 && !addr.stdout.contains(subnet.base + "."), addr.both)
        }
        XCTAssertFalse(exec(roamer, ["ip", "-o", "link"]).stdout.contains("eth1"))
        let entries = try inspectNetwork(network.name)["Containers"] as? [String: Any] ?? [:]
        XCTAssertEqual(entries.count, 1, "only the peer is left: \(entries)")
        // Connect again: works as the first time.
        try docker(["network", "connect", network.name, roamer])
        let again = try containerIPv4(roamer, network: network.name)
        eventually("connected again, \(again) answers the peer") {
            let ping = self.exec(peer, ["ping", "-c", "1", "-W", "2", again])
            return (ping.status == 0, ping.both)
        }
    }

    // MARK: IPAM options on create and run

    func testSubnetIPRangeGatewayAuxAddressIPAndMAC() throws {
        let subnet = try freeSubnet()
        let gateway = subnet.host(254)
        let aux = subnet.host(129)
        let network = try createNetwork([
            "--subnet", subnet.cidr, "--ip-range", "\(subnet.base).128/25", "--gateway", gateway,
            "--aux-address", "printer=\(aux)",
        ])
        let config = ((try inspectNetwork(network.name)["IPAM"] as? [String: Any])?["Config"] as? [[String: Any]])?.first ?? [:]
        XCTAssertEqual(config["Subnet"] as? String, subnet.cidr)
        XCTAssertEqual(config["IPRange"] as? String, "\(subnet.base).128/25")
        XCTAssertEqual(config["Gateway"] as? String, gateway)
        XCTAssertEqual((config["AuxiliaryAddresses"] as? [String: String])?["printer"], aux)

        // Automatic addresses: inside the range, never the gateway or the aux address.
        var seen: [String] = []
        for index in 0..<3 {
            let container = try runContainer("auto\(index)", network: network.name)
            let address = try containerIPv4(container, network: network.name)
            let last = Int(address.split(separator: ".").last ?? "") ?? -1
            XCTAssertTrue(address.hasPrefix(subnet.base + ".") && (128...255).contains(last), "\(address) in \(subnet.base).128/25")
            XCTAssertNotEqual(address, gateway)
            XCTAssertNotEqual(address, aux)
            XCTAssertFalse(seen.contains(address))
            seen.append(address)
            let route = exec(container, ["ip", "route"])
            XCTAssertTrue(route.stdout.contains("default via \(gateway)"), "default route via --gateway: \(route.both)")
        }
        eventually("a container reaches the gateway \(gateway)") {
            let ping = self.exec(self.containers[0], ["ping", "-c", "1", "-W", "2", gateway])
            return (ping.status == 0, ping.both)
        }

        // --ip (outside the range, still in the subnet) and --mac-address.
        let fixedIP = subnet.host(10)
        let fixedMAC = "02:42:de:ad:be:\(String(format: "%02x", Int.random(in: 16...250)))"
        let fixed = try runContainer("fixed", network: network.name, extra: ["--ip", fixedIP, "--mac-address", fixedMAC])
        let eth0 = exec(fixed, ["ip", "addr", "show", "eth0"])
        XCTAssertTrue(eth0.stdout.contains("inet \(fixedIP)/24 "), "--ip \(fixedIP): \(eth0.both)")
        XCTAssertTrue(eth0.stdout.contains("link/ether \(fixedMAC)"), "--mac-address \(fixedMAC): \(eth0.both)")
        let entries = try inspectNetwork(network.name)["Containers"] as? [String: [String: Any]] ?? [:]
        let entry = entries.values.first { $0["Name"] as? String == fixed }
        XCTAssertEqual(entry?["IPv4Address"] as? String, "\(fixedIP)/24")
        XCTAssertEqual((entry?["MacAddress"] as? String)?.lowercased(), fixedMAC)
        eventually("the --ip container reaches an automatic one") {
            let ping = self.exec(fixed, ["ping", "-c", "1", "-W", "2", seen[0]])
            return (ping.status == 0, ping.both)
        }

        // The aux address and a taken --ip are refused.
        // (A refused `docker run -d` leaves a created container behind: listed for tearDown.)
        containers += ["swt-\(tag)-taken", "swt-\(tag)-onaux"]
        let taken = Self.run(Self.docker, runArguments("taken", network: network.name, extra: ["--ip", fixedIP]), timeout: 60)
        XCTAssertNotEqual(taken.status, 0, "a second container on \(fixedIP) must be refused: \(taken.both)")
        let onAux = Self.run(Self.docker, runArguments("onaux", network: network.name, extra: ["--ip", aux]), timeout: 60)
        XCTAssertNotEqual(onAux.status, 0, "the aux address \(aux) must be refused: \(onAux.both)")
        // dockerd passes swiftnet's reason on.
        XCTAssertTrue(taken.stderr.contains("already in use: \(fixedIP)"), taken.both)
        XCTAssertTrue(onAux.stderr.contains("already in use: \(aux)"), onAux.both)
    }

    // MARK: IPv6 and MTU

    func testIPv6ContainersPingEachOther() throws {
        // Groups without leading zeros: the prefix is compared with dockerd's canonical text.
        let group = { String(Int.random(in: 0x1000...0xffff), radix: 16) }
        let v6 = "fd\(Self.randomHex(2)):\(group()):\(group()):\(group())"
        let network = try createNetwork(["--ipv6", "--subnet", "\(v6)::/64"])
        let one = try runContainer("six1", network: network.name)
        let two = try runContainer("six2", network: network.name)
        let address1 = try containerIPv6(one, network: network.name)
        let address2 = try containerIPv6(two, network: network.name)
        XCTAssertTrue(address1.hasPrefix(v6 + ":"), "\(address1) in \(v6)::/64")
        XCTAssertTrue(address2.hasPrefix(v6 + ":"), "\(address2) in \(v6)::/64")
        XCTAssertNotEqual(address1, address2)
        let eth0 = exec(one, ["ip", "-6", "addr", "show", "eth0"])
        XCTAssertTrue(eth0.stdout.contains("inet6 \(address1)/64"), eth0.both)
        eventually("[\(address1)] pings [\(address2)]", timeout: 30) {
            let ping = self.exec(one, ["ping6", "-c", "1", "-W", "2", address2])
            return (ping.status == 0, ping.both)
        }
        eventually("[\(address2)] pings [\(address1)]", timeout: 30) {
            let ping = self.exec(two, ["ping6", "-c", "1", "-W", "2", address1])
            return (ping.status == 0, ping.both)
        }
        // Both families on the same network.
        let v4 = try containerIPv4(two, network: network.name)
        XCTAssertTrue(v4.hasPrefix(autoPoolBase + "."), "IPv4 from the automatic pool \(autoPoolBase).0.0/16: \(v4)")
        eventually("IPv4 too: \(v4)") {
            let ping = self.exec(one, ["ping", "-c", "1", "-W", "2", v4])
            return (ping.status == 0, ping.both)
        }
    }

    func testMTUOptionSetsTheContainerInterface() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr, "-o", "com.docker.network.driver.mtu=1400"])
        let container = try runContainer("mtu", network: network.name)
        let link = exec(container, ["ip", "link", "show", "eth0"])
        XCTAssertTrue(link.stdout.contains("mtu 1400 "), "eth0 MTU 1400: \(link.both)")
        let bridge = "swn-" + network.id.prefix(10)
        let hostSide = Self.run(Self.ipTool, ["link", "show", bridge])
        XCTAssertTrue(hostSide.stdout.contains("mtu 1400 "), "bridge \(bridge) MTU 1400: \(hostSide.both)")
        let peer = try runContainer("mtu2", network: network.name)
        let peerAddress = try containerIPv4(peer, network: network.name)
        // A full-size frame (1400 - 28 bytes of headers) passes, a larger one with DF does not.
        eventually("1372-byte pings pass at MTU 1400") {
            let ping = self.exec(container, ["ping", "-c", "1", "-W", "2", "-s", "1372", peerAddress])
            return (ping.status == 0, ping.both)
        }
    }

    // MARK: published ports and masquerade

    func testPublishedPortFromTheHostAndATestHostAndMasquerade() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let host = try makeTestHost()
        let port = try freeHostPort()
        let web = try runContainer("web", network: network.name, extra: ["-p", "\(port):8080"],
                                   command: httpd(content: "published-\(tag)"))
        // No `docker port` check: dockerd ignores a remote driver's port map (protocol.md §2.7).

        eventually("http://127.0.0.1:\(port)/ from the host") {
            let page = Self.fetchFromHost("http://127.0.0.1:\(port)/")
            return (page.stdout.contains("published-\(tag)"), page.both)
        }
        eventually("http://\(host.hostSide):\(port)/ from the test host \(host.namespace)") {
            let page = Self.fetchFromHost("http://\(host.hostSide):\(port)/", namespace: host.namespace)
            return (page.stdout.contains("published-\(tag)"), page.both)
        }

        // Masquerade: the test host has no route back to the container subnet, so an answer
        // proves the source was rewritten to the host's address.
        let routes = Self.run(Self.ipTool, ["netns", "exec", host.namespace, Self.ipTool, "route"])
        XCTAssertFalse(routes.stdout.contains("default") || routes.stdout.contains(subnet.base), "the test host must have no route back: \(routes.both)")
        let client = try runContainer("client", network: network.name)
        eventually("a container pings the test host \(host.farSide)") {
            let ping = self.exec(client, ["ping", "-c", "1", "-W", "2", host.farSide])
            return (ping.status == 0, ping.both)
        }
        try startHTTPServer(in: host, content: "testhost-\(tag)")
        eventually("a container fetches http://\(host.farSide):8080/ from the test host") {
            let page = self.fetch(in: client, "http://\(host.farSide):8080/")
            return (page.stdout.contains("testhost-\(tag)"), page.both)
        }

        // A container of the same network reaches the port at a host address (hairpin NAT,
        // as Docker's bridge does).
        eventually("a container of the network fetches http://\(host.hostSide):\(port)/") {
            let page = self.fetch(in: client, "http://\(host.hostSide):\(port)/")
            return (page.stdout.contains("published-\(tag)"), page.both)
        }

        // A restart (new endpoint, same port) publishes it again.
        try docker(["restart", "-t", "1", web], timeout: 60)
        eventually("http://127.0.0.1:\(port)/ again after docker restart") {
            let page = Self.fetchFromHost("http://127.0.0.1:\(port)/")
            return (page.stdout.contains("published-\(tag)"), page.both)
        }

        // Removing the container takes the port away.
        try docker(["rm", "-f", web], timeout: 60)
        eventually("the published port is gone once the container is") {
            let page = Self.fetchFromHost("http://127.0.0.1:\(port)/")
            return (page.status != 0, page.both)
        }
        let nat = Self.run("/usr/sbin/iptables-save", ["-t", "nat"])
        XCTAssertFalse(nat.stdout.contains("--dport \(port) "), "no DNAT for \(port) left: \(nat.stdout)")
    }

    // MARK: internal networks and isolation

    func testInternalNetworkReachesItsPeerButNotTheTestHost() throws {
        let host = try makeTestHost()
        let subnet = try freeSubnet()
        let network = try createNetwork(["--internal", "--subnet", subnet.cidr])
        XCTAssertEqual(try inspectNetwork(network.name)["Internal"] as? Bool, true)
        let one = try runContainer("in1", network: network.name)
        let two = try runContainer("in2", network: network.name)
        let address2 = try containerIPv4(two, network: network.name)
        eventually("internal peers reach each other") {
            let ping = self.exec(one, ["ping", "-c", "1", "-W", "2", address2])
            return (ping.status == 0, ping.both)
        }
        // The same test host is reachable from a normal network (so its failure below is the
        // internal network's doing).
        let open = try createNetwork(["--subnet", try freeSubnet().cidr])
        let outsider = try runContainer("out", network: open.name)
        eventually("a container on a normal network reaches the test host") {
            let ping = self.exec(outsider, ["ping", "-c", "1", "-W", "2", host.farSide])
            return (ping.status == 0, ping.both)
        }
        let blocked = exec(one, ["ping", "-c", "2", "-W", "2", host.farSide])
        XCTAssertNotEqual(blocked.status, 0, "an internal network must not reach the test host \(host.farSide): \(blocked.both)")
        // Not even with a route to it: add one by hand through the bridge's gateway address.
        let bridge = "swn-" + network.id.prefix(10)
        let bridgeAddresses = Self.run(Self.ipTool, ["-o", "-4", "addr", "show", "dev", bridge])
        if let gateway = bridgeAddresses.stdout.components(separatedBy: "inet ").dropFirst().first?.split(separator: "/").first {
            let withRoute = try runContainer("in3", network: network.name, extra: ["--cap-add", "NET_ADMIN"])
            let added = exec(withRoute, ["ip", "route", "add", "\(host.farSide)/32", "via", String(gateway)])
            XCTAssertEqual(added.status, 0, added.both)
            let routed = exec(withRoute, ["ping", "-c", "2", "-W", "2", host.farSide])
            XCTAssertNotEqual(routed.status, 0, "the internal network's firewall must drop it even with a route: \(routed.both)")
        }
    }

    func testNetworksAreIsolatedFromEachOtherAndFromTheDefaultBridge() throws {
        let networkA = try createNetwork(["--subnet", try freeSubnet().cidr])
        let networkB = try createNetwork(["--subnet", try freeSubnet().cidr])
        let page = "isolated-\(tag)"
        let a1 = try runContainer("a1", network: networkA.name, command: httpd(content: page))
        let a2 = try runContainer("a2", network: networkA.name)
        let b1 = try runContainer("b1", network: networkB.name, command: httpd(content: page))
        let d1 = try runContainer("d1", network: nil, command: httpd(content: page))
        let addressA1 = try containerIPv4(a1, network: networkA.name)
        let addressB1 = try containerIPv4(b1, network: networkB.name)
        let addressD1 = try containerIPv4(d1, network: "bridge")

        // Positive controls: everyone is up and serving, and peers of one network talk.
        eventually("a2 fetches from its peer a1") {
            let fetched = self.fetch(in: a2, "http://\(addressA1):8080/")
            return (fetched.stdout.contains(page), fetched.both)
        }
        for container in [b1, d1] {
            eventually("\(container) serves and reaches its gateway") {
                let own = self.fetch(in: container, "http://127.0.0.1:8080/")
                let gateway = self.exec(container, ["sh", "-c", "ping -c 1 -W 2 $(ip route | awk '/default/ {print $3}')"])
                return (own.stdout.contains(page) && gateway.status == 0, own.both + "\n" + gateway.both)
            }
        }
        for (from, to, what) in [(a1, addressB1, "A → B"), (b1, addressA1, "B → A"), (a2, addressD1, "A → default bridge"),
                                 (d1, addressA1, "default bridge → A")] {
            let ping = exec(from, ["ping", "-c", "1", "-W", "2", to])
            XCTAssertNotEqual(ping.status, 0, "\(what): ping \(from) → \(to) must be dropped: \(ping.both)")
            let fetched = fetch(in: from, "http://\(to):8080/", seconds: 3)
            XCTAssertFalse(fetched.stdout.contains(page), "\(what): HTTP \(from) → \(to) must be dropped: \(fetched.both)")
        }
    }

    /// dockerd inserts its rules for a new bridge network (`-I FORWARD … -i br-X ! -o br-X -j
    /// ACCEPT`) at the top of FORWARD; swiftnet's isolation must still hold for a Docker
    /// network created after the swiftnet network (and for docker0 after a dockerd restart).
    func testDockerBridgeNetworkCreatedLaterIsIsolatedToo() throws {
        let network = try createNetwork(["--subnet", try freeSubnet().cidr])
        let page = "isolated-\(tag)"
        let web = try runContainer("web", network: network.name, command: httpd(content: page))
        let address = try containerIPv4(web, network: network.name)
        eventually("\(web) serves") {
            let own = self.fetch(in: web, "http://127.0.0.1:8080/")
            return (own.stdout.contains(page), own.both)
        }
        // A plain Docker bridge network, made now.
        let dockerNetwork = "swt-\(tag)-dockerbridge"
        networks.append(dockerNetwork)
        try docker(["network", "create", "-d", "bridge", "--subnet", try freeSubnet().cidr, dockerNetwork])
        let outsider = try runContainer("outsider", network: dockerNetwork, command: httpd(content: page))
        let outsiderAddress = try containerIPv4(outsider, network: dockerNetwork)
        eventually("\(outsider) reaches its gateway") {
            let gateway = self.exec(outsider, ["sh", "-c", "ping -c 1 -W 2 $(ip route | awk '/default/ {print $3}')"])
            return (gateway.status == 0, gateway.both)
        }
        // dockerd put its rules above swiftnet's jump; swiftnet's guard moves it back within
        // a few seconds (it checks every 5 s).
        eventually("swiftnet's FORWARD jump is first again", timeout: 15) {
            let rules = Self.run("/usr/sbin/iptables", ["-w", "-S", "FORWARD"]).stdout
            let first = rules.split(separator: "\n").first { $0.hasPrefix("-A FORWARD") }.map(String.init) ?? ""
            return (first == "-A FORWARD -j \(self.chainPrefix ?? "SWIFTNET")-FORWARD", rules)
        }
        let forward = Self.run("/usr/sbin/iptables", ["-w", "-S", "FORWARD"]).stdout
        let fetched = fetch(in: outsider, "http://\(address):8080/")
        XCTAssertFalse(fetched.stdout.contains(page),
                       "a Docker bridge network created after the swiftnet network reaches \(address): \(fetched.both)\niptables -S FORWARD:\n\(forward)")
        let ping = exec(outsider, ["ping", "-c", "2", "-W", "2", address])
        XCTAssertNotEqual(ping.status, 0, "ping from the Docker bridge network must be dropped: \(ping.both)")
        let back = fetch(in: web, "http://\(outsiderAddress):8080/")
        XCTAssertFalse(back.stdout.contains(page), "swiftnet → Docker bridge network must be dropped: \(back.both)")
    }

    // MARK: removal leaves nothing

    func testNetworkRemovalLeavesNoBridgeVethOrRule() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let bridge = "swn-" + network.id.prefix(10)
        let port = try freeHostPort()
        let one = try runContainer("rm1", network: network.name, extra: ["-p", "\(port):8080"], command: httpd(content: "rm-\(tag)"))
        let two = try runContainer("rm2", network: network.name)
        let entries = try inspectNetwork(network.name)["Containers"] as? [String: [String: Any]] ?? [:]
        let endpointIDs = entries.values.compactMap { $0["EndpointID"] as? String }
        XCTAssertEqual(endpointIDs.count, 2, "\(entries)")
        let veths = endpointIDs.flatMap { ["swv" + $0.prefix(11), "swc" + $0.prefix(11)] }

        let during = Self.linkNames()
        XCTAssertTrue(during.contains(bridge), "bridge \(bridge) exists while the network does: \(during)")
        for id in endpointIDs {
            XCTAssertTrue(during.contains("swv" + id.prefix(11)), "host veth of endpoint \(id.prefix(12)): \(during)")
        }
        let rulesDuring = Self.run("/usr/sbin/iptables-save", []).stdout
        XCTAssertTrue(rulesDuring.contains(bridge), "rules for \(bridge) while the network exists")
        XCTAssertTrue(rulesDuring.contains("--dport \(port) "), "a DNAT rule for \(port)")

        try docker(["rm", "-f", one, two], timeout: 60)
        try docker(["network", "rm", network.name])
        networks.removeAll { $0 == network.name }

        let after = Self.linkNames()
        XCTAssertFalse(after.contains(bridge), "bridge \(bridge) left behind: \(after)")
        for veth in veths { XCTAssertFalse(after.contains(veth), "veth \(veth) left behind") }
        let newSwiftnetLinks = Set(after.filter(Self.isSwiftnetLink)).subtracting(linksBefore)
        XCTAssertEqual(newSwiftnetLinks, [], "swn-/swv/swc links left behind: \(Self.run(Self.ipTool, ["-o", "link"]).stdout)")
        for save in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"] {
            let rules = Self.run(save, [])
            XCTAssertEqual(rules.status, 0, rules.both)
            let leftovers = rules.stdout.split(separator: "\n").filter { line in
                line.contains(bridge) || line.contains(subnet.base + ".") || line.contains("--dport \(port) ")
                    || (chainPrefix.map { line.hasPrefix("-A \($0)-") } ?? false)
            }
            XCTAssertEqual(leftovers, [], "\(save): rules left behind after docker network rm")
        }
        XCTAssertEqual(try docker(["network", "ls", "--filter", "name=\(network.name)", "--format", "{{.Name}}"]), "")
    }

    // MARK: docker

    struct Network {
        var name: String
        var id: String
    }

    /// `docker network create -d swiftnet --ipam-driver swiftnet ARGS NAME`, listed for tearDown.
    func createNetwork(_ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> Network {
        let name = "swt-\(tag)-n\(networks.count)"
        networks.append(name)
        let id = try docker(["network", "create", "-d", "swiftnet", "--ipam-driver", "swiftnet"] + arguments + [name],
                            file: file, line: line)
        XCTAssertEqual(id.count, 64, "network id: \(id)", file: file, line: line)
        return Network(name: name, id: id)
    }

    func runArguments(_ role: String, network: String?, extra: [String] = [], command: [String]? = nil) -> [String] {
        var arguments = ["run", "-d", "--name", "swt-\(tag)-\(role)", "--dns", "127.0.0.1"]
        if let network { arguments += ["--network", network] }
        return arguments + extra + [Self.image] + (command ?? ["sleep", "3600"])
    }

    /// `docker run -d` (a `sleep` unless told otherwise), listed for tearDown; returns its name.
    func runContainer(_ role: String, network: String?, extra: [String] = [], command: [String]? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let name = "swt-\(tag)-\(role)"
        containers.append(name)
        try docker(runArguments(role, network: network, extra: extra, command: command), timeout: 90, file: file, line: line)
        return name
    }

    /// busybox httpd on 8080 serving one page.
    func httpd(content: String) -> [String] {
        ["sh", "-c", "mkdir -p /srv && echo \(content) > /srv/index.html && exec httpd -f -p 8080 -h /srv"]
    }

    /// Runs /usr/bin/docker; fails the test (both streams in the message) and throws unless it succeeds.
    @discardableResult
    func docker(_ arguments: [String], timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = Self.run(Self.docker, arguments, timeout: timeout)
        guard result.status == 0 else {
            let log = server?.log.split(separator: "\n").suffix(15).joined(separator: "\n") ?? ""
            XCTFail("docker \(arguments.joined(separator: " ")) failed: \(result.both)\nswiftnet log (last lines):\n\(log)",
                    file: file, line: line)
            throw CommandFailure(description: "docker \(arguments.joined(separator: " "))")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An HTTP GET from inside a container. busybox wget's own -T crashes in this static
    /// build (as do its name lookups): addresses only, bounded by `timeout`.
    func fetch(in container: String, _ url: String, seconds: Int = 5) -> CommandResult {
        exec(container, ["timeout", "\(seconds)", "wget", "-q", "-O", "-", url], timeout: Double(seconds) + 10)
    }

    /// An HTTP GET from this host, or from a test host's namespace.
    static func fetchFromHost(_ url: String, namespace: String? = nil) -> CommandResult {
        let wget = ["/usr/bin/timeout", "5", busybox, "wget", "-q", "-O", "-", url]
        if let namespace { return run(ipTool, ["netns", "exec", namespace] + wget, timeout: 15) }
        return run(wget[0], Array(wget.dropFirst()), timeout: 15)
    }

    /// `docker exec CONTAINER COMMAND…` (no assertion; callers check).
    func exec(_ container: String, _ command: [String], timeout: Double = 15) -> CommandResult {
        Self.run(Self.docker, ["exec", container] + command, timeout: timeout)
    }

    func inspectNetwork(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let text = try docker(["network", "inspect", name], file: file, line: line)
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], let first = array.first else {
            XCTFail("docker network inspect \(name): not a JSON array: \(text)", file: file, line: line)
            throw CommandFailure(description: "network inspect")
        }
        return first
    }

    func containerNetworkSettings(_ container: String, network: String) throws -> [String: Any] {
        let text = try docker(["inspect", "--format", "{{json .NetworkSettings.Networks}}", container])
        let all = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        guard let settings = all?[network] as? [String: Any] else {
            XCTFail("\(container) is not on \(network): \(text)")
            throw CommandFailure(description: "inspect \(container)")
        }
        return settings
    }

    func containerIPv4(_ container: String, network: String) throws -> String {
        let address = try containerNetworkSettings(container, network: network)["IPAddress"] as? String ?? ""
        XCTAssertFalse(address.isEmpty, "\(container) has no IPv4 address on \(network)")
        return address
    }

    func containerIPv6(_ container: String, network: String) throws -> String {
        let address = try containerNetworkSettings(container, network: network)["GlobalIPv6Address"] as? String ?? ""
        XCTAssertFalse(address.isEmpty, "\(container) has no IPv6 address on \(network)")
        return address
    }

    /// The answers of busybox nslookup: the `Address:` lines after a `Name:` line (the lines
    /// before it name the server).
    static func nslookupAddresses(_ output: String) -> [String] {
        var afterName = false
        var addresses: [String] = []
        for line in output.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Name:") { afterName = true; continue }
            if afterName, text.hasPrefix("Address:") {
                addresses.append(text.dropFirst("Address:".count).trimmingCharacters(in: .whitespaces))
            }
        }
        return addresses
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    // MARK: subnets, ports, test hosts

    struct Subnet {
        var base: String  // "10.243.17"
        var cidr: String { base + ".0/24" }
        func host(_ last: Int) -> String { "\(base).\(last)" }
    }

    /// Host routes and addresses as IPv4 prefixes (every table), to stay clear of them.
    static func hostPrefixes() -> [(UInt32, Int)] {
        var prefixes: [(UInt32, Int)] = []
        let routes = run(ipTool, ["-4", "route", "show", "table", "all"]).stdout
        let addresses = run(ipTool, ["-4", "-o", "addr"]).stdout
        for word in (routes + " " + addresses).split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = word.split(separator: "/")
            guard let address = parse(String(parts[0])) else { continue }
            let length = parts.count > 1 ? Int(parts[1]) ?? 32 : 32
            prefixes.append((address, length))
        }
        return prefixes
    }

    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    static func overlaps(_ a: (UInt32, Int), _ b: (UInt32, Int)) -> Bool {
        let length = min(a.1, b.1)
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
        return a.0 & mask == b.0 & mask
    }

    /// A /24 in 10.240.0.0/12 (not 10.249/16, which the test hosts use, nor the automatic
    /// pool's /16) that no host route or address touches.
    func freeSubnet() throws -> Subnet {
        let taken = Self.hostPrefixes()
        for _ in 0..<200 {
            let second = [240, 241, 242, 243, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 255].randomElement()!
            let base = "10.\(second).\(Int.random(in: 0...255))"
            guard !base.hasPrefix(autoPoolBase + "."), !usedThirdOctets.contains(base) else { continue }
            let prefix = (Self.parse(base + ".0")!, 24)
            guard !taken.contains(where: { $0.1 > 0 && Self.overlaps($0, prefix) }) else { continue }
            usedThirdOctets.insert(base)
            return Subnet(base: base)
        }
        XCTFail("no free /24 in 10.240.0.0/12")
        throw CommandFailure(description: "no free subnet")
    }

    /// "10.N" for a /16 of 10.240.0.0/12 that no host route or address touches.
    func freeSecondOctetBase() throws -> String {
        let taken = Self.hostPrefixes()
        for second in [240, 241, 242, 243, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 255].shuffled() {
            let prefix = (Self.parse("10.\(second).0.0")!, 16)
            if !taken.contains(where: { $0.1 > 0 && Self.overlaps($0, prefix) }) { return "10.\(second)" }
        }
        XCTFail("no free /16 in 10.240.0.0/12")
        throw CommandFailure(description: "no free /16")
    }

    /// A TCP port below the ephemeral range that nothing listens on.
    func freeHostPort() throws -> Int {
        let listening = Self.run("/bin/ss", ["-Htan"]).stdout + Self.run("/bin/ss", ["-Htanu"]).stdout
        for _ in 0..<100 {
            let port = Int.random(in: 20000...29999)
            if !listening.contains(":\(port) ") { return port }
        }
        XCTFail("no free host port")
        throw CommandFailure(description: "no free port")
    }

    struct TestHost {
        var namespace: String
        var hostSide: String  // this host's address on the link
        var farSide: String   // the namespace's address
    }

    /// Another machine on the LAN: a namespace linked by a veth pair on a /30 of 10.249.0.0/16,
    /// with no route beyond the link.
    func makeTestHost(file: StaticString = #filePath, line: UInt = #line) throws -> TestHost {
        let hex = Self.randomHex(8)
        let namespace = "swtest-" + hex
        let near = "swt" + hex, far = near + "b"
        let taken = Self.hostPrefixes()
        var chosen: (String, String)?
        for _ in 0..<200 {
            let third = Int.random(in: 0...255), fourth = Int.random(in: 0...63) * 4
            guard let prefix = Self.parse("10.249.\(third).\(fourth)"),
                  !taken.contains(where: { $0.1 > 0 && Self.overlaps($0, (prefix, 30)) }) else { continue }
            chosen = ("10.249.\(third).\(fourth + 1)", "10.249.\(third).\(fourth + 2)")
            break
        }
        guard let (hostSide, farSide) = chosen else {
            XCTFail("no free /30 in 10.249.0.0/16", file: file, line: line)
            throw CommandFailure(description: "no test host address")
        }
        namespaces.append(namespace)
        links.append(near)
        let steps: [[String]] = [
            ["netns", "add", namespace],
            ["link", "add", near, "type", "veth", "peer", "name", far],
            ["link", "set", far, "netns", namespace],
            ["addr", "add", hostSide + "/30", "dev", near],
            ["link", "set", near, "up"],
            ["netns", "exec", namespace, Self.ipTool, "addr", "add", farSide + "/30", "dev", far],
            ["netns", "exec", namespace, Self.ipTool, "link", "set", far, "up"],
            ["netns", "exec", namespace, Self.ipTool, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let result = Self.run(Self.ipTool, step)
            guard result.status == 0 else {
                XCTFail("ip \(step.joined(separator: " ")): \(result.both)", file: file, line: line)
                throw CommandFailure(description: "test host")
            }
        }
        let host = TestHost(namespace: namespace, hostSide: hostSide, farSide: farSide)
        eventually("the test host \(farSide) answers the host", file: file, line: line) {
            let ping = Self.run(Self.busybox, ["ping", "-c", "1", "-W", "1", farSide])
            return (ping.status == 0, ping.both)
        }
        return host
    }

    /// busybox httpd on port 8080 inside the test host's namespace, killed in tearDown.
    func startHTTPServer(in host: TestHost, content: String) throws {
        let folder = "/tmp/swt-www-\(tag)-\(Self.randomHex(4))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.append(folder)
        try (content + "\n").write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.ipTool)
        process.arguments = ["netns", "exec", host.namespace, Self.busybox, "httpd", "-f", "-p", "8080", "-h", folder]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        background.append(process)
        eventually("the test host's httpd answers") {
            let page = Self.fetchFromHost("http://\(host.farSide):8080/", namespace: host.namespace)
            return (page.stdout.contains(content), page.both)
        }
    }

    // MARK: bounded waiting

    /// Polls `check` until it says yes, for at most `timeout` seconds; fails with the last detail.
    @discardableResult
    func eventually(_ what: String, timeout: Double = 20, interval: Double = 0.5,
                    file: StaticString = #filePath, line: UInt = #line, _ check: () -> (Bool, String)) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var detail = ""
        repeat {
            let (done, latest) = check()
            if done { return true }
            detail = latest
            if Date() >= deadline { break }
            usleep(UInt32(interval * 1_000_000))
        } while true
        let log = server?.log.split(separator: "\n").suffix(10).joined(separator: "\n") ?? ""
        XCTFail("not within \(Int(timeout)) s: \(what)\nlast attempt: \(detail)\nswiftnet log (last lines):\n\(log)", file: file, line: line)
        return false
    }

    // MARK: processes

    struct CommandResult {
        var status: Int32
        var stdout: String
        var stderr: String
        var both: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    struct CommandFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a program with an argument array (no shell), its output in temporary files (no
    /// pipe can fill up), killed after `timeout` seconds.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 30) -> CommandResult {
        let stem = NSTemporaryDirectory() + "swt-cmd-\(UUID().uuidString)"
        let outPath = stem + ".out", errPath = stem + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return CommandResult(status: -1, stdout: "", stderr: "cannot create \(stem).*")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            try? out.close()
            try? err.close()
            return CommandResult(status: -1, stdout: "", stderr: "cannot run \(executable): \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        var stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        if timedOut { stderr += "\n[killed after \(timeout) s: \(executable) \(arguments.joined(separator: " "))]" }
        return CommandResult(status: timedOut ? -9 : process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    static func linkNames() -> [String] {
        run(ipTool, ["-o", "link", "show"]).stdout.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2)
            guard parts.count >= 2 else { return nil }
            return String(parts[1].trimmingCharacters(in: .whitespaces).split(separator: "@")[0])
        }
    }

    static func isSwiftnetLink(_ name: String) -> Bool {
        name.hasPrefix("swn-") || name.hasPrefix("swv") || name.hasPrefix("swc")
    }

    static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }
}

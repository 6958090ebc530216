import Foundation
import SwiftnetClient
import SwiftnetTestSupport
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
final class DockerEndToEndTests: DockerTestCase {
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
                address = Self.nslookupAddresses(lookup.output).first(where: Self.isIPv4) ?? ""
                return (!address.isEmpty, lookup.both)
            }
            let expected = try containerIPv4(backend, network: network.name)
            XCTAssertEqual(address, expected, "\(name) must resolve to backend's address on \(network.name)")
            eventually("frontend fetches http://\(name)=\(address):8080/") {
                let page = self.fetch(in: frontend, "http://\(address):8080/")
                return (page.output.contains("backend-\(tag)"), page.both)
            }
        }
        let resolv = exec(frontend, ["cat", "/etc/resolv.conf"])
        XCTAssertTrue(resolv.output.contains("nameserver 127.0.0.11"), "embedded DNS on a user-defined network: \(resolv.both)")

        // §4: on the default bridge the name does not resolve (only the IP works).
        let lonely = try runContainer("frontend-default", network: nil)
        let lookup = exec(lonely, ["timeout", "10", "nslookup", backend], timeout: 20)
        XCTAssertTrue(Self.nslookupAddresses(lookup.output).filter(Self.isIPv4).isEmpty,
                      "\(backend) must not resolve on the default bridge: \(lookup.both)")
        let lookupAlias = exec(lonely, ["timeout", "10", "nslookup", "backend"], timeout: 20)
        XCTAssertTrue(Self.nslookupAddresses(lookupAlias.output).filter(Self.isIPv4).isEmpty,
                      "backend must not resolve on the default bridge: \(lookupAlias.both)")
        let bridgeAddress = try containerIPv4(backend, network: "bridge")
        eventually("on the default bridge backend answers by address \(bridgeAddress)") {
            let page = self.fetch(in: lonely, "http://\(bridgeAddress):8080/")
            return (page.output.contains("backend-\(tag)"), page.both)
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
            XCTAssertTrue(eth0.output.contains("inet \(cidr) "), "eth0 of \(container) has \(cidr): \(eth0.both)")
            XCTAssertTrue(eth0.output.lowercased().contains("link/ether \(mac.lowercased())"), "eth0 of \(container) has \(mac): \(eth0.both)")
            let route = exec(container, ["ip", "route"])
            XCTAssertTrue(route.output.contains("default via \(subnet.host(1))"), "default route via the gateway: \(route.both)")
        }
        let addresses = entries.values.compactMap { $0["IPv4Address"] as? String }
        XCTAssertEqual(Set(addresses).count, addresses.count, "two containers, two addresses: \(addresses)")
        let macs = entries.values.compactMap { $0["MacAddress"] as? String }
        XCTAssertEqual(Set(macs).count, macs.count, "two containers, two MACs: \(macs)")

        // swiftnet's own view agrees with dockerd's, and its doctor finds nothing amiss on a
        // host where dockerd keeps its own rules beside ours.
        let server = try XCTUnwrap(self.server)
        let networkID = try XCTUnwrap(inspected["Id"] as? String)
        let ours = Shell.run(ServerProcess.binary, ["inspect", networkID, "--json", "--socket", server.socketPath, "--state", server.statePath])
        let view = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(ours.output.utf8)) as? [String: Any], ours.both)
        let endpoints = view["endpoints"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(endpoints.compactMap { $0["id"] as? String }), Set(entries.values.compactMap { $0["EndpointID"] as? String }),
                       "swiftnet inspect lists dockerd's endpoints: \(ours.both)")
        XCTAssertEqual(Set(endpoints.compactMap { $0["address"] as? String }), Set(addresses))
        XCTAssertEqual(Set(endpoints.compactMap { ($0["mac"] as? String)?.lowercased() }), Set(macs.map { $0.lowercased() }))
        // dockerd puts its own FORWARD rules above swiftnet's jump whenever it creates a
        // network; the doctor says so (jump-not-first) until the server's guard moves the
        // jump back, within 5 s. Nothing else may differ.
        var first = ""
        eventually("doctor is clean on a dockerd host", timeout: 15) {
            let doctor = Shell.run(ServerProcess.binary, ["doctor", "--json", "--socket", server.socketPath, "--state", server.statePath])
            if first.isEmpty { first = doctor.output }
            return (doctor.status == 0, doctor.both)
        }
        let kinds = ((try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? [])
            .compactMap { $0["kind"] as? String }
        XCTAssertTrue(Set(kinds).isSubset(of: ["jump-not-first"]), "only dockerd's reordering, if anything: \(first)")
    }

    // MARK: connect / disconnect

    func testConnectAndDisconnectARunningContainer() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let peer = try runContainer("peer", network: network.name)
        let peerAddress = try containerIPv4(peer, network: network.name)
        let roamer = try runContainer("roamer", network: nil)  // on the default bridge
        XCTAssertFalse(exec(roamer, ["ip", "-o", "addr"]).output.contains(subnet.base + "."))

        try docker(["network", "connect", network.name, roamer])
        let address = try containerIPv4(roamer, network: network.name)
        XCTAssertTrue(address.hasPrefix(subnet.base + "."), address)
        eventually("the connected container has an interface with \(address)") {
            let addr = self.exec(roamer, ["ip", "-o", "addr"])
            return (addr.output.contains("inet \(address)/24"), addr.both)
        }
        let interfaces = exec(roamer, ["ip", "-o", "link"])
        XCTAssertTrue(interfaces.output.contains("eth1"), "a second interface, eth1: \(interfaces.both)")
        eventually("the connected container reaches its new peer \(peerAddress)") {
            let ping = self.exec(roamer, ["ping", "-c", "1", "-W", "2", peerAddress])
            return (ping.status == 0, ping.both)
        }

        try docker(["network", "disconnect", network.name, roamer])
        eventually("the interface with \(address) is gone after disconnect") {
            let addr = self.exec(roamer, ["ip", "-o", "addr"])
            return (addr.status == 0 && !addr.output.contains(subnet.base + "."), addr.both)
        }
        XCTAssertFalse(exec(roamer, ["ip", "-o", "link"]).output.contains("eth1"))
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
            XCTAssertTrue(route.output.contains("default via \(gateway)"), "default route via --gateway: \(route.both)")
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
        XCTAssertTrue(eth0.output.contains("inet \(fixedIP)/24 "), "--ip \(fixedIP): \(eth0.both)")
        XCTAssertTrue(eth0.output.contains("link/ether \(fixedMAC)"), "--mac-address \(fixedMAC): \(eth0.both)")
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
        let taken = Shell.run(Self.docker, runArguments("taken", network: network.name, extra: ["--ip", fixedIP]), timeout: 60)
        XCTAssertNotEqual(taken.status, 0, "a second container on \(fixedIP) must be refused: \(taken.both)")
        let onAux = Shell.run(Self.docker, runArguments("onaux", network: network.name, extra: ["--ip", aux]), timeout: 60)
        XCTAssertNotEqual(onAux.status, 0, "the aux address \(aux) must be refused: \(onAux.both)")
        // dockerd passes swiftnet's reason on.
        XCTAssertTrue(taken.error.contains("already in use: \(fixedIP)"), taken.both)
        XCTAssertTrue(onAux.error.contains("already in use: \(aux)"), onAux.both)
    }

    // MARK: IPv6 and MTU

    func testIPv6ContainersPingEachOther() throws {
        // Groups without leading zeros: the prefix is compared with dockerd's canonical text.
        let group = { String(Int.random(in: 0x1000...0xffff), radix: 16) }
        let v6 = "fd\(Shell.randomHex(2)):\(group()):\(group()):\(group())"
        let network = try createNetwork(["--ipv6", "--subnet", "\(v6)::/64"])
        let one = try runContainer("six1", network: network.name)
        let two = try runContainer("six2", network: network.name)
        let address1 = try containerIPv6(one, network: network.name)
        let address2 = try containerIPv6(two, network: network.name)
        XCTAssertTrue(address1.hasPrefix(v6 + ":"), "\(address1) in \(v6)::/64")
        XCTAssertTrue(address2.hasPrefix(v6 + ":"), "\(address2) in \(v6)::/64")
        XCTAssertNotEqual(address1, address2)
        let eth0 = exec(one, ["ip", "-6", "addr", "show", "eth0"])
        XCTAssertTrue(eth0.output.contains("inet6 \(address1)/64"), eth0.both)
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
        XCTAssertTrue(link.output.contains("mtu 1400 "), "eth0 MTU 1400: \(link.both)")
        let bridge = "swn-" + network.id.prefix(10)
        let hostSide = Shell.run(Shell.ipTool, ["link", "show", bridge])
        XCTAssertTrue(hostSide.output.contains("mtu 1400 "), "bridge \(bridge) MTU 1400: \(hostSide.both)")
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
            return (page.output.contains("published-\(tag)"), page.both)
        }
        eventually("http://\(host.hostSide):\(port)/ from the test host \(host.namespace)") {
            let page = Self.fetchFromHost("http://\(host.hostSide):\(port)/", namespace: host.namespace)
            return (page.output.contains("published-\(tag)"), page.both)
        }

        // Masquerade: the test host has no route back to the container subnet, so an answer
        // proves the source was rewritten to the host's address.
        let routes = Shell.run(Shell.ipTool, ["netns", "exec", host.namespace, Shell.ipTool, "route"])
        XCTAssertFalse(routes.output.contains("default") || routes.output.contains(subnet.base), "the test host must have no route back: \(routes.both)")
        let client = try runContainer("client", network: network.name)
        eventually("a container pings the test host \(host.farSide)") {
            let ping = self.exec(client, ["ping", "-c", "1", "-W", "2", host.farSide])
            return (ping.status == 0, ping.both)
        }
        try startHTTPServer(in: host, content: "testhost-\(tag)")
        eventually("a container fetches http://\(host.farSide):8080/ from the test host") {
            let page = self.fetch(in: client, "http://\(host.farSide):8080/")
            return (page.output.contains("testhost-\(tag)"), page.both)
        }

        // A container of the same network reaches the port at a host address (hairpin NAT,
        // as Docker's bridge does).
        eventually("a container of the network fetches http://\(host.hostSide):\(port)/") {
            let page = self.fetch(in: client, "http://\(host.hostSide):\(port)/")
            return (page.output.contains("published-\(tag)"), page.both)
        }
        // And the container itself (hairpin mode on its bridge port), through a host address.
        eventually("the web container fetches its own http://\(host.hostSide):\(port)/") {
            let page = self.fetch(in: web, "http://\(host.hostSide):\(port)/")
            return (page.output.contains("published-\(tag)"), page.both)
        }

        // A restart (new endpoint, same port) publishes it again.
        try docker(["restart", "-t", "1", web], timeout: 60)
        eventually("http://127.0.0.1:\(port)/ again after docker restart") {
            let page = Self.fetchFromHost("http://127.0.0.1:\(port)/")
            return (page.output.contains("published-\(tag)"), page.both)
        }

        // Removing the container takes the port away.
        try docker(["rm", "-f", web], timeout: 60)
        eventually("the published port is gone once the container is") {
            let page = Self.fetchFromHost("http://127.0.0.1:\(port)/")
            return (page.status != 0, page.both)
        }
        let nat = Shell.run("/usr/sbin/iptables-save", ["-t", "nat"])
        XCTAssertFalse(nat.output.contains("--dport \(port) "), "no DNAT for \(port) left: \(nat.output)")
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
        let bridgeAddresses = Shell.run(Shell.ipTool, ["-o", "-4", "addr", "show", "dev", bridge])
        if let gateway = bridgeAddresses.output.components(separatedBy: "inet ").dropFirst().first?.split(separator: "/").first {
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
            return (fetched.output.contains(page), fetched.both)
        }
        for container in [b1, d1] {
            eventually("\(container) serves and reaches its gateway") {
                let own = self.fetch(in: container, "http://127.0.0.1:8080/")
                let gateway = self.exec(container, ["sh", "-c", "ping -c 1 -W 2 $(ip route | awk '/default/ {print $3}')"])
                return (own.output.contains(page) && gateway.status == 0, own.both + "\n" + gateway.both)
            }
        }
        for (from, to, what) in [(a1, addressB1, "A → B"), (b1, addressA1, "B → A"), (a2, addressD1, "A → default bridge"),
                                 (d1, addressA1, "default bridge → A")] {
            let ping = exec(from, ["ping", "-c", "1", "-W", "2", to])
            XCTAssertNotEqual(ping.status, 0, "\(what): ping \(from) → \(to) must be dropped: \(ping.both)")
            let fetched = fetch(in: from, "http://\(to):8080/", seconds: 3)
            XCTAssertFalse(fetched.output.contains(page), "\(what): HTTP \(from) → \(to) must be dropped: \(fetched.both)")
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
            return (own.output.contains(page), own.both)
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
        // a few seconds (it checks every 5 s): right after the jump to DOCKER-USER, ahead of
        // every rule of Docker's own.
        eventually("swiftnet's FORWARD jump is back right after DOCKER-USER", timeout: 15) {
            let rules = Shell.run("/usr/sbin/iptables", ["-w", "-S", "FORWARD"]).output
            let forward = rules.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A FORWARD") }
            let wanted = forward.first == "-A FORWARD -j DOCKER-USER" ? 1 : 0
            return (forward.indices.contains(wanted) && forward[wanted] == "-A FORWARD -j \(self.chainPrefix ?? "SWIFTNET")-FORWARD", rules)
        }
        let forward = Shell.run("/usr/sbin/iptables", ["-w", "-S", "FORWARD"]).output
        let fetched = fetch(in: outsider, "http://\(address):8080/")
        XCTAssertFalse(fetched.output.contains(page),
                       "a Docker bridge network created after the swiftnet network reaches \(address): \(fetched.both)\niptables -S FORWARD:\n\(forward)")
        let ping = exec(outsider, ["ping", "-c", "2", "-W", "2", address])
        XCTAssertNotEqual(ping.status, 0, "ping from the Docker bridge network must be dropped: \(ping.both)")
        let back = fetch(in: web, "http://\(outsiderAddress):8080/")
        XCTAssertFalse(back.output.contains(page), "swiftnet → Docker bridge network must be dropped: \(back.both)")
    }

    /// A Docker bridge network whose bridge the user named (`-o com.docker.network.bridge.name`)
    /// matches neither `docker0` nor `br-+`: a swiftnet container reached its containers,
    /// accepted by swiftnet's rules before Docker's isolation saw the packet. swiftnet now
    /// reads Docker's bridges from Docker's own rules and isolates them like docker0 and br-….
    func testADockerBridgeNetworkWithANamedBridgeIsIsolatedToo() throws {
        let network = try createNetwork(["--subnet", try freeSubnet().cidr])
        let page = "named-\(tag)"
        let web = try runContainer("web", network: network.name, command: httpd(content: page))
        let address = try containerIPv4(web, network: network.name)
        let dockerNetwork = "swt-\(tag)-named"
        networks.append(dockerNetwork)
        try docker(["network", "create", "-d", "bridge", "-o", "com.docker.network.bridge.name=swtd\(tag.prefix(8))",
                    "--subnet", try freeSubnet().cidr, dockerNetwork])
        let outsider = try runContainer("outsider", network: dockerNetwork, command: httpd(content: page))
        let outsiderAddress = try containerIPv4(outsider, network: dockerNetwork)
        eventually("both serve") {
            let own = self.fetch(in: web, "http://127.0.0.1:8080/"), other = self.fetch(in: outsider, "http://127.0.0.1:8080/")
            return (own.output.contains(page) && other.output.contains(page), own.both + other.both)
        }
        // The guard renders the jump within a round (5 s) if dockerd made its chain after
        // swiftnet's last change; here it existed before, so the network's rules have it.
        eventually("swiftnet → the named Docker bridge is dropped", timeout: 15) {
            let fetched = self.fetch(in: web, "http://\(outsiderAddress):8080/", seconds: 3)
            return (!fetched.output.contains(page), fetched.both)
        }
        let ping = exec(web, ["ping", "-c", "2", "-W", "2", outsiderAddress])
        XCTAssertNotEqual(ping.status, 0, "ping swiftnet → named Docker bridge must be dropped: \(ping.both)")
        let back = fetch(in: outsider, "http://\(address):8080/", seconds: 3)
        XCTAssertFalse(back.output.contains(page), "named Docker bridge → swiftnet must be dropped: \(back.both)")
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

        let during = Shell.linkNames()
        XCTAssertTrue(during.contains(bridge), "bridge \(bridge) exists while the network does: \(during)")
        for id in endpointIDs {
            XCTAssertTrue(during.contains("swv" + id.prefix(11)), "host veth of endpoint \(id.prefix(12)): \(during)")
        }
        let rulesDuring = Shell.run("/usr/sbin/iptables-save", []).output
        XCTAssertTrue(rulesDuring.contains(bridge), "rules for \(bridge) while the network exists")
        XCTAssertTrue(rulesDuring.contains("--dport \(port) "), "a DNAT rule for \(port)")

        try docker(["rm", "-f", one, two], timeout: 60)
        try docker(["network", "rm", network.name])
        networks.removeAll { $0 == network.name }

        let after = Shell.linkNames()
        XCTAssertFalse(after.contains(bridge), "bridge \(bridge) left behind: \(after)")
        for veth in veths { XCTAssertFalse(after.contains(veth), "veth \(veth) left behind") }
        let newSwiftnetLinks = Set(after.filter(Shell.isSwiftnetLink)).subtracting(linksBefore)
        XCTAssertEqual(newSwiftnetLinks, [], "swn-/swv/swc links left behind: \(Shell.run(Shell.ipTool, ["-o", "link"]).output)")
        for save in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"] {
            let rules = Shell.run(save, [])
            XCTAssertEqual(rules.status, 0, rules.both)
            let leftovers = rules.output.split(separator: "\n").filter { line in
                line.contains(bridge) || line.contains(subnet.base + ".") || line.contains("--dport \(port) ")
                    || (chainPrefix.map { line.hasPrefix("-A \($0)-") } ?? false)
            }
            XCTAssertEqual(leftovers, [], "\(save): rules left behind after docker network rm")
        }
        XCTAssertEqual(try docker(["network", "ls", "--filter", "name=\(network.name)", "--format", "{{.Name}}"]), "")
    }

}

import Foundation
import SwiftnetClient
import SwiftnetFirewall
import SwiftnetTestSupport
import XCTest

/// The network driver over the real socket with real netlink and iptables, no dockerd: the
/// test plays dockerd's part (IPAM calls, driver calls, moving the container veth into a
/// throw-away namespace) and checks the traffic.
final class BridgeDataplaneTests: XCTestCase {
    var server: ServerProcess!
    var client: UnixHTTPClient!
    let chainPrefix = "SWT" + Shell.randomHex(6).uppercased()
    var namespaces: [String] = []
    var links: [String] = []
    var background: [Process] = []
    var bridges: [String] = []

    struct TestNetwork {
        var id: String
        var poolID: String
        var subnet: String
        var gateway: String
        var bridge: String
    }

    struct TestContainer {
        var endpointID: String
        var cidr: String
        var address: String
        var namespace: String
        var mac: String?
    }

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for netlink and iptables") }
        server = ServerProcess()
        server.extraArguments = ["--chain-prefix", chainPrefix]
        try server.start()
        client = try server.client()
    }

    override func tearDownWithError() throws {
        for process in background where process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        for namespace in namespaces { Shell.ip("netns", "del", namespace) }
        for link in links + bridges { Shell.ip("link", "del", link) }
        client?.close()
        server?.cleanUp()
        try? Firewall(prefix: chainPrefix).remove()
        let left = Shell.linkNames().filter { name in bridges.contains(name) || links.contains(name) }
        XCTAssertEqual(left, [], "interfaces left behind")
    }

    // MARK: playing dockerd

    func subnetBase() -> String { Shell.unusedSubnetBase("10.230") }

    func createNetwork(_ base: String? = nil, generic: String = "{}", isInternal: Bool = false,
                       file: StaticString = #filePath, line: UInt = #line) throws -> TestNetwork {
        let base = base ?? subnetBase()
        let subnet = "\(base).0/24"
        let pool = try client.requestPool(subnet)
        let gatewayCIDR = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let id = Shell.randomHex(64)
        let internalOption = isInternal ? #","com.docker.network.internal":true"# : ""
        let body = #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gatewayCIDR)","Pool":"\#(subnet)"}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":\#(generic)\#(internalOption)}}"#
        let bridge = "swn-" + id.prefix(10)
        bridges.append(bridge)
        let (status, object) = try client.call("/NetworkDriver.CreateNetwork", body + "\n")
        XCTAssertEqual(status, 200, "\(object)\n\(server.log)", file: file, line: line)
        return TestNetwork(id: id, poolID: pool.id, subnet: subnet, gateway: String(gatewayCIDR.split(separator: "/")[0]), bridge: bridge)
    }

    /// RequestAddress, CreateEndpoint, Join, then what libnetwork does: move the veth into the
    /// sandbox, rename it, configure address and default route.
    func addContainer(to network: TestNetwork, address wanted: String = "", mac: String = "", name: String? = nil,
                      endpointID: String = Shell.randomHex(64),
                      file: StaticString = #filePath, line: UInt = #line) throws -> TestContainer {
        // dockerd 29+ names the container in RequestAddress.
        let options = name.map { #"{"com.docker.network.endpoint.name":"\#($0)"}"# } ?? "null"
        let cidr = try client.requestAddress(pool: network.poolID, address: wanted, options: options)
        let create = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(endpointID)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":"\#(mac)"},"NetworkID":"\#(network.id)","Options":{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)", file: file, line: line)
        let interface = create.object["Interface"] as? [String: Any]
        let join = try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(endpointID)","NetworkID":"\#(network.id)","Options":{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]},"SandboxKey":"/var/run/docker/netns/test"}"#)
        XCTAssertEqual(join.status, 200, "\(join.object)", file: file, line: line)
        let names = join.object["InterfaceName"] as? [String: String]
        let source = try XCTUnwrap(names?["SrcName"], file: file, line: line)
        XCTAssertEqual(names?["DstPrefix"], "eth", file: file, line: line)
        let namespace = "swtest-" + Shell.randomHex(8)
        namespaces.append(namespace)
        let address = String(cidr.split(separator: "/")[0])
        for step in [
            Shell.ip("netns", "add", namespace),
            Shell.ip("link", "set", source, "netns", namespace),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", source, "name", "eth0"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "addr", "add", cidr, "dev", "eth0"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", "eth0", "up"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", "lo", "up"]),
        ] {
            XCTAssertTrue(step.succeeded, step.both, file: file, line: line)
        }
        if let gateway = join.object["Gateway"] as? String, !gateway.isEmpty {
            let route = Shell.inNamespace(namespace, ["/usr/sbin/ip", "route", "add", "default", "via", gateway])
            XCTAssertTrue(route.succeeded, route.both, file: file, line: line)
        }
        return TestContainer(endpointID: endpointID, cidr: cidr, address: address, namespace: namespace,
                             mac: interface?["MacAddress"] as? String)
    }

    func removeContainer(_ container: TestContainer, from network: TestNetwork) throws {
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        Shell.ip("netns", "del", container.namespace)
        namespaces.removeAll { $0 == container.namespace }
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        try client.releaseAddress(pool: network.poolID, address: container.address)
    }

    func deleteNetwork(_ network: TestNetwork) throws {
        try client.releaseAddress(pool: network.poolID, address: network.gateway)
        XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(network.poolID)"}"#).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(network.id)"}"#).status, 200)
    }

    func ping(from namespace: String, _ address: String) -> Shell.Result {
        Shell.inNamespace(namespace, ["/bin/busybox", "ping", "-c", "1", "-W", "1", address], timeout: 5)
    }

    func ourRules() -> [String] {
        let saved = Shell.run("/usr/sbin/iptables-save", []).output
        return saved.split(separator: "\n").map(String.init).filter { $0.contains(chainPrefix) && $0.hasPrefix("-A") }
    }

    // MARK: tests

    func testTwoContainersTalkThroughTheBridgeAndNothingIsLeftAfterwards() throws {
        let network = try createNetwork()
        let links = Shell.ip("-o", "addr", "show", "dev", network.bridge)
        XCTAssertTrue(links.output.contains("inet \(network.gateway)/24"), links.both)
        let a = try addContainer(to: network)
        let b = try addContainer(to: network)
        XCTAssertTrue(ping(from: a.namespace, b.address).succeeded, ping(from: a.namespace, b.address).both)
        XCTAssertTrue(ping(from: b.namespace, network.gateway).succeeded)
        let master = Shell.ip("-o", "link", "show", "swv" + a.endpointID.prefix(11))
        XCTAssertTrue(master.output.contains("master \(network.bridge)"), master.both)
        XCTAssertFalse(ourRules().isEmpty, "the network has firewall rules")

        try removeContainer(a, from: network)
        try removeContainer(b, from: network)
        try deleteNetwork(network)
        let left = Shell.linkNames().filter { $0.hasPrefix(network.bridge) || $0.hasPrefix("swv" + a.endpointID.prefix(11)) || $0.hasPrefix("swv" + b.endpointID.prefix(11)) }
        XCTAssertEqual(left, [])
        XCTAssertEqual(ourRules().filter { $0.contains(network.bridge) }, [], "rules of the deleted network")
    }

    func testMTUAndMACs() throws {
        let network = try createNetwork(generic: #"{"com.docker.network.driver.mtu":"1400"}"#)
        let derived = try addContainer(to: network)
        // No MAC from dockerd: swiftnet derives 02:42 + the IPv4 address and says so.
        let octets = derived.address.split(separator: ".").map { String(format: "%02x", Int($0)!) }
        XCTAssertEqual(derived.mac, "02:42:" + octets.joined(separator: ":"))
        let inside = Shell.inNamespace(derived.namespace, ["/usr/sbin/ip", "-o", "link", "show", "eth0"])
        XCTAssertTrue(inside.output.contains("mtu 1400"), inside.both)
        XCTAssertTrue(inside.output.contains(derived.mac ?? "?"), inside.both)
        XCTAssertTrue(Shell.ip("-o", "link", "show", network.bridge).output.contains("mtu 1400"))
        XCTAssertTrue(Shell.ip("-o", "link", "show", "swv" + derived.endpointID.prefix(11)).output.contains("mtu 1400"))
        // dockerd's MAC (--mac-address) is used and not answered back.
        let given = try addContainer(to: network, mac: "ca:fe:00:00:10:02")
        XCTAssertNil(given.mac)
        let givenInside = Shell.inNamespace(given.namespace, ["/usr/sbin/ip", "-o", "link", "show", "eth0"])
        XCTAssertTrue(givenInside.output.contains("ca:fe:00:00:10:02"), givenInside.both)
    }

    func testPublishedPortsMasqueradeAndATestHost() throws {
        let network = try createNetwork()
        let web = try addContainer(to: network)
        let root = "/tmp/swtest-www-\(Shell.randomHex(6))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "hello from swiftnet\n".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
        let httpd = Process()
        httpd.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        httpd.arguments = ["netns", "exec", web.namespace, "/bin/busybox", "httpd", "-f", "-p", "8080", "-h", root]
        try httpd.run()
        background.append(httpd)

        let hostPort = Int.random(in: 20000...29999)
        let portmap = #"[{"HostIP":"","HostPort":\#(hostPort),"HostPortEnd":\#(hostPort),"IP":"","Port":8080,"Proto":6},{"HostIP":"","HostPort":0,"HostPortEnd":0,"IP":"","Port":8080,"Proto":6}]"#
        let program = try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(web.endpointID)","NetworkID":"\#(network.id)","Options":{"com.docker.network.endpoint.exposedports":[{"Port":8080,"Proto":6}],"com.docker.network.portmap":\#(portmap)}}"#)
        XCTAssertEqual(program.status, 200, "\(program.object)\n\(server.log)")
        let info = try client.call("/NetworkDriver.EndpointOperInfo", #"{"EndpointID":"\#(web.endpointID)","NetworkID":"\#(network.id)"}"#)
        let published = (info.object["Value"] as? [String: Any])?["swiftnet.published"] as? [String] ?? []
        XCTAssertEqual(published.count, 2, "\(info.object)")
        XCTAssertTrue(published.contains("*:\(hostPort)->8080/tcp"), "\(published)")
        let ephemeral = published.first { !$0.contains(":\(hostPort)->") }.flatMap { Int($0.dropFirst(2).split(separator: "-")[0]) }
        XCTAssertNotNil(ephemeral, "the HostPort 0 binding got a port: \(published)")

        // From the host itself, through loopback.
        var fetched = Shell.run("/usr/bin/curl", ["-s", "-m", "3", "http://127.0.0.1:\(hostPort)/"])
        for _ in 0..<20 where !fetched.succeeded {
            usleep(100_000)
            fetched = Shell.run("/usr/bin/curl", ["-s", "-m", "3", "http://127.0.0.1:\(hostPort)/"])
        }
        XCTAssertEqual(fetched.output, "hello from swiftnet\n", fetched.both + "\n" + ourRules().joined(separator: "\n"))
        if let ephemeral {
            let viaEphemeral = Shell.run("/usr/bin/curl", ["-s", "-m", "3", "http://127.0.0.1:\(ephemeral)/"])
            XCTAssertEqual(viaEphemeral.output, "hello from swiftnet\n", viaEphemeral.both)
        }

        // From another host: a namespace on its own link to this host.
        let testHost = try makeTestHost()
        let remote = Shell.inNamespace(testHost.namespace, ["/usr/bin/curl", "-s", "-m", "3", "http://\(testHost.hostSide):\(hostPort)/"])
        XCTAssertEqual(remote.output, "hello from swiftnet\n", remote.both)

        // Hairpin: the container itself, and a neighbour on its network, through host addresses.
        let neighbour = try addContainer(to: network)
        for (who, namespace) in [("the container itself", web.namespace), ("its neighbour", neighbour.namespace)] {
            for address in [network.gateway, testHost.hostSide] {
                let hairpin = Shell.inNamespace(namespace, ["/usr/bin/curl", "-s", "-m", "3", "http://\(address):\(hostPort)/"],
                                                timeout: 8)
                XCTAssertEqual(hairpin.output, "hello from swiftnet\n", "\(who) via \(address):\(hostPort): \(hairpin.both)")
            }
        }

        // Another network: the published port through a host address, as Docker's userland
        // proxy lets it through (checked with dockerd 20.10), but never the container's own address.
        let otherNetwork = try createNetwork()
        let stranger = try addContainer(to: otherNetwork)
        for address in [otherNetwork.gateway, testHost.hostSide] {
            let across = Shell.inNamespace(stranger.namespace, ["/usr/bin/curl", "-s", "-m", "3", "http://\(address):\(hostPort)/"], timeout: 8)
            XCTAssertEqual(across.output, "hello from swiftnet\n", "another network via \(address):\(hostPort): \(across.both)")
        }
        let direct = Shell.inNamespace(stranger.namespace, ["/usr/bin/curl", "-s", "-m", "2", "http://\(web.address):8080/"], timeout: 6)
        XCTAssertFalse(direct.succeeded, "another network reached the container's own address: \(direct.both)")
        // An internal network forwards nothing, published ports included.
        let closedNetwork = try createNetwork(isInternal: true)
        let inside = try addContainer(to: closedNetwork)
        let shut = Shell.inNamespace(inside.namespace, ["/usr/bin/curl", "-s", "-m", "2", "http://\(closedNetwork.gateway):\(hostPort)/"], timeout: 6)
        XCTAssertFalse(shut.succeeded, "an internal network reached a published port: \(shut.both)")

        // Masquerade: the test host has no route to the container subnet, so only a
        // masqueraded ping can be answered.
        XCTAssertTrue(ping(from: web.namespace, testHost.farSide).succeeded, ping(from: web.namespace, testHost.farSide).both)

        // Revoke removes exactly those rules.
        XCTAssertEqual(try client.call("/NetworkDriver.RevokeExternalConnectivity",
                                       #"{"EndpointID":"\#(web.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertEqual(ourRules().filter { $0.contains("--dport \(hostPort)") || $0.contains(":8080") }, [])
        let after = Shell.run("/usr/bin/curl", ["-s", "-m", "2", "http://127.0.0.1:\(hostPort)/"])
        XCTAssertFalse(after.succeeded, "still published after revoke")
    }

    func testIsolationAndInternalNetworks() throws {
        let first = try createNetwork()
        let second = try createNetwork()
        let closed = try createNetwork(isInternal: true)
        let a = try addContainer(to: first)
        let b = try addContainer(to: second)
        let c = try addContainer(to: closed)
        let c2 = try addContainer(to: closed)
        let testHost = try makeTestHost()
        XCTAssertTrue(ping(from: a.namespace, testHost.farSide).succeeded, "a normal network reaches out")
        XCTAssertFalse(ping(from: a.namespace, b.address).succeeded, "two swiftnet networks are isolated")
        XCTAssertFalse(ping(from: b.namespace, a.address).succeeded, "two swiftnet networks are isolated")
        XCTAssertFalse(ping(from: c.namespace, testHost.farSide).succeeded, "an internal network has no way out")
        XCTAssertTrue(ping(from: c.namespace, c2.address).succeeded, "inside an internal network containers talk")
        XCTAssertFalse(ping(from: a.namespace, c.address).succeeded, "nothing gets into an internal network")
    }

    /// A container's published port is reached from another network only through a host
    /// address (DNAT'ed), never at the container's own address, whichever network was created
    /// first. UDP, because TCP hides a one-way hole: the reply is dropped by the isolation of
    /// the network it leaves, so a connection fails even when its SYN got in.
    func testAPublishedPortIsNotReachedDirectlyFromAnotherNetwork() throws {
        let earlier = try createNetwork()
        let web = try addContainer(to: earlier)
        let later = try createNetwork()
        let stranger = try addContainer(to: later)
        let port = Int.random(in: 20000...29999)
        // Prints each datagram's payload on a line of its own, for 8 seconds.
        let listener = Process()
        let output = Pipe()
        listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        listener.arguments = ["netns", "exec", web.namespace, "/usr/bin/env", "python3", "-u", "-c", """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", \(port)))
            s.settimeout(0.2)
            print("ready")
            end = time.time() + 8
            while time.time() < end:
                try:
                    print(s.recv(100).decode())
                except socket.timeout:
                    pass
            """]
        listener.standardOutput = output
        try listener.run()
        background.append(listener)
        let program = try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(web.endpointID)","NetworkID":"\#(earlier.id)","Options":{"com.docker.network.endpoint.exposedports":[{"Port":\#(port),"Proto":17}],"com.docker.network.portmap":[{"HostIP":"","HostPort":\#(port),"HostPortEnd":\#(port),"IP":"","Port":\#(port),"Proto":17}]}}"#)
        XCTAssertEqual(program.status, 200, "\(program.object)\n\(server.log)")

        func send(_ payload: String, to address: String) {
            let sent = Shell.inNamespace(stranger.namespace, ["/usr/bin/env", "python3", "-c",
                "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), (sys.argv[2], \(port)))",
                payload, address])
            XCTAssertTrue(sent.succeeded, sent.both)
        }
        // Sent twice, 0.3 s apart, after the listener is up: one datagram may meet a neighbour
        // table still resolving.
        usleep(1_500_000)
        for _ in 0..<2 {
            send("direct", to: web.address)
            send("through-the-host", to: later.gateway)
            usleep(300_000)
        }
        listener.waitUntilExit()
        let heard = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(heard.first, "ready", heard.joined(separator: "|"))
        XCTAssertTrue(heard.contains("through-the-host"), "the published port through a host address: \(heard)")
        XCTAssertFalse(heard.contains("direct"), "another network reached the container's own address: \(heard)\n"
                       + ourRules().joined(separator: "\n"))
    }

    /// Networks' rules stand in the order the networks were created, whatever their bridges'
    /// names, also after a restart: a new network's rules are appended to the chains, which
    /// `iptables-restore` does without reading them (see `FirewallPatch.insertions`).
    func testNetworksRulesStayInTheOrderTheNetworksWereCreated() throws {
        // Until the bridges' names are out of order (1 in 2 each time), so that an order by
        // name cannot pass.
        var created = [try createNetwork().bridge]
        while created == created.sorted() && created.count < 12 { created.append(try createNetwork().bridge) }
        XCTAssertNotEqual(created, created.sorted())
        // Each network has one masquerade, in POSTROUTING: "-A P-POSTROUTING -s POOL ! -o BRIDGE -j MASQUERADE".
        func creationOrder() -> [String] {
            ourRules().filter { $0.hasPrefix("-A \(chainPrefix)-POSTROUTING -s ") }.map { String($0.split(separator: " ")[6]) }
        }
        XCTAssertEqual(creationOrder(), created)
        let before = ourRules()
        XCTAssertEqual(server.terminate(), 0)
        try server.start()
        client = try server.client()
        XCTAssertEqual(ourRules(), before, "a restart renders the same rules in the same order")
        created.append(try createNetwork().bridge)
        XCTAssertEqual(creationOrder(), created)
        // In its branch of FORWARD (the character after "swn-").
        let branch = "\(chainPrefix)-FORWARD-\(created.last!.dropFirst(4).prefix(1))"
        let forward = ourRules().filter { $0.hasPrefix("-A \(branch) ") }
        XCTAssertTrue(forward.last?.contains(created.last!) ?? false, "the newest network's rules close its branch: \(forward)")
    }

    /// Docker 29 names its address requests: a container recreated under the same name gets
    /// its address back, and with it the MAC swiftnet derives from the address — also after a
    /// restart of swiftnet.
    func testRecreatedContainerGetsItsAddressAndMACBack() throws {
        let network = try createNetwork()
        let named = #"{"com.docker.network.endpoint.name":"web"}"#
        func endpoint() throws -> (cidr: String, mac: String?, id: String) {
            let cidr = try client.requestAddress(pool: network.poolID, options: named)
            let id = Shell.randomHex(64)
            let create = try client.call("/NetworkDriver.CreateEndpoint",
                #"{"EndpointID":"\#(id)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#)
            XCTAssertEqual(create.status, 200, "\(create.object)")
            return (cidr, (create.object["Interface"] as? [String: Any])?["MacAddress"] as? String, id)
        }
        func remove(_ endpoint: (cidr: String, mac: String?, id: String)) throws {
            XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(endpoint.id)","NetworkID":"\#(network.id)"}"#).status, 200)
            try client.releaseAddress(pool: network.poolID, address: String(endpoint.cidr.split(separator: "/")[0]))
        }
        let first = try endpoint()
        try remove(first)
        _ = try client.requestAddress(pool: network.poolID)  // someone else meanwhile
        XCTAssertEqual(server.terminate(), 0)
        try server.start()
        client = try server.client()
        let second = try endpoint()
        XCTAssertEqual(second.cidr, first.cidr)
        XCTAssertNotNil(first.mac)
        XCTAssertEqual(second.mac, first.mac)
        try remove(second)
    }

    func testBadInputIsRefusedAndLeavesNothing() throws {
        func create(_ id: String, generic: String) throws -> (Int, String) {
            let (status, object) = try client.call("/NetworkDriver.CreateNetwork",
                #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"10.231.7.1/24","Pool":"10.231.7.0/24"}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.generic":\#(generic)}}"#)
            return (status, object["Err"] as? String ?? "")
        }
        let before = Set(Shell.linkNames())
        var (status, message) = try create("../../etc", generic: "{}")
        XCTAssertEqual(status, 500)
        XCTAssertTrue(message.contains("invalid network id"), message)
        let id = Shell.randomHex(64)
        bridges.append("swn-" + id.prefix(10))
        (status, message) = try create(id, generic: #"{"com.docker.network.driver.mtu":"lots"}"#)
        XCTAssertTrue(status == 500 && message.contains("com.docker.network.driver.mtu"), message)
        (status, message) = try create(id, generic: #"{"com.docker.network.bridge.enable_icc":"perhaps"}"#)
        XCTAssertTrue(status == 500 && message.contains("enable_icc"), message)
        (status, message) = try create(id, generic: #"{"com.docker.network.bridge.name":"bad name!"}"#)
        XCTAssertTrue(status == 500 && message.contains("bridge.name"), message)
        // A bridge name that belongs to something else.
        let foreign = "swt" + Shell.randomHex(8)
        links.append(foreign)
        XCTAssertTrue(Shell.ip("link", "add", foreign, "type", "bridge").succeeded)
        (status, message) = try create(id, generic: #"{"com.docker.network.bridge.name":"\#(foreign)"}"#)
        XCTAssertTrue(status == 500 && message.contains("in use"), message)
        XCTAssertTrue(Shell.ip("-o", "link", "show", foreign).succeeded, "the foreign bridge is untouched")
        // Endpoints of unknown networks, unsafe endpoint ids, bad addresses.
        var endpoint = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(Shell.randomHex(64))","Interface":{"Address":"10.231.7.2/24"},"NetworkID":"\#(Shell.randomHex(64))"}"#)
        XCTAssertEqual(endpoint.status, 500)
        XCTAssertTrue((endpoint.object["Err"] as? String)?.contains("not a swiftnet network") == true, "\(endpoint.object)")
        let network = try createNetwork()
        endpoint = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"x y","Interface":{"Address":"10.231.7.2/24"},"NetworkID":"\#(network.id)"}"#)
        XCTAssertTrue(endpoint.status == 500 && (endpoint.object["Err"] as? String)?.contains("invalid endpoint id") == true, "\(endpoint.object)")
        endpoint = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(Shell.randomHex(64))","Interface":{"Address":"10.231.7.300/24"},"NetworkID":"\#(network.id)"}"#)
        XCTAssertEqual(endpoint.status, 500, "\(endpoint.object)")
        XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint", "{\"EndpointID\": 7}").status, 400)
        XCTAssertEqual(try client.call("/NetworkDriver.AllocateNetwork", #"{"NetworkID":"abc"}"#).status, 500)
        // Repeated deletes of unknown things are fine.
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(Shell.randomHex(64))","NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(Shell.randomHex(64))","NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(Shell.randomHex(64))"}"#).status, 200)
        let after = Set(Shell.linkNames()).subtracting([network.bridge])
        XCTAssertEqual(after.subtracting(before), [foreign], "a refused request left an interface")
    }

    func testRestartRecreatesAMissingBridge() throws {
        let network = try createNetwork()
        let container = try addContainer(to: network)
        server.kill9()
        // As after a reboot: the bridge is gone (its veths with it).
        Shell.ip("netns", "del", container.namespace)
        XCTAssertTrue(Shell.ip("link", "del", network.bridge).succeeded)
        try server.start()
        client = try server.client()
        let addresses = Shell.ip("-o", "addr", "show", "dev", network.bridge)
        XCTAssertTrue(addresses.output.contains("inet \(network.gateway)/24"), addresses.both)
        XCTAssertTrue(server.log.contains("recreated bridge \(network.bridge)"), server.log)
        let again = try addContainer(to: network)
        XCTAssertTrue(ping(from: again.namespace, network.gateway).succeeded)
    }

    // MARK: a test host

    struct TestHost {
        var namespace: String
        var hostSide: String
        var farSide: String
    }

    /// A namespace linked to this host by a veth pair on a /30: another machine on the LAN.
    func makeTestHost() throws -> TestHost {
        let namespace = "swtest-" + Shell.randomHex(8)
        let near = "swt" + Shell.randomHex(8)
        let far = near + "b"
        namespaces.append(namespace)
        links.append(near)
        let n = Int.random(in: 0...60) * 4
        let host = "10.249.\(Int.random(in: 0...250)).\(n + 1)", remote = host.split(separator: ".").dropLast().joined(separator: ".") + ".\(n + 2)"
        for step in [
            Shell.ip("netns", "add", namespace),
            Shell.ip("link", "add", near, "type", "veth", "peer", "name", far),
            Shell.ip("link", "set", far, "netns", namespace),
            Shell.ip("addr", "add", host + "/30", "dev", near),
            Shell.ip("link", "set", near, "up"),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "addr", "add", remote + "/30", "dev", far]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", far, "up"]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", "lo", "up"]),
        ] {
            XCTAssertTrue(step.succeeded, step.both)
        }
        return TestHost(namespace: namespace, hostSide: host, farSide: remote)
    }
}

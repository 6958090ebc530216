import Foundation
import SwiftnetClient
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// Throws mutated bodies of every call at a real server and checks that each gets an answer —
/// 200, or 4xx/5xx with a JSON `Err` — and that the server lives through all of them. The
/// server runs in a throw-away network namespace: whatever a valid fuzzed request makes there
/// (bridges, veths, iptables rules) goes with it.
///
/// Each round plays one network's life in dockerd 29's order with its bodies (docker29-wire.md),
/// every valid call followed by mutations of it, so that mutations carry real pool, network
/// and endpoint ids. Replay with `SWIFTNET_FUZZ_SEED`; size with `SWIFTNET_FUZZ_REQUESTS` and
/// `SWIFTNET_FUZZ_SECONDS`.
final class FuzzTests: XCTestCase {
    static let defaultSeed: UInt64 = 0x5EED_2026_0A11
    /// Calls whose valid body is refused anyway (swarm only).
    static let refusedByDesign: Set<String> = ["/NetworkDriver.AllocateNetwork", "/NetworkDriver.FreeNetwork"]
    var server: ServerProcess!
    var client: UnixHTTPClient!
    let namespace = "swfuzz-" + Shell.randomHex(8)
    let chainPrefix = "SWF" + Shell.randomHex(6).uppercased()
    var networkIDs: [String] = []

    // Run figures, printed at the end.
    var sent = 0
    var statuses: [Int: Int] = [:]
    var seedRefusals: [String] = []
    var requestLimit = 8000
    var deadline = Date()
    var mutator = FuzzMutator(random: SplitMix64(seed: FuzzTests.defaultSeed))
    var mutationsPerCall = 3

    struct Failure: Error, CustomStringConvertible { var description: String }
    /// The request or time budget is spent.
    struct Done: Error {}

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for a network namespace") }
        XCTAssertTrue(Shell.ip("netns", "add", namespace).succeeded)
        // Foundation's run loop wakes itself through a loopback socket pair.
        XCTAssertTrue(Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", "lo", "up"]).succeeded)
        server = ServerProcess()
        server.namespace = namespace
        server.extraArguments = ["--chain-prefix", chainPrefix]
        try server.start()
        client = try UnixHTTPClient(socketPath: server.socketPath, timeoutSeconds: 15)
    }

    override func tearDownWithError() throws {
        client?.close()
        server?.cleanUp()
        Shell.ip("netns", "del", namespace)
        // Nothing reached the host's own namespace.
        let hostLinks = Set(Shell.linkNames())
        XCTAssertEqual(networkIDs.map { "swn-" + $0.prefix(10) }.filter(hostLinks.contains), [], "bridges on the host")
        XCTAssertFalse(Shell.run("/usr/sbin/iptables-save", []).output.contains(chainPrefix), "chains on the host")
    }

    func testMutatedRequestsAlwaysGetAnAnswerAndNeverStopTheServer() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = SplitMix64.seed(default: FuzzTests.defaultSeed)
        requestLimit = environment["SWIFTNET_FUZZ_REQUESTS"].flatMap { Int($0) } ?? 8000
        let seconds = environment["SWIFTNET_FUZZ_SECONDS"].flatMap { Double($0) } ?? 80
        mutator = FuzzMutator(random: SplitMix64(seed: seed))
        print("fuzz: seed 0x\(String(seed, radix: 16)) (SWIFTNET_FUZZ_SEED), at most \(requestLimit) requests or \(Int(seconds)) s")
        let started = Date()
        deadline = started.addingTimeInterval(seconds)

        var rounds = 0
        do {
            while true {
                try round(rounds)
                rounds += 1
            }
        } catch is Done {
        } catch let failure as Failure {
            XCTFail("\(failure)\nseed 0x\(String(seed, radix: 16)), request \(sent)\nserver log (end):\n\(server.log.suffix(3000))")
            return
        }
        let elapsed = Date().timeIntervalSince(started)
        let histogram = statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
        print("fuzz: \(sent) requests in \(String(format: "%.1f", elapsed)) s, \(rounds) rounds; statuses: \(histogram)")
        if !seedRefusals.isEmpty {
            let distinct = Dictionary(seedRefusals.map { (String($0.prefix(70)), 1) }, uniquingKeysWith: +).sorted { $0.value > $1.value }
            print("fuzz: \(seedRefusals.count) valid calls refused after earlier mutations; most common: "
                  + distinct.prefix(4).map { "\($0.value)× \($0.key.prefix(160))" }.joined(separator: " | "))
        }

        // Still serving, its state readable, no crash in its log.
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).status, 200)
        let state = try client.get("/state")
        XCTAssertEqual(state.status, 200)
        XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(state.body)) as? [String: Any], "GET /state parses")
        XCTAssertEqual(server.process?.isRunning, true)
        let log = server.log
        for sign in ["Fatal error", "Crash", "Backtrace", "Illegal instruction", "Segmentation"] {
            XCTAssertFalse(log.contains(sign), "\(sign) in the server log")
        }
        XCTAssertGreaterThanOrEqual(sent, min(requestLimit, 1000), "enough requests ran")
    }

    // MARK: one network's life

    func round(_ number: Int) throws {
        let base = "10.\(20 + number / 250 % 200).\(number % 250)"
        let subnet = "\(base).0/24"
        let networkID = Shell.randomHex(64)
        let endpointIDs = (Shell.randomHex(64), Shell.randomHex(64))
        networkIDs.append(networkID)
        var held: Set<String> = [networkID, endpointIDs.0, endpointIDs.1]
        let hostPort = FuzzValue.number(String(20000 + number % 10000))

        for path in ["/Plugin.Activate", "/NetworkDriver.GetCapabilities", "/IpamDriver.GetCapabilities",
                     "/IpamDriver.GetDefaultAddressSpaces"] {
            _ = try call(path, nil, held: held)
        }
        // Docker 29's automatic, size-only and IPv6 pools, released at the end of the round.
        var extraPools: [String] = []
        for body: FuzzValue in [
            ["AddressSpace": "LocalDefault", "Pool": "", "SubPool": "", "Options": [:], "V6": false],
            ["AddressSpace": "LocalDefault", "Pool": "0.0.0.0/26", "SubPool": "", "Options": [:], "V6": false],
            ["AddressSpace": "LocalDefault", "Pool": "::/80", "SubPool": "", "Options": [:], "V6": true],
        ] {
            if let id = try call("/IpamDriver.RequestPool", body, held: held)["PoolID"] as? String { extraPools.append(id) }
        }
        held.formUnion(extraPools)

        // network create --subnet --ip-range --gateway --aux-address --ipv6 -o …
        let pool = try call("/IpamDriver.RequestPool", ["AddressSpace": "LocalDefault", "Pool": .text(subnet),
            "SubPool": .text("\(base).128/25"), "Options": ["swiftnet.sticky": "true", "x": "y"], "V6": false], held: held)
        let poolID = pool["PoolID"] as? String ?? "LocalDefault/\(subnet)/\(base).128/25"
        let pool6 = try call("/IpamDriver.RequestPool", ["AddressSpace": "LocalDefault", "Pool": "", "SubPool": "",
                                                        "Options": [:], "V6": true], held: held)
        let pool6ID = pool6["PoolID"] as? String ?? "LocalDefault/fd00::/64"
        let subnet6 = pool6["Pool"] as? String ?? "fd00::/64"
        held.formUnion([poolID, pool6ID])
        let gateway = try call("/IpamDriver.RequestAddress", ["PoolID": .text(poolID), "Address": .text("\(base).254"),
            "Options": ["RequestAddressType": "com.docker.network.gateway"]], held: held)["Address"] as? String ?? "\(base).254/24"
        let aux = try call("/IpamDriver.RequestAddress", ["PoolID": .text(poolID), "Address": .text("\(base).10"), "Options": nil],
                           held: held)["Address"] as? String ?? "\(base).10/24"
        let gateway6 = try call("/IpamDriver.RequestAddress", ["PoolID": .text(pool6ID), "Address": "",
            "Options": ["RequestAddressType": "com.docker.network.gateway"]], held: held)["Address"] as? String ?? ""
        held.formUnion([gateway, aux, gateway6])
        _ = try call("/NetworkDriver.CreateNetwork", [
            "NetworkID": .text(networkID),
            "Options": ["com.docker.network.enable_ipv4": true, "com.docker.network.enable_ipv6": true,
                        "com.docker.network.generic": ["com.docker.network.driver.mtu": "1400",
                                                       "com.docker.network.bridge.enable_icc": "true",
                                                       "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0", "foo": "bar"],
                        "com.docker.network.internal": false],
            "IPv4Data": [["AddressSpace": "LocalDefault", "AuxAddresses": ["router": .text(aux)], "Gateway": .text(gateway),
                          "Pool": .text(subnet)]],
            "IPv6Data": [["AddressSpace": "LocalDefault", "AuxAddresses": [:], "Gateway": .text(gateway6), "Pool": .text(subnet6)]],
        ], held: held)

        // docker run --name backend -p PORT:8080 -p 127.0.0.1::53/udp, and one with --ip --mac-address.
        let address = try call("/IpamDriver.RequestAddress", ["PoolID": .text(poolID), "Address": "",
            "Options": ["com.docker.network.endpoint.name": "backend"]], held: held)["Address"] as? String ?? ""
        let address6 = try call("/IpamDriver.RequestAddress", ["PoolID": .text(pool6ID), "Address": "",
            "Options": ["com.docker.network.endpoint.name": "backend"]], held: held)["Address"] as? String ?? ""
        let fixed = try call("/IpamDriver.RequestAddress", ["PoolID": .text(poolID), "Address": .text("\(base).33"),
            "Options": ["com.docker.network.endpoint.name": "z1"]], held: held)["Address"] as? String ?? "\(base).33/24"
        held.formUnion([address, address6, fixed])
        let ports: FuzzValue = [["Proto": 6, "IP": "", "Port": 8080, "HostIP": "", "HostPort": hostPort, "HostPortEnd": hostPort],
                                ["Proto": 17, "IP": "", "Port": 53, "HostIP": "127.0.0.1", "HostPort": 0, "HostPortEnd": 0]]
        let exposed: FuzzValue = [["Proto": 6, "Port": 8080], ["Proto": 17, "Port": 53]]
        _ = try call("/NetworkDriver.CreateEndpoint", [
            "NetworkID": .text(networkID), "EndpointID": .text(endpointIDs.0),
            "Interface": ["Address": .text(address), "AddressIPv6": .text(address6), "MacAddress": ""],
            "Options": ["com.docker.network.endpoint.dnsservers": ["127.0.0.1"], "com.docker.network.endpoint.exposedports": exposed,
                        "com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.log_martians=1",
                        "com.docker.network.portmap": ports],
        ], held: held)
        _ = try call("/NetworkDriver.CreateEndpoint", [
            "NetworkID": .text(networkID), "EndpointID": .text(endpointIDs.1),
            "Interface": ["Address": .text(fixed), "AddressIPv6": "", "MacAddress": "02:aa:bb:cc:dd:ee"],
            "Options": ["com.docker.network.endpoint.dnsservers": ["127.0.0.1"], "com.docker.network.endpoint.exposedports": [],
                        "com.docker.network.endpoint.ifname": "foo0", "com.docker.network.endpoint.macaddress": "Aqq7zN3u",
                        "com.docker.network.portmap": [], "k1": "v1"],
        ], held: held)
        let endpoint: FuzzValue = ["NetworkID": .text(networkID), "EndpointID": .text(endpointIDs.0)]
        _ = try call("/NetworkDriver.Join", ["NetworkID": .text(networkID), "EndpointID": .text(endpointIDs.0),
            "SandboxKey": "/var/run/docker/netns/3c960c219009",
            "Options": ["com.docker.network.endpoint.exposedports": exposed, "com.docker.network.portmap": ports]], held: held)
        _ = try call("/NetworkDriver.ProgramExternalConnectivity", ["NetworkID": .text(networkID), "EndpointID": .text(endpointIDs.0),
            "Options": ["com.docker.network.driver.private.no_proxy_6to4": true, "com.docker.network.endpoint.exposedports": exposed,
                        "com.docker.network.portmap": ports]], held: held)
        _ = try call("/NetworkDriver.EndpointOperInfo", endpoint, held: held)
        for path in ["/state", "/healthz", "/metrics"] + (number % 5 == 0 ? ["/doctor"] : []) {
            _ = try call(path, nil, method: "GET", held: held)
        }
        _ = try call("/Swiftnet.GC", ["DryRun": true, "MinimumAgeSeconds": 60], held: held)
        for path in ["/NetworkDriver.DiscoverNew", "/NetworkDriver.DiscoverDelete"] {
            _ = try call(path, ["DiscoveryType": 1, "DiscoveryData": ["Address": "10.0.0.1", "BindAddress": "10.0.0.1", "Self": true]],
                         held: held)
        }
        _ = try call("/NetworkDriver.AllocateNetwork", ["NetworkID": .text(networkID), "Options": [:], "IPv4Data": [], "IPv6Data": []],
                     held: held)
        _ = try call("/NetworkDriver.FreeNetwork", ["NetworkID": .text(networkID)], held: held)

        // docker stop, docker network rm: dockerd's order.
        for path in ["/NetworkDriver.RevokeExternalConnectivity", "/NetworkDriver.Leave", "/NetworkDriver.DeleteEndpoint"] {
            _ = try call(path, endpoint, held: held)
        }
        _ = try call("/NetworkDriver.DeleteEndpoint", ["NetworkID": .text(networkID), "EndpointID": .text(endpointIDs.1)], held: held)
        for (id, cidr) in [(poolID, address), (pool6ID, address6), (poolID, fixed), (poolID, gateway), (poolID, aux),
                           (pool6ID, gateway6)] {
            _ = try call("/IpamDriver.ReleaseAddress", ["PoolID": .text(id), "Address": .text(String(cidr.split(separator: "/").first ?? ""))],
                         held: held)
        }
        for id in [poolID, pool6ID] + extraPools {
            _ = try call("/IpamDriver.ReleasePool", ["PoolID": .text(id)], held: held)
        }
        _ = try call("/NetworkDriver.DeleteNetwork", ["NetworkID": .text(networkID)], held: held)
    }

    // MARK: sending and checking

    /// Sends the valid call, then its mutations; returns the valid call's answer.
    func call(_ path: String, _ body: FuzzValue?, method: String = "POST", held: Set<String>) throws -> [String: Any] {
        let valid = try send(FuzzRequest(method: method, path: path, body: body?.serialized ?? [], tree: body, mutations: []))
        if valid.status != 200 && !FuzzTests.refusedByDesign.contains(path) { seedRefusals.append("\(path) \(valid.status) \(valid.object["Err"] ?? "")") }
        // A mutation that repeats the valid call gets its answer: that is the round's, not to undo.
        let kept = held.union(valid.object.values.compactMap { $0 as? String })
        for _ in 0..<mutationsPerCall {
            let request = mutator.mutate(method: method, path: path, body: body)
            let answer = try send(request)
            if answer.status == 200 && request.method == "POST" { try undo(request, answer: answer.object, held: kept) }
        }
        return valid.object
    }

    /// A mutation that made something (still valid JSON, or a repeat) is undone, so that rounds
    /// do not run out of pools; what the round itself holds is left alone.
    func undo(_ request: FuzzRequest, answer: [String: Any], held: Set<String>) throws {
        guard let tree = request.tree else { return }
        switch request.path {
        case "/IpamDriver.RequestPool":
            if let id = answer["PoolID"] as? String, !held.contains(id) {
                _ = try send(FuzzRequest(method: "POST", path: "/IpamDriver.ReleasePool", body: FuzzValue.object(
                    [(key: Array("PoolID".utf8), value: .text(id))]).serialized, mutations: ["undo"]))
            }
        case "/IpamDriver.RequestAddress":
            if let cidr = answer["Address"] as? String, !held.contains(cidr), let poolID = tree.string("PoolID") {
                let body: FuzzValue = ["PoolID": .text(poolID), "Address": .text(String(cidr.split(separator: "/").first ?? ""))]
                _ = try send(FuzzRequest(method: "POST", path: "/IpamDriver.ReleaseAddress", body: body.serialized, mutations: ["undo"]))
            }
        case "/NetworkDriver.CreateNetwork":
            if let id = tree.string("NetworkID"), !held.contains(id) {
                networkIDs.append(id)
                let body: FuzzValue = ["NetworkID": .text(id)]
                _ = try send(FuzzRequest(method: "POST", path: "/NetworkDriver.DeleteNetwork", body: body.serialized, mutations: ["undo"]))
            }
        case "/NetworkDriver.CreateEndpoint":
            if let id = tree.string("EndpointID"), !held.contains(id) {
                let body: FuzzValue = ["NetworkID": "", "EndpointID": .text(id)]
                _ = try send(FuzzRequest(method: "POST", path: "/NetworkDriver.DeleteEndpoint", body: body.serialized, mutations: ["undo"]))
            }
        default:
            break
        }
    }

    /// One request and the checks every answer must pass.
    func send(_ request: FuzzRequest) throws -> (status: Int, object: [String: Any]) {
        guard sent < requestLimit, Date() < deadline else { throw Done() }
        sent += 1
        let response: HTTPClientResponse
        do {
            switch request.method {
            case "POST": response = try client.post(request.path, body: request.body)
            case "GET" where request.body.isEmpty: response = try client.get(request.path)
            default:
                let head = "\(request.method) \(request.path) HTTP/1.1\r\nHost: plugin.moby.localhost\r\nContent-Length: \(request.body.count)\r\n\r\n"
                try client.sendRaw(Array(head.utf8) + request.body)
                response = try client.readResponse()
            }
        } catch {
            throw Failure(description: "no answer (\(error)) to \(describe(request))")
        }
        statuses[response.status, default: 0] += 1
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == 200 || (400..<600).contains(response.status) else {
            throw Failure(description: "status \(response.status) for \(describe(request))")
        }
        if response.status != 200 {
            guard let message = object?["Err"] as? String, !message.isEmpty else {
                throw Failure(description: "\(response.status) without a JSON Err: \(response.text.prefix(300)) for \(describe(request))")
            }
        }
        guard server.process?.isRunning == true else { throw Failure(description: "server gone after \(describe(request))") }
        return (response.status, object ?? [:])
    }

    func describe(_ request: FuzzRequest) -> String {
        let body = String(decoding: request.body.prefix(400), as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "\(request.method) \(request.path.prefix(100)) [\(request.mutations.joined(separator: "; "))] "
            + "body (\(request.body.count) bytes): \(body)"
    }
}

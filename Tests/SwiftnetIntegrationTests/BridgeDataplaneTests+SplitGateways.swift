import Foundation
import SwiftnetAddress
import SwiftnetFirewall
import SwiftnetTestSupport
import XCTest

/// Docker 28+ picks a gateway endpoint per address family. A container on an IPv4-only and an
/// IPv6-only network has two, and dockerd calls ProgramExternalConnectivity on each with the
/// full port list, the IPv4 one with `no_proxy_6to4` (bodies as dockerd 29.7.2 sends them,
/// shared/docs/docker29-wire.md §2, §4 "split gateways").
extension BridgeDataplaneTests {
    /// A network as dockerd 29 creates it: a random unique-local IPv6 /64, and an IPv4 /24
    /// beside it when `ipv4` (else `--ipv6 --ipv4=false`). `network.poolID` is the IPv4 pool's
    /// (the IPv6 one's for an IPv6-only network); the IPv6 pool's id beside it.
    func createNetwork29(ipv4: Bool) throws -> (network: TestNetwork, v6PoolID: String) {
        let gatewayOption = #"{"RequestAddressType":"com.docker.network.gateway"}"#
        let v6Subnet = "fd00:\(String(Int.random(in: 0x100...0xfff), radix: 16)):\(String(Int.random(in: 0x100...0xfff), radix: 16))::/64"
        let v6 = try client.requestPool(v6Subnet, v6: true, options: "{}")
        let gateway6 = try client.requestAddress(pool: v6.id, options: gatewayOption)
        var v4: (subnet: String, poolID: String, gateway: String)?
        if ipv4 {
            let subnet = "\(subnetBase()).0/24"
            let pool = try client.requestPool(subnet)
            v4 = (subnet, pool.id, try client.requestAddress(pool: pool.id, options: gatewayOption))
        }
        let id = Shell.randomHex(64)
        let bridge = "swn-" + id.prefix(10)
        bridges.append(bridge)
        let ipv4Data = v4.map { #"[{"AddressSpace":"LocalDefault","Gateway":"\#($0.gateway)","Pool":"\#($0.subnet)"}]"# } ?? "[]"
        let create = try client.call("/NetworkDriver.CreateNetwork",
            #"{"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv4":\#(ipv4),"com.docker.network.enable_ipv6":true,"com.docker.network.generic":{}},"IPv4Data":\#(ipv4Data),"IPv6Data":[{"AddressSpace":"LocalDefault","AuxAddresses":{},"Gateway":"\#(gateway6)","Pool":"\#(v6Subnet)"}]}"# + "\n")
        XCTAssertEqual(create.status, 200, "\(create.object)")
        let gateway = String((v4?.gateway ?? gateway6).split(separator: "/")[0])
        return (TestNetwork(id: id, poolID: v4?.poolID ?? v6.id, subnet: v4?.subnet ?? v6Subnet, gateway: gateway, bridge: bridge), v6.id)
    }

    func createIPv6OnlyNetwork() throws -> TestNetwork { try createNetwork29(ipv4: false).network }

    func createDualStackNetwork() throws -> (network: TestNetwork, v6PoolID: String) { try createNetwork29(ipv4: true) }

    /// CreateEndpoint + Join as dockerd 29 sends them, with an IPv6 address and an IPv4 one
    /// when `v4PoolID` is given; returns its id and addresses. The veth is left in this
    /// namespace (nothing here needs its traffic): tearDown deletes it.
    func addEndpoint29(to network: TestNetwork, v4PoolID: String?, v6PoolID: String, name: String) throws -> (id: String, v4: String?, v6: String) {
        let named = #"{"com.docker.network.endpoint.name":"\#(name)"}"#
        let cidr4 = try v4PoolID.map { try client.requestAddress(pool: $0, options: named) }
        let cidr6 = try client.requestAddress(pool: v6PoolID, options: named)
        let id = Shell.randomHex(64)
        links.append("swv" + id.prefix(11))
        let create = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","Interface":{"Address":"\#(cidr4 ?? "")","AddressIPv6":"\#(cidr6)","MacAddress":""},"Options":{"com.docker.network.endpoint.dnsservers":["127.0.0.1"],"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}}"# + "\n")
        XCTAssertEqual(create.status, 200, "\(create.object)")
        let join = try client.call("/NetworkDriver.Join",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","SandboxKey":"/var/run/docker/netns/3c960c219009","Options":{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}}"# + "\n")
        XCTAssertEqual(join.status, 200, "\(join.object)")
        func address(_ cidr: String) -> String { String(cidr.split(separator: "/")[0]) }
        return (id, cidr4.map(address), address(cidr6))
    }

    func addIPv6OnlyEndpoint(to network: TestNetwork, name: String) throws -> (id: String, address: String) {
        let endpoint = try addEndpoint29(to: network, v4PoolID: nil, v6PoolID: network.poolID, name: name)
        return (endpoint.id, endpoint.v6)
    }

    func addDualStackEndpoint(to network: TestNetwork, v6PoolID: String, name: String) throws -> (id: String, v4: String, v6: String) {
        let endpoint = try addEndpoint29(to: network, v4PoolID: network.poolID, v6PoolID: v6PoolID, name: name)
        return (endpoint.id, try XCTUnwrap(endpoint.v4), endpoint.v6)
    }

    /// ProgramExternalConnectivity of `portmap` (dockerd's `com.docker.network.portmap`).
    func program(_ endpoint: String, on network: TestNetwork, portmap: String, noProxy6to4: Bool) throws -> (status: Int, object: [String: Any]) {
        let flag = noProxy6to4 ? #""com.docker.network.driver.private.no_proxy_6to4":true,"# : ""
        return try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(endpoint)","Options":{\#(flag)"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":80}],"com.docker.network.portmap":\#(portmap)}}"# + "\n")
    }

    /// Host port `port` to container port 80, on every host address.
    func program(_ endpoint: String, on network: TestNetwork, port: Int, noProxy6to4: Bool) throws -> (status: Int, object: [String: Any]) {
        try program(endpoint, on: network, portmap: #"[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":\#(port),"HostPortEnd":\#(port)}]"#,
                    noProxy6to4: noProxy6to4)
    }

    func dnatRules(_ tool: String, port: Int) -> [String] {
        Shell.run(tool, ["-t", "nat"]).output.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("-A \(chainPrefix)-DNAT") && $0.contains("--dport \(port) ") }
    }

    /// The chain holding the DNATs of a container address (its bucket, see `FirewallChains`).
    func dnatBucket(_ address: String) throws -> String {
        try FirewallChains(prefix: chainPrefix).dnatBucket(FirewallChains.bucket(of: XCTUnwrap(IPAddress(address))))
    }

    func testSplitGatewaysPublishEachPortOncePerFamily() throws {
        let n4 = try createNetwork()
        let n6 = try createIPv6OnlyNetwork()
        for (first, port) in [("ipv4", Int.random(in: 40_000...44_999)), ("ipv6", Int.random(in: 45_000...49_999))] {
            let v4 = try addContainer(to: n4, name: "split-\(first)")
            let v6 = try addIPv6OnlyEndpoint(to: n6, name: "split-\(first)")
            // `docker network connect n6 split` after `docker run --network n4 -p`, and the reverse.
            let calls: [() throws -> (status: Int, object: [String: Any])] = [
                { try self.program(v4.endpointID, on: n4, port: port, noProxy6to4: true) },
                { try self.program(v6.id, on: n6, port: port, noProxy6to4: false) },
            ]
            for call in first == "ipv4" ? calls : calls.reversed() {
                let answer = try call()
                XCTAssertEqual(answer.status, 200, "\(first) first: \(answer.object)")
            }
            XCTAssertEqual(dnatRules("/usr/sbin/iptables-save", port: port),
                           ["-A \(try dnatBucket(v4.address)) -p tcp -m tcp --dport \(port) -j DNAT --to-destination \(v4.address):80"])
            XCTAssertEqual(dnatRules("/usr/sbin/ip6tables-save", port: port),
                           ["-A \(try dnatBucket(v6.address)) -p tcp -m tcp --dport \(port) -j DNAT --to-destination [\(v6.address)]:80"])
            // dockerd repeats a program of the same endpoint (gateway changes): the same bindings.
            XCTAssertEqual(try program(v6.id, on: n6, port: port, noProxy6to4: false).status, 200)
            // A second IPv4 endpoint still cannot take the port in IPv4.
            let other = try addContainer(to: n4, name: "other-\(first)")
            let refused = try program(other.endpointID, on: n4, port: port, noProxy6to4: false)
            XCTAssertEqual(refused.status, 500)
            XCTAssertTrue("\(refused.object)".contains("host port already in use"), "\(refused.object)")
        }
    }

    /// `docker run --network dual -p P:80 c` then `docker network connect --gw-priority 1 v6only c`
    /// (the dual-stack endpoint stays the IPv4 gateway and is programmed again, now with
    /// no_proxy_6to4; the IPv6-only one becomes the IPv6 gateway), and `docker run --network
    /// dual --network name=v6only,gw-priority=1 -p P:80` (both programmed, either first). The
    /// dual-stack endpoint must leave IPv6 to the other: it refused the second before.
    func testADualStackIPv4GatewayLeavesIPv6ToTheIPv6Gateway() throws {
        let (dual, v6Pool) = try createDualStackNetwork()
        let n6 = try createIPv6OnlyNetwork()
        for (order, port) in [("connect", Int.random(in: 40_000...41_999)), ("run, IPv6 first", Int.random(in: 42_000...43_999)),
                              ("run, IPv4 first", Int.random(in: 44_000...45_999))] {
            let portmap = #"[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":\#(port),"HostPortEnd":\#(port)}]"#
            let ea = try addDualStackEndpoint(to: dual, v6PoolID: v6Pool, name: "dual-\(port)")
            let eb = try addIPv6OnlyEndpoint(to: n6, name: "dual-\(port)")
            var calls: [() throws -> (status: Int, object: [String: Any])] = [
                { try self.program(ea.id, on: dual, portmap: portmap, noProxy6to4: true) },
                { try self.program(eb.id, on: n6, portmap: portmap, noProxy6to4: false) },
            ]
            if order == "connect" {
                XCTAssertEqual(try program(ea.id, on: dual, portmap: portmap, noProxy6to4: false).status, 200)
                XCTAssertEqual(dnatRules("/usr/sbin/ip6tables-save", port: port),
                               ["-A \(try dnatBucket(ea.v6)) -p tcp -m tcp --dport \(port) -j DNAT --to-destination [\(ea.v6)]:80"])
            } else if order == "run, IPv6 first" {
                calls.reverse()
            }
            for call in calls {
                let answer = try call()
                XCTAssertEqual(answer.status, 200, "\(order): \(answer.object)")
            }
            XCTAssertEqual(dnatRules("/usr/sbin/iptables-save", port: port),
                           ["-A \(try dnatBucket(ea.v4)) -p tcp -m tcp --dport \(port) -j DNAT --to-destination \(ea.v4):80"], order)
            XCTAssertEqual(dnatRules("/usr/sbin/ip6tables-save", port: port),
                           ["-A \(try dnatBucket(eb.address)) -p tcp -m tcp --dport \(port) -j DNAT --to-destination [\(eb.address)]:80"], order)
            // `docker network disconnect v6only c`: eb revoked, ea programmed for both families
            // again, on the same host port.
            XCTAssertEqual(try client.call("/NetworkDriver.RevokeExternalConnectivity",
                                           #"{"NetworkID":"\#(n6.id)","EndpointID":"\#(eb.id)"}"#).status, 200)
            XCTAssertEqual(try program(ea.id, on: dual, portmap: portmap, noProxy6to4: false).status, 200)
            XCTAssertEqual(dnatRules("/usr/sbin/ip6tables-save", port: port),
                           ["-A \(try dnatBucket(ea.v6)) -p tcp -m tcp --dport \(port) -j DNAT --to-destination [\(ea.v6)]:80"], order)
            XCTAssertEqual(dnatRules("/usr/sbin/iptables-save", port: port).count, 1, order)
        }
    }

    /// `-p 0.0.0.0:P:80` publishes IPv4 only and `-p [::]:Q:80` IPv6 only, as with Docker's
    /// bridge driver; 0.0.0.0:P clashes with another IPv4 address's P, not with IPv6's.
    func testAnUnspecifiedHostAddressPublishesItsFamilyOnly() throws {
        let (dual, v6Pool) = try createDualStackNetwork()
        let ea = try addDualStackEndpoint(to: dual, v6PoolID: v6Pool, name: "unspecified")
        let (p, q) = (Int.random(in: 46_000...47_999), Int.random(in: 48_000...49_999))
        let portmap = #"[{"Proto":6,"IP":"","Port":80,"HostIP":"0.0.0.0","HostPort":\#(p),"HostPortEnd":\#(p)},{"Proto":6,"IP":"","Port":80,"HostIP":"::","HostPort":\#(q),"HostPortEnd":\#(q)}]"#
        let answer = try program(ea.id, on: dual, portmap: portmap, noProxy6to4: false)
        XCTAssertEqual(answer.status, 200, "\(answer.object)")
        XCTAssertEqual(dnatRules("/usr/sbin/iptables-save", port: p),
                       ["-A \(try dnatBucket(ea.v4)) -p tcp -m tcp --dport \(p) -j DNAT --to-destination \(ea.v4):80"])
        XCTAssertEqual(dnatRules("/usr/sbin/ip6tables-save", port: p), [])
        XCTAssertEqual(dnatRules("/usr/sbin/iptables-save", port: q), [])
        XCTAssertEqual(dnatRules("/usr/sbin/ip6tables-save", port: q),
                       ["-A \(try dnatBucket(ea.v6)) -p tcp -m tcp --dport \(q) -j DNAT --to-destination [\(ea.v6)]:80"])
        let other = try addDualStackEndpoint(to: dual, v6PoolID: v6Pool, name: "unspecified-other")
        let loopback = try program(other.id, on: dual, portmap: #"[{"Proto":6,"IP":"","Port":80,"HostIP":"127.0.0.1","HostPort":\#(p),"HostPortEnd":\#(p)}]"#,
                                   noProxy6to4: false)
        XCTAssertEqual(loopback.status, 500)
        XCTAssertTrue("\(loopback.object)".contains("host port already in use"), "\(loopback.object)")
        let v6 = try program(other.id, on: dual, portmap: #"[{"Proto":6,"IP":"","Port":80,"HostIP":"::1","HostPort":\#(p),"HostPortEnd":\#(p)}]"#,
                             noProxy6to4: false)
        XCTAssertEqual(v6.status, 200, "\(v6.object)")
    }
}

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
    /// An IPv6-only network (`--ipv6 --ipv4=false`), created as dockerd 29 does.
    func createIPv6OnlyNetwork() throws -> TestNetwork {
        let subnet = "fd00:\(String(Int.random(in: 0x100...0xfff), radix: 16)):\(String(Int.random(in: 0x100...0xfff), radix: 16))::/64"
        let pool = try client.requestPool(subnet, v6: true, options: "{}")
        let gateway = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let id = Shell.randomHex(64)
        let bridge = "swn-" + id.prefix(10)
        bridges.append(bridge)
        let create = try client.call("/NetworkDriver.CreateNetwork",
            #"{"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv4":false,"com.docker.network.enable_ipv6":true,"com.docker.network.generic":{}},"IPv4Data":[],"IPv6Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(subnet)"}]}"# + "\n")
        XCTAssertEqual(create.status, 200, "\(create.object)")
        return TestNetwork(id: id, poolID: pool.id, subnet: subnet, gateway: String(gateway.split(separator: "/")[0]), bridge: bridge)
    }

    /// CreateEndpoint + Join of an IPv6-only endpoint; returns its id and address.
    func addIPv6OnlyEndpoint(to network: TestNetwork, name: String) throws -> (id: String, address: String) {
        let cidr = try client.requestAddress(pool: network.poolID, options: #"{"com.docker.network.endpoint.name":"\#(name)"}"#)
        let id = Shell.randomHex(64)
        // Left in this namespace (nothing here needs its traffic): tearDown deletes it.
        links.append("swv" + id.prefix(11))
        let create = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","Interface":{"Address":"","AddressIPv6":"\#(cidr)","MacAddress":""},"Options":{"com.docker.network.endpoint.dnsservers":["127.0.0.1"],"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}}"# + "\n")
        XCTAssertEqual(create.status, 200, "\(create.object)")
        let join = try client.call("/NetworkDriver.Join",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","SandboxKey":"/var/run/docker/netns/3c960c219009","Options":{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}}"# + "\n")
        XCTAssertEqual(join.status, 200, "\(join.object)")
        return (id, String(cidr.split(separator: "/")[0]))
    }

    func program(_ endpoint: String, on network: TestNetwork, port: Int, noProxy6to4: Bool) throws -> (status: Int, object: [String: Any]) {
        let flag = noProxy6to4 ? #""com.docker.network.driver.private.no_proxy_6to4":true,"# : ""
        return try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(endpoint)","Options":{\#(flag)"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":80}],"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":\#(port),"HostPortEnd":\#(port)}]}}"# + "\n")
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
}

import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetIPAM
import SwiftnetNetworkModel
import SwiftnetOperator

/// One network with two endpoints, as the records and the kernel would hold them when all is well.
enum Fixtures {
    static let networkID = String(repeating: "ab", count: 32)
    static let bridge = "swn-ababababab"
    static let bootID = "boot-1"
    static let group: UInt32 = 0x5300_1234

    static var network: NetworkRecord {
        var options = NetworkOptions()
        options.mtu = 1400
        options.generic = ["com.docker.network.driver.mtu": "1400"]
        return NetworkRecord(id: networkID, bridge: bridge, options: options,
                             subnets: [NetworkSubnet(pool: IPPrefix("10.77.0.0/24")!, gateway: IPAddress("10.77.0.1"))],
                             state: .ready)
    }

    static func endpoint(_ digit: Character, address: String, ports: [PublishedPort] = []) -> EndpointRecord {
        let id = String(repeating: digit, count: 64)
        return EndpointRecord(id: id, networkID: networkID, hostVeth: "swv" + id.prefix(11), containerVeth: "swc" + id.prefix(11),
                              address: InterfaceAddress(cidr: address + "/24"), addressIPv6: nil,
                              mac: MACAddress(derivedFrom: IPAddress(address)!), macFromDocker: false, bootID: bootID,
                              publishedPorts: ports, state: .ready)
    }

    static var endpoints: [EndpointRecord] {
        [endpoint("1", address: "10.77.0.2", ports: [PublishedPort(proto: .tcp, hostIP: nil, hostPort: 8080, containerPort: 80)]),
         endpoint("2", address: "10.77.0.3")]
    }

    /// The kernel as swiftnet leaves it for `network` and `endpoints`.
    static var healthyLinks: [ObservedLink] {
        [ObservedLink(name: "lo", kind: nil, mtu: 65536, isUp: true, master: nil, group: 0),
         ObservedLink(name: bridge, kind: "bridge", mtu: 1400, isUp: true, master: nil, group: group,
                      addresses: [InterfaceAddress(cidr: "10.77.0.1/24")!, InterfaceAddress(cidr: "fe80::1/64")!])]
            + endpoints.map { ObservedLink(name: $0.hostVeth, kind: "veth", mtu: 1400, isUp: true, master: bridge, group: group) }
    }

    static func findings(networks: [NetworkRecord] = [network], endpoints: [EndpointRecord] = endpoints,
                         links: [ObservedLink] = healthyLinks, firewall: FirewallDrift = FirewallDrift()) -> [Finding] {
        Diagnosis.findings(networks: networks, endpoints: endpoints, links: links, firewall: firewall, bootID: bootID, linkGroup: group)
    }
}

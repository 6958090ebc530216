import SwiftnetAddress
import SwiftnetCrashPoints
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel

/// Tells whether a host port is free for a new binding (the kernel's view; swiftnet's own
/// bindings are checked apart).
package protocol HostPortProbe: Sendable {
    /// `hostIP` nil: every address of `family`.
    func isFree(proto: TransportProtocol, hostIP: IPAddress?, family: IPFamily, port: Int) -> Bool
    /// Where ports are drawn from for `-p CONTAINERPORT` with no host port.
    var ephemeralRange: ClosedRange<Int> { get }
}

extension SwiftnetDriver {
    /// Publishes the endpoint's ports (`-p`): chooses host ports, records them, programs DNAT.
    package func programExternalConnectivity(networkID: String, endpointID: String, options: JSONObject?) throws {
        let requests = try PortBindingRequest.list(from: options)
        let published: [PublishedPort]? = try state.withLock { state in
            guard var endpoint = state.endpoints[endpointID] else { throw DriverError.unknownEndpoint(endpointID) }
            guard let network = state.networks[endpoint.networkID] else { throw DriverError.unknownNetwork(endpoint.networkID) }
            let mode = modes[network]
            guard mode.publishesPorts(on: network) else {
                // As Docker's macvlan and ipvlan drivers: `-p` is accepted and does nothing.
                if !(requests.isEmpty ? endpoint.requestedPorts : requests).isEmpty {
                    logger.warning("published ports are ignored on a \(network.mode.rawValue) network: the container is reached by its own address",
                                   metadata: ["endpoint": "\(endpointID.prefix(12))", "network": "\(network.id.prefix(12))"])
                }
                return nil
            }
            guard !network.options.isInternal else { return nil }
            let wanted = requests.isEmpty ? endpoint.requestedPorts : requests
            // Each binding counts only in the families its endpoint serves: with Docker 28+'s
            // split gateways an IPv4-only and an IPv6-only endpoint of one container are both
            // asked to publish the full port list (the IPv4 one with no_proxy_6to4, which
            // swiftnet honours by never forwarding across families).
            var taken = TakenHostPorts()
            for other in state.liveEndpoints() where other.id != endpointID {
                for port in other.publishedPorts {
                    taken.insert(port, families: port.families(onEndpointWith: SwiftnetDriver.families(of: other)))
                }
            }
            let chosen = try chooseHostPorts(wanted, taken: taken, endpointFamilies: SwiftnetDriver.families(of: endpoint),
                                             defaultHostIP: network.options.hostBindingIPv4)
            guard chosen != endpoint.publishedPorts else { return chosen }
            let previous = endpoint
            endpoint.requestedPorts = wanted
            endpoint.publishedPorts = chosen
            state.endpoints[endpointID] = endpoint
            do {
                try applyFirewall(state)
                CrashPoint.reach("ports.program.firewall")
                try store.commit(.putEndpoint(endpoint))
            } catch {
                state.endpoints[endpointID] = previous
                _ = try? applyFirewall(state)
                throw error
            }
            if !chosen.isEmpty { mode.portsPublished(endpoint) }
            return chosen
        }
        logger.info("ProgramExternalConnectivity", metadata: [
            "endpoint": "\(endpointID.prefix(12))",
            "ports": "\(published.map { $0.map(\.description).joined(separator: ",") } ?? "none: internal network")",
        ])
    }

    package func revokeExternalConnectivity(networkID: String, endpointID: String) throws {
        let revoked: [PublishedPort] = try state.withLock { state in
            guard var endpoint = state.endpoints[endpointID], !endpoint.publishedPorts.isEmpty else { return [] }
            let ports = endpoint.publishedPorts
            endpoint.publishedPorts = []
            state.endpoints[endpointID] = endpoint
            try applyFirewall(state)
            CrashPoint.reach("ports.revoke.firewall")
            try store.commit(.putEndpoint(endpoint))
            return ports
        }
        logger.info("RevokeExternalConnectivity", metadata: ["endpoint": "\(endpointID.prefix(12))",
                                                             "ports": "\(revoked.map(\.description).joined(separator: ","))"])
    }

    /// The address families an endpoint has addresses in.
    static func families(of endpoint: EndpointRecord) -> Set<IPFamily> {
        Set([endpoint.address, endpoint.addressIPv6].compactMap { $0?.address.family })
    }

    /// First acceptable host port per request that clashes with no other binding and that no
    /// socket on the host holds, in each family the binding serves.
    func chooseHostPorts(_ requests: [PortBindingRequest], taken: TakenHostPorts, endpointFamilies: Set<IPFamily>,
                         defaultHostIP: IPAddress?) throws -> [PublishedPort] {
        var taken = taken
        var chosen: [PublishedPort] = []
        for request in requests {
            // `host_binding_ipv4` is the default for IPv4 only.
            let hostIP = request.hostIP ?? (endpointFamilies.contains(.v4) ? defaultHostIP : nil)
            // A host address of a family the endpoint has no address in (`-p 127.0.0.1:…` on
            // the IPv6-only endpoint of a split-gateway container) publishes nothing here;
            // the endpoint of the other family publishes it.
            if let hostIP, !endpointFamilies.contains(hostIP.family) { continue }
            let candidates = request.acceptableHostPorts ?? hostPorts.ephemeralRange
            var found: PublishedPort?
            for port in candidates {
                let binding = PublishedPort(proto: request.proto, hostIP: hostIP, hostPort: port, containerPort: request.containerPort)
                let families = binding.families(onEndpointWith: endpointFamilies)
                if taken.clashes(binding, families: families) { continue }
                if !families.allSatisfy({ hostPorts.isFree(proto: request.proto, hostIP: hostIP, family: $0, port: port) }) { continue }
                found = binding
                taken.insert(binding, families: families)
                break
            }
            guard let found else {
                let what = "\(hostIP?.description ?? "*"):\(request.hostPort == 0 ? "any" : "\(candidates)")/\(request.proto.rawValue)"
                if request.acceptableHostPorts?.count == 1 { throw DriverError.hostPortInUse(what) }
                throw DriverError.noFreeHostPort(what)
            }
            chosen.append(found)
        }
        return chosen
    }
}

/// The host ports other bindings hold, by protocol and port, with the families each serves:
/// a candidate is checked against the few bindings of its own port, not against all of them.
struct TakenHostPorts {
    private var byPort: [String: [(port: PublishedPort, families: Set<IPFamily>)]] = [:]

    mutating func insert(_ port: PublishedPort, families: Set<IPFamily>) {
        byPort[Self.key(port), default: []].append((port, families))
    }

    func clashes(_ binding: PublishedPort, families: Set<IPFamily>) -> Bool {
        byPort[Self.key(binding)]?.contains { $0.port.clashes(with: binding) && !$0.families.isDisjoint(with: families) } ?? false
    }

    private static func key(_ port: PublishedPort) -> String { "\(port.proto.rawValue) \(port.hostPort)" }
}

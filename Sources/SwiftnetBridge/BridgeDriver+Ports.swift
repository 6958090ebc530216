import SwiftnetCrashPoints
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel

/// Tells whether a host port is free for a new binding (the kernel's view; swiftnet's own
/// bindings are checked apart).
public protocol HostPortProbe: Sendable {
    func isFree(proto: TransportProtocol, hostIP: IPAddress?, port: Int) -> Bool
    /// Where ports are drawn from for `-p CONTAINERPORT` with no host port.
    var ephemeralRange: ClosedRange<Int> { get }
}

extension BridgeDriver {
    /// Publishes the endpoint's ports (`-p`): chooses host ports, records them, programs DNAT.
    public func programExternalConnectivity(networkID: String, endpointID: String, options: JSONObject?) throws {
        let requests = try PortBindingRequest.list(from: options)
        let published: [PublishedPort]? = try state.withLock { state in
            guard var endpoint = state.endpoints[endpointID] else { throw BridgeError.unknownEndpoint(endpointID) }
            guard let network = state.networks[endpoint.networkID] else { throw BridgeError.unknownNetwork(endpoint.networkID) }
            guard !network.options.isInternal else { return nil }
            let wanted = requests.isEmpty ? endpoint.requestedPorts : requests
            let taken = state.endpoints.values.filter { $0.id != endpointID }.flatMap(\.publishedPorts)
            let chosen = try chooseHostPorts(wanted, taken: taken, defaultHostIP: network.options.hostBindingIPv4)
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
            if !chosen.isEmpty {
                // The container reaching its own published port through a host address: its
                // DNAT'ed packet must leave by the port it came in by. Not worth failing the call.
                do {
                    try dataplane.enableHairpin(endpoint.hostVeth)
                } catch {
                    logger.warning("could not enable hairpin mode; the container cannot reach its own published ports through the host",
                                   metadata: ["endpoint": "\(endpointID.prefix(12))", "error": "\(error)"])
                }
            }
            return chosen
        }
        logger.info("ProgramExternalConnectivity", metadata: [
            "endpoint": "\(endpointID.prefix(12))",
            "ports": "\(published.map { $0.map(\.description).joined(separator: ",") } ?? "none: internal network")",
        ])
    }

    public func revokeExternalConnectivity(networkID: String, endpointID: String) throws {
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

    /// First acceptable host port per request that clashes with no other binding and that no
    /// socket on the host holds.
    func chooseHostPorts(_ requests: [PortBindingRequest], taken: [PublishedPort],
                         defaultHostIP: IPAddress?) throws -> [PublishedPort] {
        var chosen: [PublishedPort] = []
        for request in requests {
            let hostIP = request.hostIP ?? defaultHostIP
            let candidates = request.acceptableHostPorts ?? hostPorts.ephemeralRange
            var found: PublishedPort?
            for port in candidates {
                let binding = PublishedPort(proto: request.proto, hostIP: hostIP, hostPort: port, containerPort: request.containerPort)
                if (taken + chosen).contains(where: { $0.clashes(with: binding) }) { continue }
                if !hostPorts.isFree(proto: request.proto, hostIP: hostIP, port: port) { continue }
                found = binding
                break
            }
            guard let found else {
                let what = "\(hostIP?.description ?? "*"):\(request.hostPort == 0 ? "any" : "\(candidates)")/\(request.proto.rawValue)"
                if request.acceptableHostPorts?.count == 1 { throw BridgeError.hostPortInUse(what) }
                throw BridgeError.noFreeHostPort(what)
            }
            chosen.append(found)
        }
        return chosen
    }
}

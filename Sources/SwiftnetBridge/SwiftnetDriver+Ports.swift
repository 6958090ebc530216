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
        let anotherEndpointServesIPv6 = options?[SwiftnetDriver.noProxy6To4Key] == .bool(true)
        let published: [PublishedPort]? = try state.withLock { state in
            guard var endpoint = state.liveEndpoint(endpointID, on: networkID) else { throw DriverError.unknownEndpoint(endpointID) }
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
            // split gateways the IPv4-gateway and the IPv6-gateway endpoint of one container
            // are both asked to publish the full port list, the IPv4 one with no_proxy_6to4
            // ("another endpoint deals with IPv6", moby's remote driver). Such an endpoint,
            // even a dual-stack one, publishes IPv4 only: its bindings without a host address
            // get 0.0.0.0, which the record keeps, and those of an IPv6 address are left to
            // the other endpoint. No binding is forwarded across families.
            var families = SwiftnetDriver.families(of: endpoint)
            if anotherEndpointServesIPv6 { families.remove(.v6) }
            let chosen = try chooseHostPorts(wanted, taken: state.endpoints.hostPorts, endpointID: endpointID,
                                             current: endpoint.publishedPorts, endpointFamilies: families,
                                             defaultHostIP: network.options.hostBindingIPv4,
                                             unaddressed: anotherEndpointServesIPv6 ? SwiftnetDriver.everyIPv4Address : nil,
                                             hints: &state.portHints)
            guard chosen != endpoint.publishedPorts else { return chosen }
            let previous = endpoint
            endpoint.requestedPorts = wanted
            endpoint.publishedPorts = chosen
            try replacePorts(of: previous, with: endpoint, in: &state, crashPoint: "ports.program.firewall")
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
            guard var endpoint = state.liveEndpoint(endpointID, on: networkID), !endpoint.publishedPorts.isEmpty else { return [] }
            let previous = endpoint
            endpoint.publishedPorts = []
            try replacePorts(of: previous, with: endpoint, in: &state, crashPoint: "ports.revoke.firewall")
            return previous.publishedPorts
        }
        logger.info("RevokeExternalConnectivity", metadata: ["endpoint": "\(endpointID.prefix(12))",
                                                             "ports": "\(revoked.map(\.description).joined(separator: ","))"])
    }

    /// Puts `updated` (the endpoint with its new ports) in memory, the firewall and the store,
    /// in that order; if the firewall or the commit fails, memory (and the host-port index)
    /// and the firewall go back to `previous`, as the store still has it.
    private func replacePorts(of previous: EndpointRecord, with updated: EndpointRecord, in state: inout DriverState,
                              crashPoint: StaticString) throws {
        state.endpoints[updated.id] = updated
        do {
            try applyFirewall(state, replacing: previous, with: updated)
            CrashPoint.reach(crashPoint)
            try store.commit(.putEndpoint(updated))
        } catch {
            state.endpoints[updated.id] = previous
            _ = try? applyFirewall(state)
            throw error
        }
    }

    /// Set by Docker 28+ in ProgramExternalConnectivity of the IPv4-gateway endpoint when a
    /// different endpoint of the container is its IPv6 gateway.
    static let noProxy6To4Key = "com.docker.network.driver.private.no_proxy_6to4"
    static let everyIPv4Address = IPAddress(family: .v4, value: 0)
    static let everyIPv6Address = IPAddress(family: .v6, value: 0)

    /// The address families an endpoint has addresses in.
    static func families(of endpoint: EndpointRecord) -> Set<IPFamily> {
        Set([endpoint.address, endpoint.addressIPv6].compactMap { $0?.address.family })
    }

    /// An acceptable host port per request that clashes with no other binding and that no
    /// socket on the host holds, in each family the binding serves.
    ///
    /// A request the endpoint already has a binding for (same protocol, host address and
    /// container port, its host port still acceptable) keeps that host port if it is still
    /// free: a container published anew must not move. Otherwise a range takes its first
    /// free port, and any port (`-p 80`) the first free one going round the ephemeral range
    /// from `hints` (see `EphemeralPortHints`), which it moves past the port handed out.
    ///
    /// Costs one lookup per candidate: requests for any port of one protocol, host address
    /// and families resume where the previous one stopped (the ports before were taken or
    /// held, and a binding of the same call only adds to what is taken), so N such requests
    /// go round the ephemeral range at most once instead of N times.
    /// `taken`: every live endpoint's bindings, the index kept with the records; the
    /// endpoint's own (`endpointID`, which it is publishing anew) do not count.
    /// `endpointFamilies`: the families the endpoint publishes in; `unaddressed`: the host
    /// address a request without one gets when the network's default does not apply (nil:
    /// none, every family of `endpointFamilies`).
    func chooseHostPorts(_ requests: [PortBindingRequest], taken: TakenHostPorts, endpointID: String, current: [PublishedPort],
                         endpointFamilies: Set<IPFamily>, defaultHostIP: IPAddress?, unaddressed: IPAddress? = nil,
                         hints: inout EphemeralPortHints) throws -> [PublishedPort] {
        // This call's choices apart: inserting into `taken` would copy the whole index.
        var chosenHere = TakenHostPorts()
        var chosen: [PublishedPort] = []
        chosen.reserveCapacity(requests.count)
        // The endpoint's current host ports by what a request names, so that a range
        // published anew (up to 65,535 bindings) finds each of its own in one lookup.
        var keepable: [KeptPortKey: [Int]] = [:]
        for port in current {
            keepable[KeptPortKey(proto: port.proto, hostIP: port.hostIP, containerPort: port.containerPort), default: []].append(port.hostPort)
        }
        // A binding for every address keeps its host port when its families change (no
        // address ↔ 0.0.0.0, as no_proxy_6to4 comes and goes).
        func keptKey(_ proto: TransportProtocol, _ hostIP: IPAddress?, _ containerPort: Int) -> KeptPortKey {
            let key = KeptPortKey(proto: proto, hostIP: hostIP, containerPort: containerPort)
            guard keepable[key] == nil, hostIP == nil || hostIP?.value == 0 else { return key }
            // No address stands for 0.0.0.0 and ::, and 0.0.0.0 (::) for its part of it.
            let others: [IPAddress?] = hostIP == nil ? [SwiftnetDriver.everyIPv4Address, SwiftnetDriver.everyIPv6Address] : [nil]
            return others.map { KeptPortKey(proto: proto, hostIP: $0, containerPort: containerPort) }
                .first { keepable[$0] != nil } ?? key
        }
        // Per search, the next port to look at and how many of the range are left unseen.
        var walks: [EphemeralCursor: (next: Int, left: Int)] = [:]
        let ephemeral = hostPorts.ephemeralRange
        for request in requests {
            // `host_binding_ipv4` is the default for IPv4 only.
            let hostIP = request.hostIP ?? (endpointFamilies.contains(.v4) ? defaultHostIP : nil) ?? unaddressed
            // A host address of a family the endpoint has no address in (`-p 127.0.0.1:…` on
            // the IPv6-only endpoint of a split-gateway container) publishes nothing here;
            // the endpoint of the other family publishes it.
            if let hostIP, !endpointFamilies.contains(hostIP.family) { continue }
            let families = hostIP.map { endpointFamilies.intersection([$0.family]) } ?? endpointFamilies
            func take(_ port: Int) -> PublishedPort? {
                let binding = PublishedPort(proto: request.proto, hostIP: hostIP, hostPort: port, containerPort: request.containerPort)
                if taken.clashes(binding, families: families, except: endpointID)
                    || chosenHere.clashes(binding, families: families, except: nil) { return nil }
                if !families.allSatisfy({ hostPorts.isFree(proto: request.proto, hostIP: hostIP, family: $0, port: port) }) { return nil }
                chosenHere.insert(binding, families: families, endpointID: endpointID)
                return binding
            }
            let acceptable = request.acceptableHostPorts ?? ephemeral
            var found: PublishedPort?
            let key = keptKey(request.proto, hostIP, request.containerPort)
            if let index = keepable[key]?.firstIndex(where: { acceptable.contains($0) }) {
                found = take(keepable[key]!.remove(at: index))
            }
            if found == nil, let range = request.acceptableHostPorts {
                for port in range {
                    found = take(port)
                    if found != nil { break }
                }
            } else if found == nil {
                let cursor = EphemeralCursor(proto: request.proto, hostIP: hostIP, families: families)
                var walk = walks[cursor] ?? (hints.start(for: cursor, in: ephemeral), ephemeral.count)
                while found == nil, walk.left > 0 {
                    let port = walk.next
                    walk.next = port >= ephemeral.upperBound ? ephemeral.lowerBound : port + 1
                    walk.left -= 1
                    found = take(port)
                }
                walks[cursor] = walk
                if let found { hints.handedOut(found.hostPort, for: cursor, in: ephemeral) }
            }
            guard let found else {
                let host = hostIP?.hostText ?? "*"
                let ports = request.acceptableHostPorts.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" } ?? "any"
                let what = "\(host):\(ports)/\(request.proto.rawValue)"
                if let range = request.acceptableHostPorts, range.count == 1 {
                    // Say who has it: another container's binding, this call's own, or the host.
                    let binding = PublishedPort(proto: request.proto, hostIP: hostIP, hostPort: range.lowerBound, containerPort: request.containerPort)
                    let holder = taken.holder(of: binding, families: families, except: endpointID).map {
                        "published by endpoint \($0.prefix(12))"
                    } ?? (chosenHere.holder(of: binding, families: families, except: nil) != nil
                        ? "asked for twice in this container's -p" : "a process on the host listens on it")
                    throw DriverError.hostPortInUse("\(what) (\(holder))")
                }
                throw DriverError.noFreeHostPort(what)
            }
            chosen.append(found)
        }
        return chosen
    }
}

/// What a port request names of a binding the endpoint already has: its host port is kept.
private struct KeptPortKey: Hashable {
    var proto: TransportProtocol
    var hostIP: IPAddress?
    var containerPort: Int
}

/// Host ports bindings hold, by protocol and port, with the families each serves and whose
/// they are: a candidate is checked against the few bindings of its own port, not all.
struct TakenHostPorts: Sendable {
    private struct Holder: Sendable {
        var endpointID: String
        var port: PublishedPort
        var families: Set<IPFamily>
    }

    private var byPort: [Int: [Holder]] = [:]

    /// Every binding of a live endpoint (see `EndpointTable`).
    mutating func insert(_ endpoint: EndpointRecord) {
        guard endpoint.state != .deleting else { return }
        let endpointFamilies = SwiftnetDriver.families(of: endpoint)
        for port in endpoint.publishedPorts {
            insert(port, families: port.families(onEndpointWith: endpointFamilies), endpointID: endpoint.id)
        }
    }

    mutating func remove(_ endpoint: EndpointRecord) {
        for port in endpoint.publishedPorts {
            let key = Self.key(port)
            guard var holders = byPort[key] else { continue }
            holders.removeAll { $0.endpointID == endpoint.id }
            byPort[key] = holders.isEmpty ? nil : holders
        }
    }

    mutating func insert(_ port: PublishedPort, families: Set<IPFamily>, endpointID: String) {
        byPort[Self.key(port), default: []].append(Holder(endpointID: endpointID, port: port, families: families))
    }

    /// Whether a binding of another endpoint than `except` clashes with `binding`.
    func clashes(_ binding: PublishedPort, families: Set<IPFamily>, except: String?) -> Bool {
        holder(of: binding, families: families, except: except) != nil
    }

    /// The endpoint (other than `except`) whose binding clashes with `binding`, if any.
    func holder(of binding: PublishedPort, families: Set<IPFamily>, except: String?) -> String? {
        byPort[Self.key(binding)]?.first {
            $0.endpointID != except && $0.port.clashes(with: binding) && !$0.families.isDisjoint(with: families)
        }?.endpointID
    }

    /// Protocol and port in one integer: hashing it costs no allocation (a text key did, per
    /// candidate).
    private static func key(_ port: PublishedPort) -> Int {
        let proto = switch port.proto { case .tcp: 0; case .udp: 1; case .sctp: 2 }
        return proto << 16 | port.hostPort
    }
}

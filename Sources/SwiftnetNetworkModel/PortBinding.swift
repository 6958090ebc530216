import SwiftnetAddress
import SwiftnetJSON

package enum TransportProtocol: String, Sendable, Codable, CaseIterable {
    case tcp, udp, sctp

    /// libnetwork's `types.Protocol` numbers.
    init?(number: Int) {
        switch number {
        case 6: self = .tcp
        case 17: self = .udp
        case 132: self = .sctp
        default: return nil
        }
    }
}

/// One `-p` as dockerd sends it in `com.docker.network.portmap` (shared/docs/protocol.md §2.11):
/// `{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}`.
/// HostPort 0 asks for any free port; HostPort < HostPortEnd asks for one free port of the range.
package struct PortBindingRequest: Sendable, Equatable {
    package var proto: TransportProtocol
    package var containerPort: Int
    package var hostIP: IPAddress?
    package var hostPort: Int
    package var hostPortEnd: Int

    package init(proto: TransportProtocol, containerPort: Int, hostIP: IPAddress? = nil, hostPort: Int, hostPortEnd: Int = 0) {
        self.proto = proto
        self.containerPort = containerPort
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.hostPortEnd = hostPortEnd
    }

    package static let portMapKey = "com.docker.network.portmap"

    /// Reads the port map of an options object; absent or null is no bindings.
    package static func list(from options: JSONObject?) throws(NetworkModelError) -> [PortBindingRequest] {
        guard let value = options?[portMapKey] else { return [] }
        switch value {
        case .null: return []
        case .array(let elements): return try elements.map { (element) throws(NetworkModelError) in try PortBindingRequest(json: element) }
        default: throw .invalidPortBinding("\(portMapKey) is \(value.kind), not an array")
        }
    }

    init(json: JSONValue) throws(NetworkModelError) {
        guard case .object(let object) = json else { throw .invalidPortBinding("an entry is \(json.kind), not an object") }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(NetworkModelError) -> Int {
            switch object[key] {
            case nil, .null?: return 0
            // Int(exactly:) first: a number beyond Int's range must be refused, not converted.
            case .number(let number)?:
                guard let value = Int(exactly: number), range.contains(value) else {
                    throw .invalidPortBinding("\(key) is \(number) (expected an integer in \(range))")
                }
                return value
            case let other?: throw .invalidPortBinding("\(key) is \(other.kind) (expected an integer in \(range))")
            }
        }
        func address(_ key: String) throws(NetworkModelError) -> IPAddress? {
            switch object[key] {
            case nil, .null?, .string("")?: return nil
            case .string(let text)?:
                guard let address = IPAddress(text) else { throw .invalidPortBinding("\(key) '\(text)' is not an address") }
                // Kept as given: 0.0.0.0 is every IPv4 address and :: every IPv6 one, as in
                // Docker's bridge driver (`-p 0.0.0.0:80:80` publishes no IPv6 port).
                return address
            case let other?: throw .invalidPortBinding("\(key) is \(other.kind), not a string")
            }
        }
        let number = try integer("Proto", 0...255)
        guard let proto = TransportProtocol(number: number) else {
            throw .invalidPortBinding("protocol \(number) cannot be published (tcp, udp and sctp can)")
        }
        self.proto = proto
        containerPort = try integer("Port", 1...65535)
        hostIP = try address("HostIP")
        hostPort = try integer("HostPort", 0...65535)
        hostPortEnd = try integer("HostPortEnd", 0...65535)
        if hostPortEnd != 0 && hostPortEnd < hostPort {
            throw .invalidPortBinding("host port range \(hostPort)-\(hostPortEnd) is reversed")
        }
    }

    /// The host ports this request accepts, in order of preference; nil = any free port.
    package var acceptableHostPorts: ClosedRange<Int>? {
        guard hostPort != 0 else { return nil }
        return hostPort...max(hostPort, hostPortEnd)
    }
}

/// A binding as programmed: the host port chosen.
package struct PublishedPort: Sendable, Equatable, CustomStringConvertible {
    package var proto: TransportProtocol
    package var hostIP: IPAddress?
    package var hostPort: Int
    package var containerPort: Int

    package init(proto: TransportProtocol, hostIP: IPAddress?, hostPort: Int, containerPort: Int) {
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
    }

    package var description: String {
        "\(hostIP?.hostText ?? "*"):\(hostPort)->\(containerPort)/\(proto.rawValue)"
    }

    /// Two bindings clash when they share protocol and port and their host addresses overlap:
    /// no address is every address, and 0.0.0.0 (::) every one of its family.
    package func clashes(with other: PublishedPort) -> Bool {
        guard proto == other.proto && hostPort == other.hostPort else { return false }
        guard let mine = hostIP, let theirs = other.hostIP else { return true }
        return mine == theirs || (mine.family == theirs.family && (mine.value == 0 || theirs.value == 0))
    }

    /// The address families this binding is programmed for on an endpoint with addresses of
    /// `endpointFamilies`: its host address's family (0.0.0.0 and :: included), or every
    /// family the endpoint has. A port is never forwarded from one family to the other (no
    /// 6-to-4 proxy), so an IPv4-only and an IPv6-only endpoint can publish the same host port
    /// (Docker 28+'s split gateways).
    package func families(onEndpointWith endpointFamilies: Set<IPFamily>) -> Set<IPFamily> {
        hostIP.map { endpointFamilies.intersection([$0.family]) } ?? endpointFamilies
    }
}

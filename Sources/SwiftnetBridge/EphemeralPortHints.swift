import SwiftnetAddress
import SwiftnetNetworkModel

/// Where the search for any free host port (`-p 80`) starts: right after the port handed out
/// last for the same protocol, host address and families, going round the ephemeral range,
/// as Docker's port allocator does. Starting from the beginning of the range every time
/// walked past every port the other containers hold, a cost that grew with them; going round
/// only meets them once per turn of the range.
///
/// A hint only orders the search: every candidate is still checked against the bindings and
/// the host's sockets. Memory only: after a restart the search starts at the beginning of
/// the range again. Nor is a hint rolled back when the call that moved it fails (a firewall
/// or store error after the choice): the next search then starts past a port nobody took,
/// which only changes the order ports are handed out in.
struct EphemeralPortHints: Sendable {
    private var next: [EphemeralCursor: Int] = [:]

    /// The first port to look at for `cursor`.
    func start(for cursor: EphemeralCursor, in range: ClosedRange<Int>) -> Int {
        guard let port = next[cursor], range.contains(port) else { return range.lowerBound }
        return port
    }

    /// `port` was handed out for `cursor`: the next search starts after it.
    mutating func handedOut(_ port: Int, for cursor: EphemeralCursor, in range: ClosedRange<Int>) {
        next[cursor] = port >= range.upperBound ? range.lowerBound : port + 1
    }
}

/// One search for any port: a protocol, a host address (nil: every address) and the families
/// the binding serves. An IPv4-only and an IPv6-only endpoint of one container (split
/// gateways) search apart, so that both tend to get the same port, as they did when every
/// search started at the beginning of the range.
struct EphemeralCursor: Hashable, Sendable {
    var proto: TransportProtocol
    var hostIP: IPAddress?
    var families: Set<IPFamily>
}

import SwiftnetNetworkModel

extension EndpointRecord {
    /// Seconds after its Join during which a joined endpoint whose container interface is
    /// still in the host's namespace may be waiting for dockerd to move it: the Join was
    /// committed but its answer lost, and dockerd retries a plugin call for about 15 s (the
    /// rest is margin, as `RetryCandidates.window`).
    package static let joinRetrySeconds = 60

    /// Joined, and its container interface back in the host's namespace (`links`), long
    /// enough after the Join (`joinRetrySeconds`) that dockerd released the container's
    /// sandbox: it moves the interface back then, and when swiftnet did not answer the Leave
    /// and DeleteEndpoint that follow (stopped for longer than dockerd retries) nothing else
    /// frees the endpoint. `now`: unix seconds.
    package func lostItsContainer(links: [String: ObservedLink], now: Int) -> Bool {
        guard sandboxKey != nil, links[containerVeth]?.mayBelong(toEndpoint: id) == true else { return false }
        return now - (joinedAt ?? 0) >= EndpointRecord.joinRetrySeconds
    }
}

import SwiftnetNetworkModel

extension EndpointRecord {
    /// Seconds after its Join, Leave or creation during which an endpoint whose container
    /// interface is in the host's namespace may still be waiting for dockerd: a Join whose
    /// answer was lost (dockerd moves the interface after the answer), a DeleteEndpoint after
    /// a Leave, or a Join after a CreateEndpoint, each of which dockerd retries for about 15 s
    /// (the rest is margin, as `RetryCandidates.window`).
    package static let joinRetrySeconds = 60

    /// Its container interface in the host's namespace (`links`) long enough
    /// (`joinRetrySeconds`) after its last Join, its Leave, or, never joined, its creation,
    /// that dockerd has given up on it: it moves the interface back when it releases the
    /// container's sandbox, and when swiftnet did not answer the Leave and DeleteEndpoint that
    /// follow (stopped for longer than dockerd retries) nothing else frees the endpoint; a
    /// CreateEndpoint whose Join swiftnet never answered is abandoned the same way. `now`:
    /// unix seconds. A joined endpoint of unknown Join time counts as old (versions before the
    /// time was recorded); an unjoined one of unknown age is kept.
    package func lostItsContainer(links: [String: ObservedLink], now: Int) -> Bool {
        guard links[containerVeth]?.mayBelong(toEndpoint: id) == true else { return false }
        let since = sandboxKey != nil ? (joinedOrLeftAt ?? 0) : (joinedOrLeftAt ?? createdAt)
        guard let since else { return false }
        return now - since >= EndpointRecord.joinRetrySeconds
    }
}

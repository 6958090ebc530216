/// A change to the set of remote endpoints this host must reach: one FDB entry (MAC → remote
/// underlay address) and one neighbour entry (IP → MAC) to add or remove.
package enum RemoteEndpointChange: Sendable, Hashable {
    case added(EndpointLocation)
    case removed(EndpointLocation)
}

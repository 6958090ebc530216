import SwiftnetAddress

/// Where the IPAM keeps its state. The allocator knows only this protocol; the SQLite store
/// is one implementation (as CNI host-local's allocator knows only its `Store`).
package protocol IPAMStore: Sendable {
    func loadIPAM() throws -> IPAMSnapshot
    /// Commits `change` durably (per `change.durability`) before returning.
    func commit(_ change: IPAMChange) throws
    /// Commits `changes` in order, all or none, at the strongest durability among them.
    func commit(_ changes: [IPAMChange]) throws
    /// Deletes an allocation `gc` may free (dynamic, or a named container's `--ip`) only if it
    /// was handed out before `cutoff` (unix seconds): the check that a leaked address is still
    /// the allocation `gc` saw, not a newer one of the same address. Returns whether it deleted.
    func releaseCollectable(poolID: String, address: IPAddress, ifAllocatedBefore cutoff: Int) throws -> Bool
    /// Marks an allocation as handed out now (a repeated request got it again).
    func refreshAllocationTime(poolID: String, address: IPAddress) throws
    /// Named allocations (dynamic, or asked for by value) and pools committed at or after `since` (unix seconds), in
    /// commit order: what a process that died uncleanly may not have answered.
    func loadRetryCandidates(since: Int) throws -> RetryCandidates
}

/// Reads the host's routes when an automatic pool is chosen (not on the address hot path).
package protocol HostRouteSource: Sendable {
    func routes(family: IPFamily) throws -> [HostRoute]
}

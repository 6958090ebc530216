import SwiftnetAddress

/// The addresses the network driver's live endpoints hold. dockerd releases an endpoint's
/// address after DeleteEndpoint, and goes on when that failed before the endpoint was
/// recorded as being deleted (it is then still live, until start-up, `gc` or `doctor --fix`
/// frees it with its address); the IPAM refuses to free such an address, so no second
/// container is handed it meanwhile. One whose delete failed later is not live: a retried
/// DeleteEndpoint, or the server's guard for its rules, finishes it. A network's gateway and
/// pool are released before DeleteNetwork (shared/docs/protocol.md §4.5): those go. Local
/// pools only (multi-host pools are etcd's). The IPAM knows only this protocol; the plugin
/// answers it from the driver.
package protocol AddressHolders: Sendable {
    /// The endpoint that holds `address` of `pool`, e.g. "endpoint 1de3c3c7a2b4 of network
    /// 3c6259523dcf", or nil when none does.
    func holder(of address: IPAddress, in pool: PoolRecord) -> String?
    /// Whether any endpoint has `address`, whatever its network or state (a retried request
    /// after a crash is not given an address that was answered to someone; see
    /// `IPAMService.expectRetries`).
    func isHeldByAnyEndpoint(_ address: IPAddress) -> Bool
}

import SwiftnetNetworkModel

/// The kernel side of the bridge driver: what it asks of netlink. `KernelDataplane` is the
/// implementation; the protocol keeps the driver's decisions readable apart from libnl.
public protocol Dataplane: Sendable {
    func linkExists(_ name: String) throws -> Bool
    /// Creates the bridge (failing if the name exists), gives it the gateway addresses and brings it up.
    func createBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws
    /// Makes sure an existing bridge has its addresses and is up (start-up repair).
    func ensureBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws
    /// Creates the veth pair: `host` on `bridge` and up, `container` left for dockerd to move.
    func createEndpoint(host: String, container: String, bridge: String, mtu: Int?, mac: MACAddress) throws
    /// Returns false when there was no such link.
    @discardableResult
    func deleteLink(_ name: String) throws -> Bool
    /// Takes a link down and marks it for `deleteRetired` (cheap; deleting is not).
    func retire(_ name: String) throws
    /// Deletes every retired link in one request.
    func deleteRetired() throws
    /// Names of the links this server made (tagged when created), retired or not: what the
    /// start-up sweep compares with the records.
    func ownedLinks() throws -> [String]
}

/// Programs the firewall for the whole desired state at once (idempotent).
public protocol FirewallProgrammer: Sendable {
    func apply(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws
    /// Repairs the jumps into swiftnet's chains (missing, or no longer first).
    func ensureJumps() throws
}

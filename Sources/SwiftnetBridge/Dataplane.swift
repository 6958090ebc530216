import SwiftnetAddress
import SwiftnetNetworkModel
import SwiftnetDiagnosis

/// The kernel side of the bridge mode: what it asks of netlink. `KernelDataplane` is the
/// implementation; the protocol keeps the mode's decisions readable apart from libnl.
package protocol Dataplane: LinkObserver {
    func linkExists(_ name: String) throws -> Bool
    /// Creates the bridge (failing if the name exists), gives it the gateway addresses and brings it up.
    func createBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws
    /// Makes sure the bridge exists with its MTU, exactly these addresses (besides IPv6
    /// link-local ones) and is up (start-up repair, doctor --fix). Returns what it changed.
    @discardableResult
    func ensureBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws -> [String]
    /// Attaches an endpoint's host veth (as `observe` saw it) to its bridge, with the
    /// network's MTU, and brings it up, where it is not; a veth re-attached gets hairpin mode
    /// back if `hairpin`. Returns what it changed.
    func ensureAttached(_ veth: ObservedLink, to bridge: String, mtu: Int?, hairpin: Bool) throws -> [String]
    /// Hairpin mode on the endpoint's bridge port, so the container reaches its own published
    /// ports through a host address.
    func enableHairpin(_ host: String) throws
    /// Creates the veth pair: `host` on `bridge` and up, with `endpointID` as its alias,
    /// `container` left for dockerd to move. On failure nothing it made is left.
    func createEndpoint(host: String, container: String, bridge: String, mtu: Int?, mac: MACAddress, endpointID: String) throws
    /// Returns false when there was no such link.
    @discardableResult
    func deleteLink(_ name: String) throws -> Bool
    /// Deletes endpoint `endpointID`'s host veth `name`, unless the link of that name has an
    /// alias naming another endpoint (then it is someone else's and stays). Returns whether it
    /// deleted.
    @discardableResult
    func deleteEndpointLink(_ name: String, endpointID: String) throws -> Bool
    /// Deletes the bridge only if this server made it (kind bridge, its link group): a name
    /// taken meanwhile by the host's own bridge or another instance's is left alone. Returns
    /// whether it deleted.
    @discardableResult
    func deleteOwnBridge(_ name: String) throws -> Bool
    /// Marks endpoint `endpointID`'s host veth for `deleteRetired` (cheap; deleting is not),
    /// unless its alias names another endpoint.
    func retire(_ name: String, endpointID: String) throws
    /// Deletes every retired link in one request.
    func deleteRetired() throws
    /// Whether bridged frames pass iptables/ip6tables (br_netfilter), which `enable_icc=false`
    /// needs: its DROP between two ports of one bridge sees nothing otherwise.
    func bridgeNetfilterStatus() -> BridgeNetfilterStatus
    /// Turns that on for IPv4 (and IPv6 when asked), loading br_netfilter where it is missing,
    /// as dockerd does; throws saying why when it cannot.
    func enableBridgeNetfilter(ipv6: Bool) throws
    /// The links holding an address whose prefix overlaps one of `prefixes` (IPv6 link-local
    /// ones aside), each with those addresses only: without a dump of every link.
    func links(holdingAddressesIn prefixes: [IPPrefix]) throws -> [ObservedLink]
    /// Whether the host forwards IPv6 (`net.ipv6.conf.all.forwarding`); nil: unreadable.
    func ipv6ForwardingEnabled() -> Bool?
    /// Turns IPv6 forwarding on (`all` and `default`) where it is off, with ip6tables' FORWARD
    /// policy DROP, as dockerd does when it creates an IPv6 network: without it an IPv6
    /// container reaches nothing beyond its bridge.
    func enableIPv6Forwarding() throws
    /// The link group holding veths awaiting deletion (`group` tags what this server makes).
    var retiredGroup: UInt32 { get }
}

/// Programs the firewall for the whole desired state at once (idempotent).
package protocol FirewallProgrammer: Sendable {
    /// Returns how many rules and jumps differed (0: nothing changed).
    @discardableResult
    func apply(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> Int
    /// `apply` after a change the driver made itself: may trust what it installed last
    /// instead of reading the tables (see `Firewall.applyChange`).
    @discardableResult
    func applyChange(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> Int
    /// `applyChange` with the driver's endpoint table itself, of which the endpoints of
    /// `networks` count: a programmer may read the few fields it needs in place instead of
    /// copying every record (this runs on every container start and stop).
    @discardableResult
    func applyChange(networks: [NetworkRecord], endpointTable: EndpointTable) throws -> Int
    /// `applyChange` after one endpoint changed from `previous` to `updated` (its ports
    /// published or revoked) and nothing the firewall renders changed since the last
    /// `apply` or `applyChange`: a programmer may change only that endpoint's rules.
    @discardableResult
    func applyChange(networks: [NetworkRecord], endpointTable: EndpointTable, replacing previous: EndpointRecord,
                     with updated: EndpointRecord) throws -> Int
    /// Restores swiftnet's chains where someone else changed them, and repairs the jumps into
    /// them (missing, or no longer first); returns how many rules differed in the chains it
    /// restored.
    @discardableResult
    func guardRules() throws -> Int
    /// Whether it knows what it installed, which `guardRules` compares the tables with: not
    /// after a change that failed (until the next `apply` or change succeeds).
    var knowsWhatItInstalled: Bool { get }
    /// How many jumps into its chains `guardRules` put back or moved so far.
    var guardJumpRepairCount: Int { get }
    /// How the installed chains and jumps differ from what `networks` and `endpoints` render
    /// to, and how many rules were compared.
    func drift(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> (drift: FirewallDrift, rules: Int)
}

extension FirewallProgrammer {
    /// A programmer with nothing to remember applies in full.
    package var knowsWhatItInstalled: Bool { true }
    package var guardJumpRepairCount: Int { 0 }

    @discardableResult
    package func applyChange(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> Int {
        try apply(networks: networks, endpoints: endpoints)
    }

    @discardableResult
    package func applyChange(networks: [NetworkRecord], endpointTable: EndpointTable) throws -> Int {
        let ids = Set(networks.map(\.id))
        return try applyChange(networks: networks, endpoints: endpointTable.values.filter { ids.contains($0.networkID) })
    }

    /// A programmer that cannot change one endpoint's rules alone applies the whole table.
    @discardableResult
    package func applyChange(networks: [NetworkRecord], endpointTable: EndpointTable, replacing previous: EndpointRecord,
                             with updated: EndpointRecord) throws -> Int {
        try applyChange(networks: networks, endpointTable: endpointTable)
    }
}

import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetNetworkModel
import SwiftnetLANModel

/// The kernel side of one kind of swiftnet network (`-o swiftnet.mode=…`). `SwiftnetDriver`
/// keeps what every mode shares — its lock, the network and endpoint records and their store
/// (each record written before its effect and after it), option parsing, MAC and port choice —
/// and asks the network's mode for everything that touches links.
///
/// Every requirement is called with the driver's lock held, so a mode sees the records as they
/// stand and no other call changes them meanwhile; `records` is that state. A mode keeps no
/// records of its own: what it must remember across calls it derives from them at start-up
/// (see `repairNetwork`), or keeps behind its own lock.
package protocol NetworkMode: Sendable {
    /// The `swiftnet.mode` value this type makes networks for.
    var driverMode: DriverMode { get }

    // MARK: networks

    /// The record a CreateNetwork becomes, not yet written: the mode names the network's own
    /// link (a bridge's name; the parent or a VXLAN device for other modes). Throws on options
    /// the mode refuses. Called without the driver's lock: pure.
    func networkRecord(for request: SwiftnetDriver.NetworkRequest) throws -> NetworkRecord
    /// Refusals that depend on what exists: the network's link name held by another network or
    /// by a link swiftnet did not make, a parent shared against the mode's rules, a kernel
    /// that cannot do what the options ask. Nothing is recorded yet; on a throw nothing changes.
    /// Returns the record to write (a mode may settle what depends on other networks, such as
    /// sharing the ownership of a parent it made).
    func admit(_ network: NetworkRecord, records: DriverState) throws -> NetworkRecord
    /// Makes the network's links (recorded as `creating` before). On a throw the driver calls
    /// `deleteNetworkLinks` and forgets the record.
    func createNetworkLinks(_ network: NetworkRecord) throws
    /// Deletes the network's links if this server made them; returns what it deleted, in
    /// words ("bridge swn-…"), for the repairs a reconciliation reports. `records`: the other
    /// networks (a link several networks share goes with the last of them).
    @discardableResult
    func deleteNetworkLinks(_ network: NetworkRecord, records: DriverState) throws -> [String]

    // MARK: endpoints

    /// The names of the endpoint's links; throws for an id that cannot name them.
    func endpointLinkNames(endpointID: String) throws -> EndpointLinkNames
    /// Refusals for a new endpoint on `network` before it is recorded (its network's link not
    /// usable now; a MAC the mode cannot take). `requestsMAC`: dockerd gave one (`--mac-address`).
    func admitEndpoint(on network: NetworkRecord, records: DriverState, requestsMAC: Bool) throws
    /// Whether the endpoint's interface takes the MAC the driver chooses (and reports to
    /// dockerd); ipvlan children and macvlan passthru keep the parent's.
    func takesMAC(on network: NetworkRecord) -> Bool
    /// Makes the endpoint's links (recorded as `creating` before); on failure leaves nothing.
    func createEndpointLinks(_ endpoint: EndpointRecord, on network: NetworkRecord) throws
    /// Deletes the endpoint's links now, unless the link of that name is another endpoint's.
    /// Returns whether it deleted.
    @discardableResult
    func deleteEndpointLinks(_ endpoint: EndpointRecord) throws -> Bool
    /// Marks the endpoint's links for `deleteRetiredLinks` (DeleteEndpoint answers before the
    /// kernel has unregistered them); a mode with nothing to defer deletes here.
    func retireEndpointLinks(_ endpoint: EndpointRecord) throws
    /// Deletes every retired link in one go (the driver's reaper, 50 ms after a delete).
    func deleteRetiredLinks() throws
    /// Why the endpoint's container is gone as far as `links` (the host namespace) show it,
    /// or nil when it may still be there. Endpoints of an earlier boot are gone anyway.
    /// `now`: unix seconds, for how long ago the endpoint was joined.
    func goneReason(_ endpoint: EndpointRecord, links: [String: ObservedLink], now: Int) -> String?

    // MARK: Join, ports, firewall

    /// What Join answers: the interface to move, and the gateway or routes the container gets.
    func joinAnswer(for endpoint: EndpointRecord, on network: NetworkRecord) -> JoinAnswer
    /// Whether `-p` is published on this network (a NAT'ed bridge does; a container on the LAN
    /// is reached by its own address).
    func publishesPorts(on network: NetworkRecord) -> Bool
    /// After an endpoint's ports are published: what its links need for them (hairpin mode).
    /// Not worth failing the call: the mode logs what it could not do.
    func portsPublished(_ endpoint: EndpointRecord)
    /// The records of this mode's networks the firewall renders rules for (rules name the
    /// network's links, so a network whose link is someone else's gets none). `links`, when
    /// given, is a fresh view of the kernel (the doctor's) that counts as much as the last
    /// reconciliation.
    func firewallRecords(networks: [NetworkRecord], endpoints: [EndpointRecord],
                         links: [String: ObservedLink]?) -> (networks: [NetworkRecord], endpoints: [EndpointRecord])

    /// After Join has been recorded, without the driver's lock (a mode may talk to a slow
    /// remote store here): the endpoint is in its container now. Failures are the mode's to
    /// log and retry; Join has succeeded.
    func endpointJoined(_ endpoint: EndpointRecord, on network: NetworkRecord)
    /// After Leave or DeleteEndpoint has been recorded, without the driver's lock.
    func endpointLeft(_ endpoint: EndpointRecord, on network: NetworkRecord)

    // MARK: reconciliation (start-up, doctor --fix)

    /// Makes a ready network's links what its record says (after a reboot none are there).
    func repairNetwork(_ network: NetworkRecord) -> [Repair]
    /// Puts the links of a ready network's live endpoints back in place (a recreated bridge
    /// has no ports). `links` is one view of the namespace.
    func repairEndpoints(_ endpoints: [EndpointRecord], of network: NetworkRecord, links: [String: ObservedLink]) -> [Repair]
    /// The links the records of this mode's networks and endpoints own in the host namespace
    /// (every mode tags what it makes with the server's link group, so each mode's sweep and
    /// findings must know the others' links).
    func ownedLinks(networks: [NetworkRecord], endpoints: [EndpointRecord]) -> Set<String>
    /// Deletes links this mode made that no record owns (`owned`: every mode's `ownedLinks`).
    func deleteLeftovers(links: [String: ObservedLink], owned: Set<String>, records: DriverState) -> [Repair]

    // MARK: doctor

    /// The links whose addresses the doctor needs to see (a bridge's gateway addresses).
    func addressedLinks(of networks: [NetworkRecord]) -> Set<String>
    /// The doctor's findings about this mode's networks and endpoints against the kernel's
    /// links (firewall drift is the driver's, for all modes at once). `owned`: every mode's
    /// `ownedLinks`, so that no mode calls another's link a leftover.
    func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink], owned: Set<String>,
                  bootID: String) -> [Finding]
}

extension NetworkMode {
    /// Most modes have nothing to tell anyone when a container joins or leaves.
    package func endpointJoined(_ endpoint: EndpointRecord, on network: NetworkRecord) {}
    package func endpointLeft(_ endpoint: EndpointRecord, on network: NetworkRecord) {}
}

import SwiftnetAddress
import SwiftnetNetworkModel

/// The endpoint records by id, with what creating and publishing an endpoint must check kept
/// beside them: the host ports, link names, MACs and addresses of the others, and how many live endpoints
/// each network has. Every change of a record goes through the subscript, so the indexes are
/// never stale and a container start never walks the other endpoints.
package struct EndpointTable: Sendable {
    private var byID: [String: EndpointRecord] = [:]
    /// The host ports of endpoints not being deleted (one being deleted has lost its rules).
    private(set) var hostPorts = TakenHostPorts()
    /// Host and container link names → the endpoints that have them, deleting ones included.
    private var byHostLink: [String: Set<String>] = [:]
    private var byContainerLink: [String: Set<String>] = [:]
    /// Per network, the MACs of its live endpoints with how many have each.
    private var macs: [String: [MACAddress: Int]] = [:]
    /// Per network, how many endpoints are not being deleted.
    private var live: [String: Int] = [:]
    /// Per network, the addresses of its live endpoints and which endpoint has each.
    private var addresses: [String: [IPAddress: String]] = [:]

    package init() {}

    package subscript(_ id: String) -> EndpointRecord? {
        get { byID[id] }
        set {
            if let old = byID[id] { unindex(old) }
            byID[id] = newValue
            if let newValue { index(newValue) }
        }
    }

    private mutating func index(_ endpoint: EndpointRecord) {
        hostPorts.insert(endpoint)
        byHostLink[endpoint.hostVeth, default: []].insert(endpoint.id)
        byContainerLink[endpoint.containerVeth, default: []].insert(endpoint.id)
        guard endpoint.state != .deleting else { return }
        macs[endpoint.networkID, default: [:]][endpoint.mac, default: 0] += 1
        live[endpoint.networkID, default: 0] += 1
        for address in [endpoint.address, endpoint.addressIPv6].compactMap({ $0?.address }) {
            addresses[endpoint.networkID, default: [:]][address] = endpoint.id
        }
    }

    private mutating func unindex(_ endpoint: EndpointRecord) {
        hostPorts.remove(endpoint)
        byHostLink[endpoint.hostVeth]?.remove(endpoint.id)
        if byHostLink[endpoint.hostVeth]?.isEmpty == true { byHostLink[endpoint.hostVeth] = nil }
        byContainerLink[endpoint.containerVeth]?.remove(endpoint.id)
        if byContainerLink[endpoint.containerVeth]?.isEmpty == true { byContainerLink[endpoint.containerVeth] = nil }
        guard endpoint.state != .deleting else { return }
        let count = (macs[endpoint.networkID]?[endpoint.mac] ?? 1) - 1
        macs[endpoint.networkID]?[endpoint.mac] = count > 0 ? count : nil
        if macs[endpoint.networkID]?.isEmpty == true { macs[endpoint.networkID] = nil }
        let remaining = (live[endpoint.networkID] ?? 1) - 1
        live[endpoint.networkID] = remaining > 0 ? remaining : nil
        for address in [endpoint.address, endpoint.addressIPv6].compactMap({ $0?.address })
            where addresses[endpoint.networkID]?[address] == endpoint.id {
            addresses[endpoint.networkID]?[address] = nil
        }
        if addresses[endpoint.networkID]?.isEmpty == true { addresses[endpoint.networkID] = nil }
    }

    /// An endpoint other than `id` with this host link name or this container link name
    /// (deleting ones included: their links may still exist).
    package func linkOwner(host: String, container: String, except id: String) -> String? {
        byHostLink[host]?.first { $0 != id } ?? byContainerLink[container]?.first { $0 != id }
    }

    /// Whether a live endpoint of `networkID` has `mac`.
    package func macInUse(_ mac: MACAddress, on networkID: String) -> Bool {
        (macs[networkID]?[mac] ?? 0) > 0
    }

    /// The MACs of the live endpoints of `networkID`.
    package func macsInUse(on networkID: String) -> Set<MACAddress> {
        macs[networkID].map { Set($0.keys) } ?? []
    }

    /// The live endpoint of `networkID` that has `address`, if any.
    package func addressHolder(_ address: IPAddress, on networkID: String) -> String? {
        addresses[networkID]?[address]
    }

    /// How many endpoints of `networkID` are not being deleted.
    package func liveCount(of networkID: String) -> Int {
        live[networkID] ?? 0
    }

    package var values: Dictionary<String, EndpointRecord>.Values { byID.values }
    package var count: Int { byID.count }
    package var isEmpty: Bool { byID.isEmpty }
}

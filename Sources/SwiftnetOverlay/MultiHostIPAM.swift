import Foundation
import Logging
import Synchronization
import SwiftnetAddress
import SwiftnetCrashPoints
import SwiftnetMultiHost
import SwiftnetStore

/// The IPAM's side of multi-host networks. A RequestPool with `swiftnet.network=NAME` asks
/// etcd for the logical network and answers a pool id starting `swiftnet-mh/`; addresses of
/// such pools are claimed and released in etcd (create-if-absent, see `AddressAllocator`).
/// Each claim is recorded in the state before etcd sees it and completed after, so that a
/// restart after a crash frees the claims no answer reached dockerd for (`reconcile`).
package final class MultiHostIPAM: Sendable {
    package static let poolPrefix = "swiftnet-mh/"
    package static let nameOption = "swiftnet.network"
    static let addressTypeOption = "RequestAddressType"
    static let gatewayType = "com.docker.network.gateway"
    package static let endpointNameOption = "com.docker.network.endpoint.name"

    let multiHost: MultiHost
    let store: StateStore
    let logger: Logger
    /// Pools by id, as recorded.
    private let pools: Mutex<[String: MultiHostPoolRecord]>
    /// Claims made by this run carry it in their owner: a reconciliation never takes one of
    /// them for a leftover of an earlier run.
    let runID: String
    private let counter = Atomic<UInt64>(0)

    package init(multiHost: MultiHost, store: StateStore, logger: Logger) throws {
        self.multiHost = multiHost
        self.store = store
        self.logger = logger
        pools = Mutex(Dictionary(try store.multiHostPools().map { ($0.poolID, $0) }, uniquingKeysWith: { _, last in last }))
        var generator = SystemRandomNumberGenerator()
        runID = String(generator.next() as UInt64, radix: 36)
        for record in try store.multiHostClaims() {
            if let address = record.address, let name = record.name { multiHost.setContainerName(name, network: record.network, address: address) }
        }
    }

    package static func isMultiHost(poolID: String) -> Bool { poolID.hasPrefix(poolPrefix) }

    /// The logical network a pool of `prefix` belongs to, if this host's IPAM handed it out.
    package func networkName(forSubnet prefix: IPPrefix) -> String? {
        pools.withLock { pools in pools.values.first { $0.subnet == prefix }?.network }
    }

    // MARK: pools

    /// The logical network `name` (created if new); `subnet` must match an existing one.
    package func requestPool(name: String, subnet text: String, v6: Bool) throws -> (poolID: String, pool: IPPrefix) {
        guard !v6 else { throw OverlayError.ipv4Only }
        var requested: IPPrefix?
        if !text.isEmpty {
            guard let prefix = IPPrefix(text) else { throw MultiHostIPAMError.invalid("pool \(text) is not a CIDR prefix") }
            requested = prefix
        }
        let logical = try multiHost.registry.ensure(name: name, subnet: requested, host: multiHost.settings.node)
        // One docker network per logical network on a host: a second pool of the name would be
        // released (with the first one's record) when dockerd rolls the second network back.
        if pools.withLock({ $0[Self.poolPrefix + name] }) != nil { throw MultiHostIPAMError.alreadyHeld(name) }
        try multiHost.allocator.reserveGateway(of: logical)
        let record = MultiHostPoolRecord(poolID: Self.poolPrefix + name, network: logical.name, subnet: logical.subnet,
                                         gateway: logical.gateway, vni: logical.vni)
        try store.putMultiHostPool(record)
        pools.withLock { $0[record.poolID] = record }
        return (record.poolID, logical.subnet)
    }

    /// The logical network stays in etcd (other hosts use it); this host forgets the pool.
    package func releasePool(_ poolID: String) throws -> Bool {
        guard pools.withLock({ $0[poolID] }) != nil else { return false }
        try store.deleteMultiHostPool(poolID)
        pools.withLock { _ = $0.removeValue(forKey: poolID) }
        return true
    }

    // MARK: addresses

    /// The gateway (the same on every host), or an address claimed in etcd: `preferred` exactly,
    /// or any free one. Returns CIDR text.
    package func requestAddress(poolID: String, address text: String, options: [String: String]) throws -> String {
        let pool = try self.pool(poolID)
        let length = pool.subnet.length
        if options[Self.addressTypeOption] == Self.gatewayType {
            return "\(pool.gateway)/\(length)"
        }
        var preferred: IPAddress?
        if !text.isEmpty {
            guard let address = IPAddress(text) ?? IPAddress(text.split(separator: "/").first.map(String.init) ?? "") else {
                throw MultiHostIPAMError.invalid("address \(text) is not an IP address")
            }
            if address == pool.gateway { return "\(pool.gateway)/\(length)" }
            preferred = address
        }
        let owner = "\(multiHost.settings.node):\(runID):\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        let name = options[Self.endpointNameOption]
        try store.beginMultiHostClaim(owner: owner, network: pool.network, name: name, at: Int(Date().timeIntervalSince1970))
        let logical = LogicalNetwork(name: pool.network, subnet: pool.subnet, gateway: pool.gateway, vni: pool.vni, createdBy: "")
        let claim: AddressClaim
        do {
            claim = try multiHost.allocator.allocate(in: logical, owner: owner, preferred: preferred)
        } catch {
            // etcd's own failure may have committed the claim all the same: the record stays
            // for `reconcile` to settle. A refusal claimed nothing.
            if case .etcd = error {} else { try? store.deleteMultiHostClaims(owners: [owner]) }
            throw error
        }
        CrashPoint.reach("multihost.claim.claimed")
        try store.completeMultiHostClaim(owner: owner, address: claim.address)
        if let name { multiHost.setContainerName(name, network: pool.network, address: claim.address) }
        return "\(claim.address)/\(length)"
    }

    /// Frees the address in etcd if this host holds it; the gateway and addresses this host
    /// does not hold are left (false).
    package func releaseAddress(poolID: String, address text: String) throws -> Bool {
        let pool = try self.pool(poolID)
        guard let address = IPAddress(text) ?? IPAddress(text.split(separator: "/").first.map(String.init) ?? "") else {
            throw MultiHostIPAMError.invalid("address \(text) is not an IP address")
        }
        if address == pool.gateway { return false }
        let held = try store.multiHostClaims(network: pool.network, address: address)
        var released = false
        for claim in held {
            released = try multiHost.allocator.release(address, in: pool.network, owner: claim.owner) || released
            try store.deleteMultiHostClaims(owners: [claim.owner])
        }
        if !held.isEmpty { multiHost.setContainerName(nil, network: pool.network, address: address) }
        return released
    }

    /// This host's answered claims made before `cutoff` (seconds since 1970), by pool id: the
    /// candidates for leaks (an answer lost when the server died after recording it).
    package func answeredClaims(before cutoff: Int) throws -> [(poolID: String, network: String, address: IPAddress)] {
        let byNetwork = pools.withLock { pools in
            Dictionary(pools.values.map { ($0.network, $0.poolID) }, uniquingKeysWith: { first, _ in first })
        }
        return try store.multiHostClaims().compactMap { record in
            guard record.createdAt < cutoff, let address = record.address, let poolID = byNetwork[record.network] else { return nil }
            return (poolID, record.network, address)
        }
    }

    /// Releases a leaked address if the claims of it this host recorded are all older than
    /// `cutoff` (a newer one is a fresh allocation on its way to an endpoint).
    package func releaseLeaked(poolID: String, address: IPAddress, allocatedBefore cutoff: Int) throws -> Bool {
        let pool = try self.pool(poolID)
        let held = try store.multiHostClaims(network: pool.network, address: address)
        guard !held.isEmpty, held.allSatisfy({ $0.createdAt < cutoff }) else { return false }
        return try releaseAddress(poolID: poolID, address: address.description)
    }

    private func pool(_ poolID: String) throws -> MultiHostPoolRecord {
        guard let pool = pools.withLock({ $0[poolID] }) else {
            throw MultiHostIPAMError.unknownPool(poolID)
        }
        return pool
    }

    // MARK: restart

    package struct Reconciliation: Sendable, Equatable {
        /// Claims in etcd no answer reached dockerd for, released.
        package var released: [String] = []
        /// Local records etcd no longer has (gc --node, or never made), dropped.
        package var dropped: [String] = []
    }

    /// Compares this host's claims in etcd with the state's records of earlier runs: a claim
    /// in etcd without a completed record of that owner and address was never answered, and
    /// is released; a record whose claim etcd does not have is dropped. Claims of this run
    /// are never touched.
    package func reconcile() throws -> Reconciliation {
        let records = try store.multiHostClaims().filter { !$0.owner.contains(":\(runID):") }
        let claims = try multiHost.allocator.claims().filter { $0.host == multiHost.settings.node && !$0.owner.contains(":\(runID):") }
        let completed = Dictionary(records.compactMap { record in record.address.map { (record.owner, $0) } },
                                   uniquingKeysWith: { first, _ in first })
        var result = Reconciliation()
        var confirmed: Set<String> = []
        for claim in claims {
            if completed[claim.owner] == claim.address {
                confirmed.insert(claim.owner)
                continue
            }
            if try multiHost.allocator.release(claim.address, in: claim.network, owner: claim.owner) {
                result.released.append("\(claim.network)/\(claim.address)")
            }
        }
        let stale = records.filter { !confirmed.contains($0.owner) }
        try store.deleteMultiHostClaims(owners: stale.map(\.owner))
        result.dropped = stale.filter { $0.address != nil }.map { "\($0.network)/\($0.address!)" }
        return result
    }
}

package enum MultiHostIPAMError: Error, Sendable, CustomStringConvertible {
    case invalid(String)
    case unknownPool(String)
    case alreadyHeld(String)

    package var description: String {
        switch self {
        case .invalid(let what): return what
        case .alreadyHeld(let name):
            return "multi-host network \(name) already has a network on this host; one per host"
        case .unknownPool(let id): return "multi-host pool \(id) is not held on this host"
        }
    }
}

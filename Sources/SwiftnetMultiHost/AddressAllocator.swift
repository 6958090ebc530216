import Glibc
import SwiftnetEtcd
import SwiftnetAddress

/// Claims and releases addresses of logical networks in etcd, one key per address, each claim
/// a create-if-absent transaction (Calico's `Create`): two claims of one address, from any
/// hosts at any moment, cannot both succeed.
package struct AddressAllocator: Sendable {
    package let etcd: EtcdClient
    package let keys: MultiHostKeys
    package let host: String
    package let candidates: AddressCandidates
    /// Addresses this allocator's callers are claiming right now, by network: a host's own
    /// concurrent claims never race each other for one address; only other hosts' can.
    private let inFlight = InFlightAddresses()

    /// Claims tried per read of the held addresses, and reads before giving up.
    static let claimsPerRead = 4
    static let maximumReads = 25

    package init(etcd: EtcdClient, host: String, keys: MultiHostKeys = MultiHostKeys(),
                 candidates: AddressCandidates = AddressCandidates()) throws(MultiHostError) {
        try HostRecord.validate(host: host)
        self.etcd = etcd
        self.keys = keys
        self.host = host
        self.candidates = candidates
    }

    /// Claims a free address of `network` (or exactly `preferred`) for `owner` on this host.
    package func allocate(in network: LogicalNetwork, owner: String, preferred: IPAddress? = nil) throws(MultiHostError) -> AddressClaim {
        if let preferred {
            guard network.subnet.contains(preferred) else {
                throw .addressOutsideSubnet(network: network.name, address: preferred, subnet: network.subnet)
            }
            guard !network.isReserved(preferred) else { throw .addressReserved(network: network.name, address: preferred) }
            if let claim = try claim(preferred, in: network, owner: owner) { return claim }
            let holder = try holder(of: preferred, in: network.name)
            throw .addressHeld(network: network.name, address: preferred, host: holder?.host ?? "?", owner: holder?.owner ?? "?")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<Self.maximumReads {
            let held = try heldAddresses(in: network.name)
            let tries = inFlight.take(network.name) { busy in
                candidates.pick(Self.claimsPerRead, in: network, held: held, inFlight: busy, using: &generator)
            }
            defer { inFlight.finish(network.name, tries) }
            if tries.isEmpty {
                if inFlight.isEmpty(network.name) { throw .addressesExhausted(network: network.name, subnet: network.subnet) }
                // Every free address is being claimed by this host's other callers: wait for them.
                usleep(5_000)
                continue
            }
            for address in tries {
                if let claim = try claim(address, in: network, owner: owner) { return claim }
            }
        }
        throw .contention("claiming an address in multi-host network \(network.name)", attempts: Self.maximumReads * Self.claimsPerRead)
    }

    /// Claims the gateway address for this network's role "gateway" on no particular host: the
    /// same address is on every host's bridge. Idempotent.
    package func reserveGateway(of network: LogicalNetwork) throws(MultiHostError) {
        let key = keys.address(network.name, network.gateway)
        let value = AddressClaim(network: network.name, address: network.gateway, host: "*", owner: "gateway", token: "gateway").json
        _ = try MultiHostError.etcd { () throws(EtcdError) in try etcd.txn([.absent(key)], success: [.put(key: key, value: value)]) }
    }

    /// One create-if-absent; nil when another claim holds the address.
    private func claim(_ address: IPAddress, in network: LogicalNetwork, owner: String) throws(MultiHostError) -> AddressClaim? {
        let key = keys.address(network.name, address)
        var claim = AddressClaim(network: network.name, address: address, host: host, owner: owner, token: Self.newToken())
        let result = try MultiHostError.etcd { () throws(EtcdError) in
            try etcd.txn([.absent(key)], success: [.put(key: key, value: claim.json)], failure: [.range(key: key)])
        }
        if result.succeeded {
            claim.modRevision = result.revision
            return claim
        }
        // Ours after all if an earlier attempt committed but its answer was lost and the client
        // sent it again.
        if let kv = result.responses.first?.keyValues.first, kv.value == claim.json {
            claim.modRevision = kv.modRevision
            return claim
        }
        return nil
    }

    /// Frees `address` if `owner` on this host holds it (any holder when `owner` is nil).
    /// False when nobody held it.
    @discardableResult
    package func release(_ address: IPAddress, in network: String, owner: String?) throws(MultiHostError) -> Bool {
        let key = keys.address(network, address)
        for _ in 0..<Self.maximumReads {
            guard let claim = try holder(of: address, in: network) else { return false }
            if let owner, claim.owner != owner || claim.host != host {
                throw .notHolder(network: network, address: address, host: claim.host, owner: claim.owner)
            }
            let result = try MultiHostError.etcd { () throws(EtcdError) in
                try etcd.txn([EtcdCompare(key: key, .modRevision(claim.modRevision))], success: [.deleteRange(key: key)])
            }
            if result.succeeded { return true }
        }
        throw .contention("releasing \(address) in multi-host network \(network)", attempts: Self.maximumReads)
    }

    /// The claim on `address`, or nil.
    package func holder(of address: IPAddress, in network: String) throws(MultiHostError) -> AddressClaim? {
        let key = keys.address(network, address)
        guard let kv = try MultiHostError.etcd({ () throws(EtcdError) in try etcd.get(key) }) else { return nil }
        return try AddressClaim(key: key, json: kv.value, network: network, address: address, modRevision: kv.modRevision)
    }

    /// Every claim of `network` (every network when nil).
    package func claims(in network: String? = nil) throws(MultiHostError) -> [AddressClaim] {
        let base = network.map { keys.addresses($0) } ?? keys.allAddresses
        let range = try MultiHostError.etcd { () throws(EtcdError) in try etcd.range(prefix: base) }
        var claims: [AddressClaim] = []
        for kv in range.keyValues {
            guard let (name, address) = MultiHostKeys.networkAndAddress(of: kv.key, under: keys.allAddresses) else {
                throw .malformedRecord(key: kv.key, reason: "not addr/<network>/<address>")
            }
            claims.append(try AddressClaim(key: kv.key, json: kv.value, network: name, address: address, modRevision: kv.modRevision))
        }
        return claims
    }

    private func heldAddresses(in network: String) throws(MultiHostError) -> Set<IPAddress> {
        let base = keys.addresses(network)
        let range = try MultiHostError.etcd { () throws(EtcdError) in try etcd.range(prefix: base, keysOnly: true) }
        var held = Set<IPAddress>(minimumCapacity: range.keyValues.count)
        for kv in range.keyValues {
            if let leaf = MultiHostKeys.leaf(of: kv.key, under: base), let address = IPAddress(leaf) { held.insert(address) }
        }
        return held
    }

    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 36) + String(generator.next() as UInt64, radix: 36)
    }
}

import SwiftnetEtcd

/// `swiftnet gc --node NAME`: frees the addresses a dead host still holds (they hang on no
/// lease, so a partitioned host keeps them) and deletes any endpoint locations it left.
package struct HostGarbageCollector: Sendable {
    package let etcd: EtcdClient
    package let keys: MultiHostKeys

    package struct Report: Sendable, Equatable {
        package var freed: [AddressClaim]
        package var endpointsDeleted: Int
    }

    package init(etcd: EtcdClient, keys: MultiHostKeys = MultiHostKeys()) {
        self.etcd = etcd
        self.keys = keys
    }

    /// Pure: the claims `node` holds. The shared gateway claim (host "*") is never among them.
    package static func claims(of node: String, in claims: [AddressClaim]) -> [AddressClaim] {
        claims.filter { $0.host == node }
    }

    /// Frees everything `node` holds. Refused while its lease holds (it is alive), unless
    /// `evenIfAlive`; `dryRun` only reports. Each delete is conditioned on the claim being the
    /// one read, so a claim made meanwhile by another host is never deleted.
    package func collect(node: String, evenIfAlive: Bool = false, dryRun: Bool = false) throws(MultiHostError) -> Report {
        try HostRecord.validate(host: node)
        let hostKey = keys.host(node)
        if !evenIfAlive, try MultiHostError.etcd({ () throws(EtcdError) in try etcd.get(hostKey) }) != nil {
            throw .hostAlive(node)
        }
        let allocator = try AddressAllocator(etcd: etcd, host: node, keys: keys)
        let mine = Self.claims(of: node, in: try allocator.claims())
        let endpoints = try MultiHostError.etcd { () throws(EtcdError) in try etcd.range(prefix: keys.allEndpoints) }
        var stale: [EtcdKeyValue] = []
        for kv in endpoints.keyValues {
            if case .string(let host)? = try? RecordJSON(key: kv.key, value: kv.value).object["host"], host == node { stale.append(kv) }
        }
        guard !dryRun else { return Report(freed: mine, endpointsDeleted: stale.count) }
        var freed: [AddressClaim] = []
        for claim in mine {
            let key = keys.address(claim.network, claim.address)
            let result = try MultiHostError.etcd { () throws(EtcdError) in
                try etcd.txn([EtcdCompare(key: key, .modRevision(claim.modRevision))], success: [.deleteRange(key: key)])
            }
            if result.succeeded { freed.append(claim) }
        }
        var deleted = 0
        for kv in stale {
            let result = try MultiHostError.etcd { () throws(EtcdError) in
                try etcd.txn([EtcdCompare(key: kv.key, .modRevision(kv.modRevision))], success: [.deleteRange(key: kv.key)])
            }
            if result.succeeded { deleted += 1 }
        }
        return Report(freed: freed, endpointsDeleted: deleted)
    }
}

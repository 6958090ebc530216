import SwiftnetEtcd
import SwiftnetAddress

/// Logical networks in etcd. The first host to ask for a name creates it; the others get the
/// same subnet and VNI. Creation is one transaction conditioned on the name being absent and on
/// no network having been written since the read its plan was made from, so two hosts creating
/// different names at once cannot both take the same automatic subnet or VNI.
package struct NetworkRegistry: Sendable {
    package let etcd: EtcdClient
    package let keys: MultiHostKeys
    package let plan: LogicalNetworkPlan

    /// Transactions lost to other hosts before giving up (each costs one read and one write).
    static let maximumAttempts = 20

    package init(etcd: EtcdClient, keys: MultiHostKeys = MultiHostKeys(), plan: LogicalNetworkPlan = LogicalNetworkPlan()) {
        self.etcd = etcd
        self.keys = keys
        self.plan = plan
    }

    /// The logical network `name`, created now if etcd has none. With `subnet`, an existing
    /// network must have exactly that subnet (or, for a size-only `0.0.0.0/N`, that size).
    package func ensure(name: String, subnet requested: IPPrefix?, host: String) throws(MultiHostError) -> LogicalNetwork {
        try LogicalNetwork.validate(name: name)
        for _ in 0..<Self.maximumAttempts {
            // Its own record first: an unreadable record of another network must not stop
            // hosts from joining this one.
            if let existing = try network(named: name) {
                if let requested, requested != existing.subnet, LogicalNetworkPlan.sizeOnly(requested) != existing.subnet.length {
                    throw .subnetMismatch(network: name, existing: existing.subnet, requested: requested)
                }
                return existing
            }
            let (networks, revision) = try all()
            if networks.contains(where: { $0.name == name }) { continue }  // created since the read above
            let network = try plan.plan(name: name, requestedSubnet: requested, host: host, existing: networks)
            let key = keys.network(name)
            let result = try MultiHostError.etcd { () throws(EtcdError) in
                try etcd.txn([.absent(key), .unchanged(prefix: keys.networks, since: revision)],
                             success: [.put(key: key, value: network.json)])
            }
            if result.succeeded { return network }
        }
        throw .contention("creating multi-host network \(name)", attempts: Self.maximumAttempts)
    }

    /// The network `name`, or nil.
    package func network(named name: String) throws(MultiHostError) -> LogicalNetwork? {
        try LogicalNetwork.validate(name: name)
        let key = keys.network(name)
        guard let kv = try MultiHostError.etcd({ () throws(EtcdError) in try etcd.get(key) }) else { return nil }
        return try LogicalNetwork(key: kv.key, json: kv.value)
    }

    /// Every logical network, by name, and the revision they were read at.
    package func all() throws(MultiHostError) -> (networks: [LogicalNetwork], revision: Int64) {
        let range = try MultiHostError.etcd { () throws(EtcdError) in try etcd.range(prefix: keys.networks) }
        var networks: [LogicalNetwork] = []
        for kv in range.keyValues { networks.append(try LogicalNetwork(key: kv.key, json: kv.value)) }
        return (networks, range.revision)
    }
}

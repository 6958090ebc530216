import SwiftnetAddress

extension IPAMAllocator {
    /// A `RequestPool` as dockerd sends it.
    package struct PoolRequest: Sendable {
        package var addressSpace: String
        package var pool: String
        package var subPool: String
        package var options: [String: String]
        package var v6: Bool

        package init(addressSpace: String, pool: String = "", subPool: String = "",
                    options: [String: String] = [:], v6: Bool = false) {
            self.addressSpace = addressSpace
            self.pool = pool
            self.subPool = subPool
            self.options = options
            self.v6 = v6
        }
    }

    /// Decides the pool for `request`. `hostRoutes` are consulted only for automatic pools.
    package func planRequestPool(_ request: PoolRequest, hostRoutes: () throws -> [HostRoute]) throws -> PoolRecord {
        guard let bases = configuration.bases(forSpace: request.addressSpace) else {
            throw IPAMError.unknownAddressSpace(request.addressSpace)
        }
        if let sticky = request.options[IPAMOptions.sticky], !["true", "false"].contains(sticky.lowercased()) {
            throw IPAMError.invalidOption(key: IPAMOptions.sticky, value: sticky, expected: "true or false")
        }
        if let probe = request.options[IPAMOptions.probe], probe != IPAMOptions.probeARP {
            throw IPAMError.invalidOption(key: IPAMOptions.probe, value: probe, expected: IPAMOptions.probeARP)
        }
        let scope = request.options[IPAMOptions.scope]
        if let scope, !LinkName.isValid(scope) {
            throw IPAMError.invalidOption(key: IPAMOptions.scope, value: scope,
                                          expected: "a link name (1–15 bytes, no '/', ':' or white space)")
        }
        let family: IPFamily = request.v6 ? .v6 : .v4

        var prefix: IPPrefix
        var automatic = false
        var size: Int?
        if request.pool.isEmpty {
            guard request.subPool.isEmpty else {
                throw IPAMError.invalidSubPool("\(request.subPool) given without a pool")
            }
            automatic = true
            prefix = IPPrefix(address: IPAddress(family: family, value: 0), length: 0)!
        } else {
            guard let parsed = IPPrefix(request.pool) else { throw IPAMError.invalidPool(request.pool) }
            guard parsed.family == family else { throw IPAMError.familyMismatch(pool: request.pool, v6: request.v6) }
            prefix = parsed
            // dockerd 29+ asks for "0.0.0.0/N" or "::/N": any free pool of that size; "/0",
            // as in Docker's allocator, one of the default size.
            if parsed.network.value == 0 {
                automatic = true
                size = parsed.length == 0 ? nil : parsed.length
            }
        }

        if automatic {
            guard request.subPool.isEmpty else {
                throw IPAMError.invalidSubPool("\(request.subPool) given with an automatic pool")
            }
            // Pools of either address space are real subnets on this host.
            let routes = try hostRoutes().filter { $0.prefix.family == family && $0.prefix.length > 0 }
            var chooser = PoolChooser(bases: bases)
            prefix = try chooser.choose(family: family, size: size, pools: poolSpans[family] ?? PoolSpans(),
                                        routes: routes.map(\.prefix)) {
                // Only when nothing is free: the error lists what was in the way, its own
                // address space's pools first.
                let ordered = pools.values.filter { $0.prefix.family == family }
                    .sorted { ($0.record.addressSpace != request.addressSpace ? 1 : 0) < ($1.record.addressSpace != request.addressSpace ? 1 : 0) }
                return ordered.map { (prefix: $0.prefix, label: "\($0.prefix) (pool \($0.id))") }
                    + routes.map { (prefix: $0.prefix, label: "route \($0)") }
            }
        } else {
            let existing = pools.values.filter { $0.record.addressSpace == request.addressSpace && $0.prefix.family == family }
            if let range = prefix.specialPurposeRange {
                throw IPAMError.specialPurpose(what: "address pool \(prefix)", range: range)
            }
            // Pools behind two different links (both scoped) are two LANs: they may overlap.
            if let clash = existing.first(where: { $0.prefix.overlaps(prefix) && !(scope != nil && $0.scope != nil && $0.scope != scope) }) {
                throw IPAMError.poolOverlap(requested: prefix, existing: clash.prefix)
            }
        }

        var subPool: IPPrefix?
        if !request.subPool.isEmpty {
            guard let sub = IPPrefix(request.subPool), sub.family == family else {
                throw IPAMError.invalidSubPool(request.subPool)
            }
            guard prefix.contains(sub) else {
                throw IPAMError.invalidSubPool("\(sub) is not inside pool \(prefix)")
            }
            subPool = sub
        }

        var id = "\(request.addressSpace)/\(prefix)"
        if let subPool { id += "/\(subPool)" }
        // Link names never hold ':' (the kernel refuses it), so the suffix cannot be mistaken.
        if let scope { id += "/scope:\(scope)" }
        return PoolRecord(id: id, addressSpace: request.addressSpace, prefix: prefix, subPool: subPool,
                          options: request.options)
    }

    /// The pool an identical explicit request already made, when nothing is allocated in it
    /// yet (dockerd asks for a gateway right after an answer it got). Only a candidate: the
    /// service gives it again only if an earlier process made it and may have died before
    /// answering (see `RetryCandidates`); otherwise the request is a second network on the same
    /// subnet and `planRequestPool` refuses it as an overlap, as Docker's own IPAM does.
    package func poolOfRepeatedRequest(_ request: PoolRequest) -> PoolRecord? {
        guard !request.pool.isEmpty, let prefix = IPPrefix(request.pool) else { return nil }
        let sub = request.subPool.isEmpty ? nil : IPPrefix(request.subPool)
        return pools.values.first { pool in
            pool.record.addressSpace == request.addressSpace && pool.prefix == prefix && pool.record.subPool == sub
                && pool.record.options == request.options && pool.allocatedCount == 0
        }?.record
    }

    /// Releasing an unknown pool is not an error (dockerd repeats releases after a failed
    /// `network rm`); the caller logs the nil.
    package func planReleasePool(_ id: String) -> IPAMChange? {
        pools[id] == nil ? nil : .releasePool(poolID: id)
    }

    /// Splits `<space>/<pool>[/<subpool>]` and checks it names a pool we hold.
    func poolForID(_ id: String) throws -> AddressPool {
        if let pool = pools[id] { return pool }
        var parts = id.split(separator: "/", omittingEmptySubsequences: false)
        if let last = parts.last, last.hasPrefix("scope:"), LinkName.isValid(String(last.dropFirst(6))) { parts.removeLast() }
        guard parts.count == 3 || parts.count == 5, IPPrefix("\(parts[1])/\(parts[2])") != nil else {
            throw IPAMError.invalidPoolID(id)
        }
        throw IPAMError.unknownPool(id)
    }
}

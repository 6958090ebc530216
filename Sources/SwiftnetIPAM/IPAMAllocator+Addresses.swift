import SwiftnetAddress

extension IPAMAllocator {
    /// A `RequestAddress` as dockerd sends it.
    package struct AddressRequest: Sendable {
        package var poolID: String
        /// `""`: any free address.
        package var address: String
        package var options: [String: String]

        package init(poolID: String, address: String = "", options: [String: String] = [:]) {
            self.poolID = poolID
            self.address = address
            self.options = options
        }

        package var isGateway: Bool { options[IPAMOptions.requestAddressType] == IPAMOptions.gatewayRequest }
        var endpointName: String? { options[IPAMOptions.endpointName].flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// Decides which address answers `request`. Order: the requested address; a gateway's
    /// lowest free address; the name's previous address if free; the next free after the cursor.
    /// `excluding`: addresses not to hand out dynamically (found in use on the LAN just now).
    package func planRequestAddress(_ request: AddressRequest, excluding: Set<IPAddress> = []) throws -> IPAMChange {
        let pool = try poolForID(request.poolID)
        let prefix = pool.prefix
        let name = request.endpointName

        if !request.address.isEmpty {
            try refuseSpecialPurposeGateway(request)
            guard let address = IPAddress(request.address) else { throw IPAMError.invalidAddress(request.address) }
            guard prefix.contains(address) else { throw IPAMError.addressOutOfRange(address, pool: prefix) }
            guard !pool.isReserved(address) else { throw IPAMError.reservedAddress(address, pool: prefix) }
            guard pool.isFree(address) else { throw IPAMError.addressInUse(address, pool: prefix) }
            let kind: AllocationKind = request.isGateway ? .gateway : .requested
            return allocation(AllocationRecord(poolID: pool.id, address: address, kind: kind, name: name), in: pool)
        }

        if request.isGateway {
            guard let address = pool.lowestFree() else { throw IPAMError.poolExhausted(prefix, poolID: pool.id) }
            return allocation(AllocationRecord(poolID: pool.id, address: address, kind: .gateway), in: pool)
        }

        if let name, pool.isSticky, let previous = pool.stickyAddress(for: name), pool.isFree(previous), !excluding.contains(previous) {
            return allocation(AllocationRecord(poolID: pool.id, address: previous, kind: .dynamic, name: name), in: pool)
        }

        guard let address = pool.nextDynamic(excluding: excluding) else { throw IPAMError.poolExhausted(prefix, poolID: pool.id) }
        return allocation(AllocationRecord(poolID: pool.id, address: address, kind: .dynamic, name: name,
                                           sequence: pool.nextSequence), in: pool)
    }

    /// A named container's allocation in a sticky pool also marks its name used for the address.
    private func allocation(_ record: AllocationRecord, in pool: AddressPool) -> IPAMChange {
        guard let name = record.name, pool.isSticky else { return .allocate(record, sticky: nil) }
        return .allocate(record, sticky: pool.sticky.planUse(name: name, address: record.address, poolID: pool.id))
    }

    /// Result of planning a release: the change, or why there is nothing to do.
    package enum ReleasePlan: Sendable, Equatable {
        case release(IPAMChange)
        case unknownPool
        case notAllocated
    }

    /// A malformed address is an error; an address or pool we do not hold is not (dockerd
    /// releases again after restarts and failed removals), and the caller logs it.
    package func planReleaseAddress(poolID: String, address text: String) throws -> ReleasePlan {
        guard let address = IPAddress(text) else { throw IPAMError.invalidAddress(text) }
        guard let pool = pools[poolID] else { return .unknownPool }
        guard pool.isAllocated(address) else { return .notAllocated }
        return .release(.release(poolID: poolID, address: address))
    }
}

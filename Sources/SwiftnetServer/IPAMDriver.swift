import SwiftnetAddress
import Logging
import SwiftnetOverlay
import SwiftnetIPAM
import SwiftnetPluginAPI

/// The `IpamDriver.*` calls: decode, ask the IPAM service, encode. Every mutating call logs
/// one line with its outcome.
struct IPAMDriver: Sendable {
    let service: IPAMService
    let logger: Logger
    /// Pools asked for with `swiftnet.network=NAME` and their addresses, in etcd; nil without it.
    var multiHost: MultiHostIPAM? = nil
    /// The swiftnet network whose subnet a pool is, if any: an overlap refusal names it.
    var networkOnSubnet: @Sendable (IPPrefix) -> String? = { _ in nil }

    var routes: [String: PluginRouter.Handler] {
        [
            "/IpamDriver.GetCapabilities": { _ in getCapabilities() },
            "/IpamDriver.GetDefaultAddressSpaces": { _ in getDefaultAddressSpaces() },
            "/IpamDriver.RequestPool": { try requestPool($0) },
            "/IpamDriver.ReleasePool": { try releasePool($0) },
            "/IpamDriver.RequestAddress": { try requestAddress($0) },
            "/IpamDriver.ReleaseAddress": { try releaseAddress($0) },
        ]
    }

    /// State is persisted, so dockerd need not replay pools and addresses at its start.
    private static let capabilities = IPAMAPI.CapabilitiesResponse(requiresMACAddress: false, requiresRequestReplay: false)
        .json.serialized
    private static let addressSpaces = IPAMAPI.AddressSpacesResponse(local: IPAMConfiguration.localSpace,
                                                                     global: IPAMConfiguration.globalSpace).json.serialized
    private static let empty = PluginAPI.empty.serialized

    func getCapabilities() -> [UInt8] { IPAMDriver.capabilities }

    func getDefaultAddressSpaces() -> [UInt8] { IPAMDriver.addressSpaces }

    func requestPool(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.RequestPoolRequest.self, from: body, call: "RequestPool")
        if let name = request.options[MultiHostIPAM.nameOption] {
            guard let multiHost else {
                throw PluginError.failed("\(MultiHostIPAM.nameOption)=\(name): multi-host networks need swiftnet serve --etcd-endpoints")
            }
            let pool = try PluginError.failedOnError { try multiHost.requestPool(name: name, subnet: request.pool, subPool: request.subPool, v6: request.v6) }
            logger.info("RequestPool", metadata: ["poolID": "\(pool.poolID)", "pool": "\(pool.pool)", "multiHost": "\(name)"])
            return IPAMAPI.RequestPoolResponse(poolID: pool.poolID, pool: pool.pool.description).json.serialized
        }
        let pool = try refusing {
            try service.requestPool(.init(addressSpace: request.addressSpace, pool: request.pool,
                                          subPool: request.subPool, options: request.options, v6: request.v6))
        }
        logger.info("RequestPool", metadata: ["poolID": "\(pool.id)", "pool": "\(pool.prefix)"])
        return IPAMAPI.RequestPoolResponse(poolID: pool.id, pool: pool.prefix.description).json.serialized
    }

    func releasePool(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.ReleasePoolRequest.self, from: body, call: "ReleasePool")
        if MultiHostIPAM.isMultiHost(poolID: request.poolID), let multiHost {
            let released = try PluginError.failedOnError { try multiHost.releasePool(request.poolID) }
            logger.info(released ? "ReleasePool" : "ReleasePool of a pool not held; nothing to do", metadata: ["poolID": "\(request.poolID)"])
            return IPAMDriver.empty
        }
        if try service.releasePool(request.poolID) {
            logger.info("ReleasePool", metadata: ["poolID": "\(request.poolID)"])
        } else {
            logger.notice("ReleasePool of a pool not held; nothing to do", metadata: ["poolID": "\(request.poolID)"])
        }
        return IPAMDriver.empty
    }

    func requestAddress(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.RequestAddressRequest.self, from: body, call: "RequestAddress")
        if MultiHostIPAM.isMultiHost(poolID: request.poolID), let multiHost {
            let cidr = try PluginError.failedOnError {
                try multiHost.requestAddress(poolID: request.poolID, address: request.address, options: request.options)
            }
            logger.info("RequestAddress", metadata: ["poolID": "\(request.poolID)", "address": "\(cidr)"])
            return IPAMAPI.RequestAddressResponse(address: cidr).json.serialized
        }
        let result = try refusing {
            try service.requestAddress(.init(poolID: request.poolID, address: request.address, options: request.options))
        }
        logger.info("RequestAddress", metadata: ["poolID": "\(request.poolID)", "address": "\(result.cidr)"])
        return IPAMAPI.RequestAddressResponse(address: result.cidr).json.serialized
    }

    func releaseAddress(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.ReleaseAddressRequest.self, from: body, call: "ReleaseAddress")
        if MultiHostIPAM.isMultiHost(poolID: request.poolID), let multiHost {
            let release = try PluginError.failedOnError { try multiHost.releaseAddress(poolID: request.poolID, address: request.address) }
            let metadata: Logger.Metadata = ["poolID": "\(request.poolID)", "address": "\(request.address)"]
            switch release {
            case .released: logger.info("ReleaseAddress", metadata: metadata)
            case .notHeld: logger.info("ReleaseAddress of an address not held here; nothing to do", metadata: metadata)
            case .pending(let error):
                // dockerd never asks again: the release stands here, and etcd gets it when it answers.
                logger.warning("ReleaseAddress: released here; etcd failed, so the claim there is freed once etcd answers",
                               metadata: metadata.merging(["error": "\(error)"]) { first, _ in first })
            }
            return IPAMDriver.empty
        }
        let plan: IPAMAllocator.ReleasePlan
        do {
            plan = try service.releaseAddress(poolID: request.poolID, address: request.address)
        } catch let error as IPAMError {
            throw PluginError.badRequest("ReleaseAddress: \(error)")
        }
        let metadata: Logger.Metadata = ["poolID": "\(request.poolID)", "address": "\(request.address)"]
        switch plan {
        case .release: logger.info("ReleaseAddress", metadata: metadata)
        case .notAllocated: logger.notice("ReleaseAddress of an address not allocated; nothing to do", metadata: metadata)
        case .unknownPool: logger.notice("ReleaseAddress in a pool not held; nothing to do", metadata: metadata)
        }
        return IPAMDriver.empty
    }

    /// IPAM refusals become 500 `{"Err"}`; the router logs them once.
    private func refusing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as IPAMError {
            throw PluginError.failed(error.description + holderNote(error))
        }
    }

    /// Who holds the pool an overlap refusal names: the user retrying a `docker network
    /// create` that failed while swiftnet was down meets the pool its rollback never released.
    private func holderNote(_ error: IPAMError) -> String {
        guard case .poolOverlap(_, let existing) = error else { return "" }
        if let network = networkOnSubnet(existing) { return " (the subnet of swiftnet network \(network.prefix(12)))" }
        return " (no swiftnet network uses it; if no Docker network does either, swiftnet gc --docker releases it)"
    }
}

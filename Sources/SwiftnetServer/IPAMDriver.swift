import Logging
import SwiftnetIPAM
import SwiftnetPluginAPI

/// The `IpamDriver.*` calls: decode, ask the IPAM service, encode. Every mutating call logs
/// one line with its outcome.
struct IPAMDriver: Sendable {
    let service: IPAMService
    let logger: Logger

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

    func getCapabilities() -> [UInt8] {
        // State is persisted, so dockerd need not replay pools and addresses at its start.
        PluginCodec.encode(IPAMAPI.CapabilitiesResponse(RequiresMACAddress: false, RequiresRequestReplay: false))
    }

    func getDefaultAddressSpaces() -> [UInt8] {
        PluginCodec.encode(IPAMAPI.AddressSpacesResponse(LocalDefaultAddressSpace: IPAMConfiguration.localSpace,
                                                         GlobalDefaultAddressSpace: IPAMConfiguration.globalSpace))
    }

    func requestPool(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.RequestPoolRequest.self, from: body, call: "RequestPool")
        let pool = try refusing {
            try service.requestPool(.init(addressSpace: request.AddressSpace, pool: request.Pool,
                                          subPool: request.SubPool, options: request.Options ?? [:], v6: request.V6))
        }
        logger.info("RequestPool", metadata: ["poolID": "\(pool.id)", "pool": "\(pool.prefix)"])
        return PluginCodec.encode(IPAMAPI.RequestPoolResponse(PoolID: pool.id, Pool: pool.prefix.description))
    }

    func releasePool(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.ReleasePoolRequest.self, from: body, call: "ReleasePool")
        if try service.releasePool(request.PoolID) {
            logger.info("ReleasePool", metadata: ["poolID": "\(request.PoolID)"])
        } else {
            logger.notice("ReleasePool of a pool not held; nothing to do", metadata: ["poolID": "\(request.PoolID)"])
        }
        return PluginCodec.encode(PluginAPI.Empty())
    }

    func requestAddress(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.RequestAddressRequest.self, from: body, call: "RequestAddress")
        let result = try refusing {
            try service.requestAddress(.init(poolID: request.PoolID, address: request.Address,
                                             options: request.Options ?? [:]))
        }
        logger.info("RequestAddress", metadata: ["poolID": "\(request.PoolID)", "address": "\(result.cidr)"])
        return PluginCodec.encode(IPAMAPI.RequestAddressResponse(Address: result.cidr))
    }

    func releaseAddress(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(IPAMAPI.ReleaseAddressRequest.self, from: body, call: "ReleaseAddress")
        let plan: IPAMAllocator.ReleasePlan
        do {
            plan = try service.releaseAddress(poolID: request.PoolID, address: request.Address)
        } catch let error as IPAMError {
            throw PluginError.badRequest("ReleaseAddress: \(error)")
        }
        let metadata: Logger.Metadata = ["poolID": "\(request.PoolID)", "address": "\(request.Address)"]
        switch plan {
        case .release: logger.info("ReleaseAddress", metadata: metadata)
        case .notAllocated: logger.notice("ReleaseAddress of an address not allocated; nothing to do", metadata: metadata)
        case .unknownPool: logger.notice("ReleaseAddress in a pool not held; nothing to do", metadata: metadata)
        }
        return PluginCodec.encode(PluginAPI.Empty())
    }

    /// IPAM refusals become 500 `{"Err"}`; the router logs them once.
    private func refusing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as IPAMError {
            throw PluginError.failed(error.description)
        }
    }
}

import SwiftnetAddress
import SwiftnetBridge
import SwiftnetIPAM

/// The IPAM's view of the addresses the driver's endpoints hold (see `AddressHolders`).
struct DriverAddressHolders: AddressHolders {
    let driver: SwiftnetDriver

    func holder(of address: IPAddress, in pool: PoolRecord) -> String? {
        driver.endpointHolding(address, inSubnet: pool.prefix, scope: pool.options[IPAMOptions.scope])
    }

    func isHeldByAnyEndpoint(_ address: IPAddress) -> Bool {
        driver.holdsAddress(address)
    }
}

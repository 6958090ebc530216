/// What the IPAM is told at start-up: names of the address spaces and where automatic pools
/// come from.
package struct IPAMConfiguration: Sendable {
    package static let localSpace = "LocalDefault"
    package static let globalSpace = "GlobalDefault"

    /// The bound of each pool's sticky-name table (see `StickyNames`).
    package static let defaultStickyNamesPerPool = 1024

    package var localBases: [PoolBase]
    package var globalBases: [PoolBase]
    package var stickyNamesPerPool: Int

    package init(localBases: [PoolBase], globalBases: [PoolBase],
                stickyNamesPerPool: Int = IPAMConfiguration.defaultStickyNamesPerPool) {
        self.localBases = localBases
        self.globalBases = globalBases
        self.stickyNamesPerPool = max(1, stickyNamesPerPool)
    }

    /// dockerd's defaults, plus a host-unique IPv6 ULA /48 for both spaces.
    package static func dockerDefaults(ulaGlobalID: UInt64) -> IPAMConfiguration {
        let ula = PoolBase.uniqueLocalV6(globalID: ulaGlobalID)
        return IPAMConfiguration(localBases: PoolBase.dockerLocalV4 + [ula],
                                 globalBases: PoolBase.dockerGlobalV4 + [ula])
    }

    func bases(forSpace space: String) -> [PoolBase]? {
        switch space {
        case IPAMConfiguration.localSpace: return localBases
        case IPAMConfiguration.globalSpace: return globalBases
        default: return nil
        }
    }
}

/// What the IPAM is told at start-up: names of the address spaces and where automatic pools
/// come from.
public struct IPAMConfiguration: Sendable {
    public static let localSpace = "LocalDefault"
    public static let globalSpace = "GlobalDefault"

    /// The bound of each pool's sticky-name table (see `StickyNames`).
    public static let defaultStickyNamesPerPool = 1024

    public var localBases: [PoolBase]
    public var globalBases: [PoolBase]
    public var stickyNamesPerPool: Int

    public init(localBases: [PoolBase], globalBases: [PoolBase],
                stickyNamesPerPool: Int = IPAMConfiguration.defaultStickyNamesPerPool) {
        self.localBases = localBases
        self.globalBases = globalBases
        self.stickyNamesPerPool = max(1, stickyNamesPerPool)
    }

    /// dockerd's defaults, plus a host-unique IPv6 ULA /48 for both spaces.
    public static func dockerDefaults(ulaGlobalID: UInt64) -> IPAMConfiguration {
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

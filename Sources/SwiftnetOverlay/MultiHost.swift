import Dispatch
import Logging
import SwiftnetAddress
import SwiftnetEtcd
import SwiftnetMultiHost
import Synchronization

/// A server's part in multi-host networks: its etcd client, the logical networks, address
/// claims, its host lease with the endpoint locations on it, and the watcher that programs
/// remote endpoints into local VXLAN devices. Started by `swiftnet serve`, stopped (lease
/// revoked) on a clean stop.
package final class MultiHost: Sendable {
    package let settings: MultiHostSettings
    package let etcd: EtcdClient
    package let registry: NetworkRegistry
    package let allocator: AddressAllocator
    package let membership: HostMembership
    package let watcher: RemoteEndpointWatcher
    package let forwarding: RemoteForwarding
    /// DNS on the gateway of each multi-host network here, names from the endpoint locations.
    package let nameServers: NetworkNameServers
    /// Container names dockerd sent in RequestAddress, by "network/address", for the
    /// locations Join publishes.
    private let containerNames = Mutex<[String: String]>([:])
    let logger: Logger
    /// Publishes that must not hold up the caller (start-up's republish).
    let background = DispatchQueue(label: "swiftnet.multihost.publish")
    /// Dispatch sources are thread-safe; Dispatch just does not say so to Swift 6.
    nonisolated(unsafe) private let resyncTimer: any DispatchSourceTimer

    /// Seconds between full comparisons of the VXLAN devices with etcd's endpoints.
    static let resyncSeconds = 5

    package init(settings: MultiHostSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        etcd = EtcdClient(endpoints: settings.endpoints, timeoutSeconds: settings.etcdTimeoutSeconds)
        registry = NetworkRegistry(etcd: etcd)
        allocator = try AddressAllocator(etcd: etcd, host: settings.node)
        membership = try HostMembership(etcd: etcd, record: HostRecord(name: settings.node, underlay: settings.advertiseAddress),
                                        ttlSeconds: settings.leaseTTLSeconds)
        // The watcher's own client: its long poll must not take a connection a claim waits for.
        let watchClient = EtcdClient(endpoints: settings.endpoints, timeoutSeconds: settings.etcdTimeoutSeconds)
        let holder = WatcherHolder()
        let forwarding = try RemoteForwarding(remote: { holder.watcher?.entries ?? [] },
                                              remoteIsKnown: { (holder.watcher?.revision ?? 0) > 0 }, logger: logger)
        self.forwarding = forwarding
        let nameServers = NetworkNameServers(names: { holder.watcher?.names(of: $0) ?? [:] }, logger: logger)
        self.nameServers = nameServers
        watcher = RemoteEndpointWatcher(etcd: watchClient, localHost: settings.node) { changes in
            forwarding.apply(changes)
            nameServers.refresh()
        }
        holder.watcher = watcher
        resyncTimer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftnet.multihost.resync"))
    }

    /// Joins (lease), starts watching remote endpoints and the periodic resync.
    package func start() {
        membership.start()
        watcher.start()
        resyncTimer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(Self.resyncSeconds), leeway: .milliseconds(500))
        resyncTimer.setEventHandler { [forwarding] in forwarding.resyncAll() }
        resyncTimer.resume()
        logger.info("multi-host: member", metadata: ["node": "\(settings.node)", "underlay": "\(settings.advertiseAddress)",
                                                     "etcd": "\(settings.endpoints.map(\.description).joined(separator: ","))"])
    }

    /// Stops watching and revokes the lease: this host's endpoints leave every other host's FDB.
    package func stop() {
        resyncTimer.cancel()
        nameServers.stopAll()
        watcher.stop()
        do {
            try membership.stop()
        } catch {
            logger.warning("multi-host: could not revoke the lease; it expires by itself", metadata: ["error": "\(error)"])
        }
    }

    package func setContainerName(_ name: String?, network: String, address: IPAddress) {
        containerNames.withLock { $0["\(network)/\(address)"] = name }
    }

    package func containerName(network: String, address: IPAddress) -> String? {
        containerNames.withLock { $0["\(network)/\(address)"] }
    }

    /// Whether etcd answers now, and its error if not.
    package func etcdStatus() -> String? {
        do {
            _ = try etcd.range(prefix: MultiHostKeys().hosts, keysOnly: true)
            return nil
        } catch {
            return error.description
        }
    }
}

/// Breaks the init-time cycle between the forwarding (which reads the watcher's table) and the
/// watcher (which feeds the forwarding).
private final class WatcherHolder: @unchecked Sendable {
    var watcher: RemoteEndpointWatcher?
}

import Dispatch
import Logging
import Synchronization
import SwiftnetKernel
import SwiftnetMultiHost

/// Keeps each local VXLAN device's permanent FDB and neighbour entries equal to the remote
/// endpoints of its logical network: every watcher change is applied at once, and a full
/// comparison (`resync`) runs when a device is registered and every few seconds, so entries
/// missed while a device was being rebuilt, or changed by hand, come back.
package final class RemoteForwarding: Sendable {
    /// Logical network name → VXLAN device on this host.
    private let devices = Mutex<[String: String]>([:])
    /// libnl sockets are single-threaded: one manager, used under this lock.
    private let links: Mutex<LinkManager>
    private let remote: @Sendable () -> [EndpointLocation]
    /// Whether `remote` is etcd's view yet: until the watcher's first full read it is empty,
    /// and a resync then would delete every entry (a server restarted while etcd is down
    /// would cut its containers off from the other hosts).
    private let remoteIsKnown: @Sendable () -> Bool
    private let logger: Logger

    package init(remote: @escaping @Sendable () -> [EndpointLocation], remoteIsKnown: @escaping @Sendable () -> Bool,
                 logger: Logger) throws {
        links = Mutex(try LinkManager())
        self.remote = remote
        self.remoteIsKnown = remoteIsKnown
        self.logger = logger
    }

    package func register(network: String, device: String) {
        devices.withLock { $0[network] = device }
        _ = resync(network: network)
    }

    package func unregister(network: String) {
        devices.withLock { _ = $0.removeValue(forKey: network) }
    }

    package var registered: [String: String] { devices.withLock { $0 } }

    /// Applies the watcher's changes to the devices of the networks this host has.
    package func apply(_ changes: [RemoteEndpointChange]) {
        let known = devices.withLock { $0 }
        links.withLock { links in
            for change in changes {
                do {
                    switch change {
                    case .added(let location):
                        guard let device = known[location.network] else { continue }
                        try links.addNeighbour(NeighbourEntry(address: location.address, mac: location.mac), device: device)
                        try links.addForwardingEntry(ForwardingEntry(mac: location.mac, destination: location.underlay), device: device)
                    case .removed(let location):
                        guard let device = known[location.network] else { continue }
                        _ = try links.deleteForwardingEntry(ForwardingEntry(mac: location.mac, destination: location.underlay), device: device)
                        _ = try links.deleteNeighbour(NeighbourEntry(address: location.address, mac: location.mac), device: device)
                    }
                } catch {
                    logger.warning("could not program a remote endpoint; the next resync retries",
                                   metadata: ["change": "\(change)", "error": "\(error)"])
                }
            }
        }
    }

    /// How the device of `network` differs from etcd's remote endpoints (nil: no device here).
    package func drift(network: String) throws -> DataplaneDrift? {
        guard remoteIsKnown(), let device = devices.withLock({ $0[network] }) else { return nil }
        let desired = remote().filter { $0.network == network }
        let (fdb, neighbours) = try links.withLock { links in
            (try links.forwardingEntries(device: device), try links.neighbours(device: device))
        }
        return DataplaneDrift(desired: desired, forwarding: fdb.map { .init(mac: $0.mac, destination: $0.destination) },
                              neighbours: neighbours.map { .init(address: $0.address, mac: $0.mac) })
    }

    /// Makes the device of `network` hold exactly the remote endpoints; returns how many
    /// entries it changed.
    @discardableResult
    package func resync(network: String) -> Int {
        guard remoteIsKnown(), let device = devices.withLock({ $0[network] }) else { return 0 }
        do {
            guard let drift = try drift(network: network), !drift.isEmpty else { return 0 }
            try links.withLock { links in
                for entry in drift.staleForwarding { _ = try links.deleteForwardingEntry(.init(mac: entry.mac, destination: entry.destination), device: device) }
                for entry in drift.staleNeighbours { _ = try links.deleteNeighbour(.init(address: entry.address, mac: entry.mac), device: device) }
                for entry in drift.missingNeighbours { try links.addNeighbour(.init(address: entry.address, mac: entry.mac), device: device) }
                for entry in drift.missingForwarding { try links.addForwardingEntry(.init(mac: entry.mac, destination: entry.destination), device: device) }
            }
            return drift.missingForwarding.count + drift.staleForwarding.count + drift.missingNeighbours.count + drift.staleNeighbours.count
        } catch {
            logger.warning("could not resync remote endpoints", metadata: ["network": "\(network)", "device": "\(device)", "error": "\(error)"])
            return 0
        }
    }

    package func resyncAll() {
        for network in devices.withLock({ Array($0.keys) }) { resync(network: network) }
    }

    /// Runs `body` with the manager (the overlay mode makes its VXLAN devices with it).
    package func withLinks<T>(_ body: (LinkManager) throws -> T) throws -> T {
        try links.withLock { try body($0) }
    }
}

import Dispatch
import Logging
import Synchronization
import SwiftnetAddress
import SwiftnetDNS
import SwiftnetMultiHost

/// One DNS server per multi-host network on this host, on the network's gateway address (the
/// same on every host, so a container always asks its own host): names of the network's
/// endpoints on every host answered from etcd's endpoint locations, everything else forwarded
/// to the host's resolvers. dockerd's embedded resolver forwards names it does not know to
/// `--dns`, so `docker run --dns <gateway>` reaches containers on other hosts by name.
package final class NetworkNameServers: Sendable {
    private struct Served {
        var network: String
        var server: DNSServer
    }
    /// By driver network id.
    private let servers = Mutex<[String: Served]>([:])
    private let names: @Sendable (String) -> [String: [IPAddress]]
    private let logger: Logger
    /// Dispatch sources are thread-safe; Dispatch just does not say so to Swift 6.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    /// How often the tables are refreshed from the watcher's view of etcd (besides every change).
    static let refreshMilliseconds = 250

    package init(names: @escaping @Sendable (String) -> [String: [IPAddress]], logger: Logger) {
        self.names = names
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftnet.multihost.dns"))
        timer.schedule(deadline: .now() + .milliseconds(Self.refreshMilliseconds),
                       repeating: .milliseconds(Self.refreshMilliseconds), leeway: .milliseconds(50))
        timer.setEventHandler { [self] in refresh() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Serves `network`'s names on `gateway`:53 (kept if already served there). A port taken
    /// by another server is logged and left: the network works without names.
    package func serve(networkID: String, network: String, gateway: IPAddress) {
        guard servers.withLock({ $0[networkID] }) == nil else { return }
        do {
            let table = DNSNameTable()
            table.replaceAll(names(network))
            let upstreams = ResolverConfiguration.nameservers().map { SocketAddress($0, port: 53) }
            let server = try DNSServer(listen: SocketAddress(gateway, port: 53), names: table, upstreams: upstreams, logger: logger)
            server.start()
            servers.withLock { $0[networkID] = Served(network: network, server: server) }
            logger.info("multi-host DNS", metadata: ["network": "\(network)", "address": "\(gateway):53"])
        } catch {
            logger.warning("multi-host DNS not served; containers' names across hosts do not resolve",
                           metadata: ["network": "\(network)", "address": "\(gateway):53", "error": "\(error)"])
        }
    }

    package func stop(networkID: String) {
        servers.withLock { $0.removeValue(forKey: networkID) }?.server.stop()
    }

    package func stopAll() {
        timer.cancel()
        for served in servers.withLock({ servers in defer { servers = [:] }; return Array(servers.values) }) { served.server.stop() }
    }

    /// Every table from the current endpoint locations.
    package func refresh() {
        for served in servers.withLock({ Array($0.values) }) { served.server.names.replaceAll(names(served.network)) }
    }
}

import Foundation
import Logging
import SwiftnetBridge
import SwiftnetFirewall
import SwiftnetHTTP
import SwiftnetIPAM
import SwiftnetKernel
import SwiftnetPluginAPI
import SwiftnetStore

/// Everything `swiftnet serve` runs: the state lock, the store, the drivers and the HTTP
/// server on the plugin socket. Start-up order matters: the lock first (a second instance
/// must not touch the socket of the first), then the store, then the socket.
public final class PluginServer: Sendable {
    public struct Options: Sendable {
        public var socketPath: String
        public var statePath: String
        /// nil: dockerd's predefined pools (plus this host's IPv6 ULA /48).
        public var localPools: [PoolBase]?
        public var globalPools: [PoolBase]?
        public var http: HTTPServerConfiguration
        /// Prefix of swiftnet's iptables chains (`SWIFTNET-FORWARD`, …).
        public var chainPrefix: String

        public init(socketPath: String, statePath: String, localPools: [PoolBase]? = nil,
                    globalPools: [PoolBase]? = nil, http: HTTPServerConfiguration = HTTPServerConfiguration(),
                    chainPrefix: String = "SWIFTNET") {
            self.socketPath = socketPath
            self.statePath = statePath
            self.localPools = localPools
            self.globalPools = globalPools
            self.http = http
            self.chainPrefix = chainPrefix
        }
    }

    public static let implements = ["NetworkDriver", "IpamDriver"]

    public let options: Options
    private let lock: StateLock
    private let http: HTTPServer
    /// Dispatch sources are thread-safe; Dispatch just does not say so to Swift 6.
    nonisolated(unsafe) private let firewallGuard: any DispatchSourceTimer
    public let ipam: IPAMService
    public let bridge: BridgeDriver
    private let ownsSocketFile: Bool

    public init(options: Options, logger: Logger) throws {
        self.options = options
        let started = ContinuousClock.now
        lock = try StateLock(statePath: options.statePath)
        let store = try StateStore(path: options.statePath)
        let configuration = PluginServer.ipamConfiguration(options, ulaGlobalID: try store.ulaGlobalID())
        ipam = try IPAMService(configuration: configuration, store: store, routes: RouteReader())
        bridge = try BridgeDriver(store: store, dataplane: KernelDataplane(links: LinkManager(), instanceID: try store.instanceID()),
                                  firewall: IptablesFirewall(firewall: Firewall(prefix: options.chainPrefix)),
                                  hostPorts: SocketPortProbe(), bootID: PluginServer.bootID(), logger: logger)
        let loaded = ContinuousClock.now
        // Before the socket exists: dockerd must never see a network whose bridge is missing.
        let reconciled = bridge.reconcile()
        for repair in reconciled.repairs {
            logger.notice("repaired: \(repair)")
        }
        // Addresses of endpoints whose containers are gone go back to their pools (the
        // network's pool and gateway never do); sticky names still get them back.
        let subnets = Dictionary(bridge.networks.map { ($0.id, $0.subnets.map(\.pool)) }, uniquingKeysWith: { first, _ in first })
        for (networkID, address) in reconciled.freedAddresses {
            for subnet in subnets[networkID] ?? [] where subnet.contains(address) {
                if (try? ipam.release(address: address, inSubnet: subnet)) == true {
                    logger.notice("repaired: released \(address) of a gone endpoint in \(subnet)")
                }
            }
        }

        let activation = PluginAPI.ActivateResponse(implements: PluginServer.implements).json.serialized
        var routes: [String: PluginRouter.Handler] = ["/Plugin.Activate": { _ in activation }]
        routes.merge(IPAMDriver(service: ipam, logger: logger).routes) { first, _ in first }
        routes.merge(NetworkDriver(driver: bridge).routes) { first, _ in first }
        let router = PluginRouter(routes: routes, readRoutes: ["/state": { [ipam, bridge] _ in
            StateReport(ipam: ipam.snapshot(), networks: bridge.networks, endpoints: bridge.endpoints).json.serialized
        }], logger: logger)

        firewallGuard = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftnet.firewall-guard"))
        firewallGuard.schedule(deadline: .now() + .seconds(5), repeating: .seconds(5), leeway: .seconds(1))
        firewallGuard.setEventHandler { [bridge] in bridge.guardFirewall() }
        firewallGuard.resume()

        // A socket from systemd (socket activation) is served as it is; otherwise swiftnet binds its own.
        let activated = try SystemdActivation.listeningSocket()
        ownsSocketFile = activated == nil
        let fd = try activated ?? UnixListeningSocket.bind(path: options.socketPath)
        http = try HTTPServer(listeningSocket: fd, configuration: options.http, handler: router, logger: logger)
        let snapshot = ipam.snapshot()
        logger.info("serving", metadata: [
            "socket": "\(activated == nil ? options.socketPath : "fd 3 from systemd")", "state": "\(options.statePath)",
            "pools": "\(snapshot.poolIDs.count)",
            "stateLoadMs": "\(PluginServer.milliseconds(loaded - started))",
            "startMs": "\(PluginServer.milliseconds(ContinuousClock.now - started))",
        ])
    }

    /// Stops serving and removes the socket file; the state stays as committed.
    public func stop() {
        firewallGuard.cancel()
        http.stop()
        bridge.drain()
        // systemd's socket stays: it keeps listening for the next start.
        if ownsSocketFile { UnixListeningSocket.remove(path: options.socketPath) }
    }

    static func ipamConfiguration(_ options: Options, ulaGlobalID: UInt64) -> IPAMConfiguration {
        let defaults = IPAMConfiguration.dockerDefaults(ulaGlobalID: ulaGlobalID)
        let ula = PoolBase.uniqueLocalV6(globalID: ulaGlobalID)
        // Given pools replace dockerd's for their family; a list without IPv6 keeps the ULA.
        func merge(_ given: [PoolBase]?, _ fallback: [PoolBase]) -> [PoolBase] {
            guard let given, !given.isEmpty else { return fallback }
            return given.contains(where: { $0.base.family == .v6 }) ? given : given + [ula]
        }
        return IPAMConfiguration(localBases: merge(options.localPools, defaults.localBases),
                                 globalBases: merge(options.globalPools, defaults.globalBases))
    }

    /// This boot's id: endpoints recorded under another one are from before a reboot.
    static func bootID() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}

import Foundation
import Logging
import SwiftnetHTTP
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetOperator
import SwiftnetOverlay
import SwiftnetPlugin
import SwiftnetPluginAPI
import Synchronization

/// Everything `swiftnet serve` runs: the runtime (state lock, store, drivers), the HTTP
/// server on the plugin socket and, if asked, a TCP listener for metrics. Start-up order
/// matters: the lock first (a second instance must not touch the socket of the first), then
/// the store and reconciliation, then the socket.
package final class PluginServer: Sendable {
    package struct Options: Sendable {
        package var socketPath: String
        package var statePath: String
        /// nil: dockerd's predefined pools (plus this host's IPv6 ULA /48).
        package var localPools: [PoolBase]?
        package var globalPools: [PoolBase]?
        package var http: HTTPServerConfiguration
        /// Prefix of swiftnet's iptables chains (`SWIFTNET-FORWARD`, …).
        package var chainPrefix: String
        /// `host:port` for a second listener answering only `GET /metrics` and `/healthz`.
        package var metricsListen: (host: String, port: UInt16)?
        /// Multi-host networks on etcd; nil: none.
        package var multiHost: MultiHostSettings? = nil

        package init(socketPath: String, statePath: String, localPools: [PoolBase]? = nil,
                    globalPools: [PoolBase]? = nil, http: HTTPServerConfiguration = HTTPServerConfiguration(),
                    chainPrefix: String = "SWIFTNET", metricsListen: (host: String, port: UInt16)? = nil) {
            self.socketPath = socketPath
            self.statePath = statePath
            self.localPools = localPools
            self.globalPools = globalPools
            self.http = http
            self.chainPrefix = chainPrefix
            self.metricsListen = metricsListen
        }
    }

    package static let implements = ["NetworkDriver", "IpamDriver"]

    package let options: Options
    package let runtime: Plugin
    package let metrics: PluginMetrics
    private let http: HTTPServer
    private let metricsHTTP: HTTPServer?
    /// Dispatch sources are thread-safe; Dispatch just does not say so to Swift 6.
    nonisolated(unsafe) private let firewallGuard: any DispatchSourceTimer
    /// Settles this host's multi-host claims with etcd: at start-up, and after a call etcd failed.
    nonisolated(unsafe) private let claimSettler: (any DispatchSourceTimer)?
    private let watchdog: ResourceWatchdog
    private let ownsSocketFile: Bool
    private let started = ContinuousClock.now

    package var ipam: IPAMService { runtime.ipam }

    package init(options: Options, logger: Logger) throws {
        self.options = options
        let started = ContinuousClock.now
        // What another process may hold (the plugin socket, the metrics port; the chain prefix
        // in `Plugin`) is asked for before the state is opened and the firewall restored, so
        // that a start refused for it changes nothing: it used to restore the chains of the
        // server already running on the prefix from its own (empty) state first.
        let activated = try SystemdActivation.listeningSocket()
        if activated == nil { try UnixListeningSocket.refuseIfTaken(path: options.socketPath) }
        let metricsSocket = try options.metricsListen.map { try TCPListeningSocket.bind(host: $0.host, port: $0.port) }
        do {
            runtime = try Plugin(statePath: options.statePath, chainPrefix: options.chainPrefix,
                                 localPools: options.localPools, globalPools: options.globalPools,
                                 recordChainPrefix: true, multiHost: options.multiHost, logger: logger)
        } catch {
            if let metricsSocket { close(metricsSocket.fd) }
            throw error
        }
        metrics = PluginMetrics(version: Plugin.version)
        let loaded = ContinuousClock.now
        // Before the socket exists: dockerd must never see a network whose bridge is missing.
        let repairs = runtime.reconcile()
        for repair in repairs {
            if repair.succeeded { logger.notice("repaired: \(repair.line)") } else { logger.warning("repair failed: \(repair.line)") }
        }
        metrics.repaired(repairs.count, by: "startup")
        if let multiHost = runtime.multiHost, let multiHostIPAM = runtime.multiHostIPAM {
            multiHost.start()
            claimSettler = PluginServer.settleClaims(multiHostIPAM, inUse: runtime.multiHostAddressInUse, logger: logger)
        } else {
            claimSettler = nil
        }
        let retries = try runtime.beginServing()
        if retries > 0 { logger.notice("the previous server did not stop cleanly; \(retries) of its last answers may be asked for again") }

        let activation = PluginAPI.ActivateResponse(implements: PluginServer.implements).json.serialized
        var routes: [String: PluginRouter.Handler] = ["/Plugin.Activate": { _ in activation }]
        let driver = runtime.driver
        routes.merge(IPAMDriver(service: runtime.ipam, logger: logger, multiHost: runtime.multiHostIPAM,
                                networkOnSubnet: { subnet in driver.networks.first { $0.subnets.contains { $0.pool == subnet } }?.id }).routes) { first, _ in first }
        routes.merge(NetworkDriver(driver: runtime.driver, multiHostIPAM: runtime.multiHostIPAM).routes) { first, _ in first }
        watchdog = ResourceWatchdog(logger: logger)
        let operatorRoutes = OperatorRoutes(runtime: runtime, metrics: metrics, watchdog: watchdog, logger: logger)
        routes.merge(operatorRoutes.routes) { first, _ in first }
        let reads = operatorRoutes.readRoutes(started: started)
        let router = PluginRouter(routes: routes, readRoutes: reads, metrics: metrics, logger: logger)

        firewallGuard = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftnet.firewall-guard"))
        firewallGuard.schedule(deadline: .now() + .seconds(5), repeating: .seconds(5), leeway: .seconds(1))
        firewallGuard.setEventHandler { [driver = runtime.driver] in driver.guardFirewall() }
        firewallGuard.resume()

        if let listen = options.metricsListen, let (fd, port) = metricsSocket {
            let scrapeOnly = reads.filter { ["/metrics", "/healthz"].contains($0.key) }
            var configuration = options.http
            configuration.threads = 1
            metricsHTTP = try HTTPServer(listeningSocket: fd, configuration: configuration,
                                         handler: PluginRouter(routes: [:], readRoutes: scrapeOnly, metrics: nil, logger: logger),
                                         logger: logger)
            logger.info("metrics listening", metadata: ["address": "\(listen.host):\(port)"])
        } else {
            metricsHTTP = nil
        }

        // A socket from systemd (socket activation) is served as it is; otherwise swiftnet binds its own.
        ownsSocketFile = activated == nil
        let fd = try activated ?? UnixListeningSocket.bind(path: options.socketPath)
        http = try HTTPServer(listeningSocket: fd, configuration: options.http, handler: router, logger: logger)
        let snapshot = runtime.ipam.snapshot()
        logger.info("serving", metadata: [
            "socket": "\(activated == nil ? options.socketPath : "fd 3 from systemd")", "state": "\(options.statePath)",
            "pools": "\(snapshot.poolIDs.count)", "repairs": "\(repairs.count)", "version": "\(Plugin.version)",
            "stateLoadMs": "\(PluginServer.milliseconds(loaded - started))",
            "startMs": "\(PluginServer.milliseconds(ContinuousClock.now - started))",
        ])
    }

    /// Stops serving and removes the socket file; the state stays as committed.
    package func stop() {
        firewallGuard.cancel()
        claimSettler?.cancel()
        watchdog.stop()
        metricsHTTP?.stop()
        http.stop()
        runtime.driver.drain()
        runtime.multiHost?.stop()
        runtime.recordCleanStop()
        // systemd's socket stays: it keeps listening for the next start.
        if ownsSocketFile { UnixListeningSocket.remove(path: options.socketPath) }
        runtime.releaseChains()
    }

    /// Every `settleSeconds`, settles this host's claims with etcd when something is left to
    /// settle (see `MultiHostIPAM.settle`): the first time at start-up, then after each call
    /// etcd failed, until etcd answers. Calls in flight are never touched, so serving meanwhile is safe.
    static func settleClaims(_ ipam: MultiHostIPAM, inUse: @escaping MultiHostIPAM.EndpointUse, logger: Logger) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftnet.multihost.settle"))
        let failing = Mutex(false)
        // A conflict stays until a container goes, and each pass finds it again: said once.
        let reported = Mutex(Set<String>())
        timer.schedule(deadline: .now(), repeating: .seconds(settleSeconds), leeway: .milliseconds(500))
        timer.setEventHandler {
            do {
                guard let result = try ipam.settleIfNeeded(inUse: inUse) else { return }
                failing.withLock { $0 = false }
                for address in result.released { logger.notice("multi-host: released \(address) in etcd: no answered claim here held it") }
                for address in result.dropped { logger.notice("multi-host: forgot \(address): etcd no longer has this host's claim") }
                for address in result.reclaimed { logger.warning("multi-host: claimed \(address) again: etcd had lost the claim of a container here") }
                let new = reported.withLock { reported in
                    defer { reported = Set(result.conflicts) }
                    return result.conflicts.filter { !reported.contains($0) }
                }
                for address in new {
                    logger.error("multi-host: \(address) is used by a container here too: two containers share the address; remove one of them")
                }
            } catch {
                if !failing.withLock({ failing in defer { failing = true }; return failing }) {
                    logger.warning("multi-host: cannot settle claims with etcd yet; retrying every \(settleSeconds) s", metadata: ["error": "\(error)"])
                }
            }
        }
        timer.resume()
        return timer
    }

    static let settleSeconds = 2

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}

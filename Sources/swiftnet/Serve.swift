import ArgumentParser
import Dispatch
import Foundation
import Logging
import SwiftnetHTTP
import SwiftnetIPAM
import SwiftnetFirewall
import SwiftnetLogging
import SwiftnetServer
import SwiftnetAddress
import SwiftnetEtcd
import SwiftnetOverlay

/// `swiftnet serve`: answers dockerd on the plugin socket until SIGTERM or SIGINT.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve Docker's NetworkDriver and IpamDriver plugin protocols on a Unix socket.",
        discussion: """
            dockerd finds the plugin by its socket name: /run/docker/plugins/swiftnet.sock is the \
            driver `swiftnet`. State (pools, addresses) is kept in --state and survives restarts; \
            only one server may use a state file at a time.
            """
    )

    @Option(help: "Unix socket to listen on; its file name (without .sock) is the driver name dockerd uses.")
    var socket = "/run/docker/plugins/swiftnet.sock"

    @Option(help: "SQLite state file (created with its folder, mode 0700, if missing).")
    var state = "/var/lib/swiftnet/swiftnet.db"

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical. Logs go to stderr; where that is systemd's journal (JOURNAL_STREAM), each line starts with its <N> priority instead of a timestamp.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("Write the log to this file (appending) instead of stderr, rotating it by size: the previous file becomes PATH.1, and so on up to --log-rotate-keep. Standard output and error go there too.",
                               valueName: "path"))
    var logFile: String?

    @Option(help: ArgumentHelp("With --log-file: rotate when the file would pass this size: bytes, or a number with K, M or G (1024-based); at least 4K.",
                               valueName: "size"))
    var logRotateSize = "10M"

    @Option(help: ArgumentHelp("With --log-file: rotated files kept (PATH.1 newest … PATH.N oldest), 1 to 100.", valueName: "N"))
    var logRotateKeep = 5

    @Option(name: .customLong("default-address-pool"),
            help: ArgumentHelp("Automatic pool range for local networks, as dockerd takes it: base=CIDR,size=N. Repeat for several; replaces dockerd's predefined list for that family.",
                               valueName: "base=CIDR,size=N"))
    var localPools: [String] = []

    @Option(name: .customLong("global-address-pool"),
            help: ArgumentHelp("Automatic pool range for global-scope networks (default base=10.0.0.0/8,size=24).",
                               valueName: "base=CIDR,size=N"))
    var globalPools: [String] = []

    @Option(help: "HTTP worker threads (default: one per core, 2 to 16).")
    var threads: Int?

    @Option(help: ArgumentHelp("Also answer GET /metrics and /healthz over TCP here (e.g. 127.0.0.1:9513; [::1]:9513).",
                               valueName: "host:port"))
    var metricsListen: String?

    @Option(help: "Prefix of swiftnet's iptables chains (PREFIX-FORWARD, PREFIX-DNAT, ...). Two servers on one host need different prefixes.")
    var chainPrefix = "SWIFTNET"

    @Option(help: ArgumentHelp("etcd v3 endpoints for multi-host networks (comma-separated). Without it, no multi-host networks.",
                               valueName: "URL[,URL]"))
    var etcdEndpoints: String?

    @Option(help: ArgumentHelp("This host's underlay address: other hosts send VXLAN packets for its containers here (required with --etcd-endpoints).",
                               valueName: "IP"))
    var advertiseAddress: String?

    @Option(help: "UDP port of the VXLAN devices of multi-host networks.")
    var vxlanPort: UInt16 = 4789

    @Option(help: ArgumentHelp("This host's name in etcd (default: the host name).", valueName: "NAME"))
    var nodeName: String?

    @Option(help: "Seconds this host's etcd lease lives without renewal: how long a dead host's containers stay in the others' forwarding tables.")
    var leaseTtl: Int64 = 15

    func validate() throws {
        if etcdEndpoints == nil, advertiseAddress != nil || nodeName != nil {
            throw ValidationError("--advertise-address and --node-name are for multi-host networks: give --etcd-endpoints too")
        }
        if etcdEndpoints != nil { _ = try multiHostSettings() }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        for flag in localPools + globalPools where PoolBase(flag: flag) == nil {
            throw ValidationError("invalid address pool '\(flag)': expected base=CIDR,size=N with N no shorter than the base")
        }
        if let metricsListen, TCPListeningSocket.parse(metricsListen) == nil {
            throw ValidationError("--metrics-listen must be an IP address and port, e.g. 127.0.0.1:9513")
        }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be 1 to 64") }
        guard let size = RotatingLogFile.bytes(logRotateSize), size >= 4096 else {
            throw ValidationError("--log-rotate-size must be a size of at least 4K, e.g. 10M")
        }
        guard (1...100).contains(logRotateKeep) else { throw ValidationError("--log-rotate-keep must be 1 to 100") }
        do {
            _ = try FirewallChains(prefix: chainPrefix)
        } catch {
            throw ValidationError("--chain-prefix: \(error)")
        }
    }

    /// The multi-host settings the flags give, or nil without --etcd-endpoints.
    func multiHostSettings() throws -> MultiHostSettings? {
        guard let etcdEndpoints else { return nil }
        let endpoints: [EtcdEndpoint]
        do {
            endpoints = try EtcdEndpoint.list(parsing: etcdEndpoints)
        } catch {
            throw ValidationError("--etcd-endpoints: \(error)")
        }
        guard let text = advertiseAddress else { throw ValidationError("--etcd-endpoints needs --advertise-address (this host's underlay IP)") }
        guard let address = IPAddress(text), address != IPAddress("0.0.0.0"), address != IPAddress("::") else {
            throw ValidationError("--advertise-address: '\(text)' is not an IP address")
        }
        guard vxlanPort > 0 else { throw ValidationError("--vxlan-port must be 1 to 65535") }
        guard (2...3600).contains(leaseTtl) else { throw ValidationError("--lease-ttl must be 2 to 3600 seconds") }
        let node = nodeName ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        do {
            try MultiHostSettings.validate(node: node)
        } catch {
            throw ValidationError("--node-name: \(error)")
        }
        return MultiHostSettings(endpoints: endpoints, advertiseAddress: address, vxlanPort: vxlanPort, node: node,
                                 leaseTTLSeconds: leaseTtl)
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        // Under systemd (stderr is the journal) lines carry a `<N>` priority and no timestamp.
        var style = JournalStream.logStyle
        var write = LogLineHandler.writeToStandardError
        if let logFile {
            // The whole process's output goes to the file from here on; a file needs timestamps.
            let file = try RotatingLogFile(path: logFile, maximumBytes: RotatingLogFile.bytes(logRotateSize) ?? 10 << 20,
                                           keep: logRotateKeep, redirectingStandardStreams: true)
            style = .plain
            write = { file.write($0) }
        }
        LoggingSystem.bootstrap { [style, write] label in
            // Requests carry strings that end up in log lines; escaped, they cannot add lines.
            var handler = EscapingLogHandler(LogLineHandler(label: label, style: style, write: write))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "swiftnet")
        // systemd starts services with a soft limit of 1024 whatever the hard one: a burst of
        // connections and iptables runs (6 descriptors each for a moment) gets the hard one
        // (at most 2^20; see DescriptorLimit).
        let limit = DescriptorLimit.raiseSoftToHard()
        if let error = limit.error {
            logger.warning("could not raise the file descriptor limit", metadata: [
                "soft": "\(limit.softBefore)", "hard": "\(limit.hard)", "error": "\(String(cString: strerror(error)))"])
        } else {
            logger.info("file descriptor limit", metadata: ["soft": "\(limit.soft)", "hard": "\(limit.hard)",
                                                          "softBefore": "\(limit.softBefore)"])
        }
        var http = HTTPServerConfiguration()
        http.threads = threads ?? HTTPServerConfiguration.defaultThreads
        var options = PluginServer.Options(
            socketPath: socket, statePath: state,
            localPools: localPools.isEmpty ? nil : localPools.compactMap(PoolBase.init(flag:)),
            globalPools: globalPools.isEmpty ? nil : globalPools.compactMap(PoolBase.init(flag:)),
            http: http, chainPrefix: chainPrefix, metricsListen: metricsListen.flatMap(TCPListeningSocket.parse))
        do {
            options.multiHost = try multiHostSettings()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }

        // Signals are handled before the socket exists, so a SIGTERM that arrives the moment
        // the server answers is never lost; they run on a dispatch queue, not in a signal context.
        let shutdown = Shutdown(logger: logger)
        shutdown.install(signals: [SIGTERM, SIGINT])
        // A hangup (the terminal or ssh session that started the server closing) would end it
        // without a clean stop, leaving its socket file and taking the network driver from
        // dockerd. swiftnet has no configuration to reload, so it stays up and says so.
        shutdown.ignore(signals: [SIGHUP])
        // Test harnesses set this so that a server they started cannot outlive them (and keep
        // the plugin socket) if the harness itself dies: stop when the parent changes.
        if getenv("SWIFTNET_EXIT_WITH_PARENT") != nil {
            shutdown.watchParent(getppid())
        }
        do {
            shutdown.serving(try PluginServer(options: options, logger: logger))
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        dispatchMain()
    }
}

/// Stops the server on SIGTERM/SIGINT, whenever they arrive, and logs the signals it ignores.
final class Shutdown: @unchecked Sendable {
    private let lock = NSLock()
    private var server: PluginServer?
    private var stopRequested = false
    private var sources: [any DispatchSourceSignal] = []
    private var parentWatch: (any DispatchSourceTimer)?
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func install(signals: [Int32]) {
        for signalNumber in signals { handle(signalNumber) { [self] in stop(signal: signalNumber) } }
    }

    func ignore(signals: [Int32]) {
        for signalNumber in signals {
            handle(signalNumber) { [logger] in
                logger.notice("signal ignored: swiftnet has nothing to reload; SIGTERM stops it", metadata: ["signal": "\(signalNumber)"])
            }
        }
    }

    /// `handler` on a dispatch queue instead of the signal's default action.
    private func handle(_ signalNumber: Int32, _ handler: @escaping @Sendable () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        sources.append(source)
    }

    func watchParent(_ parent: pid_t) {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1))
        timer.setEventHandler { [self] in
            if getppid() != parent { stop(signal: 0) }
        }
        timer.resume()
        lock.withLock { parentWatch = timer }
    }

    func serving(_ server: PluginServer) {
        let stopNow = lock.withLock {
            self.server = server
            return stopRequested
        }
        if stopNow { stop(signal: 0) }
    }

    /// A signal that arrives while the server is still starting (its socket may already
    /// answer) is kept until `serving`, so that the socket file is removed either way.
    private func stop(signal: Int32) {
        let running: PluginServer? = lock.withLock {
            stopRequested = true
            return server
        }
        guard let running else {
            logger.info("stop requested while starting; stopping once started", metadata: ["signal": "\(signal)"])
            return
        }
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        running.stop()
        Foundation.exit(0)
    }
}

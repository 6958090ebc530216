// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swiftnet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftnet", targets: ["swiftnet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries as the system provides them.
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-route-3-dev"])]),
        // The C side of the HTTP server: libmicrohttpd's start call is variadic and its access
        // handler is called several times per request (the shim hides both behind one
        // callback), and the accept loop in front of it (gate, registry, request-head check)
        // enforces the connection policy.
        .target(name: "CSwiftnetHTTPShim", dependencies: ["CMicroHTTPD"]),
        // pipe2 and posix_spawn's closefrom action are GNU extensions Swift's Glibc module hides.
        .target(name: "CSwiftnetSpawn"),
        // unshare(CLONE_NEWNET) and AF_PACKET's sockaddr_ll, which Swift's Glibc module hides too.
        .target(name: "CSwiftnetLinkLayer"),

        // Pure logic: no I/O, no root.
        .target(name: "SwiftnetCrashPoints"),
        // Log lines that no client string can split or forge.
        .target(name: "SwiftnetLogging", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Addresses, prefixes and MACs: parsing, arithmetic, text (CNI's pkg/ip).
        .target(name: "SwiftnetAddress"),
        .target(name: "SwiftnetIPAM", dependencies: ["SwiftnetAddress", "SwiftnetCrashPoints"]),
        .target(name: "SwiftnetJSON"),
        .target(name: "SwiftnetPluginAPI", dependencies: ["SwiftnetJSON"]),
        .target(name: "SwiftnetNetworkModel", dependencies: ["SwiftnetAddress", "SwiftnetJSON", "SwiftnetLANModel"]),
        // The doctor's model: links as observed, findings, the comparison of state and kernel,
        // leaked addresses, gc's report.
        .target(name: "SwiftnetDiagnosis", dependencies: ["SwiftnetAddress", "SwiftnetIPAM", "SwiftnetNetworkModel"]),
        // What operators see: the state view, the reports' JSON, the commands' text.
        .target(name: "SwiftnetOperator", dependencies: [
            "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetNetworkModel", "SwiftnetDiagnosis", "SwiftnetLANModel",
        ]),
        // macvlan and ipvlan networks: their options, parents, refusals and what Join returns.
        .target(name: "SwiftnetLANModel", dependencies: ["SwiftnetAddress"]),

        // Effects, one job each.
        .target(name: "SwiftnetStore", dependencies: [
            "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetNetworkModel", "SwiftnetLANModel",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "SwiftnetHTTP", dependencies: [
            "CSwiftnetHTTPShim", "CMicroHTTPD", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SwiftnetKernel", dependencies: ["CNetlink", "CSwiftnetLinkLayer", "SwiftnetAddress", "SwiftnetLANModel"]),
        .target(name: "SwiftnetClient"),
        // etcd v3 over its JSON gateway (HTTP/1.1 on TCP): KV, transactions, leases, watches.
        .target(name: "SwiftnetEtcd", dependencies: ["SwiftnetJSON"]),
        // Multi-host networks on etcd: logical networks, address claims, endpoint locations,
        // host leases, remote-endpoint sync.
        .target(name: "SwiftnetMultiHost", dependencies: ["SwiftnetEtcd", "SwiftnetAddress", "SwiftnetJSON"]),
        // A small DNS server: names it knows answered, the rest forwarded to the host's resolvers.
        .target(name: "SwiftnetDNS", dependencies: ["SwiftnetAddress", .product(name: "Logging", package: "swift-log")]),
        // iptables rules rendered from the desired state, applied with iptables-restore.
        .target(name: "SwiftnetFirewall", dependencies: ["SwiftnetAddress", "CSwiftnetSpawn"]),
        .target(name: "SwiftnetBridge", dependencies: [
            "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetNetworkModel", "SwiftnetKernel", "SwiftnetFirewall",
            "SwiftnetCrashPoints", "SwiftnetDiagnosis", "SwiftnetLANModel", .product(name: "Logging", package: "swift-log"),
        ]),

        // Multi-host networks in the plugin: the overlay mode (bridge + VXLAN, peers from etcd),
        // the multi-host pools and claims, the server's membership.
        .target(name: "SwiftnetOverlay", dependencies: [
            "SwiftnetAddress", "SwiftnetBridge", "SwiftnetDiagnosis", "SwiftnetEtcd", "SwiftnetKernel", "SwiftnetLANModel",
            "SwiftnetMultiHost", "SwiftnetNetworkModel", "SwiftnetStore", "SwiftnetCrashPoints", "SwiftnetDNS", .product(name: "Logging", package: "swift-log"),
        ]),
        // The plugin: one state file opened with its lock, store, IPAM and driver, and the
        // operator's questions (gc, doctor, repair, the state view) asked of them.
        .target(name: "SwiftnetPlugin", dependencies: [
            "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetStore", "SwiftnetKernel", "SwiftnetNetworkModel", "SwiftnetBridge",
            "SwiftnetFirewall", "SwiftnetDiagnosis", "SwiftnetOperator", "SwiftnetLANModel", "SwiftnetOverlay",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The plugin served over HTTP: routes Docker's calls and the operator's to it.
        .target(name: "SwiftnetServer", dependencies: [
            "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetPluginAPI", "SwiftnetPlugin", "SwiftnetHTTP",
            "SwiftnetNetworkModel", "SwiftnetLANModel", "SwiftnetBridge", "SwiftnetDiagnosis", "SwiftnetOperator", "SwiftnetOverlay",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        .executableTarget(name: "swiftnet", dependencies: [
            "SwiftnetServer", "SwiftnetPlugin", "SwiftnetHTTP", "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetFirewall", "SwiftnetDiagnosis", "SwiftnetOperator", "SwiftnetClient", "SwiftnetJSON",
            "SwiftnetLogging", "SwiftnetOverlay", "SwiftnetEtcd", "SwiftnetMultiHost",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // LoadTools: the C load client and floor server (and the naive Python plugin) the
        // benchmark compiles with `cc` (or runs) at run time as its neutral references.
        .executableTarget(name: "swiftnet-bench", dependencies: [
            "SwiftnetClient", "SwiftnetStore", "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetFirewall", "SwiftnetKernel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], resources: [.copy("LoadTools")]),

        .testTarget(name: "SwiftnetIPAMTests", dependencies: ["SwiftnetAddress", "SwiftnetIPAM"]),
        .testTarget(name: "SwiftnetJSONTests", dependencies: ["SwiftnetJSON", "SwiftnetPluginAPI"]),
        .testTarget(name: "SwiftnetNetworkModelTests", dependencies: ["SwiftnetNetworkModel", "SwiftnetAddress", "SwiftnetJSON"]),
        .testTarget(name: "SwiftnetLoggingTests", dependencies: [
            "SwiftnetLogging", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SwiftnetOperatorTests", dependencies: [
            "SwiftnetOperator", "SwiftnetDiagnosis", "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetNetworkModel", "SwiftnetJSON",
        ]),
        .testTarget(name: "SwiftnetFirewallTests", dependencies: ["SwiftnetFirewall", "SwiftnetAddress", "SwiftnetTestSupport"]),
        .testTarget(name: "SwiftnetStoreTests", dependencies: [
            "SwiftnetStore", "SwiftnetAddress", "SwiftnetIPAM", "SwiftnetNetworkModel", "SwiftnetLANModel",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The driver's decisions on fakes (store, dataplane, firewall, host ports): no root.
        .testTarget(name: "SwiftnetBridgeTests", dependencies: [
            "SwiftnetBridge", "SwiftnetAddress", "SwiftnetDiagnosis", "SwiftnetNetworkModel", "SwiftnetJSON", "SwiftnetLANModel",
            "SwiftnetKernel", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SwiftnetDNSTests", dependencies: [
            "SwiftnetDNS", "SwiftnetAddress", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SwiftnetKernelTests", dependencies: ["SwiftnetKernel", "CNetlink", "SwiftnetAddress", "SwiftnetLANModel", "SwiftnetTestSupport"]),
        .testTarget(name: "SwiftnetLANModelTests", dependencies: ["SwiftnetLANModel", "SwiftnetAddress"]),
        // What the tests below share: the server as a process, the one command runner, the
        // protocol fixture.
        .target(name: "SwiftnetTestSupport", dependencies: ["SwiftnetClient", "SwiftnetPlugin"], path: "Tests/SwiftnetTestSupport"),
        // The HTTP transport on its own: servers on temporary sockets, raw connections.
        .testTarget(name: "SwiftnetHTTPTests", dependencies: [
            "SwiftnetHTTP", "SwiftnetClient", "SwiftnetPlugin", "SwiftnetTestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        // The plugin over its real socket: protocol, hostile input, fuzzing, soak, operator routes.
        // A real etcd on loopback for the etcd and multi-host tests.
        .target(name: "SwiftnetEtcdFixture", dependencies: ["SwiftnetEtcd"], path: "Tests/SwiftnetEtcdFixture"),
        .testTarget(name: "SwiftnetEtcdTests", dependencies: ["SwiftnetEtcd", "SwiftnetJSON", "SwiftnetEtcdFixture"]),
        // A multi-host "server" the crash test kills with SIGKILL mid-claim.
        .executableTarget(name: "swiftnet-claim-worker", dependencies: ["SwiftnetMultiHost", "SwiftnetEtcd", "SwiftnetAddress"],
                          path: "Tests/SwiftnetClaimWorker"),
        .testTarget(name: "SwiftnetMultiHostTests", dependencies: [
            "SwiftnetMultiHost", "SwiftnetEtcd", "SwiftnetAddress", "SwiftnetJSON", "SwiftnetEtcdFixture", "SwiftnetKernel",
            "swiftnet-claim-worker",
        ]),
        .testTarget(name: "SwiftnetServerTests", dependencies: [
            "SwiftnetServer", "SwiftnetPlugin", "SwiftnetClient", "SwiftnetFirewall", "SwiftnetTestSupport", "SwiftnetHTTP",
        ]),
        // The plugin and the kernel in throw-away namespaces: dataplane, firewall, crashes, doctor.
        .testTarget(name: "SwiftnetIntegrationTests", dependencies: [
            "SwiftnetClient", "SwiftnetPlugin", "SwiftnetFirewall", "SwiftnetCrashPoints", "SwiftnetTestSupport", "SwiftnetKernel",
            "SwiftnetEtcdFixture", "SwiftnetEtcd", "SwiftnetMultiHost", "SwiftnetAddress",
        ]),
        // Docker itself: dockerd 20.10 driving the plugin, install script, managed plugin, package.
        .testTarget(name: "SwiftnetEndToEndTests", dependencies: [
            "SwiftnetClient", "SwiftnetAddress", "SwiftnetPlugin", "SwiftnetTestSupport", "SwiftnetEtcdFixture",
        ]),
    ],
    swiftLanguageModes: [.v6]
)

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

        // Pure logic: no I/O, no root.
        .target(name: "SwiftnetCrashPoints"),
        // Log lines that no client string can split or forge.
        .target(name: "SwiftnetLogging", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "SwiftnetIPAM", dependencies: ["SwiftnetCrashPoints"]),
        .target(name: "SwiftnetJSON"),
        .target(name: "SwiftnetPluginAPI", dependencies: ["SwiftnetJSON"]),
        .target(name: "SwiftnetNetworkModel", dependencies: ["SwiftnetIPAM", "SwiftnetJSON"]),
        // What operators see: the state view, the doctor's comparison, the commands' text.
        .target(name: "SwiftnetOperator", dependencies: ["SwiftnetIPAM", "SwiftnetJSON", "SwiftnetNetworkModel"]),

        // Effects, one job each.
        .target(name: "SwiftnetStore", dependencies: [
            "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetNetworkModel", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "SwiftnetHTTP", dependencies: [
            "CSwiftnetHTTPShim", "CMicroHTTPD", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SwiftnetKernel", dependencies: ["CNetlink", "SwiftnetIPAM"]),
        .target(name: "SwiftnetClient"),
        // etcd v3 over its JSON gateway (HTTP/1.1 on TCP): KV, transactions, leases, watches.
        .target(name: "SwiftnetEtcd", dependencies: ["SwiftnetJSON"]),
        // Multi-host networks on etcd: logical networks, address claims, endpoint locations,
        // host leases, remote-endpoint sync.
        .target(name: "SwiftnetMultiHost", dependencies: ["SwiftnetEtcd", "SwiftnetIPAM", "SwiftnetJSON"]),
        // iptables rules rendered from the desired state, applied with iptables-restore.
        .target(name: "SwiftnetFirewall", dependencies: ["SwiftnetIPAM", "CSwiftnetSpawn"]),
        .target(name: "SwiftnetBridge", dependencies: [
            "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetNetworkModel", "SwiftnetKernel", "SwiftnetFirewall",
            "SwiftnetCrashPoints", "SwiftnetOperator", .product(name: "Logging", package: "swift-log"),
        ]),

        // The plugin: routes Docker's calls to the drivers.
        .target(name: "SwiftnetServer", dependencies: [
            "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetPluginAPI", "SwiftnetStore", "SwiftnetHTTP", "SwiftnetKernel",
            "SwiftnetNetworkModel", "SwiftnetBridge", "SwiftnetFirewall", "SwiftnetOperator",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        .executableTarget(name: "swiftnet", dependencies: [
            "SwiftnetServer", "SwiftnetHTTP", "SwiftnetIPAM", "SwiftnetFirewall", "SwiftnetOperator", "SwiftnetClient", "SwiftnetJSON",
            "SwiftnetLogging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "swiftnet-bench", dependencies: [
            "SwiftnetClient", "SwiftnetStore", "SwiftnetIPAM", "SwiftnetFirewall",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "SwiftnetIPAMTests", dependencies: ["SwiftnetIPAM"]),
        .testTarget(name: "SwiftnetJSONTests", dependencies: ["SwiftnetJSON", "SwiftnetPluginAPI"]),
        .testTarget(name: "SwiftnetNetworkModelTests", dependencies: ["SwiftnetNetworkModel", "SwiftnetIPAM", "SwiftnetJSON"]),
        .testTarget(name: "SwiftnetLoggingTests", dependencies: [
            "SwiftnetLogging", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SwiftnetOperatorTests", dependencies: [
            "SwiftnetOperator", "SwiftnetIPAM", "SwiftnetNetworkModel", "SwiftnetJSON",
        ]),
        .testTarget(name: "SwiftnetFirewallTests", dependencies: ["SwiftnetFirewall", "SwiftnetIPAM"]),
        .testTarget(name: "SwiftnetStoreTests", dependencies: ["SwiftnetStore", "SwiftnetIPAM"]),
        .testTarget(name: "SwiftnetKernelTests", dependencies: ["SwiftnetKernel", "SwiftnetIPAM"]),
        // A real etcd on loopback for the etcd and multi-host tests.
        .target(name: "SwiftnetEtcdFixture", dependencies: ["SwiftnetEtcd"], path: "Tests/SwiftnetEtcdFixture"),
        .testTarget(name: "SwiftnetEtcdTests", dependencies: ["SwiftnetEtcd", "SwiftnetJSON", "SwiftnetEtcdFixture"]),
        .testTarget(name: "SwiftnetMultiHostTests", dependencies: [
            "SwiftnetMultiHost", "SwiftnetEtcd", "SwiftnetIPAM", "SwiftnetJSON", "SwiftnetEtcdFixture",
        ]),
        .testTarget(name: "SwiftnetServerTests", dependencies: [
            "SwiftnetClient", "SwiftnetPluginAPI", "SwiftnetKernel", "SwiftnetIPAM", "SwiftnetHTTP", "SwiftnetFirewall",
            "SwiftnetCrashPoints", "SwiftnetServer",
        ]),
    ],
    swiftLanguageModes: [.v6]
)

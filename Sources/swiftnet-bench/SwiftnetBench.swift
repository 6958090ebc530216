import ArgumentParser
import Foundation

/// `swiftnet-bench`: measurements that are rerun and reported as figures and ratios against a
/// baseline measured in the same run — never pass/fail timings.
struct SwiftnetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftnet-bench",
        abstract: "Benchmarks of a swiftnet server (use a release build: swift build -c release).",
        subcommands: [IPAMBench.self, PoolBench.self, StartupBench.self, LifecycleBench.self, DockerRunBench.self, PortsBench.self,
                      NetworksBench.self, ForwardingBench.self, UDPPing.self, UDPEcho.self]
    )
}

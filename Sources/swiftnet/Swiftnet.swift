import ArgumentParser
import SwiftnetPlugin
import SwiftnetServer

/// The `swiftnet` command.
struct Swiftnet: ParsableCommand {
    static let version = Plugin.version

    static let configuration = CommandConfiguration(
        commandName: "swiftnet",
        abstract: "A Docker network and IPAM plugin: bridges, addresses and ports with durable state.",
        discussion: """
            Run `swiftnet serve` (as root) and create networks with
              docker network create -d swiftnet --ipam-driver swiftnet NAME
            """,
        version: version,
        subcommands: [Serve.self, List.self, Inspect.self, Pools.self, Doctor.self, GarbageCollect.self, RemoveFirewall.self]
    )
}

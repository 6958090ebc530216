import ArgumentParser
import Foundation
import SwiftnetPlugin
import SwiftnetServer

/// The `swiftnet` command.
struct Swiftnet: ParsableCommand {
    static let version = Plugin.version

    // No blank line in the discussion: generate-manual copies it into the man page, where
    // groff (and lintian) warn of an empty input line.
    static let configuration = CommandConfiguration(
        commandName: "swiftnet",
        abstract: "A Docker network and IPAM plugin: bridges, addresses and ports with durable state.",
        discussion: """
            Run `swiftnet serve` (as root) and create networks with
              docker network create -d swiftnet --ipam-driver swiftnet NAME
            Every failure is one line on stderr starting with `swiftnet: error: `. Exit status: \
            0 success; 1 the command failed (no server and no state file, no such network, \
            `doctor` found differences, `gc` could not free something, `serve` could not start); \
            2 `doctor` could not check; 64 a usage error (unknown option, bad value, a --format \
            it does not take); 71 `serve` stopped because it ran out of file descriptors.
            """,
        version: version,
        subcommands: [Serve.self, List.self, Inspect.self, Pools.self, Doctor.self, GarbageCollect.self, RemoveFirewall.self]
    )

    /// The start of every failure's message, whichever command failed: parse and validation
    /// errors (printed by ArgumentParser, which reads this) and errors the commands print.
    static let errorPrefix = "swiftnet: error: "
    static var _errorPrefix: String { errorPrefix }
}

/// A failure the command reports itself before exiting with a status of its own.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((Swiftnet.errorPrefix + message + "\n").utf8))
}

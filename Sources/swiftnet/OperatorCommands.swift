import ArgumentParser
import Foundation
import SwiftnetDiagnosis
import SwiftnetJSON
import SwiftnetOperator
import SwiftnetPlugin
import SwiftnetServer

/// `swiftnet ls`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List swiftnet's networks: bridge, subnets, gateways, endpoints, mode, options.")

    @OptionGroup var access: StateAccess
    @Flag(help: "Print JSON (see docs/operator.md).") var json = false

    func run() throws {
        let view = try access.stateView()
        if json {
            printJSON(.object(["formatVersion": .number(Double(StateView.formatVersion)),
                               "networks": .array(view.networks.map(\.json))]))
        } else {
            print(OperatorText.list(view), terminator: "")
        }
    }
}

/// `swiftnet inspect`.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one network: its pools and every endpoint (address, MAC, veth, published ports, boot).")

    @Argument(help: "Network id (a unique prefix is enough) or bridge name.") var network: String
    @OptionGroup var access: StateAccess
    @Flag(help: "Print JSON (see docs/operator.md).") var json = false

    func run() throws {
        let view = try access.stateView()
        let found = try view.network(matching: network)
        if json {
            printJSON(.object(["formatVersion": .number(Double(StateView.formatVersion)), "network": found.json,
                               "pools": .array(view.pools(of: found).map(\.json)),
                               "endpoints": .array(view.endpoints(of: found).map(\.json))]))
        } else {
            print(OperatorText.inspect(view, network: found), terminator: "")
        }
    }
}

/// `swiftnet pools`.
struct Pools: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every IPAM pool with its utilisation.")

    @OptionGroup var access: StateAccess
    @Flag(help: "Print JSON (see docs/operator.md).") var json = false

    func run() throws {
        let view = try access.stateView()
        if json {
            printJSON(.object(["formatVersion": .number(Double(StateView.formatVersion)), "pools": .array(view.pools.map(\.json))]))
        } else {
            print(OperatorText.pools(view), terminator: "")
        }
    }
}

/// `swiftnet doctor`: exit 0 only when state and kernel agree (after repairing, with --fix).
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare swiftnet's state with the kernel: bridges, addresses, veths, MTU, firewall, published ports.",
        discussion: "Exit status: 0 when nothing differs, 1 when something does, 2 when the check itself failed.")

    @OptionGroup var access: StateAccess
    @Flag(help: "Repair what can be repaired safely (the reconciliation the server runs at start-up), then check again.")
    var fix = false
    @Flag(help: "Print JSON (see docs/operator.md).") var json = false

    func run() throws {
        let report: DoctorReport
        do {
            switch try access.open() {
            case .server(let client):
                report = try DoctorReport(json: fix ? try StateAccess.post(client, "/Swiftnet.Repair", "{}")
                                                    : try StateAccess.get(client, "/doctor"))
            case .local(let runtime):
                report = fix ? try runtime.repair() : try runtime.diagnose()
            }
        } catch {
            FileHandle.standardError.write(Data("swiftnet doctor: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if json { printJSON(report.json) } else { print(OperatorText.doctor(report), terminator: "") }
        if !report.isHealthy { throw ExitCode(1) }
    }
}

/// `swiftnet gc`.
struct GarbageCollect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Free endpoints whose container is gone (veth missing, or recorded in an earlier boot) and their addresses, and addresses no endpoint holds.")

    @OptionGroup var access: StateAccess
    @Flag(help: "Only print what would be freed.") var dryRun = false
    @Option(help: ArgumentHelp("Free an address no endpoint holds only when it was handed out this long ago (dockerd asks for the address just before it creates the endpoint).", valueName: "seconds"))
    var minimumAge = Plugin.leakMinimumAge
    @Flag(help: "Print JSON (see docs/operator.md).") var json = false

    func validate() throws {
        guard minimumAge >= 0 else { throw ValidationError("--minimum-age must be 0 or more seconds") }
    }

    func run() throws {
        let report: GarbageReport
        switch try access.open() {
        case .server(let client):
            report = try GarbageReport(json: try StateAccess.post(
                client, "/Swiftnet.GC", #"{"DryRun":\#(dryRun),"MinimumAgeSeconds":\#(minimumAge)}"#))
        case .local(let runtime):
            report = runtime.collectGarbage(dryRun: dryRun, minimumAge: minimumAge)
        }
        if json { printJSON(report.json) } else { print(OperatorText.garbage(report), terminator: "") }
        if !report.errors.isEmpty { throw ExitCode(1) }
    }
}

import ArgumentParser
import Foundation
import SwiftnetDiagnosis
import SwiftnetEtcd
import SwiftnetJSON
import SwiftnetMultiHost
import SwiftnetOperator
import SwiftnetPlugin
import SwiftnetServer

/// `swiftnet ls`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List swiftnet's networks: bridge, subnets, gateways, endpoints, mode, options.",
        discussion: FormatOption.discussion(fields: NetworkView.templateFields, json: "the network's object of docs/operator.md"))

    @OptionGroup var access: StateAccess
    @Flag(help: "Print JSON: {\"formatVersion\": 1, \"networks\": [...]} on one line (docs/operator.md).") var json = false
    @OptionGroup var format: FormatOption
    @Flag(name: .shortAndLong, help: "Print only the networks' ids (12 hex digits; all 64 with --no-trunc).") var quiet = false
    @Flag(help: "With -q, print the full ids.") var noTrunc = false

    func validate() throws {
        try format.validate(fields: NetworkView.templateFields, subject: "ls", json: json)
        if quiet && (json || format.format != nil) { throw ValidationError("-q prints ids only: it takes neither --json nor --format") }
        if noTrunc && !quiet { throw ValidationError("--no-trunc goes with -q") }
    }

    func run() throws {
        let view = try access.stateView()
        if quiet {
            for network in view.networks { print(noTrunc ? network.id : network.shortID) }
        } else if json {
            printJSON(.object(["formatVersion": .number(Double(StateView.formatVersion)),
                               "networks": .array(view.networks.map(\.json))]))
        } else if let text = try format.render(view.networks.map { $0.templateItem() }, fields: NetworkView.templateFields, subject: "ls") {
            print(text, terminator: "")
        } else {
            print(OperatorText.list(view), terminator: "")
        }
    }
}

/// `swiftnet inspect`: JSON by default, as `docker network inspect` prints it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show networks: their pools and every endpoint (address, MAC, veth, published ports, boot).",
        discussion: """
            Prints a JSON array with one object per network, indented, as `docker network inspect` does; \
            each object is {"formatVersion": 1, "network": {...}, "pools": [...], "endpoints": [...]} \
            (docs/operator.md). --text prints the same for people; --json prints each object on one line.
            When a network is not found, the others are printed and the command exits 1.

            """ + FormatOption.discussion(fields: NetworkView.templateFields, json: "the network's inspect object"))

    @Argument(help: "Network id (a unique prefix is enough) or bridge name; several may be given.") var networks: [String]
    @OptionGroup var access: StateAccess
    @Flag(help: "Print each network's object compact on one line instead of the indented array (the format of earlier versions).")
    var json = false
    @Flag(help: "Print text for people instead of JSON (as --format table).") var text = false
    @OptionGroup var format: FormatOption

    func validate() throws {
        try format.validate(fields: NetworkView.templateFields, subject: "inspect", json: json)
        if text && (json || format.format != nil) { throw ValidationError("--text takes neither --json nor --format") }
    }

    func run() throws {
        let view = try access.stateView()
        var found: [NetworkView] = []
        var missing: [String] = []
        for wanted in networks {
            do {
                found.append(try view.network(matching: wanted))
            } catch {
                missing.append("\(error)")
            }
        }
        if json {
            for network in found { printJSON(view.inspectJSON(of: network)) }
        } else if text || format.isDefaultText {
            print(found.map { OperatorText.inspect(view, network: $0) }.joined(separator: "\n"), terminator: "")
        } else if let output = try format.render(found.map { $0.templateItem(whole: view.inspectJSON(of: $0)) },
                                                 fields: NetworkView.templateFields, subject: "inspect") {
            print(output, terminator: "")
        } else {
            print(JSONValue.array(found.map { view.inspectJSON(of: $0) }).indentedString)
        }
        if !missing.isEmpty { throw OperatorCommandError(missing.joined(separator: "; ")) }
    }
}

/// `swiftnet pools`.
struct Pools: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every IPAM pool with its utilisation.",
        discussion: FormatOption.discussion(fields: PoolView.templateFields, json: "the pool's object of docs/operator.md"))

    @OptionGroup var access: StateAccess
    @Flag(help: "Print JSON: {\"formatVersion\": 1, \"pools\": [...]} on one line (docs/operator.md).") var json = false
    @OptionGroup var format: FormatOption

    func validate() throws {
        try format.validate(fields: PoolView.templateFields, subject: "pools", json: json)
    }

    func run() throws {
        let view = try access.stateView()
        if json {
            printJSON(.object(["formatVersion": .number(Double(StateView.formatVersion)), "pools": .array(view.pools.map(\.json))]))
        } else if let text = try format.render(view.pools.map(\.templateItem), fields: PoolView.templateFields, subject: "pools") {
            print(text, terminator: "")
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
            switch try access.open(forChange: fix) {
            case .server(let client):
                report = try DoctorReport(json: fix ? try StateAccess.post(client, "/Swiftnet.Repair", "{}")
                                                    : try StateAccess.get(client, "/doctor"))
            case .local(let runtime):
                if fix { try runtime.ownChains() }
                report = fix ? try runtime.repair() : try runtime.diagnose()
            }
        } catch {
            // Exit status 2 (not 1, which says "differences found"): the check itself failed.
            printError("doctor could not check: \(error)")
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
    @Option(help: ArgumentHelp("Instead: free the multi-host addresses and endpoint locations of host NAME in etcd (refused while its lease holds).",
                               valueName: "NAME"))
    var node: String?
    @Option(help: ArgumentHelp("etcd endpoints for --node.", valueName: "URL[,URL]"))
    var etcdEndpoints: String?
    @Flag(help: ArgumentHelp("First delete the networks and endpoints, and release the pools, that Docker no longer has (a `docker network rm` while swiftnet was down). Asks the Docker API at --docker-socket; the server never does.",
                             discussion: "One younger than --minimum-age is kept: dockerd creates it before its own list shows it."))
    var docker = false
    @Option(help: ArgumentHelp("The Docker API socket for --docker: the dockerd that uses this swiftnet.", valueName: "path"))
    var dockerSocket = "/var/run/docker.sock"

    func validate() throws {
        guard minimumAge >= 0 else { throw ValidationError("--minimum-age must be 0 or more seconds") }
        if node != nil, etcdEndpoints == nil { throw ValidationError("--node needs --etcd-endpoints") }
        if docker, node != nil { throw ValidationError("--docker and --node are different collections: give one") }
    }

    func run() throws {
        if let node, let etcdEndpoints {
            try collectNode(node, etcdEndpoints: etcdEndpoints)
            return
        }
        if docker {
            try collectForgottenByDocker()
            return
        }
        let report: GarbageReport
        switch try access.open(forChange: !dryRun) {
        case .server(let client):
            report = try GarbageReport(json: try StateAccess.post(
                client, "/Swiftnet.GC", #"{"DryRun":\#(dryRun),"MinimumAgeSeconds":\#(minimumAge)}"#))
        case .local(let runtime):
            if !dryRun { try runtime.ownChains() }
            report = runtime.collectGarbage(dryRun: dryRun, minimumAge: minimumAge)
        }
        if json { printJSON(report.json) } else { print(OperatorText.garbage(report), terminator: "") }
        if !report.errors.isEmpty { throw ExitCode(1) }
    }

    /// `gc --node`: a dead host's claims hang on no lease (a partitioned host keeps its
    /// containers' addresses), so they are freed only when asked.
    func collectNode(_ node: String, etcdEndpoints: String) throws {
        do {
            let etcd = try EtcdClient(endpoints: etcdEndpoints)
            let report = try HostGarbageCollector(etcd: etcd).collect(node: node, dryRun: dryRun)
            let addresses = report.freed.map { "\($0.network)/\($0.address)" }
            if json {
                printJSON(.object(["node": .string(node), "dryRun": .bool(dryRun), "addresses": .array(addresses.map { .string($0) }),
                                   "endpointLocations": .number(Double(report.endpointsDeleted))]))
            } else {
                let verb = dryRun ? "would free" : "freed"
                print("\(verb) \(addresses.count) address(es) and \(report.endpointsDeleted) endpoint location(s) of host \(node)")
                for address in addresses { print("  \(address)") }
            }
        } catch {
            printError("gc --node \(node): \(error)")
            throw ExitCode(1)
        }
    }
}

import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetNetworkModel
import Synchronization

/// The firewall as the last `apply` left it: which networks and endpoints it was rendered
/// from. `drift` is what the test says it is, plus a rule per network installed but not asked
/// for or asked for but not installed.
final class FakeFirewall: FirewallProgrammer {
    struct Installed {
        var networks: [String] = []
        var endpoints: [String] = []
        var ports: [String: [PublishedPort]] = [:]
        var applied = 0
        var drift = FirewallDrift()
        var failing = false
        /// What `apply` reports as differing (0: nothing changed).
        var changes = 1
        /// What the next `guardRules` calls report as restored, first first (then 0).
        var guardRestores: [Int] = []
        /// Whether the last apply failed (what is installed is then unknown).
        var lost = false
    }

    let installed = Mutex(Installed())
    let log: EventLog

    init(log: EventLog) {
        self.log = log
    }

    func apply(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> Int {
        try installed.withLock { installed in
            if installed.failing {
                installed.lost = true
                throw InjectedFailure(what: "firewall")
            }
            installed.lost = false
            installed.networks = networks.map(\.id).sorted()
            installed.endpoints = endpoints.map(\.id).sorted()
            installed.ports = Dictionary(endpoints.map { ($0.id, $0.publishedPorts) }, uniquingKeysWith: { first, _ in first })
            installed.applied += 1
            installed.drift = FirewallDrift()
            log.append("firewall apply \(networks.count) networks")
            return installed.changes
        }
    }

    var knowsWhatItInstalled: Bool { installed.withLock { !$0.lost } }

    func guardRules() throws -> Int {
        try installed.withLock { installed in
            if installed.failing { throw InjectedFailure(what: "firewall") }
            return installed.guardRestores.isEmpty ? 0 : installed.guardRestores.removeFirst()
        }
    }

    func drift(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> (drift: FirewallDrift, rules: Int) {
        try installed.withLock { installed in
            if installed.failing { throw InjectedFailure(what: "firewall") }
            var drift = installed.drift
            let asked = Set(networks.map(\.id)), present = Set(installed.networks)
            for id in present.subtracting(asked).sorted() {
                drift.unexpected.append(.init(family: "ipv4", table: "filter", rule: "-A SWIFTNET -j rules-of-\(id.prefix(4))"))
            }
            for id in asked.subtracting(present).sorted() {
                drift.missing.append(.init(family: "ipv4", table: "filter", rule: "-A SWIFTNET -j rules-of-\(id.prefix(4))"))
            }
            return (drift, networks.count * 10 + endpoints.count)
        }
    }

    var networks: [String] { installed.withLock { $0.networks } }
    var ports: [String: [PublishedPort]] { installed.withLock { $0.ports } }
    var applied: Int { installed.withLock { $0.applied } }
    func setFailing(_ failing: Bool) { installed.withLock { $0.failing = failing } }
    func setDrift(_ drift: FirewallDrift) { installed.withLock { $0.drift = drift } }
}

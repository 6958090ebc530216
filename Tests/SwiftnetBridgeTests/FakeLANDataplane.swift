import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetKernel
import SwiftnetLANModel
import Synchronization

/// The LAN modes' kernel in memory, on the bridge fake's namespace (one set of links, as on a
/// host): stacked links are `ObservedLink`s of their kind, their parents and modes kept here.
final class FakeLANDataplane: LANDataplane {
    let host: FakeDataplane
    let log: EventLog
    /// Link types this fake kernel lacks.
    let lacking = Mutex<Set<KernelLinkType>>([])
    let stacked = Mutex<[String: ObservedLANLink]>([:])
    var group: UInt32 { host.group }

    init(host: FakeDataplane, log: EventLog) {
        self.host = host
        self.log = log
    }

    private func check(_ operation: String) throws {
        if host.namespace.withLock({ $0.failing.contains(operation) }) { throw InjectedFailure(what: operation) }
    }

    /// A link of the host's own (a NIC): kind nil, up.
    func addHostLink(_ name: String) {
        host.namespace.withLock { $0.links[name] = ObservedLink(name: name, kind: nil, mtu: 1500, isUp: true, master: nil, group: 0) }
    }

    func linkExists(_ name: String) throws -> Bool { host.namespace.withLock { $0.links[name] != nil } }

    func missingSupport(_ types: [KernelLinkType]) throws -> String? {
        let lacking = self.lacking.withLock { $0 }
        return types.first(where: lacking.contains).map { "Unknown device type \($0.rawValue) (\($0.kernelSupport))" }
    }

    func createOwnedParent(_ plan: ParentPlan) throws {
        try check("createOwnedParent")
        log.append("kernel: create parent \(plan.linkName)")
        let kind: String
        switch plan {
        case .existing: return
        case .createVLAN(let sub):
            kind = "vlan"
            stacked.withLock { $0[sub.name] = ObservedLANLink(kind: "vlan", parentName: sub.base.name, vlanID: sub.id) }
        case .createDummy: kind = "dummy"
        }
        host.namespace.withLock { $0.links[plan.linkName] = ObservedLink(name: plan.linkName, kind: kind, mtu: 1500, isUp: true, master: nil, group: group) }
    }

    func deleteOwnLink(_ name: String) throws -> Bool {
        let deleted = host.namespace.withLock { namespace -> Bool in
            guard namespace.links[name]?.group == group else { return false }
            namespace.links[name] = nil
            return true
        }
        if deleted { log.append("kernel: delete \(name)") }
        return deleted
    }

    func stackedLink(_ name: String) throws -> (observed: ObservedLANLink, isUp: Bool, group: UInt32)? {
        guard let link = host.namespace.withLock({ $0.links[name] }) else { return nil }
        return (stacked.withLock { $0[name] } ?? ObservedLANLink(kind: link.kind, parentName: nil), link.isUp, link.group)
    }

    func setUp(_ name: String) throws {
        log.append("kernel: up \(name)")
        host.namespace.withLock { $0.links[name]?.isUp = true }
    }

    func createChild(name: String, parent: String, kind: LANLinkKind, mac: MACAddress?, mtu: Int?, endpointID: String) throws {
        try check("createChild")
        log.append("kernel: create \(kind) \(name) on \(parent) mac \(mac?.description ?? "none")")
        try add(name, parent: parent, kind: kind, alias: endpointID)
        if let mac { host.namespace.withLock { $0.macs[name] = mac } }
    }

    func createShim(name: String, parent: String, kind: LANLinkKind, address: InterfaceAddress, routes: [IPPrefix], mtu: Int?) throws {
        try check("createShim")
        log.append("kernel: create shim \(name) \(kind) on \(parent) \(address) routes \(routes.map(\.description).joined(separator: ","))")
        try add(name, parent: parent, kind: kind, alias: nil, addresses: [address])
    }

    private func add(_ name: String, parent: String, kind: LANLinkKind, alias: String?, addresses: [InterfaceAddress] = []) throws {
        try host.namespace.withLock { namespace in
            guard namespace.links[parent] != nil else { throw InjectedFailure(what: "no parent \(parent)") }
            guard namespace.links[name] == nil else { throw InjectedFailure(what: "\(name) exists") }
            namespace.links[name] = ObservedLink(name: name, kind: kind.kernelKind, mtu: 1500, isUp: !addresses.isEmpty, master: nil,
                                                 group: group, addresses: addresses, alias: alias)
        }
        var observed = ObservedLANLink(kind: kind.kernelKind, parentName: parent)
        switch kind {
        case .macvlan(let mode): observed.macvlanMode = mode
        case .ipvlan(let mode, _): observed.ipvlanMode = mode
        case .vlan(let id): observed.vlanID = id
        }
        stacked.withLock { $0[name] = observed }
    }

    /// dockerd moving the child into the container at Join.
    func moveIntoContainer(_ name: String) {
        host.namespace.withLock { $0.links[name] = nil }
    }

    func deleteEndpointLink(_ name: String, endpointID: String) throws -> Bool {
        let deleted = host.namespace.withLock { namespace -> Bool in
            guard let link = namespace.links[name], link.mayBelong(toEndpoint: endpointID) else { return false }
            namespace.links[name] = nil
            return true
        }
        if deleted { log.append("kernel: delete \(name)") }
        return deleted
    }

    func retire(_ name: String, endpointID: String) throws {
        host.namespace.withLock { namespace in
            guard let link = namespace.links[name], link.mayBelong(toEndpoint: endpointID) else { return }
            namespace.links[name]?.group = group | 1
        }
    }

    func deleteRetired() throws {
        host.namespace.withLock { namespace in
            for (name, link) in namespace.links where link.group == (group | 1) { namespace.links[name] = nil }
        }
    }
}

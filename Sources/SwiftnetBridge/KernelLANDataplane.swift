import Synchronization
import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetKernel
import SwiftnetLANModel

/// `LANDataplane` on netlink. Shares its link group with the bridge mode's `KernelDataplane`,
/// so one sweep and one doctor see every link this server made.
package final class KernelLANDataplane: LANDataplane {
    let links: LinkManager
    package let group: UInt32
    var retiredGroup: UInt32 { group | 1 }
    /// What the kernel lacks does not change while it runs: one probe per type.
    private let support = Mutex<[String: String?]>([:])

    package init(links: LinkManager, group: UInt32) {
        self.links = links
        self.group = group
    }

    package func linkExists(_ name: String) throws -> Bool {
        try links.link(named: name) != nil
    }

    package func missingSupport(_ kinds: [KernelLinkType]) throws -> String? {
        let unknown = kinds.filter { kind in support.withLock { $0[kind.rawValue] == nil } }
        if !unknown.isEmpty {
            let found = try LinkTypeSupport.missing(unknown)
            support.withLock { cache in
                for (kind, error) in found {
                    cache[kind.rawValue] = .some(error.map { "\($0) (\(kind.kernelSupport))" })
                }
            }
        }
        let known = support.withLock { $0 }
        return kinds.compactMap { known[$0.rawValue] ?? nil }.first
    }

    package func createOwnedParent(_ plan: ParentPlan) throws {
        switch plan {
        case .existing:
            return
        case .createVLAN(let sub):
            try links.createVLAN(name: sub.name, parent: sub.base.name, id: sub.id, group: group)
        case .createDummy(let name):
            try links.createDummy(name: name, group: group)
        }
        try links.setUp(plan.linkName)
    }

    @discardableResult
    package func deleteOwnLink(_ name: String) throws -> Bool {
        guard let link = try links.link(named: name), link.group == group else { return false }
        return try links.deleteLink(name)
    }

    package func stackedLink(_ name: String) throws -> (observed: ObservedLANLink, isUp: Bool, group: UInt32)? {
        guard let info = try links.stackedLink(named: name) else { return nil }
        return (info.observed, info.link.isUp, info.link.group)
    }

    package func setUp(_ name: String) throws {
        try links.setUp(name)
    }

    package func createChild(name: String, parent: String, kind: LANLinkKind, mac: MACAddress?, mtu: Int?, endpointID: String) throws {
        try create(name: name, parent: parent, kind: kind, mac: mac, mtu: mtu, alias: endpointID)
    }

    package func createShim(name: String, parent: String, kind: LANLinkKind, address: InterfaceAddress, routes: [IPPrefix],
                            mtu: Int?) throws {
        try create(name: name, parent: parent, kind: kind, mac: nil, mtu: mtu, alias: nil)
        do {
            try links.addAddress(address.address, prefixLength: address.prefixLength, to: name)
            try links.setUp(name)
            for route in routes { try links.addConnectedRoute(route, through: name) }
        } catch {
            _ = try? links.deleteLink(name)
            throw error
        }
    }

    private func create(name: String, parent: String, kind: LANLinkKind, mac: MACAddress?, mtu: Int?, alias: String?) throws {
        switch kind {
        case .macvlan(let mode):
            try links.createMacvlan(name: name, parent: parent, mode: mode, mac: mac?.bytes, mtu: mtu, group: group, alias: alias)
        case .ipvlan(let mode, let flag):
            try links.createIPvlan(name: name, parent: parent, mode: mode, flag: flag, mtu: mtu, group: group, alias: alias)
        case .vlan(let id):
            try links.createVLAN(name: name, parent: parent, id: id, group: group)
        }
    }

    @discardableResult
    package func deleteEndpointLink(_ name: String, endpointID: String) throws -> Bool {
        guard let link = try links.link(named: name), ObservedLink.alias(link.alias, mayBelongTo: endpointID) else { return false }
        do {
            return try links.deleteLink(name)
        } catch KernelError.interfaceNotFound {
            return false
        }
    }

    package func retire(_ name: String, endpointID: String) throws {
        do {
            guard let link = try links.link(named: name), ObservedLink.alias(link.alias, mayBelongTo: endpointID) else { return }
            try links.retire(name, toGroup: retiredGroup)
        } catch KernelError.interfaceNotFound {
            // Gone with its container's namespace, or still in it: dockerd moves it back at
            // Leave; a namespace destroyed first takes the child with it.
        }
    }

    package func deleteRetired() throws {
        try links.deleteGroup(retiredGroup)
    }
}

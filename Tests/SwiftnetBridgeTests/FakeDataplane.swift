import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetNetworkModel
import Synchronization

/// A host namespace in memory: links by name, with the kernel's answers the driver relies on
/// (a name is taken once, an own bridge is kind bridge in this server's group, retired links
/// go in one delete). Every change is logged; any operation can be made to fail.
final class FakeDataplane: Dataplane {
    struct Namespace {
        var links: [String: ObservedLink] = [:]
        /// Host veth name → its container end's name.
        var peers: [String: String] = [:]
        var macs: [String: MACAddress] = [:]
        var hairpin: Set<String> = []
        var netfilter = BridgeNetfilterStatus(iptables: true, ip6tables: true)
        /// Whether `enableBridgeNetfilter` can turn it on.
        var netfilterAvailable = true
        var ipv6Forwarding = false
        /// Operations (by name, e.g. "createEndpoint") that throw.
        var failing: Set<String> = []
    }

    let namespace = Mutex(Namespace())
    let log: EventLog
    let group: UInt32 = 0x5300_1234
    var retiredGroup: UInt32 { group | 1 }

    init(log: EventLog) {
        self.log = log
    }

    private func check(_ operation: String, _ namespace: Namespace) throws {
        if namespace.failing.contains(operation) { throw InjectedFailure(what: operation) }
    }

    func fail(_ operation: String) { namespace.withLock { _ = $0.failing.insert(operation) } }
    func stopFailing(_ operation: String) { namespace.withLock { _ = $0.failing.remove(operation) } }

    /// Puts a link there as someone else (or a crash) left it.
    func add(_ link: ObservedLink) { namespace.withLock { $0.links[link.name] = link } }
    func remove(_ name: String) { namespace.withLock { _ = $0.links.removeValue(forKey: name) } }
    func link(_ name: String) -> ObservedLink? { namespace.withLock { $0.links[name] } }
    func update(_ name: String, _ change: (inout ObservedLink) -> Void) {
        namespace.withLock { namespace in
            if var link = namespace.links[name] {
                change(&link)
                namespace.links[name] = link
            }
        }
    }
    var linkNames: Set<String> { namespace.withLock { Set($0.links.keys) } }

    func linkExists(_ name: String) throws -> Bool {
        try namespace.withLock { namespace in
            try check("linkExists", namespace)
            return namespace.links[name] != nil
        }
    }

    func createBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws {
        try namespace.withLock { namespace in
            try check("createBridge", namespace)
            guard namespace.links[name] == nil else { throw InjectedFailure(what: "\(name) exists") }
            namespace.links[name] = ObservedLink(name: name, kind: "bridge", mtu: mtu ?? 1500, isUp: true, master: nil,
                                                 group: group, addresses: addresses)
            log.append("dataplane create bridge \(name)")
        }
    }

    func ensureBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws -> [String] {
        try namespace.withLock { namespace in
            try check("ensureBridge", namespace)
            guard var link = namespace.links[name] else {
                namespace.links[name] = ObservedLink(name: name, kind: "bridge", mtu: mtu ?? 1500, isUp: true, master: nil,
                                                     group: group, addresses: addresses)
                log.append("dataplane create bridge \(name)")
                return ["recreated bridge \(name)"]
            }
            guard link.isBridge(madeBy: group) else {
                throw DriverError.bridgeNameInUse(name, by: "a \(link.kind ?? "device") swiftnet did not make (link group \(link.group))")
            }
            var changes: [String] = []
            if let mtu, link.mtu != mtu {
                link.mtu = mtu
                changes.append("set MTU \(mtu) on \(name)")
            }
            if !link.isUp { changes.append("brought \(name) up") }
            for address in link.addresses where !addresses.contains(address) {
                changes.append("removed foreign address \(address) from \(name)")
            }
            for address in addresses where !link.addresses.contains(address) {
                changes.append("put gateway \(address) back on \(name)")
            }
            link.isUp = true
            link.addresses = addresses
            namespace.links[name] = link
            return changes
        }
    }

    func ensureAttached(_ veth: ObservedLink, to bridge: String, mtu: Int?, hairpin: Bool) throws -> [String] {
        try namespace.withLock { namespace in
            try check("ensureAttached", namespace)
            guard var link = namespace.links[veth.name] else { throw InjectedFailure(what: "\(veth.name) is gone") }
            var changes: [String] = []
            if let mtu, link.mtu != mtu {
                link.mtu = mtu
                changes.append("set MTU \(mtu) on \(veth.name)")
            }
            if link.master != bridge {
                link.master = bridge
                changes.append("attached \(veth.name) to \(bridge)")
                if hairpin { namespace.hairpin.insert(veth.name) }
            }
            if !link.isUp {
                link.isUp = true
                changes.append("brought \(veth.name) up")
            }
            namespace.links[veth.name] = link
            return changes
        }
    }

    func enableHairpin(_ host: String) throws {
        try namespace.withLock { namespace in
            try check("enableHairpin", namespace)
            namespace.hairpin.insert(host)
            log.append("dataplane hairpin \(host)")
        }
    }

    var hairpinned: Set<String> { namespace.withLock { $0.hairpin } }

    func createEndpoint(host: String, container: String, bridge: String, mtu: Int?, mac: MACAddress, endpointID: String) throws {
        try namespace.withLock { namespace in
            try check("createEndpoint", namespace)
            guard namespace.links[host] == nil, namespace.links[container] == nil else {
                throw InjectedFailure(what: "\(host) exists")
            }
            namespace.links[host] = ObservedLink(name: host, kind: "veth", mtu: mtu ?? 1500, isUp: true, master: bridge,
                                                 group: group, alias: endpointID)
            namespace.links[container] = ObservedLink(name: container, kind: "veth", mtu: mtu ?? 1500, isUp: false, master: nil,
                                                      group: 0)
            namespace.peers[host] = container
            namespace.macs[container] = mac
            log.append("dataplane create veth \(host)")
        }
    }

    func mac(of container: String) -> MACAddress? { namespace.withLock { $0.macs[container] } }

    func deleteLink(_ name: String) throws -> Bool {
        try namespace.withLock { namespace in
            try check("deleteLink", namespace)
            return delete(name, in: &namespace)
        }
    }

    private func delete(_ name: String, in namespace: inout Namespace) -> Bool {
        guard namespace.links.removeValue(forKey: name) != nil else { return false }
        if let peer = namespace.peers.removeValue(forKey: name) { namespace.links[peer] = nil }
        log.append("dataplane delete \(name)")
        return true
    }

    func deleteEndpointLink(_ name: String, endpointID: String) throws -> Bool {
        try namespace.withLock { namespace in
            try check("deleteEndpointLink", namespace)
            guard let link = namespace.links[name], link.mayBelong(toEndpoint: endpointID) else { return false }
            return delete(name, in: &namespace)
        }
    }

    func deleteOwnBridge(_ name: String) throws -> Bool {
        try namespace.withLock { namespace in
            try check("deleteOwnBridge", namespace)
            guard let link = namespace.links[name], link.isBridge(madeBy: group) else { return false }
            return delete(name, in: &namespace)
        }
    }

    func retire(_ name: String, endpointID: String) throws {
        try namespace.withLock { namespace in
            try check("retire", namespace)
            guard var link = namespace.links[name], link.mayBelong(toEndpoint: endpointID) else { return }
            link.group = retiredGroup
            namespace.links[name] = link
            log.append("dataplane retire \(name)")
        }
    }

    func deleteRetired() throws {
        try namespace.withLock { namespace in
            try check("deleteRetired", namespace)
            for link in namespace.links.values where link.group == retiredGroup { _ = delete(link.name, in: &namespace) }
        }
    }

    func observe(addressesOf links: Set<String>) throws -> [ObservedLink] {
        try namespace.withLock { namespace in
            try check("observe", namespace)
            return namespace.links.values.sorted { $0.name < $1.name }.map { link in
                var link = link
                if !links.contains(link.name) { link.addresses = [] }
                return link
            }
        }
    }

    func links(holdingAddressesIn prefixes: [IPPrefix]) throws -> [ObservedLink] {
        try observe(addressesOf: Set(namespace.withLock { Array($0.links.keys) })).compactMap { link in
            var link = link
            link.addresses = link.addresses.filter { held in
                !held.address.isIPv6LinkLocal
                    && IPPrefix(address: held.address, length: held.prefixLength).map { prefix in prefixes.contains { $0.overlaps(prefix) } } == true
            }
            return link.addresses.isEmpty ? nil : link
        }
    }

    func bridgeNetfilterStatus() -> BridgeNetfilterStatus {
        namespace.withLock { $0.netfilter }
    }

    func ipv6ForwardingEnabled() -> Bool? {
        namespace.withLock { $0.ipv6Forwarding }
    }

    func enableIPv6Forwarding() throws {
        namespace.withLock { namespace in
            namespace.ipv6Forwarding = true
            log.append("dataplane ipv6 forwarding on")
        }
    }

    func enableBridgeNetfilter(ipv6: Bool) throws {
        try namespace.withLock { namespace in
            guard namespace.netfilterAvailable else {
                throw DriverError.bridgeNetfilterUnavailable("the br_netfilter kernel module is not loaded")
            }
            namespace.netfilter.iptables = true
            if ipv6 { namespace.netfilter.ip6tables = true }
            log.append("dataplane netfilter on")
        }
    }

    func setNetfilter(_ status: BridgeNetfilterStatus, available: Bool) {
        namespace.withLock {
            $0.netfilter = status
            $0.netfilterAvailable = available
        }
    }
}

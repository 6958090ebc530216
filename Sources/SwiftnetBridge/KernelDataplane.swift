import SwiftnetAddress
import SwiftnetFirewall
import SwiftnetIPAM
import SwiftnetKernel
import SwiftnetNetworkModel
import SwiftnetDiagnosis

/// `Dataplane` on netlink (libnl-route-3) and /proc/sys: no `ip` processes.
package struct KernelDataplane: Dataplane {
    package let links: LinkManager
    /// Link group of the bridges and host veths this server makes; `group | 1` holds the
    /// retired ones. Derived from the state file's instance id, so two servers with separate
    /// states (tests, a second host service) never take each other's links for orphans.
    package let group: UInt32
    package var retiredGroup: UInt32 { group | 1 }

    package init(links: LinkManager, instanceID: UInt64) {
        self.links = links
        group = 0x5300_0000 | (UInt32(truncatingIfNeeded: instanceID) & 0x00FF_FFFE)
    }

    package func linkExists(_ name: String) throws -> Bool {
        try links.link(named: name) != nil
    }

    package func createBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws {
        try links.createBridge(name: name, mtu: mtu, group: group)
        try configure(bridge: name, addresses: addresses, ipv6: ipv6)
    }

    @discardableResult
    package func ensureBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws -> [String] {
        var changes: [String] = []
        var present: [InterfaceAddress] = []
        if let link = try links.link(named: name) {
            // Only a bridge this server made is ours to change: the name may since have been
            // taken by the host's own bridge (a user-chosen name) or by another instance.
            guard isOwnBridge(link) else {
                throw DriverError.bridgeNameInUse(name, by: "a \(link.kind ?? "device") swiftnet did not make (link group \(link.group))")
            }
            if let mtu, link.mtu != mtu {
                try links.setMTU(name, mtu)
                changes.append("set MTU \(mtu) on \(name)")
            }
            if !link.isUp { changes.append("brought \(name) up") }
            // Addresses someone else put on our bridge make the host answer for them there.
            for found in try links.addresses(of: name) {
                let address = InterfaceAddress(address: found.address, prefixLength: found.prefixLength)
                if addresses.contains(address) || found.address.isIPv6LinkLocal {
                    present.append(address)
                } else if try links.deleteAddress(found.address, prefixLength: found.prefixLength, from: name) {
                    changes.append("removed foreign address \(address) from \(name)")
                }
            }
            for address in addresses where !present.contains(address) {
                changes.append("put gateway \(address) back on \(name)")
            }
        } else {
            try links.createBridge(name: name, mtu: mtu, group: group)
            changes.append("recreated bridge \(name)")
        }
        try configure(bridge: name, addresses: addresses, ipv6: ipv6)
        return changes
    }

    package func enableHairpin(_ host: String) throws {
        try links.setHairpin(host, true)
    }

    package func ensureAttached(_ veth: ObservedLink, to bridge: String, mtu: Int?, hairpin: Bool) throws -> [String] {
        var changes: [String] = []
        if let mtu, veth.mtu != mtu {
            try links.setMTU(veth.name, mtu)
            changes.append("set MTU \(mtu) on \(veth.name)")
        }
        if veth.master != bridge {
            try links.setMaster(veth.name, bridge: bridge)
            changes.append("attached \(veth.name) to \(bridge)")
            // A new bridge port starts with hairpin mode off.
            if hairpin { try links.setHairpin(veth.name, true) }
        }
        if !veth.isUp {
            try links.setUp(veth.name)
            changes.append("brought \(veth.name) up")
        }
        return changes
    }

    package func observe(addressesOf bridges: Set<String>) throws -> [ObservedLink] {
        let all = try links.links()
        let names = Dictionary(all.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try all.map { link in
            var addresses: [InterfaceAddress] = []
            if bridges.contains(link.name) {
                addresses = try links.addresses(of: link.name).map { InterfaceAddress(address: $0.address, prefixLength: $0.prefixLength) }
            }
            return ObservedLink(name: link.name, kind: link.kind, mtu: link.mtu, isUp: link.isUp,
                                master: link.masterIndex.flatMap { names[$0] }, group: link.group, addresses: addresses,
                                alias: link.alias)
        }
    }

    package func links(holdingAddressesIn prefixes: [IPPrefix]) throws -> [ObservedLink] {
        try links.links(holdingAddressesIn: prefixes).map { found in
            ObservedLink(name: found.link.name, kind: found.link.kind, mtu: found.link.mtu, isUp: found.link.isUp, master: nil,
                         group: found.link.group, addresses: found.addresses.map { InterfaceAddress(address: $0.address, prefixLength: $0.prefixLength) },
                         alias: found.link.alias)
        }
    }

    private func configure(bridge name: String, addresses: [InterfaceAddress], ipv6: Bool) throws {
        // Published ports reach containers from 127.0.0.1 through DNAT: the kernel must route
        // loopback-sourced packets out of this bridge (Docker does the same without its proxy).
        try Sysctl.set(["net", "ipv4", "conf", name, "route_localnet"], "1")
        // Containers reach the outside through the host's routing, as with Docker's bridge.
        try Sysctl.set(["net", "ipv4", "ip_forward"], "1")
        if ipv6 || addresses.contains(where: { $0.address.family == .v6 }) {
            try Sysctl.set(["net", "ipv6", "conf", name, "disable_ipv6"], "0")
            // The gateway must answer at once, not after duplicate address detection.
            try Sysctl.set(["net", "ipv6", "conf", name, "accept_dad"], "0")
        }
        for address in addresses {
            try links.addAddress(address.address, prefixLength: address.prefixLength, to: name)
        }
        try links.setUp(name)
    }


    package func createEndpoint(host: String, container: String, bridge: String, mtu: Int?, mac: MACAddress,
                               endpointID: String) throws {
        try links.createVethPair(host: host, peer: container, mtu: mtu, peerMAC: mac.bytes, onBridge: bridge, group: group,
                                 alias: endpointID)
    }

    @discardableResult
    package func deleteLink(_ name: String) throws -> Bool {
        try links.deleteLink(name)
    }

    @discardableResult
    package func deleteEndpointLink(_ name: String, endpointID: String) throws -> Bool {
        guard try isEndpointLink(name, endpointID: endpointID) else { return false }
        return try links.deleteLink(name)
    }

    /// The link exists and is not another endpoint's by its alias.
    private func isEndpointLink(_ name: String, endpointID: String) throws -> Bool {
        guard let link = try links.link(named: name) else { return false }
        return ObservedLink.alias(link.alias, mayBelongTo: endpointID)
    }

    @discardableResult
    package func deleteOwnBridge(_ name: String) throws -> Bool {
        guard let link = try links.link(named: name), isOwnBridge(link) else { return false }
        return try links.deleteLink(name)
    }

    /// A bridge this server made: the one test behind every change and delete of a bridge.
    private func isOwnBridge(_ link: LinkInfo) -> Bool {
        link.kind == "bridge" && link.group == group
    }

    static let bridgeNetfilterKeys = (iptables: ["net", "bridge", "bridge-nf-call-iptables"],
                                      ip6tables: ["net", "bridge", "bridge-nf-call-ip6tables"])

    package func bridgeNetfilterStatus() -> BridgeNetfilterStatus {
        func enabled(_ key: [String]) -> Bool? { (try? Sysctl.get(key)).map { $0 == "1" } }
        return BridgeNetfilterStatus(iptables: enabled(Self.bridgeNetfilterKeys.iptables),
                                     ip6tables: enabled(Self.bridgeNetfilterKeys.ip6tables))
    }

    package func enableBridgeNetfilter(ipv6: Bool) throws {
        var status = bridgeNetfilterStatus()
        if status.iptables == nil {
            // Built into some kernels, a module in others; only a missing setting means it
            // is not loaded.
            do {
                try KernelModule.load("br_netfilter")
            } catch {
                throw DriverError.bridgeNetfilterUnavailable("the br_netfilter kernel module is not loaded and loading it failed: \(error)")
            }
            status = bridgeNetfilterStatus()
            guard status.iptables != nil else {
                throw DriverError.bridgeNetfilterUnavailable("the br_netfilter kernel module is not loaded (modprobe br_netfilter succeeded, but net.bridge.bridge-nf-call-iptables is still missing)")
            }
        }
        do {
            if status.iptables != true { try Sysctl.set(Self.bridgeNetfilterKeys.iptables, "1") }
            if ipv6, status.ip6tables != true { try Sysctl.set(Self.bridgeNetfilterKeys.ip6tables, "1") }
        } catch {
            throw DriverError.bridgeNetfilterUnavailable("\(error)")
        }
    }

    static let ipv6ForwardingKeys = [["net", "ipv6", "conf", "all", "forwarding"], ["net", "ipv6", "conf", "default", "forwarding"]]

    package func ipv6ForwardingEnabled() -> Bool? {
        (try? Sysctl.get(Self.ipv6ForwardingKeys[0])).map { $0 == "1" }
    }

    package func enableIPv6Forwarding() throws {
        // Each key on its own, as dockerd; one already on is not touched, so a /proc/sys this
        // process cannot write is no reason to refuse where the host forwards already.
        if (try? Sysctl.get(Self.ipv6ForwardingKeys[0])) != "1" {
            // As dockerd when it turns forwarding on itself: FORWARD's policy DROP, set before
            // forwarding starts, so that the host routes nothing between its other interfaces
            // that it did not before (swiftnet's chains, jumped to first, accept its own).
            try Firewall.dropForwardedByDefault(family: .v6)
            try Sysctl.set(Self.ipv6ForwardingKeys[0], "1")
        }
        // New interfaces' default: as dockerd, a failure here is no reason to refuse.
        if (try? Sysctl.get(Self.ipv6ForwardingKeys[1])) != "1" { try? Sysctl.set(Self.ipv6ForwardingKeys[1], "1") }
    }

    package func retire(_ name: String, endpointID: String) throws {
        do {
            guard try isEndpointLink(name, endpointID: endpointID) else { return }
            try links.retire(name, toGroup: retiredGroup)
        } catch KernelError.interfaceNotFound {
            // Gone with its container's namespace: nothing left to delete.
        }
    }

    package func deleteRetired() throws {
        try links.deleteGroup(retiredGroup)
    }
}

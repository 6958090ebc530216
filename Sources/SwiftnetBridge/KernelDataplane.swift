import SwiftnetIPAM
import SwiftnetKernel
import SwiftnetNetworkModel

/// `Dataplane` on netlink (libnl-route-3) and /proc/sys: no `ip` processes.
public struct KernelDataplane: Dataplane {
    let links: LinkManager
    /// Link group of the bridges and host veths this server makes; `group | 1` holds the
    /// retired ones. Derived from the state file's instance id, so two servers with separate
    /// states (tests, a second host service) never take each other's links for orphans.
    public let group: UInt32
    public var retiredGroup: UInt32 { group | 1 }

    public init(links: LinkManager, instanceID: UInt64) {
        self.links = links
        group = 0x5300_0000 | (UInt32(truncatingIfNeeded: instanceID) & 0x00FF_FFFE)
    }

    public func linkExists(_ name: String) throws -> Bool {
        try links.link(named: name) != nil
    }

    public func createBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws {
        try links.createBridge(name: name, mtu: mtu, group: group)
        try configure(bridge: name, addresses: addresses, ipv6: ipv6)
    }

    public func ensureBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws {
        if try links.link(named: name) == nil {
            try links.createBridge(name: name, mtu: mtu, group: group)
        } else if let mtu {
            try links.setMTU(name, mtu)
        }
        try configure(bridge: name, addresses: addresses, ipv6: ipv6)
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

    public func createEndpoint(host: String, container: String, bridge: String, mtu: Int?, mac: MACAddress) throws {
        try links.createVethPair(host: host, peer: container, mtu: mtu, peerMAC: mac.bytes, onBridge: bridge, group: group)
    }

    @discardableResult
    public func deleteLink(_ name: String) throws -> Bool {
        try links.deleteLink(name)
    }

    public func retire(_ name: String) throws {
        do {
            try links.retire(name, toGroup: retiredGroup)
        } catch KernelError.interfaceNotFound {
            // Gone with its container's namespace: nothing left to delete.
        }
    }

    public func deleteRetired() throws {
        try links.deleteGroup(retiredGroup)
    }

    public func ownedLinks() throws -> [String] {
        try links.links().filter { $0.group == group || $0.group == retiredGroup }.map(\.name)
    }
}

import SwiftnetIPAM
import SwiftnetKernel
import SwiftnetNetworkModel

/// `Dataplane` on netlink (libnl-route-3) and /proc/sys: no `ip` processes.
public struct KernelDataplane: Dataplane {
    let links: LinkManager

    public init(links: LinkManager) {
        self.links = links
    }

    public func linkExists(_ name: String) throws -> Bool {
        try links.link(named: name) != nil
    }

    public func createBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws {
        try links.createBridge(name: name, mtu: mtu)
        try configure(bridge: name, addresses: addresses, ipv6: ipv6)
    }

    public func ensureBridge(name: String, mtu: Int?, addresses: [InterfaceAddress], ipv6: Bool) throws {
        if try links.link(named: name) == nil {
            try links.createBridge(name: name, mtu: mtu)
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
        try links.createVethPair(host: host, peer: container, mtu: mtu, peerMAC: mac.bytes, onBridge: bridge)
    }

    @discardableResult
    public func deleteLink(_ name: String) throws -> Bool {
        try links.deleteLink(name)
    }

    /// The link group of retired endpoint veths ("SWNR"); group 0 is every other link.
    public static let retiredGroup: UInt32 = 0x5357_4E52

    public func retire(_ name: String) throws {
        do {
            try links.retire(name, toGroup: KernelDataplane.retiredGroup)
        } catch KernelError.interfaceNotFound {
            // Gone with its container's namespace: nothing left to delete.
        }
    }

    public func deleteRetired() throws {
        try links.deleteGroup(KernelDataplane.retiredGroup)
    }
}

import SwiftnetAddress
import SwiftnetKernel
import SwiftnetLANModel

/// The kernel side of the macvlan and ipvlan modes: links stacked on a parent. `KernelLANDataplane`
/// is the implementation; the protocol keeps the mode's decisions testable on fakes.
package protocol LANDataplane: Sendable {
    /// The link group this server tags its links with (`group | 1`: retired ones).
    var group: UInt32 { get }
    func linkExists(_ name: String) throws -> Bool
    /// The first of `types` the kernel cannot make, with the kernel's reason; nil when it makes all.
    func missingSupport(_ types: [KernelLinkType]) throws -> String?
    /// Creates the parent swiftnet owns (`eth0.50` or a dummy), with the server's link group, up.
    func createOwnedParent(_ plan: ParentPlan) throws
    /// Deletes `name` only if this server made it (its link group); false when it did not or
    /// it is gone.
    @discardableResult
    func deleteOwnLink(_ name: String) throws -> Bool
    /// The link as the LAN model compares it; nil when there is none. `isUp`, `group` too.
    func stackedLink(_ name: String) throws -> (observed: ObservedLANLink, isUp: Bool, group: UInt32)?
    func setUp(_ name: String) throws
    /// Creates a container's interface: a child of `parent`, down, with the server's group and
    /// `endpointID` as its alias. `mac` nil: the kernel's (ipvlan: the parent's).
    func createChild(name: String, parent: String, kind: LANLinkKind, mac: MACAddress?, mtu: Int?, endpointID: String) throws
    /// Creates the host shim: a child of `parent`, `address` on it, up, `routes` through it.
    func createShim(name: String, parent: String, kind: LANLinkKind, address: InterfaceAddress, routes: [IPPrefix], mtu: Int?) throws
    /// Deletes endpoint `endpointID`'s link unless its alias names another endpoint; false
    /// when it is gone (with its container's namespace).
    @discardableResult
    func deleteEndpointLink(_ name: String, endpointID: String) throws -> Bool
    func retire(_ name: String, endpointID: String) throws
    func deleteRetired() throws
}

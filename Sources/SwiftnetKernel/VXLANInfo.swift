import SwiftnetAddress

/// A VXLAN device's settings as the kernel reports them (for drift checks).
package struct VXLANInfo: Sendable, Equatable {
    package var vni: UInt32
    /// The local underlay address packets leave from; nil when unset.
    package var local: IPAddress?
    package var port: UInt16
    package var learning: Bool
    /// Answers ARP (and IPv6 ND) from the device's neighbour table instead of flooding.
    package var proxy: Bool
}

/// What the swiftnet driver makes of a network (`-o swiftnet.mode=…`). One type behind the
/// driver's `NetworkMode` protocol does the kernel work of each: the Linux bridge, and the
/// multi-host overlay (a bridge plus a VXLAN device, its addresses and peers from etcd).
package enum DriverMode: String, Sendable, CaseIterable {
    case bridge
    case overlay

    package static let key = "swiftnet.mode"
    package static let `default` = DriverMode.bridge
}

/// What the swiftnet driver makes of a network (`-o swiftnet.mode=…`): a Linux bridge; container
/// interfaces stacked directly on a host link (the parent) as macvlan or ipvlan children; or a
/// multi-host network (a bridge plus a VXLAN device, its addresses and peers from etcd).
package enum DriverMode: String, Sendable, CaseIterable {
    case bridge
    case macvlan
    case ipvlan
    case overlay

    package static let key = "swiftnet.mode"
    package static let `default` = DriverMode.bridge
}

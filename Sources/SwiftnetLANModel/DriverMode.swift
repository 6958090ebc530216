/// What the swiftnet driver makes of a network (`-o swiftnet.mode=…`): today's Linux bridge, or
/// container interfaces stacked directly on a host link (the parent) as macvlan or ipvlan children.
package enum DriverMode: String, Sendable, CaseIterable {
    case bridge
    case macvlan
    case ipvlan

    package static let key = "swiftnet.mode"
    package static let `default` = DriverMode.bridge
}

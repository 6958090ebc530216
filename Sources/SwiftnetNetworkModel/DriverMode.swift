/// What the swiftnet driver makes of a network (`-o swiftnet.mode=…`). One type behind the
/// driver's `NetworkMode` protocol does the kernel work of each; this version has only the
/// Linux bridge.
package enum DriverMode: String, Sendable, CaseIterable {
    case bridge

    package static let key = "swiftnet.mode"
    package static let `default` = DriverMode.bridge
}

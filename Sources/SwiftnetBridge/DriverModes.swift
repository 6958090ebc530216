import SwiftnetNetworkModel
import SwiftnetLANModel

/// One type per `DriverMode`: the switch below is exhaustive, so a new mode does not build
/// until it has its type here.
package struct DriverModes: Sendable {
    package var bridge: BridgeMode
    package var macvlan: LANMode
    package var ipvlan: LANMode
    /// Multi-host networks (`swiftnet.mode=overlay`). A server without `--etcd-endpoints`
    /// leaves it out; then overlay records are refused at creation (see `UnconfiguredMode`).
    package var overlay: any NetworkMode

    package init(bridge: BridgeMode, macvlan: LANMode, ipvlan: LANMode, overlay: (any NetworkMode)? = nil) {
        self.bridge = bridge
        self.macvlan = macvlan
        self.ipvlan = ipvlan
        self.overlay = overlay ?? UnconfiguredMode(mode: .overlay, reason: "multi-host networks need swiftnet serve --etcd-endpoints", bridge: bridge)
    }

    package subscript(mode: DriverMode) -> any NetworkMode {
        switch mode {
        case .bridge: return bridge
        case .macvlan: return macvlan
        case .ipvlan: return ipvlan
        case .overlay: return overlay
        }
    }

    package subscript(network: NetworkRecord) -> any NetworkMode { self[network.mode] }

    package var all: [any NetworkMode] { DriverMode.allCases.map { self[$0] } }
}

import SwiftnetNetworkModel

/// One type per `DriverMode`: the switch below is exhaustive, so a new mode does not build
/// until it has its type here.
package struct DriverModes: Sendable {
    package var bridge: BridgeMode
    /// Multi-host networks (`swiftnet.mode=overlay`). Tests of the bridge alone leave it out;
    /// then overlay records are refused at creation (see `UnconfiguredMode`).
    package var overlay: any NetworkMode

    package init(bridge: BridgeMode, overlay: (any NetworkMode)? = nil) {
        self.bridge = bridge
        self.overlay = overlay ?? UnconfiguredMode(mode: .overlay, reason: "multi-host networks need swiftnet serve --etcd-endpoints", bridge: bridge)
    }

    package subscript(mode: DriverMode) -> any NetworkMode {
        switch mode {
        case .bridge: return bridge
        case .overlay: return overlay
        }
    }

    package subscript(network: NetworkRecord) -> any NetworkMode { self[network.mode] }

    package var all: [any NetworkMode] { DriverMode.allCases.map { self[$0] } }
}

import SwiftnetNetworkModel

/// One type per `DriverMode`: the switch below is exhaustive, so a new mode does not build
/// until it has its type here.
package struct DriverModes: Sendable {
    package var bridge: BridgeMode

    package init(bridge: BridgeMode) {
        self.bridge = bridge
    }

    package subscript(mode: DriverMode) -> any NetworkMode {
        switch mode {
        case .bridge: return bridge
        }
    }

    package subscript(network: NetworkRecord) -> any NetworkMode { self[network.mode] }

    package var all: [any NetworkMode] { DriverMode.allCases.map { self[$0] } }
}

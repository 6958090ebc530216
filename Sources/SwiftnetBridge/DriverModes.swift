import SwiftnetNetworkModel
import SwiftnetLANModel

/// One type per `DriverMode`: the switch below is exhaustive, so a new mode does not build
/// until it has its type here.
package struct DriverModes: Sendable {
    package var bridge: BridgeMode
    package var macvlan: LANMode
    package var ipvlan: LANMode

    package init(bridge: BridgeMode, macvlan: LANMode, ipvlan: LANMode) {
        self.bridge = bridge
        self.macvlan = macvlan
        self.ipvlan = ipvlan
    }

    package subscript(mode: DriverMode) -> any NetworkMode {
        switch mode {
        case .bridge: return bridge
        case .macvlan: return macvlan
        case .ipvlan: return ipvlan
        }
    }

    package subscript(network: NetworkRecord) -> any NetworkMode { self[network.mode] }

    package var all: [any NetworkMode] { DriverMode.allCases.map { self[$0] } }
}

import SwiftnetJSON

extension StateView {
    /// What `swiftnet inspect` prints of one network (docs/operator.md): the network, its
    /// pools and its endpoints, with the format's version.
    package func inspectJSON(of network: NetworkView) -> JSONValue {
        .object([
            "formatVersion": .integer(StateView.formatVersion), "network": network.json,
            "pools": .array(pools(of: network).map(\.json)),
            "endpoints": .array(endpoints(of: network).map(\.json)),
        ])
    }
}

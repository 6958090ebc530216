import SwiftnetPluginAPI

/// The `NetworkDriver.*` calls. Only the capability handshake so far: the bridge dataplane
/// is issue #3; until then every other NetworkDriver call is an unknown path (404).
struct NetworkDriver: Sendable {
    private static let capabilities = NetworkDriverAPI.CapabilitiesResponse(scope: "local", connectivityScope: "local")
        .json.serialized

    var routes: [String: PluginRouter.Handler] {
        [
            "/NetworkDriver.GetCapabilities": { _ in NetworkDriver.capabilities },
        ]
    }
}

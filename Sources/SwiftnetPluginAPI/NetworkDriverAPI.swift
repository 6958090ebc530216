import SwiftnetJSON

/// The `NetworkDriver.*` messages (libnetwork drivers/remote/api).
public enum NetworkDriverAPI {
    public struct CapabilitiesResponse: Sendable, Equatable {
        public var scope: String
        public var connectivityScope: String
        public init(scope: String, connectivityScope: String) {
            self.scope = scope
            self.connectivityScope = connectivityScope
        }
        public var json: JSONValue {
            .object(["ConnectivityScope": .string(connectivityScope), "Scope": .string(scope)])
        }
    }
}

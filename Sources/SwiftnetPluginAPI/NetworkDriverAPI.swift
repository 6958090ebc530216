/// The `NetworkDriver.*` messages (libnetwork drivers/remote/api).
public enum NetworkDriverAPI {
    public struct CapabilitiesResponse: Codable, Sendable, Equatable {
        public var Scope: String
        public var ConnectivityScope: String
        public init(Scope: String, ConnectivityScope: String) {
            self.Scope = Scope
            self.ConnectivityScope = ConnectivityScope
        }
    }
}

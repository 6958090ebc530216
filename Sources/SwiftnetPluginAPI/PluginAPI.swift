/// Messages common to every plugin interface. Field names are dockerd's Go field names,
/// which carry no json tags, so the wire keys are exactly these (PascalCase).
public enum PluginAPI {
    /// `POST /Plugin.Activate`.
    public struct ActivateResponse: Codable, Sendable, Equatable {
        public var Implements: [String]
        public init(Implements: [String]) { self.Implements = Implements }
    }

    /// Every failure: dockerd reads `Err` on a non-200; the IPAM proxy reads `Error` on a 200,
    /// so both carry the message (protocol.md §1.2).
    public struct ErrorResponse: Codable, Sendable, Equatable {
        public var Err: String
        public var Error: String
        public init(_ message: String) {
            Err = message
            Error = message
        }
    }

    /// The `{}` answer.
    public struct Empty: Codable, Sendable, Equatable {
        public init() {}
    }
}

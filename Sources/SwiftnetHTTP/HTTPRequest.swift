/// One complete request as the server received it.
public struct HTTPRequest: Sendable, Equatable {
    /// As sent by the client, e.g. `POST`; dockerd only ever sends `POST`.
    public var method: String
    /// Without the query string, percent-decoded, e.g. `/NetworkDriver.CreateNetwork`.
    public var path: String
    /// Empty when the request had no body or `Content-Length: 0`.
    public var body: [UInt8]

    public init(method: String, path: String, body: [UInt8]) {
        self.method = method
        self.path = path
        self.body = body
    }
}

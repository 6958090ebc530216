/// One complete request as the server received it.
package struct HTTPRequest: Sendable, Equatable {
    /// As sent by the client, e.g. `POST`; dockerd only ever sends `POST`.
    package var method: String
    /// Without the query string, percent-decoded, e.g. `/NetworkDriver.CreateNetwork`.
    package var path: String
    /// Empty when the request had no body or `Content-Length: 0`.
    package var body: [UInt8]

    package init(method: String, path: String, body: [UInt8]) {
        self.method = method
        self.path = path
        self.body = body
    }
}

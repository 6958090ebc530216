public struct HTTPClientResponse: Sendable, Equatable {
    public var status: Int
    /// Names lowercased; repeated headers joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

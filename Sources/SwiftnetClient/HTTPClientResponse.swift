package struct HTTPClientResponse: Sendable, Equatable {
    package var status: Int
    /// Names lowercased; repeated headers joined with ", ".
    package var headers: [String: String]
    package var body: [UInt8]

    package init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    package var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

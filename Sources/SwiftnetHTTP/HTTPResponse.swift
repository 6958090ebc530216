/// What a handler answers. The server sends it as is, except that a status outside 200...599
/// (or 204/304, which cannot carry a body) goes out as 500 so the body is never lost.
package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    package var body: [UInt8]
    /// Omitted from the response when empty or when it contains CR/LF.
    package var contentType: String

    package init(status: Int, body: [UInt8], contentType: String) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    package static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, body: body, contentType: "application/json")
    }
}

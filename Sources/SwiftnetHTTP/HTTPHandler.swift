/// Answers requests. Called concurrently from the server's worker threads, so it must be
/// thread-safe; it should not block for long, since a blocked worker delays every connection
/// it serves.
package protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HTTPResponse
}

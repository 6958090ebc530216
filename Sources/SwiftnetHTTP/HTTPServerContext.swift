import CSwiftnetHTTPShim
import Logging

/// What the C callbacks reach through their context pointer. Kept alive by `HTTPServer` with a
/// retain that is released only after the daemon's threads have been joined.
final class HTTPServerContext: Sendable {
    let handler: any HTTPHandler
    let logger: Logger

    init(handler: any HTTPHandler, logger: Logger) {
        self.handler = handler
        self.logger = logger
    }

    func respond(
        method: String, path: String, body: [UInt8], reply: OpaquePointer?
    ) {
        let response = handler.handle(HTTPRequest(method: method, path: path, body: body))
        // Negative or huge statuses clamp into a range the shim turns into 500.
        let status = UInt32(clamping: response.status)
        let result = response.body.withUnsafeBufferPointer { bytes in
            response.contentType.withCString { contentType in
                swiftnet_http_reply_set(reply, status, bytes.baseAddress, bytes.count, contentType)
            }
        }
        if result != 0 {
            logger.error("could not build HTTP response (out of memory?)", metadata: ["path": "\(path)"])
        }
        logger.debug("\(method) \(path) -> \(response.status)")
    }
}

// Plain global functions, not closures, so that they carry no actor isolation: MHD calls them
// on its own worker threads, where a MainActor-isolated closure would trap.

func httpServerHandleRequest(
    _ context: UnsafeMutableRawPointer?,
    _ method: UnsafePointer<CChar>?,
    _ url: UnsafePointer<CChar>?,
    _ body: UnsafePointer<UInt8>?,
    _ bodyLength: Int,
    _ reply: OpaquePointer?
) {
    guard let context else { return }
    let server = Unmanaged<HTTPServerContext>.fromOpaque(context).takeUnretainedValue()
    server.respond(
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "",
        body: bodyLength > 0 && body != nil
            ? Array(UnsafeBufferPointer(start: body, count: bodyLength)) : [],
        reply: reply
    )
}

func httpServerLog(_ context: UnsafeMutableRawPointer?, _ message: UnsafePointer<CChar>?) {
    guard let context, let message else { return }
    let server = Unmanaged<HTTPServerContext>.fromOpaque(context).takeUnretainedValue()
    server.logger.warning("\(String(cString: message))")
}

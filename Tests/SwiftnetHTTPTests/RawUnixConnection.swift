import Foundation
import SwiftnetClient

/// A bare connection to a Unix socket for tests that misbehave on purpose: open and say
/// nothing, trickle a request byte by byte, or watch when the server closes. Not thread-safe.
final class RawUnixConnection {
    private(set) var fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.system(operation: "socket()", errno: errno) }
        // Bounds connect() when the listen backlog is full, and every send.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPClientError.connectFailed(path: path, errno: code)
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// False once the server has closed its end (the write fails).
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) == raw.count
        }
    }

    /// True if the server has closed the connection (end of stream or reset), without waiting.
    /// Any bytes the server sent before closing are consumed and appended to `received`.
    func isClosedByServer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                received.append(contentsOf: chunk[0..<n])
                continue
            }
            if n == 0 { return true }
            return errno == ECONNRESET || errno == EPIPE
        }
    }

    /// What the server sent, as far as `isClosedByServer` or `readUntilClosed` have read.
    private(set) var received: [UInt8] = []

    /// Drops what was received so far, so that `response` is the next one.
    func forgetReceived() { received = [] }

    /// Reads until the server closes or `seconds` pass; returns whether it closed.
    func readUntilClosed(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if isClosedByServer() { return true }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 50)
        }
        return false
    }

    /// Reads until a response head has arrived, the server closed, or `seconds` passed (a
    /// busy machine may take longer than any fixed sleep); returns whether a head arrived.
    @discardableResult
    func waitForResponse(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { received.append(contentsOf: chunk[0..<n]) }
            if response != nil { return true }
            if n == 0 { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 50)
        }
        return response != nil
    }

    /// The response the server sent before closing, split into status, headers and body.
    var response: (status: Int, headers: [String: String], body: String)? {
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        var lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, String(text[split.upperBound...]))
    }
}

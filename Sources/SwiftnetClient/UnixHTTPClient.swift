#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocking HTTP/1.1 client for a Docker plugin socket, speaking the way dockerd does: `POST`,
/// `Host: plugin.moby.localhost`, the plugin `Accept` type, no `Content-Type`, keep-alive.
///
/// One connection, used by one thread at a time: give each thread its own client.
package final class UnixHTTPClient {
    package let socketPath: String
    package let timeoutSeconds: Double
    /// How many connections this client has opened so far: 1 as long as keep-alive held.
    package private(set) var connectionsOpened = 0

    private let addressBytes: [UInt8]
    private var fd: Int32 = -1
    /// Set once the connection has delivered a response and stayed open, i.e. it may have sat
    /// idle long enough for the server to close it.
    private var connectionReused = false

    // Read buffer: bytes start..<end are received but not yet consumed.
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0

    /// Reused across requests so that building one allocates nothing once warm.
    private var request: [UInt8] = []

    private static let initialBufferBytes = 16 * 1024
    private static let maximumLineBytes = 1 << 20
    private static let requestHead = Array(
        (" HTTP/1.1\r\nHost: plugin.moby.localhost\r\n"
            + "Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: ").utf8)

    /// Connects at once, so a missing or dead socket is reported here.
    package init(socketPath: String, timeoutSeconds: Double = 10) throws {
        let bytes = Array(socketPath.utf8)
        let maximum = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        guard !bytes.isEmpty, !bytes.contains(0) else {
            throw HTTPClientError.invalidSocketPath(path: socketPath, reason: "empty or contains NUL")
        }
        guard bytes.count <= maximum else {
            throw HTTPClientError.invalidSocketPath(
                path: socketPath, reason: "\(bytes.count) bytes, at most \(maximum) fit in sun_path")
        }
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
        self.addressBytes = bytes
        self.capacity = Self.initialBufferBytes
        self.buffer = .allocate(capacity: Self.initialBufferBytes)
        request.reserveCapacity(1024)
        try openConnection()
    }

    deinit {
        disconnect()
        buffer.deallocate()
    }

    /// Sends `POST path` with `body` and waits for the response. If the server had closed the
    /// idle keep-alive connection before the request went out, reconnects and sends it once more.
    package func post(_ path: String, body: [UInt8]) throws -> HTTPClientResponse {
        request.removeAll(keepingCapacity: true)
        request.append(contentsOf: "POST ".utf8)
        request.append(contentsOf: path.utf8)
        request.append(contentsOf: Self.requestHead)
        request.append(contentsOf: String(body.count).utf8)
        request.append(contentsOf: [13, 10, 13, 10])
        request.append(contentsOf: body)
        return try exchange()
    }

    /// Sends `GET path` (the operator calls: `/state`, `/doctor`, `/metrics`…).
    package func get(_ path: String) throws -> HTTPClientResponse {
        request.removeAll(keepingCapacity: true)
        request.append(contentsOf: "GET ".utf8)
        request.append(contentsOf: path.utf8)
        request.append(contentsOf: Self.requestHead)
        request.append(contentsOf: "0\r\n\r\n".utf8)
        return try exchange()
    }

    package func post(_ path: String, json: String) throws -> HTTPClientResponse {
        try post(path, body: Array(json.utf8))
    }

    /// Writes bytes as they are, connecting first if needed; for tests that speak broken HTTP.
    /// Pair with `readResponse()`.
    package func sendRaw(_ bytes: [UInt8]) throws {
        if fd < 0 { try openConnection() }
        if case .peerClosed(_, let code) = try sendAll(bytes) {
            disconnect()
            throw HTTPClientError.connectionClosed("while sending (\(String(cString: strerror(code))))")
        }
    }

    /// Reads one response (skipping interim 1xx ones). Closes the connection if the server
    /// asked for that, or on any error, since the stream position is then unknown.
    package func readResponse() throws -> HTTPClientResponse {
        guard fd >= 0 || start < end else {
            throw HTTPClientError.connectionClosed("(not connected)")
        }
        do {
            while true {
                let head = try readHead()
                if head.status >= 100 && head.status < 200 && head.status != 101 { continue }
                var keepAlive = head.keepAlive
                let body = try readBody(head, keepAlive: &keepAlive)
                if keepAlive {
                    connectionReused = true
                } else {
                    disconnect()
                }
                return HTTPClientResponse(status: head.status, headers: head.headers, body: body)
            }
        } catch {
            disconnect()
            throw error
        }
    }

    /// The next request opens a new connection.
    package func close() {
        disconnect()
    }

    // MARK: - Connection

    private func openConnection() throws {
        disconnect()
        #if os(Linux)
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let socketType = SOCK_STREAM
        #endif
        let descriptor = socket(AF_UNIX, socketType, 0)
        guard descriptor >= 0 else {
            throw HTTPClientError.system(operation: "socket()", errno: errno)
        }
        if timeoutSeconds > 0 {
            var timeout = timeval()
            timeout.tv_sec = .init(timeoutSeconds.rounded(.down))
            timeout.tv_usec = .init((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1_000_000)
            let size = socklen_t(MemoryLayout<timeval>.size)
            // The send timeout also bounds connect() on a unix socket whose backlog is full.
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: addressBytes)
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            closeDescriptor(descriptor)
            if code == EAGAIN || code == EINPROGRESS {
                throw HTTPClientError.timedOut(operation: "connect to \(socketPath)", seconds: timeoutSeconds)
            }
            throw HTTPClientError.connectFailed(path: socketPath, errno: code)
        }
        fd = descriptor
        connectionsOpened += 1
    }

    private func disconnect() {
        if fd >= 0 {
            closeDescriptor(fd)
            fd = -1
        }
        connectionReused = false
        start = 0
        end = 0
    }

    private func exchange() throws -> HTTPClientResponse {
        var retried = false
        while true {
            if fd < 0 { try openConnection() }
            let reused = connectionReused
            switch try sendAll(request) {
            case .sent:
                return try readResponse()
            case .peerClosed(let written, let code):
                if written == 0 && reused && !retried {
                    // Closed while idle; the server never saw this request, so resending is safe.
                    retried = true
                    disconnect()
                    continue
                }
                // It may have answered before it stopped reading, as with 413 for a large body.
                if start < end || written > 0, let early = try? readResponse() {
                    return early
                }
                disconnect()
                throw HTTPClientError.connectionClosed(
                    "while the request was being sent (\(String(cString: strerror(code))))")
            }
        }
    }

    // MARK: - Writing

    private enum SendOutcome {
        case sent
        case peerClosed(written: Int, errno: Int32)
    }

    private func sendAll(_ bytes: [UInt8]) throws -> SendOutcome {
        let descriptor = fd
        let timeout = timeoutSeconds
        return try bytes.withUnsafeBytes { raw -> SendOutcome in
            var written = 0
            while written < raw.count {
                // MSG_NOSIGNAL: a closed peer must be an error here, not a process-killing SIGPIPE.
                let n = send(descriptor, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
                if n >= 0 {
                    written += n
                    continue
                }
                let code = errno
                switch code {
                case EINTR:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    throw HTTPClientError.timedOut(operation: "sending the request", seconds: timeout)
                case EPIPE, ECONNRESET, ENOTCONN:
                    return .peerClosed(written: written, errno: code)
                default:
                    throw HTTPClientError.system(operation: "send()", errno: code)
                }
            }
            return .sent
        }
    }

    // MARK: - Reading

    private struct Head {
        var status: Int
        var headers: [String: String]
        var keepAlive: Bool
    }

    /// Receives more bytes after `end`, compacting or growing the buffer as needed. Returns
    /// false at end of stream.
    private func fill(_ what: String) throws -> Bool {
        if start == end {
            start = 0
            end = 0
        } else if start > 0 && capacity - end < capacity / 4 {
            memmove(buffer, buffer + start, end - start)
            end -= start
            start = 0
        }
        if end == capacity {
            guard capacity < Self.maximumLineBytes else {
                throw HTTPClientError.malformedResponse("\(what) longer than \(Self.maximumLineBytes) bytes")
            }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            grown.update(from: buffer + start, count: end - start)
            buffer.deallocate()
            buffer = grown
            capacity *= 2
            end -= start
            start = 0
        }
        guard fd >= 0 else { return false }
        while true {
            let n = recv(fd, buffer + end, capacity - end, 0)
            if n > 0 {
                end += n
                return true
            }
            if n == 0 { return false }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                throw HTTPClientError.timedOut(operation: "reading the \(what)", seconds: timeoutSeconds)
            case ECONNRESET:
                return false
            default:
                throw HTTPClientError.system(operation: "recv()", errno: code)
            }
        }
    }

    private func mustFill(_ what: String) throws {
        guard try fill(what) else {
            throw HTTPClientError.connectionClosed("before the \(what) was complete")
        }
    }

    private func readHead() throws -> Head {
        var scanned = 0
        while true {
            if let headEnd = findHeadEnd(from: start + scanned) {
                let head = try parseHead(UnsafeBufferPointer(start: buffer + start, count: headEnd - start))
                start = headEnd + 4
                return head
            }
            scanned = max(0, end - start - 3)
            try mustFill("response header")
        }
    }

    /// Index of the CR of the first CRLFCRLF at or after `from`.
    private func findHeadEnd(from: Int) -> Int? {
        var i = from
        while i + 3 < end {
            if buffer[i + 3] != 10 {
                i += 1
                continue
            }
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 {
                return i
            }
            i += 1
        }
        return nil
    }

    private func parseHead(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Head {
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).makeIterator()
        guard let statusLine = lines.next().map(trimmingCR) else {
            throw HTTPClientError.malformedResponse("empty response")
        }
        // "HTTP/1.x SSS reason"
        let prefix = Array("HTTP/1.".utf8)
        guard statusLine.count >= 12,
              statusLine.starts(with: prefix),
              statusLine[statusLine.startIndex + 8] == 32
        else {
            throw HTTPClientError.malformedResponse("status line '\(String(decoding: statusLine, as: UTF8.self))'")
        }
        let minor = statusLine[statusLine.startIndex + 7]
        var status = 0
        for digit in statusLine[(statusLine.startIndex + 9)..<(statusLine.startIndex + 12)] {
            guard digit >= 48 && digit <= 57 else {
                throw HTTPClientError.malformedResponse("status line '\(String(decoding: statusLine, as: UTF8.self))'")
            }
            status = status * 10 + Int(digit - 48)
        }

        // Sized for a typical response so that parsing never rehashes.
        var headers = [String: String](minimumCapacity: 8)
        while let rawLine = lines.next() {
            let line = trimmingCR(rawLine)
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: 58) else {
                throw HTTPClientError.malformedResponse("header line '\(String(decoding: line, as: UTF8.self))'")
            }
            let name = String(decoding: line[line.startIndex..<colon].map(lowercasedASCII), as: UTF8.self)
            let value = String(decoding: trimmingBlanks(line[(colon + 1)...]), as: UTF8.self)
            if let existing = headers[name] {
                headers[name] = existing + ", " + value
            } else {
                headers[name] = value
            }
        }

        let connection = headers["connection"]?.lowercased() ?? ""
        let keepAlive = minor == 48 /* "0" */
            ? connection.contains("keep-alive")
            : !connection.contains("close")
        return Head(status: status, headers: headers, keepAlive: keepAlive)
    }

    private func readBody(_ head: Head, keepAlive: inout Bool) throws -> [UInt8] {
        if head.status == 204 || head.status == 304 || head.status < 200 {
            return []
        }
        if let encoding = head.headers["transfer-encoding"], encoding.lowercased().contains("chunked") {
            return try readChunkedBody()
        }
        if let lengthText = head.headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw HTTPClientError.malformedResponse("Content-Length '\(lengthText)'")
            }
            var body: [UInt8] = []
            try readExactly(length, into: &body)
            return body
        }
        // No framing: the body runs to the end of the connection.
        keepAlive = false
        var body: [UInt8] = []
        while true {
            body.append(contentsOf: UnsafeBufferPointer(start: buffer + start, count: end - start))
            start = end
            guard try fill("body") else { return body }
        }
    }

    private func readExactly(_ count: Int, into body: inout [UInt8]) throws {
        body.reserveCapacity(body.count + count)
        var remaining = count
        while remaining > 0 {
            if start == end { try mustFill("body") }
            let take = min(remaining, end - start)
            body.append(contentsOf: UnsafeBufferPointer(start: buffer + start, count: take))
            start += take
            remaining -= take
        }
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine("chunk size")
            var size = 0
            var digits = 0
            for byte in sizeLine {
                guard let value = hexValue(byte) else { break }
                guard size <= (Int.max >> 4) else {
                    throw HTTPClientError.malformedResponse("chunk size too large")
                }
                size = size << 4 | value
                digits += 1
            }
            guard digits > 0 else {
                throw HTTPClientError.malformedResponse("chunk size line '\(String(decoding: sizeLine, as: UTF8.self))'")
            }
            if size == 0 {
                // Trailer fields, then an empty line.
                while !(try readLine("chunked trailer")).isEmpty {}
                return body
            }
            try readExactly(size, into: &body)
            guard try readLine("chunk end").isEmpty else {
                throw HTTPClientError.malformedResponse("chunk not followed by CRLF")
            }
        }
    }

    /// The next line without its CRLF (or bare LF).
    private func readLine(_ what: String) throws -> [UInt8] {
        var scanned = 0
        while true {
            var i = start + scanned
            while i < end {
                if buffer[i] == 10 {
                    var line = Array(UnsafeBufferPointer(start: buffer + start, count: i - start))
                    if line.last == 13 { line.removeLast() }
                    start = i + 1
                    return line
                }
                i += 1
            }
            scanned = end - start
            try mustFill(what)
        }
    }
}

// A clean "not Sendable" for readers and the compiler alike: the buffers are unsynchronized.
@available(*, unavailable)
extension UnixHTTPClient: Sendable {}

private func trimmingCR(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
    line.last == 13 ? line.dropLast() : line
}

private func trimmingBlanks(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
    var trimmed = bytes
    while let first = trimmed.first, first == 32 || first == 9 { trimmed = trimmed.dropFirst() }
    while let last = trimmed.last, last == 32 || last == 9 { trimmed = trimmed.dropLast() }
    return trimmed
}

private func lowercasedASCII(_ byte: UInt8) -> UInt8 {
    byte >= 65 && byte <= 90 ? byte + 32 : byte
}

private func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case 48...57: return Int(byte - 48)
    case 65...70: return Int(byte - 55)
    case 97...102: return Int(byte - 87)
    default: return nil
    }
}

/// At file scope because the class's own `close()` hides the C function inside it.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

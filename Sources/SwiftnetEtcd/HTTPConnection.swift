import Glibc

/// One HTTP/1.1 keep-alive connection over TCP to an etcd client URL. Non-blocking: every
/// connect, send and receive waits in poll() for at most the time left before the caller's
/// deadline, so no etcd call can hang on a dead peer (a blackholed host never answers a SYN).
///
/// Used by one thread at a time; @unchecked Sendable only so the client's free list can hand
/// it from thread to thread (taken out, used, put back), as LinkManager does with its sockets.
final class HTTPConnection: @unchecked Sendable {
    struct Head {
        var status: Int
        var headers: [String: String]
        var keepAlive: Bool
        var isChunked: Bool { headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false }
    }

    /// Transport failures: the caller may try another endpoint.
    struct TransportError: Error, CustomStringConvertible {
        let description: String
    }

    let endpoint: EtcdEndpoint
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Set once a response has been read on it, i.e. it may have been closed while idle.
    private(set) var wasUsed = false

    private static let maximumHeadBytes = 64 * 1024
    private static let maximumBodyBytes = 64 * 1024 * 1024

    init(to endpoint: EtcdEndpoint, deadline: Deadline) throws(TransportError) {
        self.endpoint = endpoint
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        // Names are resolved by the system resolver, which has its own timeouts; use addresses
        // in --etcd-endpoints to keep every call within its deadline.
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let list else {
            throw TransportError(description: "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(endpoint.host)"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            entry = current.pointee.ai_next
            let descriptor = socket(current.pointee.ai_family,
                                    Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard descriptor >= 0 else { lastError = "socket(): \(String(cString: strerror(errno)))"; continue }
            if connect(descriptor, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 {
                fd = descriptor
                Self.tune(descriptor)
                return
            }
            var code = errno
            if code == EINPROGRESS {
                var pfd = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                let ready = Self.pollRetrying(&pfd, deadline)
                if ready > 0 {
                    var soError: Int32 = 0
                    var size = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &soError, &size)
                    if soError == 0 {
                        fd = descriptor
                        Self.tune(descriptor)
                        return
                    }
                    code = soError
                } else {
                    _ = Glibc.close(descriptor)
                    throw TransportError(description: "connect timed out")
                }
            }
            _ = Glibc.close(descriptor)
            lastError = "connect: \(String(cString: strerror(code)))"
        }
        throw TransportError(description: lastError)
    }

    deinit { _ = Glibc.close(fd) }

    /// Closes the socket now (a watch being stopped from another thread wakes up with EOF).
    func shutdownNow() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    private static func tune(_ descriptor: Int32) {
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private static func pollRetrying(_ pfd: inout pollfd, _ deadline: Deadline) -> Int32 {
        while true {
            let n = poll(&pfd, 1, deadline.remainingMilliseconds)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    // MARK: writing

    /// `POST path` with a JSON body.
    func sendPost(_ path: String, body: [UInt8], deadline: Deadline) throws(TransportError) {
        var request = Array("POST \(path) HTTP/1.1\r\nHost: \(endpoint.host):\(endpoint.port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        request += body
        var written = 0
        while written < request.count {
            let n = request.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { written += n; continue }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard Self.pollRetrying(&pfd, deadline) > 0 else { throw TransportError(description: "timed out sending") }
                continue
            }
            throw TransportError(description: "send: \(String(cString: strerror(code)))")
        }
    }

    // MARK: reading

    /// Receives more bytes; false at end of stream. `nil` deadline waits without bound.
    private func fill(_ deadline: Deadline?) throws(TransportError) -> Bool {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 64 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            let n = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 * 1024) { chunk -> Int in
                let n = recv(fd, chunk.baseAddress, chunk.count, 0)
                if n > 0 { buffer.append(contentsOf: chunk[0..<n]) }
                return n
            }
            if n > 0 { return true }
            if n == 0 { return false }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                var ready: Int32
                if let deadline {
                    ready = Self.pollRetrying(&pfd, deadline)
                } else {
                    repeat { ready = poll(&pfd, 1, -1) } while ready < 0 && errno == EINTR
                }
                guard ready > 0 else { throw TransportError(description: "timed out waiting for the answer") }
                continue
            }
            if code == ECONNRESET { return false }
            throw TransportError(description: "recv: \(String(cString: strerror(code)))")
        }
    }

    private func mustFill(_ deadline: Deadline?, _ what: String) throws(TransportError) {
        guard try fill(deadline) else { throw TransportError(description: "connection closed before the \(what) was complete") }
    }

    /// The next line without CRLF.
    private func readLine(_ deadline: Deadline?, _ what: String) throws(TransportError) -> [UInt8] {
        // Relative to `start`: fill() may move the bytes to the front of the buffer.
        var scanned = 0
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 10) {
                var line = Array(buffer[start..<newline])
                if line.last == 13 { line.removeLast() }
                start = newline + 1
                return line
            }
            scanned = buffer.count - start
            guard buffer.count - start < Self.maximumHeadBytes else { throw TransportError(description: "\(what) too long") }
            try mustFill(deadline, what)
        }
    }

    func readHead(deadline: Deadline) throws(TransportError) -> Head {
        let statusLine = try readLine(deadline, "status line")
        let text = String(decoding: statusLine, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw TransportError(description: "bad status line '\(text)'")
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine(deadline, "response header")
            if line.isEmpty { break }
            let lineText = String(decoding: line, as: UTF8.self)
            guard let colon = lineText.firstIndex(of: ":") else { throw TransportError(description: "bad header line '\(lineText)'") }
            let name = lineText[..<colon].lowercased()
            let value = lineText[lineText.index(after: colon)...].drop(while: { $0 == " " })
            headers[name] = String(value)
        }
        let connection = headers["connection"]?.lowercased() ?? ""
        let keepAlive = parts[0] == "HTTP/1.0" ? connection.contains("keep-alive") : !connection.contains("close")
        return Head(status: status, headers: headers, keepAlive: keepAlive)
    }

    /// The whole body of a response with Content-Length or chunked framing.
    func readBody(_ head: Head, deadline: Deadline) throws(TransportError) -> [UInt8] {
        defer { wasUsed = true }
        if head.isChunked {
            var body: [UInt8] = []
            while let chunk = try readChunk(deadline: deadline) {
                body += chunk
                guard body.count <= Self.maximumBodyBytes else { throw TransportError(description: "body too large") }
            }
            return body
        }
        guard let lengthText = head.headers["content-length"], let length = Int(lengthText), length >= 0,
              length <= Self.maximumBodyBytes
        else { throw TransportError(description: "response without a usable Content-Length") }
        while buffer.count - start < length { try mustFill(deadline, "body") }
        let body = Array(buffer[start..<(start + length)])
        start += length
        return body
    }

    /// Whether bytes are buffered or arrive before the deadline (end of stream counts: the read
    /// that follows reports it).
    func waitForData(deadline: Deadline) -> Bool {
        if start < buffer.count { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return Self.pollRetrying(&pfd, deadline) > 0
    }

    /// The next chunk of a chunked body; nil after the last.
    func readChunk(deadline: Deadline?) throws(TransportError) -> [UInt8]? {
        let sizeLine = try readLine(deadline, "chunk size")
        var size = 0
        var digits = 0
        for byte in sizeLine {
            let value: Int
            switch byte {
            case 48...57: value = Int(byte - 48)
            case 65...70: value = Int(byte - 55)
            case 97...102: value = Int(byte - 87)
            default: value = -1
            }
            if value < 0 { break }
            size = size << 4 | value
            digits += 1
            guard digits <= 8 else { throw TransportError(description: "chunk size too large") }
        }
        guard digits > 0 else { throw TransportError(description: "bad chunk size line") }
        if size == 0 {
            while !(try readLine(deadline, "chunked trailer")).isEmpty {}
            return nil
        }
        while buffer.count - start < size + 2 { try mustFill(deadline, "chunk") }
        let chunk = Array(buffer[start..<(start + size)])
        start += size + 2
        return chunk
    }
}

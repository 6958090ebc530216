#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates the listening socket that `HTTPServer` serves, at a path such as
/// `/run/docker/plugins/swiftnet.sock`.
package enum UnixListeningSocket {
    /// `sun_path` is 108 bytes and needs a terminating NUL.
    package static let maximumPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    package static let backlog: Int32 = 128

    /// Returns a listening, close-on-exec socket bound at `path`.
    ///
    /// Missing parent folders are created with mode 0755. A socket file left behind by a dead
    /// process is replaced; a live one, or anything that is not a socket, makes this throw.
    package static func bind(path: String, mode: mode_t = 0o660) throws -> Int32 {
        let pathBytes = try validatedPathBytes(path)
        try createParentDirectories(of: path)
        try checkExisting(at: path, removingStale: true)

        let fd = socket(AF_UNIX, streamSocketType | closeOnExec, 0)
        guard fd >= 0 else {
            throw UnixSocketError.system(operation: "socket() for", path: path, errno: errno)
        }
        let bound = withSocketAddress(pathBytes) { address, length in
            bindSocket(fd, address, length)
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            if code == EADDRINUSE {
                // Someone bound it between our check and our bind.
                throw UnixSocketError.alreadyListening(path: path)
            }
            throw UnixSocketError.system(operation: "bind()", path: path, errno: code)
        }
        // After bind, because bind applies the umask to the socket file's mode.
        if chmod(path, mode) != 0 {
            let code = errno
            close(fd)
            unlink(path)
            throw UnixSocketError.system(operation: "chmod()", path: path, errno: code)
        }
        if listen(fd, backlog) != 0 {
            let code = errno
            close(fd)
            unlink(path)
            throw UnixSocketError.system(operation: "listen()", path: path, errno: code)
        }
        return fd
    }

    /// Throws what `bind` would throw if something listens at `path` already, or `path` is
    /// no socket, and changes nothing: a server asks before it opens its state or touches the
    /// firewall, so that a second one started on a taken socket leaves no trace.
    package static func refuseIfTaken(path: String) throws {
        _ = try validatedPathBytes(path)
        try checkExisting(at: path, removingStale: false)
    }

    /// Deletes the socket file at `path`, if it is one. Anything else is left alone.
    package static func remove(path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, isSocket(info) else { return }
        unlink(path)
    }

    // MARK: - Steps

    private static func validatedPathBytes(_ path: String) throws -> [UInt8] {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty else {
            throw UnixSocketError.invalidPath(path: path, reason: "empty")
        }
        guard !bytes.contains(0) else {
            throw UnixSocketError.invalidPath(path: path, reason: "contains a NUL byte")
        }
        guard bytes.count <= maximumPathBytes else {
            throw UnixSocketError.pathTooLong(path: path, bytes: bytes.count, maximum: maximumPathBytes)
        }
        return bytes
    }

    private static func createParentDirectories(of path: String) throws {
        var components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty else { return }
        components.removeLast()
        var current = path.hasPrefix("/") ? "" : "."
        for component in components {
            current += "/" + component
            if mkdir(current, 0o755) == 0 {
                // mkdir's mode is filtered by the umask; dockerd must be able to traverse.
                chmod(current, 0o755)
            } else if errno != EEXIST {
                throw UnixSocketError.system(operation: "mkdir()", path: current, errno: errno)
            }
        }
    }

    private static func checkExisting(at path: String, removingStale: Bool) throws {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return }
            throw UnixSocketError.system(operation: "lstat()", path: path, errno: errno)
        }
        guard isSocket(info) else {
            throw UnixSocketError.notASocket(path: path)
        }
        switch probe(path) {
        case 0:
            throw UnixSocketError.alreadyListening(path: path)
        case ECONNREFUSED:
            // Nobody listens: the socket file outlived its process.
            if removingStale && unlink(path) != 0 && errno != ENOENT {
                throw UnixSocketError.system(operation: "unlink() stale socket", path: path, errno: errno)
            }
        case ENOENT:
            return
        case EAGAIN:
            // Backlog full: alive, just busy.
            throw UnixSocketError.alreadyListening(path: path)
        case let code:
            throw UnixSocketError.system(operation: "connect() to existing socket", path: path, errno: code)
        }
    }

    /// Returns 0 if something accepted the connection, otherwise the errno of connect().
    private static func probe(_ path: String) -> Int32 {
        // Non-blocking so a listener with a full backlog cannot stall startup.
        let fd = socket(AF_UNIX, streamSocketType | closeOnExec | nonBlocking, 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let result = withSocketAddress(Array(path.utf8)) { address, length in
            connect(fd, address, length)
        }
        return result == 0 ? 0 : errno
    }

    // MARK: - Helpers

    private static func isSocket(_ info: stat) -> Bool {
        (info.st_mode & S_IFMT) == S_IFSOCK
    }

    private static func withSocketAddress<R>(
        _ pathBytes: [UInt8], _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
    ) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes.prefix(raw.count - 1))
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    #if os(Linux)
    private static let streamSocketType = Int32(SOCK_STREAM.rawValue)
    private static let closeOnExec = Int32(SOCK_CLOEXEC.rawValue)
    private static let nonBlocking = Int32(SOCK_NONBLOCK.rawValue)
    #else
    private static let streamSocketType = SOCK_STREAM
    private static let closeOnExec: Int32 = 0
    private static let nonBlocking: Int32 = 0
    #endif
}

/// Outside the enum because its own `bind(path:mode:)` hides the C function inside it.
private func bindSocket(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    bind(fd, address, length)
}

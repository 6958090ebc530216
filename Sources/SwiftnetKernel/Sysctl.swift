import Glibc

/// Reads and writes kernel parameters under /proc/sys.
///
/// Keys are path components, not the dotted `sysctl` syntax: interface names may contain
/// dots (`eth0.100`), and "net.ipv4.conf.eth0.100.forwarding" cannot be split back
/// unambiguously. Values take effect in the network namespace of the calling thread.
package enum Sysctl {
    /// Writes `value`, e.g. `Sysctl.set(["net", "ipv6", "conf", bridge, "accept_dad"], "0")`.
    package static func set(_ key: [String], _ value: String) throws {
        let path = try self.path(key)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KernelError.sysctl(path: path, operation: "open for writing", errno: errno) }
        defer { close(fd) }
        // A sysctl write must arrive in one write(2): the kernel parses each call on its own,
        // so a short write would set a truncated value, not continue it.
        let bytes = Array(value.utf8)
        var written: Int
        repeat {
            written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        } while written < 0 && errno == EINTR
        guard written >= 0 else { throw KernelError.sysctl(path: path, operation: "write \"\(value)\" to", errno: errno) }
        guard written == bytes.count else { throw KernelError.sysctl(path: path, operation: "write \"\(value)\" to", errno: EIO) }
    }

    /// The current value without its trailing newline (multi-value keys keep their tabs).
    package static func get(_ key: [String]) throws -> String {
        let path = try self.path(key)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KernelError.sysctl(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw KernelError.sysctl(path: path, operation: "read", errno: errno)
            }
            if count == 0 { break }
            result += buffer[..<count]
        }
        while result.last == UInt8(ascii: "\n") { result.removeLast() }
        return String(decoding: result, as: UTF8.self)
    }

    /// Each component must be one path segment: no traversal out of /proc/sys.
    static func path(_ key: [String]) throws -> String {
        guard !key.isEmpty else { throw KernelError.invalidSysctlKey(key, reason: "empty") }
        for component in key {
            guard !component.isEmpty, component != ".", component != "..",
                  !component.utf8.contains(UInt8(ascii: "/")), !component.utf8.contains(0)
            else { throw KernelError.invalidSysctlKey(key, reason: "component \"\(component)\" is not a single path segment") }
        }
        // A managed plugin sees /proc/sys read-only; its config mounts the host's
        // /proc/sys/net elsewhere and names that root here.
        let root = getenv("SWIFTNET_SYSCTL_ROOT").map { String(cString: $0) } ?? "/proc/sys"
        return root + "/" + key.joined(separator: "/")
    }
}

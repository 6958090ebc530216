import Foundation

/// One owner of a chain prefix per network namespace: two servers on one prefix would each
/// restore the chains to their own state, wiping the other's rules. An exclusive `flock` on
/// `chains-<netns inode>-<PREFIX>.lock` in a folder only root can enter (`/run/swiftnet`), held
/// for the life of this object and released by the kernel however the process ends. The
/// network namespace is in the name because iptables' tables are per namespace: servers in two
/// namespaces may use one prefix. Processes with a `/run` of their own (a managed plugin) do
/// not see each other's locks. The file holds the owner's pid, for the refusal to name.
///
/// Not an abstract Unix socket, which would need no file: any local user could bind that name
/// first and keep swiftnet from starting.
package final class ChainsLock: Sendable {
    package let prefix: String
    package let path: String
    private let fd: Int32

    /// Where root's locks go; another user's (tests, a developer's IPAM-only server, which
    /// cannot change iptables anyway) go to a folder of its own.
    package static var folder: String {
        geteuid() == 0 ? "/run/swiftnet" : NSTemporaryDirectory() + "/swiftnet-\(geteuid())"
    }

    package init(prefix: String) throws(ChainsLockError) {
        // The prefix names a file: only what names chains (no "/", no "..").
        guard (try? FirewallChains(prefix: prefix)) != nil else { throw .invalidPrefix(prefix) }
        self.prefix = prefix
        var namespace = stat()
        guard stat("/proc/self/ns/net", &namespace) == 0 else { throw .system(operation: "stat /proc/self/ns/net", errno: errno) }
        let folder = ChainsLock.folder
        path = "\(folder)/chains-\(namespace.st_ino)-\(prefix).lock"
        if mkdir(folder, 0o700) != 0 && errno != EEXIST { throw .system(operation: "mkdir \(folder)", errno: errno) }
        // A folder someone else made or may write to would let them take or replace the locks.
        var info = stat()
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid() else {
            throw .system(operation: "\(folder) is not a folder of this user's", errno: EPERM)
        }
        if info.st_mode & 0o077 != 0 && chmod(folder, 0o700) != 0 {
            throw .system(operation: "chmod 0700 \(folder)", errno: errno)
        }
        // A holder unlinks the file as it lets go (below): a lock taken on a file that is no
        // longer at `path` is let go and taken again on the new one. Bounded: each retry means
        // another process let go meanwhile.
        for _ in 0..<16 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw .system(operation: "open \(path)", errno: errno) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                let holder = ChainsLock.pid(in: fd)
                close(fd)
                if code == EWOULDBLOCK { throw .held(prefix: prefix, holderPID: holder) }
                throw .system(operation: "flock \(path)", errno: code)
            }
            var locked = stat(), current = stat()
            guard fstat(fd, &locked) == 0, stat(path, &current) == 0, locked.st_ino == current.st_ino, locked.st_dev == current.st_dev else {
                close(fd)
                continue
            }
            let pid = "\(getpid())\n"
            _ = ftruncate(fd, 0)
            _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
            self.fd = fd
            return
        }
        throw .system(operation: "flock \(path) (it kept being replaced)", errno: EAGAIN)
    }

    deinit {
        // Unlinked while still held, so that no one takes the old file once it is let go;
        // only if it is still ours (someone may have removed it, and another taken a new one).
        var held = stat(), current = stat()
        if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
            unlink(path)
        }
        close(fd)
    }

    private static func pid(in fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

package enum ChainsLockError: Error, CustomStringConvertible, Equatable {
    case held(prefix: String, holderPID: Int32?)
    case invalidPrefix(String)
    case system(operation: String, errno: Int32)

    package var description: String {
        switch self {
        case .held(let prefix, let pid):
            let who = pid.map { "another swiftnet (pid \($0))" } ?? "another swiftnet"
            return "\(who) owns the iptables chains \(prefix)-… in this network namespace; "
                + "two servers need different --chain-prefix values (or stop that one first)"
        case .invalidPrefix(let prefix):
            return "'\(prefix)' is no chain prefix"
        case .system(let operation, let code):
            return "cannot take the chain prefix: \(operation): \(String(cString: strerror(code)))"
        }
    }
}

import Glibc

/// Sockets passed by systemd socket activation (sd_listen_fds(3)): `LISTEN_PID` names this
/// process and `LISTEN_FDS` counts the descriptors, starting at 3. With a socket unit, systemd
/// listens on the plugin path before swiftnet runs, so dockerd can connect even while
/// swiftnet is (re)starting; its requests wait in the backlog.
package enum SystemdActivation {
    package static let firstDescriptor: Int32 = 3

    /// The first passed socket, if systemd passed one to this process and it is a listening
    /// stream socket. The variables are removed so that children do not take them too.
    package static func listeningSocket() throws -> Int32? {
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }),
              let countText = getenv("LISTEN_FDS").map({ String(cString: $0) })
        else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        guard let pid = Int32(pidText), pid == getpid(), let count = Int32(countText), count >= 1 else { return nil }
        let fd = firstDescriptor
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening == 1 else {
            throw UnixSocketError.system(operation: "take the socket passed by systemd (LISTEN_FDS) from", path: "fd 3",
                                         errno: listening == 0 ? ENOTSOCK : errno)
        }
        // Close-on-exec like every socket swiftnet makes itself.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}

import CNetlink
import Glibc

/// A connected NETLINK_ROUTE socket. libnl sockets are not thread-safe, so each user owns one.
///
/// Sendable only so that LinkManager's free list can hand one from thread to thread: it is
/// used by one thread at a time (taken out of the list, used, put back), never shared.
final class NetlinkSocket: @unchecked Sendable {
    let handle: OpaquePointer
    /// False once a call left the socket in a mode other calls cannot use (strict checking
    /// it could not switch off): the free list then drops it instead of keeping it.
    var isReusable = true

    init() throws {
        guard let socket = nl_socket_alloc() else { throw KernelError.netlink("nl_socket_alloc", code: -NLE_NOMEM) }
        let rc = nl_connect(socket, NETLINK_ROUTE)
        guard rc == 0 else {
            nl_socket_free(socket)
            throw KernelError.netlink("nl_connect", code: rc)
        }
        handle = socket
    }

    deinit { nl_socket_free(handle) }
}

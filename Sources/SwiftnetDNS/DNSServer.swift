import Foundation
import Glibc
import Logging
import SwiftnetAddress
import Synchronization

/// A small DNS server on one UDP address: names of its `DNSNameTable` are answered from it
/// (A/AAAA, authoritative), every other query is forwarded to the upstream resolvers and
/// their answer relayed as it came. One thread, one `poll` loop: each forwarded query waits
/// on a connected socket of its own, at most `maximumPending` at once (more are answered
/// SERVFAIL at once), each given `upstreamTimeout` per resolver before the next is tried.
/// Nothing a client sends can make it allocate without bound or stop.
package final class DNSServer: Sendable {
    package let address: SocketAddress
    package let names: DNSNameTable
    private let upstreams: [SocketAddress]
    private let socket: Int32
    /// Written to wake the loop up for `stop`.
    private let wake: (read: Int32, write: Int32)
    private let loop = Mutex<Thread?>(nil)
    private let finished = Mutex(false)
    private let statistics = Mutex(Statistics())
    private let logger: Logger

    package static let maximumPending = 256
    package static let upstreamTimeout: Double = 2
    /// Seconds a client may cache an answer from the table: names move when containers do.
    package static let answerTTL: UInt32 = 5

    package struct Statistics: Sendable, Equatable {
        package var answered = 0
        package var forwarded = 0
        package var refused = 0
        package var failed = 0
    }

    /// Binds `address` (port 0: any free port, see `address` after). Nothing runs until `start`.
    package init(listen: SocketAddress, names: DNSNameTable, upstreams: [SocketAddress], logger: Logger) throws {
        self.names = names
        self.upstreams = upstreams
        self.logger = logger
        let fd = Glibc.socket(listen.domain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw DNSServerError.system("socket", errno) }
        var one: Int32 = 1
        // The gateway address may not be configured yet when the network is being built.
        _ = setsockopt(fd, Int32(IPPROTO_IP), 15 /* IP_FREEBIND */, &one, socklen_t(MemoryLayout<Int32>.size))
        if listen.address.family == .v6 {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = listen.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw DNSServerError.system("bind \(listen)", code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0, let actual = SocketAddress(storage: storage) else {
            let code = errno
            close(fd)
            throw DNSServerError.system("getsockname", code)
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            close(fd)
            throw DNSServerError.system("pipe", code)
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        socket = fd
        wake = (pipeEnds[0], pipeEnds[1])
        address = actual
    }

    deinit {
        stop()
        close(socket)
        close(wake.read)
        close(wake.write)
    }

    package func start() {
        loop.withLock { thread in
            guard thread == nil else { return }
            let started = Thread { [self] in self.run() }
            started.name = "swiftnet-dns"
            started.start()
            thread = started
        }
    }

    /// Stops the loop and waits (at most 5 s) until it has ended. Pending forwards are dropped.
    package func stop() {
        guard loop.withLock({ $0 != nil }) else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        let deadline = Date().addingTimeInterval(5)
        while !finished.withLock({ $0 }), Date() < deadline { usleep(1_000) }
    }

    /// What it did so far; each count is updated before the reply it counts is sent.
    package var counts: Statistics { statistics.withLock { $0 } }

    private struct Pending {
        var socket: Int32
        var client: SocketAddress
        var query: [UInt8]
        var parsed: DNSQuery
        var upstream: Int
        var deadline: Double
    }

    private func run() {
        var pending: [Pending] = []
        var buffer = [UInt8](repeating: 0, count: 65_535)
        defer {
            for item in pending { close(item.socket) }
            finished.withLock { $0 = true }
        }
        while true {
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            fds += pending.map { pollfd(fd: $0.socket, events: Int16(POLLIN), revents: 0) }
            let now = Date().timeIntervalSince1970
            let nearest = pending.map(\.deadline).min().map { max(0, $0 - now) } ?? 1
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(nearest, 1) * 1000) + 1)
            if ready < 0 && errno != EINTR { logger.error("dns: poll failed", metadata: ["errno": "\(errno)"]); return }
            if fds[1].revents != 0 { return }
            // Answers from upstream first: they free slots.
            var index = 0
            while index < pending.count {
                let item = pending[index]
                if fds[2 + index].revents != 0 {
                    let received = recv(item.socket, &buffer, buffer.count, 0)
                    if received >= 12, buffer[0] == item.query[0], buffer[1] == item.query[1] {
                        statistics.withLock { $0.forwarded += 1 }
                        send(Array(buffer[0..<received]), to: item.client)
                        close(item.socket)
                        pending.remove(at: index)
                        fds.remove(at: 2 + index)
                        continue
                    }
                    // Refused (an ICMP port unreachable comes back as an error here): the
                    // next resolver now rather than at the deadline.
                    if received < 0 && errno != EAGAIN && errno != EINTR { pending[index].deadline = 0 }
                }
                index += 1
            }
            pending = pending.compactMap { item in expire(item, now: Date().timeIntervalSince1970) }
            if fds[0].revents != 0 { receiveQueries(&pending, buffer: &buffer) }
        }
    }

    /// Reads every query waiting on the socket (bounded per round, so forwards are served too).
    private func receiveQueries(_ pending: inout [Pending], buffer: inout [UInt8]) {
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(socket, &buffer, buffer.count, 0, $0, &length) }
            }
            guard received >= 0 else { return }
            guard let client = SocketAddress(storage: storage) else { continue }
            let packet = Array(buffer[0..<received])
            let query: DNSQuery
            do {
                query = try DNSQuery.parse(packet)
            } catch {
                statistics.withLock { $0.refused += 1 }
                if case .respond(let id, let code) = error { send(DNSQuery.refusal(id: id, code: code), to: client) }
                continue
            }
            if query.questionClass == DNSQuery.classIN, let addresses = names.addresses(of: query.name) {
                statistics.withLock { $0.answered += 1 }
                send(query.answer(addresses, ttl: DNSServer.answerTTL), to: client)
                continue
            }
            guard pending.count < DNSServer.maximumPending, !upstreams.isEmpty,
                  let item = forward(packet, query: query, client: client, upstream: 0)
            else {
                statistics.withLock { $0.failed += 1 }
                send(query.failure(code: 2), to: client)
                continue
            }
            pending.append(item)
        }
    }

    /// Sends the query to upstream number `upstream` (or the next that takes it) on a socket
    /// of its own; nil when none does.
    private func forward(_ packet: [UInt8], query: DNSQuery, client: SocketAddress, upstream: Int) -> Pending? {
        var next = upstream
        while next < upstreams.count {
            let target = upstreams[next]
            let fd = Glibc.socket(target.domain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            if fd >= 0 {
                let sent = target.withSockaddr { address, length in
                    connect(fd, address, length) == 0 ? Glibc.send(fd, packet, packet.count, 0) : -1
                }
                if sent == packet.count {
                    return Pending(socket: fd, client: client, query: packet, parsed: query, upstream: next,
                                   deadline: Date().timeIntervalSince1970 + DNSServer.upstreamTimeout)
                }
                close(fd)
            }
            next += 1
        }
        return nil
    }

    /// A forward past its deadline goes to the next resolver, or is answered SERVFAIL.
    private func expire(_ item: Pending, now: Double) -> Pending? {
        guard now >= item.deadline else { return item }
        close(item.socket)
        if let next = forward(item.query, query: item.parsed, client: item.client, upstream: item.upstream + 1) { return next }
        statistics.withLock { $0.failed += 1 }
        send(item.parsed.failure(code: 2), to: item.client)
        return nil
    }

    private func send(_ bytes: [UInt8], to client: SocketAddress) {
        _ = client.withSockaddr { address, length in sendto(socket, bytes, bytes.count, 0, address, length) }
    }
}

package enum DNSServerError: Error, CustomStringConvertible {
    case system(String, Int32)

    package var description: String {
        switch self {
        case .system(let call, let code): return "dns: \(call): \(String(cString: strerror(code)))"
        }
    }
}

import CNetlink
import CSwiftnetLinkLayer
import Glibc
import SwiftnetLANModel

/// Whether this kernel can make a link type, found by making one where nothing can be left
/// behind: in a network namespace of a thread of its own, which the kernel destroys with
/// everything in it when the thread ends — even if the process is killed half-way.
package enum LinkTypeSupport {
    /// nil when the kernel makes `type` links; otherwise `KernelError.unsupportedLinkType`,
    /// whose text names the kernel option and module that are missing. Throws when it cannot
    /// tell (no namespace, no veth for a parent).
    package static func missing(_ type: KernelLinkType) throws -> KernelError? {
        try missing([type])[type] ?? nil
    }

    /// One namespace for several types. Every type asked for is a key of the answer.
    package static func missing(_ types: [KernelLinkType]) throws -> [KernelLinkType: KernelError?] {
        try ThrowawayNetworkNamespace.run {
            let links = try LinkManager()
            // A parent that is an Ethernet link: the namespace has only loopback, which macvlan,
            // ipvlan and vlan refuse.
            try links.createVethPair(host: "probe0", peer: "probe1")
            var answer: [KernelLinkType: KernelError?] = [:]
            for type in types {
                let name = "probe-\(type.rawValue)"
                do {
                    switch type {
                    case .macvlan: try links.createMacvlan(name: name, parent: "probe0", mode: .bridge)
                    case .ipvlan: try links.createIPvlan(name: name, parent: "probe0", mode: .l2)
                    case .vlan: try links.createVLAN(name: name, parent: "probe0", id: 1)
                    case .dummy: try links.createDummy(name: name)
                    }
                    answer[type] = .some(nil)
                } catch KernelError.unsupportedLinkType(let kind, _) {
                    // Said without the probe's own link names, which mean nothing to the reader.
                    answer[type] = .some(.unsupportedLinkType(kind: kind, operation: "create \(kind) links"))
                }
            }
            return answer
        }
    }
}

/// Runs a body on a new thread moved into a new, empty network namespace. The namespace lives
/// as long as the thread and the sockets opened in it: `body` must close what it opens (let its
/// LinkManagers go) before it returns.
enum ThrowawayNetworkNamespace {
    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) throws -> Result {
        let outcome = Outcome<Result>()
        try runOnThread {
            let rc = swiftnet_unshare_network()
            guard rc == 0 else {
                outcome.value = .failure(KernelError.netlink(
                    "unshare(CLONE_NEWNET) for a throw-away namespace: \(String(cString: strerror(-rc)))", code: -NLE_PERM))
                return
            }
            outcome.value = Swift.Result { try body() }
        }
        return try outcome.value!.get()
    }

    /// Runs `body` on a new thread and waits for it.
    private static func runOnThread(_ body: @escaping @Sendable () -> Void) throws {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw KernelError.netlink("pthread_create for a throw-away namespace: \(String(cString: strerror(created)))",
                                      code: -NLE_NOMEM)
        }
        pthread_join(thread, nil)
    }

    private final class ThreadBody: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Written by the thread, read after pthread_join: never at the same time.
    private final class Outcome<Value>: @unchecked Sendable {
        var value: Swift.Result<Value, any Error>?
    }
}

import SwiftnetAddress
import Synchronization

/// The names a DNS server answers for itself, and their addresses. Written by whoever learns
/// endpoints (the multi-host watch), read by the server's loop for each query.
package final class DNSNameTable: Sendable {
    private let entries = Mutex<[String: [IPAddress]]>([:])

    package init() {}

    /// Lowercased, trailing dot dropped: how names are compared (DNS names are
    /// case-insensitive, RFC 4343).
    package static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// Replaces the addresses of `name`; an empty list removes it.
    package func set(_ name: String, _ addresses: [IPAddress]) {
        let key = DNSNameTable.normalized(name)
        entries.withLock { $0[key] = addresses.isEmpty ? nil : addresses }
    }

    /// Replaces the whole table.
    package func replaceAll(_ table: [String: [IPAddress]]) {
        let normalized = Dictionary(table.filter { !$0.value.isEmpty }.map { (DNSNameTable.normalized($0.key), $0.value) },
                                    uniquingKeysWith: { $0 + $1 })
        entries.withLock { $0 = normalized }
    }

    /// nil: not a name of this table (the server forwards the query).
    package func addresses(of name: String) -> [IPAddress]? {
        let key = DNSNameTable.normalized(name)
        return entries.withLock { $0[key] }
    }

    package var count: Int { entries.withLock { $0.count } }
}

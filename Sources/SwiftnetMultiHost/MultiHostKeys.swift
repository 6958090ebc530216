import SwiftnetAddress

/// Where multi-host state lives in etcd, all under one prefix (default `/swiftnet/v1/`):
///
/// - `nets/<name>`: a logical network (JSON `LogicalNetwork`), created once, never changed;
/// - `addr/<name>/<ip>`: one key per claimed address (JSON `AddressClaim`), on no lease;
/// - `eps/<name>/<ip>`: where an endpoint is (JSON `EndpointLocation`), on its host's lease;
/// - `hosts/<host>`: a live host (JSON `HostRecord`), on its lease.
package struct MultiHostKeys: Sendable, Equatable {
    package let prefix: String

    package init(prefix: String = "/swiftnet/v1/") {
        self.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    package var networks: String { prefix + "nets/" }
    package func network(_ name: String) -> String { networks + name }

    package func addresses(_ network: String) -> String { prefix + "addr/" + network + "/" }
    package func address(_ network: String, _ address: IPAddress) -> String { addresses(network) + address.description }
    package var allAddresses: String { prefix + "addr/" }

    package var allEndpoints: String { prefix + "eps/" }
    package func endpoints(_ network: String) -> String { allEndpoints + network + "/" }
    package func endpoint(_ network: String, _ address: IPAddress) -> String { endpoints(network) + address.description }

    package var hosts: String { prefix + "hosts/" }
    package func host(_ name: String) -> String { hosts + name }

    /// The last path component of `key` under `base`, or nil.
    static func leaf(of key: String, under base: String) -> String? {
        guard key.hasPrefix(base) else { return nil }
        let rest = key.dropFirst(base.count)
        return rest.isEmpty || rest.contains("/") ? nil : String(rest)
    }

    /// (network, address) of an `addr/` or `eps/` key.
    static func networkAndAddress(of key: String, under base: String) -> (network: String, address: IPAddress)? {
        guard key.hasPrefix(base) else { return nil }
        let parts = key.dropFirst(base.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let address = IPAddress(parts[1]) else { return nil }
        return (String(parts[0]), address)
    }
}

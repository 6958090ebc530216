/// One etcd client URL, `http://HOST:PORT` (HOST an IPv4 address, a bracketed IPv6 address or a
/// name). TLS is not supported: `https://` is refused here rather than failing on the wire.
package struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    package let host: String
    package let port: UInt16

    package init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    package init(parsing text: String) throws(EtcdError) {
        guard text.hasPrefix("http://") else {
            throw .invalidEndpoint(text, reason: text.hasPrefix("https://") ? "TLS (https) is not supported" : "must start with http://")
        }
        var rest = Substring(text.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { throw .invalidEndpoint(text, reason: "must be http://HOST:PORT") }
        let hostPart: Substring
        let portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidEndpoint(text, reason: "unclosed [") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw .invalidEndpoint(text, reason: "junk after ]") }
            portPart = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        } else {
            hostPart = rest
            portPart = nil
        }
        guard !hostPart.isEmpty else { throw .invalidEndpoint(text, reason: "no host") }
        var port: UInt16 = 2379
        if let portPart {
            guard let parsed = UInt16(portPart), parsed > 0 else { throw .invalidEndpoint(text, reason: "bad port '\(portPart)'") }
            port = parsed
        }
        self.init(host: String(hostPart), port: port)
    }

    /// A comma-separated list, as `--etcd-endpoints` takes it.
    package static func list(parsing text: String) throws(EtcdError) -> [EtcdEndpoint] {
        var endpoints: [EtcdEndpoint] = []
        for part in text.split(separator: ",") where !part.trimmingBlanks.isEmpty {
            endpoints.append(try EtcdEndpoint(parsing: String(part.trimmingBlanks)))
        }
        guard !endpoints.isEmpty else { throw .invalidEndpoint(text, reason: "no endpoint given") }
        return endpoints
    }

    package var description: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }
}

extension Substring {
    fileprivate var trimmingBlanks: Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}

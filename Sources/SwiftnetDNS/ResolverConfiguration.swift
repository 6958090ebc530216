import SwiftnetAddress

/// The host's resolvers, as `/etc/resolv.conf` lists them: where names this server does not
/// know are forwarded.
package enum ResolverConfiguration {
    /// The `nameserver` addresses of a resolv.conf text, in order (at most three are used by
    /// the C library; all are kept). A link-local IPv6 resolver with a zone (`fe80::1%eth0`)
    /// is skipped: the zone cannot be carried by an address of ours.
    package static func nameservers(in text: String) -> [IPAddress] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            return IPAddress(fields[1])
        }
    }

    /// Reads `path` (default `/etc/resolv.conf`); a missing file gives no resolvers.
    package static func nameservers(path: String = "/etc/resolv.conf") -> [IPAddress] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            text += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.utf8.count < 1 << 20 else { break }
        }
        return nameservers(in: text)
    }
}

#if canImport(Glibc)
import Glibc
#endif

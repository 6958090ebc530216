/// The kernel's rules for interface names (`dev_valid_name`), as a pure check: the netlink
/// calls refuse a bad name with its reason before the kernel does, and option values that
/// name a link (a parent, an IPAM scope) are refused the same way.
package enum LinkName {
    /// IFNAMSIZ less the terminating NUL.
    package static let maximumLength = 15

    /// Why the kernel would refuse `name`, or nil when it would not.
    package static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "empty" }
        guard bytes.count <= maximumLength else { return "\(bytes.count) bytes, at most \(maximumLength) allowed" }
        guard name != ".", name != ".." else { return "reserved" }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "/"): return "contains '/' (names are /sys and /proc path components)"
            case UInt8(ascii: ":"): return "contains ':' (reserved for legacy address aliases)"
            // The kernel treats '%d' as a pattern and would pick another name.
            case UInt8(ascii: "%"): return "contains '%'"
            case 0: return "contains a NUL byte"
            // C isspace: space, \t, \n, \v, \f, \r.
            case UInt8(ascii: " "), 0x09...0x0D: return "contains whitespace"
            default: continue
            }
        }
        return nil
    }

    package static func isValid(_ name: String) -> Bool { problem(name) == nil }
}

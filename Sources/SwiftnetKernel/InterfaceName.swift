/// The kernel's own rules for interface names (dev_valid_name), checked before any netlink
/// call so that a bad name from a request fails with a message saying what is wrong with it
/// rather than libnl's generic "Invalid input data or parameter".
enum InterfaceName {
    /// IFNAMSIZ less the terminating NUL.
    static let maximumLength = 15

    static func validate(_ name: String) throws {
        let bytes = Array(name.utf8)
        func refuse(_ reason: String) -> KernelError { .invalidInterfaceName(name, reason: reason) }
        guard !bytes.isEmpty else { throw refuse("empty") }
        guard bytes.count <= maximumLength else {
            throw refuse("\(bytes.count) bytes, at most \(maximumLength) allowed")
        }
        guard name != ".", name != ".." else { throw refuse("reserved") }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "/"):
                throw refuse("contains '/' (names are /sys and /proc path components)")
            case UInt8(ascii: ":"):
                throw refuse("contains ':' (reserved for legacy address aliases)")
            case UInt8(ascii: "%"):
                // The kernel treats '%d' as a pattern and would pick another name.
                throw refuse("contains '%'")
            case 0:
                throw refuse("contains a NUL byte")
            // C isspace: space, \t, \n, \v, \f, \r.
            case UInt8(ascii: " "), 0x09...0x0D:
                throw refuse("contains whitespace")
            default:
                continue
            }
        }
    }
}

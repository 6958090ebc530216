import CNetlink
import Glibc

/// Everything the kernel layer can fail with. Messages name the interface (or sysctl) and
/// carry libnl's own wording, because they end up verbatim in dockerd's error output.
package enum KernelError: Error, CustomStringConvertible, Equatable {
    /// A libnl call failed outside any one interface (socket set-up, dumps).
    case netlink(String, code: Int32)
    /// Refused before reaching the kernel: the kernel would reject it, or (with `%`) silently
    /// create a differently named interface.
    case invalidInterfaceName(String, reason: String)
    /// Kept apart from `interface` so callers can reconcile (adopt or rename) instead of failing.
    case interfaceExists(String, operation: String)
    case interfaceNotFound(String, operation: String)
    /// Enslaving to something that is not a bridge; the kernel would only say EOPNOTSUPP.
    case notABridge(String, kind: String?, operation: String)
    /// Any other libnl failure while acting on an interface.
    case interface(String, operation: String, code: Int32)
    /// The address is on the interface already with another prefix length (IPv6 keys
    /// addresses without their length, so "already there" would be a lie).
    case addressConflict(String, address: String, existingPrefixLength: Int)
    case invalidMTU(String, mtu: Int)
    case invalidMAC(String, mac: [UInt8])
    case invalidPrefixLength(String, address: String, prefixLength: Int)
    case sysctl(path: String, operation: String, errno: Int32)
    case invalidSysctlKey([String], reason: String)
    /// The kernel has no such link type (EOPNOTSUPP from RTM_NEWLINK: `ip` says "Unknown device
    /// type"): not built, and no module to load.
    case unsupportedLinkType(kind: String, operation: String)
    /// An ARP probe that could not be sent or listened for (not: nobody answered).
    case probe(operation: String, reason: String)
    /// The bridge has every port number in use (the kernel answers EXFULL, which libnl only
    /// knows as "Unspecific failure").
    case bridgeFull(String, operation: String)

    package var description: String {
        switch self {
        case .netlink(let call, let code):
            return "\(call) failed: \(KernelError.libnlMessage(code))"
        case .invalidInterfaceName(let name, let reason):
            return "invalid interface name \(KernelError.quoted(name)): \(reason)"
        case .interfaceExists(let name, let operation):
            return "cannot \(operation): interface \(name) already exists; \(KernelError.libnlMessage(-NLE_EXIST))"
        case .interfaceNotFound(let name, let operation):
            return "cannot \(operation): no interface named \(name); \(KernelError.libnlMessage(-NLE_NODEV))"
        case .notABridge(let name, let kind, let operation):
            return "cannot \(operation): \(name) is \(kind.map { "a \($0) link" } ?? "a device"), not a bridge"
        case .interface(_, let operation, let code):
            // Every operation text names the interface already.
            return "cannot \(operation): \(KernelError.libnlMessage(code))"
        case .addressConflict(let name, let address, let existing):
            return "cannot add \(address) to \(name): it is there already as \(address)/\(existing)"
        case .invalidMTU(let name, let mtu):
            return "invalid MTU \(mtu) for \(name): must be \(LinkManager.mtuRange.lowerBound)…\(LinkManager.mtuRange.upperBound)"
        case .invalidMAC(let name, let mac):
            return "invalid MAC address \(KernelError.hex(mac)) for \(name): must be 6 bytes, unicast, not all zero"
        case .invalidPrefixLength(let name, let address, let length):
            return "invalid prefix length \(length) for \(address) on \(name)"
        case .sysctl(let path, let operation, let errno):
            return "cannot \(operation) \(path): \(String(cString: strerror(errno)))"
        case .invalidSysctlKey(let components, let reason):
            return "invalid sysctl key \(components): \(reason)"
        case .probe(let operation, let reason):
            return "cannot \(operation): \(reason)"
        case .bridgeFull(let bridge, let operation):
            return "cannot \(operation): bridge \(bridge) has all \(LinkManager.maximumBridgePorts) ports in use "
                + "(a Linux bridge holds at most \(LinkManager.maximumBridgePorts) ports)"
        case .unsupportedLinkType(let kind, let operation):
            return "cannot \(operation): this kernel has no \(kind) link type (\(KernelLinkType(rawValue: kind)?.kernelSupport ?? "its driver is not built in and not loadable")); the kernel answers \"Unknown device type\" (\(KernelError.libnlMessage(-NLE_OPNOTSUPP)))"
        }
    }

    static func libnlMessage(_ code: Int32) -> String {
        "libnl: \(String(cString: nl_geterror(code))) (error \(abs(code)))"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: ":")
    }

    /// Names that failed validation may hold control characters; show them escaped.
    static func quoted(_ name: String) -> String {
        "\"" + name.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}

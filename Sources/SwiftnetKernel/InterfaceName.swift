import SwiftnetAddress

/// The kernel's own rules for interface names (`LinkName`), checked before any netlink call so
/// that a bad name from a request fails with a message saying what is wrong with it rather
/// than libnl's generic "Invalid input data or parameter".
enum InterfaceName {
    static let maximumLength = LinkName.maximumLength

    static func validate(_ name: String) throws {
        if let reason = LinkName.problem(name) { throw KernelError.invalidInterfaceName(name, reason: reason) }
    }
}

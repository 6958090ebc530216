/// A route of the host: a destination prefix and the interface it leaves by.
package struct HostRoute: Sendable, Equatable, CustomStringConvertible {
    package var prefix: IPPrefix
    /// Interface name, for error messages.
    package var device: String

    package init(prefix: IPPrefix, device: String) {
        self.prefix = prefix
        self.device = device
    }

    package var description: String { device.isEmpty ? "\(prefix)" : "\(prefix) dev \(device)" }
}

import Foundation

/// Why rules were not rendered or not applied. Input errors are raised before anything is
/// run, so a refused state never reaches the kernel; command errors carry the tool's stderr.
package enum FirewallError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidPrefix(String)
    case invalidBridge(String)
    case duplicateBridge(String)
    case invalidSubnet(bridge: String, subnet: String)
    case invalidProtocol(String)
    case invalidPort(Int)
    case unknownBridge(String)
    case familyMismatch(String)
    case containerOutsideNetwork(String)
    case portConflict(String, String)
    case toolMissing(String)
    case launchFailed(command: String, reason: String)
    case commandFailed(command: String, status: Int32, stderr: String)
    case timedOut(command: String, seconds: Int)

    package var description: String {
        switch self {
        case .invalidPrefix(let prefix):
            return "chain prefix '\(prefix)' is not 1 to 16 letters, digits, '_' or '-' starting with a letter or digit, or starts with DOCKER"
        case .invalidBridge(let name):
            return "bridge name '\(name)' is not 1 to 15 letters, digits, '_', '.' or '-' starting with a letter or digit, or is one of Docker's (docker0, br-*)"
        case .duplicateBridge(let name):
            return "bridge '\(name)' belongs to two networks"
        case .invalidSubnet(let bridge, let subnet):
            return "subnet \(subnet) of bridge '\(bridge)' has length 0 (it would match every address)"
        case .invalidProtocol(let proto):
            return "protocol '\(proto)' cannot be published (tcp, udp and sctp can)"
        case .invalidPort(let port):
            return "port \(port) is not in 1…65535"
        case .unknownBridge(let name):
            return "a port binding names bridge '\(name)', which is not among the networks"
        case .familyMismatch(let binding):
            return "binding \(binding) mixes an IPv4 and an IPv6 address"
        case .containerOutsideNetwork(let binding):
            return "binding \(binding): the container address is in none of its network's subnets"
        case .portConflict(let first, let second):
            return "bindings \(first) and \(second) claim the same host port"
        case .toolMissing(let name):
            return "\(name) was not found in /usr/sbin or /sbin"
        case .launchFailed(let command, let reason):
            return "could not run \(command): \(reason)"
        case .commandFailed(let command, let status, let stderr):
            let message = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(command) exited with status \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .timedOut(let command, let seconds):
            return "\(command) did not finish within \(seconds) s and was killed"
        }
    }
}

/// Requests the network driver refuses, with what to do about them.
package enum NetworkModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidID(kind: String, id: String)
    case invalidOption(key: String, value: String, expected: String)
    case invalidAddress(field: String, value: String)
    case invalidPortBinding(String)
    /// An `IPv4Data`/`IPv6Data` entry of CreateNetwork no bridge can use.
    case invalidIPAMData(String)

    package var description: String {
        switch self {
        case .invalidID(let kind, let id):
            return "invalid \(kind) id '\(id.prefix(80))': expected lowercase hex as dockerd generates (it names kernel interfaces)"
        case .invalidOption(let key, let value, let expected):
            return "invalid option \(key)=\(value): expected \(expected)"
        case .invalidAddress(let field, let value):
            return "invalid \(field) '\(value)': expected an address with its prefix length, e.g. 172.18.0.2/16"
        case .invalidPortBinding(let why):
            return "invalid port binding: \(why)"
        case .invalidIPAMData(let why):
            return "invalid IPAM data: \(why)"
        }
    }
}

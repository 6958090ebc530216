import SwiftnetAddress
import SwiftnetJSON
import SwiftnetLANModel

/// What a network is asked to be, read from `CreateNetwork.Options` (shared/docs/protocol.md §2.4):
/// top-level booleans set by dockerd, and `-o key=value` strings under `com.docker.network.generic`.
package struct NetworkOptions: Sendable, Equatable {
    package static let genericKey = "com.docker.network.generic"
    package static let bridgeNameKey = "com.docker.network.bridge.name"
    package static let mtuKey = "com.docker.network.driver.mtu"
    package static let iccKey = "com.docker.network.bridge.enable_icc"
    package static let masqueradeKey = "com.docker.network.bridge.enable_ip_masquerade"
    package static let hostBindingKey = "com.docker.network.bridge.host_binding_ipv4"
    package static let interfacePrefixKey = "com.docker.network.container_iface_prefix"
    package static let internalKey = "com.docker.network.internal"
    package static let ipv6Key = "com.docker.network.enable_ipv6"
    package static let ipv4Key = "com.docker.network.enable_ipv4"
    /// `-o swiftnet.network=NAME`: the logical multi-host network this one is on this host;
    /// implies `swiftnet.mode=overlay`.
    package static let multiHostNetworkKey = "swiftnet.network"
    /// The VNI the overlay mode recorded for the network (from etcd), so that start-up can
    /// rebuild its VXLAN device while etcd is down.
    package static let vniKey = "swiftnet.vni"

    /// `swiftnet.mode`: which kind of network the driver makes (bridge when absent).
    package var mode = DriverMode.default
    package var bridgeName: String?
    package var mtu: Int?
    package var interContainer = true
    package var masquerade = true
    /// Default host address of published ports (`-p PORT:PORT` without an address).
    package var hostBindingIPv4: IPAddress?
    package var containerInterfacePrefix = "eth"
    package var isInternal = false
    package var ipv6 = false
    /// The `-o` options as given, kept for inspection.
    package var generic: [String: String] = [:]

    package init() {}

    package init(json options: JSONObject?) throws(NetworkModelError) {
        guard let options else { return }
        isInternal = try NetworkOptions.flag(options[NetworkOptions.internalKey], key: NetworkOptions.internalKey) ?? false
        ipv6 = try NetworkOptions.flag(options[NetworkOptions.ipv6Key], key: NetworkOptions.ipv6Key) ?? false
        // Docker 28+ sends it; the subnets dockerd passes already say which families there are.
        _ = try NetworkOptions.flag(options[NetworkOptions.ipv4Key], key: NetworkOptions.ipv4Key)
        switch options[NetworkOptions.genericKey] {
        case nil, .null?:
            break
        case .object(let object)?:
            for member in object.members {
                switch member.value {
                case .string(let text): generic[member.key] = text
                case .bool(let flag): generic[member.key] = flag ? "true" : "false"
                // Only integers a Go int64 holds: 1e19 or 0.5 are no option value anyone meant.
                case .number(let number):
                    guard let integer = Int64(exactly: number) else {
                        throw .invalidOption(key: member.key, value: "\(number)", expected: "a string or an integer")
                    }
                    generic[member.key] = String(integer)
                default:
                    throw .invalidOption(key: member.key, value: member.value.kind, expected: "a string")
                }
            }
        case let other?:
            throw .invalidOption(key: NetworkOptions.genericKey, value: other.kind, expected: "an object of -o options")
        }
        if let text = generic[DriverMode.key] {
            guard let mode = DriverMode(rawValue: text) else {
                let known = DriverMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidOption(key: DriverMode.key, value: text, expected: "one of the modes of this version: \(known)")
            }
            self.mode = mode
        } else if generic[NetworkOptions.multiHostNetworkKey] != nil {
            mode = .overlay
        }
        // Refused, not ignored, as every option of another mode: it would quietly make a local network.
        if let name = generic[NetworkOptions.multiHostNetworkKey], mode != .overlay {
            throw .invalidOption(key: NetworkOptions.multiHostNetworkKey, value: name,
                                 expected: "no value with \(DriverMode.key)=\(mode.rawValue): it names a multi-host network (\(DriverMode.key)=overlay)")
        }
        if let name = generic[NetworkOptions.bridgeNameKey] {
            try InterfaceNames.checkUserBridgeName(name)
            bridgeName = name
        }
        if let text = generic[NetworkOptions.mtuKey] {
            guard let value = Int(text), (68...65535).contains(value) else {
                throw .invalidOption(key: NetworkOptions.mtuKey, value: text, expected: "an MTU from 68 to 65535")
            }
            mtu = value
        }
        if let text = generic[NetworkOptions.iccKey] {
            interContainer = try NetworkOptions.flag(text, key: NetworkOptions.iccKey)
        }
        if let text = generic[NetworkOptions.masqueradeKey] {
            masquerade = try NetworkOptions.flag(text, key: NetworkOptions.masqueradeKey)
        }
        if let text = generic[NetworkOptions.hostBindingKey] {
            guard let address = IPAddress(text), address.family == .v4 else {
                throw .invalidOption(key: NetworkOptions.hostBindingKey, value: text, expected: "an IPv4 address")
            }
            hostBindingIPv4 = address.value == 0 ? nil : address
        }
        if let text = generic[NetworkOptions.interfacePrefixKey] {
            let valid = (1...12).contains(text.utf8.count) && text.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
            }
            guard valid else {
                throw .invalidOption(key: NetworkOptions.interfacePrefixKey, value: text, expected: "1 to 12 lowercase letters or digits")
            }
            containerInterfacePrefix = text
        }
    }

    /// The logical multi-host network's name (`-o swiftnet.network`), if any.
    package var multiHostNetwork: String? { generic[NetworkOptions.multiHostNetworkKey] }

    /// Go's `strconv.ParseBool` spellings, or a JSON boolean.
    static func flag(_ value: JSONValue?, key: String) throws(NetworkModelError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case .string(let text)?: return try flag(text, key: key)
        case let other?:
            throw .invalidOption(key: key, value: other.kind, expected: "true or false")
        }
    }

    static func flag(_ text: String, key: String) throws(NetworkModelError) -> Bool {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: throw .invalidOption(key: key, value: text, expected: "true or false")
        }
    }
}

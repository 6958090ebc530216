/// Kernel names of a network's objects, derived from dockerd's ids: bridge `swn-<10 hex>`,
/// host veth `swv<11 hex>`, container veth `swc<11 hex>` (IFNAMSIZ allows 15 bytes). Only
/// lowercase hex ids are accepted, so no request can make a name that means something else
/// to the kernel or to iptables.
package enum InterfaceNames {
    package static let bridgePrefix = "swn-"
    package static let hostVethPrefix = "swv"
    package static let containerVethPrefix = "swc"

    package static func bridge(networkID: String) throws(NetworkModelError) -> String {
        try checkID(networkID, kind: "network", length: 10)
        return bridgePrefix + networkID.prefix(10)
    }

    package static func veths(endpointID: String) throws(NetworkModelError) -> (host: String, container: String) {
        try checkID(endpointID, kind: "endpoint", length: 11)
        let suffix = endpointID.prefix(11)
        return (hostVethPrefix + suffix, containerVethPrefix + suffix)
    }

    /// Whether `name` has the shape of a host veth swiftnet makes (`swv` + 11 hex).
    package static func isHostVeth(_ name: String) -> Bool {
        name.hasPrefix(hostVethPrefix) && name.utf8.count == hostVethPrefix.utf8.count + 11
            && (try? checkID(String(name.dropFirst(hostVethPrefix.count)), kind: "veth", length: 11)) != nil
    }

    /// dockerd's ids are 64 lowercase hex characters; anything at least `length` long of the same alphabet is taken.
    static func checkID(_ id: String, kind: String, length: Int) throws(NetworkModelError) {
        guard id.utf8.count >= length, id.utf8.count <= 128,
              id.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) })
        else {
            throw .invalidID(kind: kind, id: id)
        }
    }

    /// A user-chosen name (`com.docker.network.bridge.name`): what the kernel accepts and
    /// iptables can match literally (no `+` wildcard, no `!`).
    package static func checkUserBridgeName(_ name: String) throws(NetworkModelError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        let first = name.utf8.first ?? 0
        let startsWell = (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) || (first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z"))
            || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        guard (1...15).contains(name.utf8.count), allowed, startsWell else {
            throw .invalidOption(key: NetworkOptions.bridgeNameKey, value: name,
                                 expected: "an interface name of 1 to 15 letters, digits, '-', '_' or '.', starting with a letter or digit")
        }
        // Docker's own bridges: its firewall rules match them by name.
        guard name != "docker0", !name.hasPrefix("br-") else {
            throw .invalidOption(key: NetworkOptions.bridgeNameKey, value: name, expected: "a name Docker does not use for its own bridges (docker0, br-*)")
        }
        guard !name.hasPrefix(hostVethPrefix), !name.hasPrefix(containerVethPrefix) else {
            throw .invalidOption(key: NetworkOptions.bridgeNameKey, value: name,
                                 expected: "a name not starting with swv or swc (swiftnet's endpoint names)")
        }
    }
}

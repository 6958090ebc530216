/// Requests a macvlan or ipvlan network refuses, each saying what is wrong and what to do.
package enum LANModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An option with a value its key does not take.
    case invalidOption(key: String, value: String, expected: String)
    /// An option of another mode (`parent` on a bridge network, `ipvlan_mode` on macvlan).
    case optionOfAnotherMode(key: String, mode: DriverMode, appliesTo: [DriverMode])
    case invalidParentName(String, reason: String)
    /// `eth0.50` that is not `NAME.VID` with VID 1…4094.
    case invalidVLANSubinterface(String, reason: String)
    case parentMissing(String)
    /// The parent is taken in a way this network cannot share; the text says by whom and why.
    case parentInUse(parent: String, reason: String)
    case macAddressOnIPvlan
    case hostShimUnsupported(reason: String)
    /// A passthru network has its one child already.
    case passthruChildExists(parent: String)

    package var description: String {
        switch self {
        case .invalidOption(let key, let value, let expected):
            return "invalid option \(key)=\(value): expected \(expected)"
        case .optionOfAnotherMode(let key, let mode, let modes):
            let names = modes.map { "\(DriverMode.key)=\($0.rawValue)" }.joined(separator: " or ")
            return "option \(key) applies to \(names); this network is \(DriverMode.key)=\(mode.rawValue)"
        case .invalidParentName(let name, let reason):
            return "invalid parent link name \(LANModelError.quoted(name)): \(reason)"
        case .invalidVLANSubinterface(let name, let reason):
            // Docker's own words first, so searches for its message find this one too.
            return "invalid subinterface vlan name \(LANModelError.quoted(name)), example formatting is eth0.10: \(reason)"
        case .parentMissing(let name):
            return "parent link \(name) does not exist on this host (a missing NAME.VID parent is created as an 802.1q sub-interface of NAME, which must exist)"
        case .parentInUse(let parent, let reason):
            return "cannot use parent link \(parent): \(reason)"
        case .macAddressOnIPvlan:
            return "ipvlan interfaces do not support custom mac address assignment: ipvlan children share their parent's MAC address; remove --mac-address or use swiftnet.mode=macvlan"
        case .hostShimUnsupported(let reason):
            return "swiftnet.host_shim=true is not possible here: \(reason)"
        case .passthruChildExists(let parent):
            return "macvlan passthru mode allows one interface on parent \(parent), and it has one already: use macvlan_mode=bridge for several containers"
        }
    }

    /// Names from a request may hold control characters; show them escaped.
    static func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}

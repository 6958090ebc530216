/// The `-o` options of a swiftnet network that choose its mode and, for macvlan and ipvlan,
/// how it sits on the LAN — with the names and defaults of Docker's own macvlan and ipvlan
/// drivers, so a compose file ports by changing only `driver:`.
package struct LANNetworkOptions: Sendable, Equatable {
    package static let parentKey = "parent"
    package static let macvlanModeKey = "macvlan_mode"
    package static let ipvlanModeKey = "ipvlan_mode"
    package static let ipvlanFlagKey = "ipvlan_flag"
    package static let hostShimKey = "swiftnet.host_shim"

    package var mode: DriverMode = .default
    /// nil: no `parent` (or an empty one). Docker's drivers then make an internal network on a
    /// dummy link of their own.
    package var parent: ParentLink?
    /// The children's kind; nil in bridge mode.
    package var childKind: LANLinkKind?
    package var hostShim = false

    package init() {}

    /// `generic`: the `-o` options as strings (NetworkOptions.generic). Options of another mode
    /// are refused rather than ignored: `-o parent=eth0` without `swiftnet.mode=macvlan` would
    /// otherwise quietly make a bridge.
    package init(generic: [String: String]) throws(LANModelError) {
        if let text = generic[DriverMode.key] {
            guard let mode = DriverMode(rawValue: text) else {
                throw .invalidOption(key: DriverMode.key, value: text,
                                     expected: DriverMode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.mode = mode
        }
        let lanModes: [DriverMode] = [.macvlan, .ipvlan]
        func refuseUnless(_ key: String, in modes: [DriverMode]) throws(LANModelError) {
            if generic[key] != nil, !modes.contains(mode) {
                throw .optionOfAnotherMode(key: key, mode: mode, appliesTo: modes)
            }
        }
        try refuseUnless(LANNetworkOptions.parentKey, in: lanModes)
        try refuseUnless(LANNetworkOptions.hostShimKey, in: lanModes)
        try refuseUnless(LANNetworkOptions.macvlanModeKey, in: [.macvlan])
        try refuseUnless(LANNetworkOptions.ipvlanModeKey, in: [.ipvlan])
        try refuseUnless(LANNetworkOptions.ipvlanFlagKey, in: [.ipvlan])

        switch mode {
        case .bridge, .overlay:
            return
        case .macvlan:
            let value = try LANNetworkOptions.choice(generic, LANNetworkOptions.macvlanModeKey, default: MacvlanMode.bridge,
                                                     driver: "macvlan")
            childKind = .macvlan(value)
        case .ipvlan:
            let value = try LANNetworkOptions.choice(generic, LANNetworkOptions.ipvlanModeKey, default: IPvlanMode.l2,
                                                     driver: "ipvlan")
            let flag = try LANNetworkOptions.choice(generic, LANNetworkOptions.ipvlanFlagKey, default: IPvlanFlag.bridge,
                                                    driver: "ipvlan")
            childKind = .ipvlan(value, flag)
        }
        if let name = generic[LANNetworkOptions.parentKey], !name.isEmpty {
            parent = try ParentLink(name)
        }
        if let text = generic[LANNetworkOptions.hostShimKey] {
            hostShim = try LANNetworkOptions.flag(text, key: LANNetworkOptions.hostShimKey)
        }
        if hostShim { try HostShimPlan.checkPossible(childKind: childKind, parent: parent) }
    }

    /// An empty value is the default, as in Docker's drivers.
    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ generic: [String: String], _ key: String, default fallback: Choice, driver: String
    ) throws(LANModelError) -> Choice where Choice.RawValue == String {
        guard let text = generic[key], !text.isEmpty else { return fallback }
        guard let value = Choice(rawValue: text) else {
            let all = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalidOption(key: key, value: text,
                                 expected: "one of \(all) ('\(fallback.rawValue)' is the \(driver) default)")
        }
        return value
    }

    /// Go's `strconv.ParseBool` spellings, as every other swiftnet flag.
    static func flag(_ text: String, key: String) throws(LANModelError) -> Bool {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: throw .invalidOption(key: key, value: text, expected: "true or false")
        }
    }
}

import SwiftnetJSON

/// The fields `ls --format` and `inspect --format` print of a network.
extension NetworkView {
    package static let templateFields = [
        "ID", "ShortID", "Bridge", "State", "Mode", "Internal", "IPv6", "MTU", "Options", "Subnets", "Gateways",
        "Endpoints", "Capacity",
    ]

    /// `{{json .}}` is `whole` (the network's JSON for `ls`, the inspect object for `inspect`).
    package func templateItem(whole: JSONValue? = nil) -> TemplateItem {
        TemplateItem(fields: [
            "ID": .string(id), "ShortID": .string(shortID), "Bridge": .string(bridge), "State": .string(state),
            "Mode": .string(mode), "Internal": .bool(isInternal), "IPv6": .bool(ipv6), "MTU": .integer(mtu),
            "Options": TemplateItem.Value(
                text: options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                json: .object(JSONObject(options.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) }))),
            "Subnets": .list(subnets.map(\.prefix)), "Gateways": .list(subnets.compactMap(\.gateway)),
            "Endpoints": .integer(endpointCount), "Capacity": .string(capacity),
        ], json: whole ?? json)
    }
}

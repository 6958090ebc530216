import SwiftnetJSON

/// The fields `pools --format` prints of a pool.
extension PoolView {
    package static let templateFields = [
        "ID", "AddressSpace", "Prefix", "SubPool", "Allocated", "Capacity", "Utilisation", "Network",
    ]

    package var templateItem: TemplateItem {
        let json = self.json
        var utilisation = TemplateItem.Value(text: "", json: .null)
        if case .object(let object) = json, let value = object["utilisation"] {
            utilisation = TemplateItem.Value(text: value.serializedString, json: value)
        }
        return TemplateItem(fields: [
            "ID": .string(id), "AddressSpace": .string(addressSpace), "Prefix": .string(prefix), "SubPool": .string(subPool),
            "Allocated": .integer(allocated), "Capacity": .string(capacity), "Utilisation": utilisation,
            "Network": .string(networkID),
        ], json: json)
    }
}

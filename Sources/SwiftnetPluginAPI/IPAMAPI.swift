import SwiftnetJSON

/// The `IpamDriver.*` messages (libnetwork ipams/remote/api). A missing key or `null` reads as
/// Go's zero value, so every body dockerd ever sent decodes.
package enum IPAMAPI {
    package struct CapabilitiesResponse: Sendable, Equatable {
        package var requiresMACAddress: Bool
        package var requiresRequestReplay: Bool
        package init(requiresMACAddress: Bool, requiresRequestReplay: Bool) {
            self.requiresMACAddress = requiresMACAddress
            self.requiresRequestReplay = requiresRequestReplay
        }
        package var json: JSONValue {
            .object(["RequiresMACAddress": .bool(requiresMACAddress), "RequiresRequestReplay": .bool(requiresRequestReplay)])
        }
    }

    package struct AddressSpacesResponse: Sendable, Equatable {
        package var local: String
        package var global: String
        package init(local: String, global: String) {
            self.local = local
            self.global = global
        }
        package var json: JSONValue {
            .object(["GlobalDefaultAddressSpace": .string(global), "LocalDefaultAddressSpace": .string(local)])
        }
    }

    package struct RequestPoolRequest: PluginRequest, Equatable {
        package var addressSpace: String
        package var pool: String
        package var subPool: String
        package var options: [String: String]
        package var v6: Bool

        package init(json: JSONObject) throws(JSONError) {
            addressSpace = try json.string("AddressSpace")
            pool = try json.string("Pool")
            subPool = try json.string("SubPool")
            options = try json.stringMap("Options")
            v6 = try json.bool("V6")
        }
    }

    package struct RequestPoolResponse: Sendable, Equatable {
        package var poolID: String
        package var pool: String
        package var data: [String: String]
        package init(poolID: String, pool: String, data: [String: String] = [:]) {
            self.poolID = poolID
            self.pool = pool
            self.data = data
        }
        package var json: JSONValue {
            .object(["Data": .object(JSONObject(data.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })),
                     "Pool": .string(pool), "PoolID": .string(poolID)])
        }
    }

    package struct ReleasePoolRequest: PluginRequest, Equatable {
        package var poolID: String
        package init(json: JSONObject) throws(JSONError) {
            poolID = try json.string("PoolID")
        }
    }

    package struct RequestAddressRequest: PluginRequest, Equatable {
        package var poolID: String
        package var address: String
        package var options: [String: String]
        package init(json: JSONObject) throws(JSONError) {
            poolID = try json.string("PoolID")
            address = try json.string("Address")
            options = try json.stringMap("Options")
        }
    }

    package struct RequestAddressResponse: Sendable, Equatable {
        package var address: String
        package init(address: String) { self.address = address }
        package var json: JSONValue { .object(["Address": .string(address), "Data": .object([:])]) }
    }

    package struct ReleaseAddressRequest: PluginRequest, Equatable {
        package var poolID: String
        package var address: String
        package init(json: JSONObject) throws(JSONError) {
            poolID = try json.string("PoolID")
            address = try json.string("Address")
        }
    }
}

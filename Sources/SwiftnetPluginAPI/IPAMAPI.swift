import SwiftnetJSON

/// The `IpamDriver.*` messages (libnetwork ipams/remote/api). A missing key or `null` reads as
/// Go's zero value, so every body dockerd ever sent decodes.
public enum IPAMAPI {
    public struct CapabilitiesResponse: Sendable, Equatable {
        public var requiresMACAddress: Bool
        public var requiresRequestReplay: Bool
        public init(requiresMACAddress: Bool, requiresRequestReplay: Bool) {
            self.requiresMACAddress = requiresMACAddress
            self.requiresRequestReplay = requiresRequestReplay
        }
        public var json: JSONValue {
            .object(["RequiresMACAddress": .bool(requiresMACAddress), "RequiresRequestReplay": .bool(requiresRequestReplay)])
        }
    }

    public struct AddressSpacesResponse: Sendable, Equatable {
        public var local: String
        public var global: String
        public init(local: String, global: String) {
            self.local = local
            self.global = global
        }
        public var json: JSONValue {
            .object(["GlobalDefaultAddressSpace": .string(global), "LocalDefaultAddressSpace": .string(local)])
        }
    }

    public struct RequestPoolRequest: PluginRequest, Equatable {
        public var addressSpace: String
        public var pool: String
        public var subPool: String
        public var options: [String: String]
        public var v6: Bool

        public init(json: JSONObject) throws(JSONError) {
            addressSpace = try json.string("AddressSpace")
            pool = try json.string("Pool")
            subPool = try json.string("SubPool")
            options = try json.stringMap("Options")
            v6 = try json.bool("V6")
        }
    }

    public struct RequestPoolResponse: Sendable, Equatable {
        public var poolID: String
        public var pool: String
        public var data: [String: String]
        public init(poolID: String, pool: String, data: [String: String] = [:]) {
            self.poolID = poolID
            self.pool = pool
            self.data = data
        }
        public var json: JSONValue {
            .object(["Data": .object(JSONObject(data.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })),
                     "Pool": .string(pool), "PoolID": .string(poolID)])
        }
    }

    public struct ReleasePoolRequest: PluginRequest, Equatable {
        public var poolID: String
        public init(json: JSONObject) throws(JSONError) {
            poolID = try json.string("PoolID")
        }
    }

    public struct RequestAddressRequest: PluginRequest, Equatable {
        public var poolID: String
        public var address: String
        public var options: [String: String]
        public init(json: JSONObject) throws(JSONError) {
            poolID = try json.string("PoolID")
            address = try json.string("Address")
            options = try json.stringMap("Options")
        }
    }

    public struct RequestAddressResponse: Sendable, Equatable {
        public var address: String
        public init(address: String) { self.address = address }
        public var json: JSONValue { .object(["Address": .string(address), "Data": .object([:])]) }
    }

    public struct ReleaseAddressRequest: PluginRequest, Equatable {
        public var poolID: String
        public var address: String
        public init(json: JSONObject) throws(JSONError) {
            poolID = try json.string("PoolID")
            address = try json.string("Address")
        }
    }
}

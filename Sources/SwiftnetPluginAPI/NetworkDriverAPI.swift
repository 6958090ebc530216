import SwiftnetJSON

/// The `NetworkDriver.*` messages (libnetwork drivers/remote/api, shared/docs/protocol.md §2). Options
/// maps are Go's `map[string]any`, kept as JSON objects for the driver to read.
public enum NetworkDriverAPI {
    public struct CapabilitiesResponse: Sendable, Equatable {
        public var scope: String
        public var connectivityScope: String
        public init(scope: String, connectivityScope: String) {
            self.scope = scope
            self.connectivityScope = connectivityScope
        }
        public var json: JSONValue {
            .object(["ConnectivityScope": .string(connectivityScope), "Scope": .string(scope)])
        }
    }

    /// One element of `IPv4Data`/`IPv6Data`: `Gateway` and aux addresses arrive as CIDRs.
    public struct IPAMData: Sendable, Equatable {
        public var addressSpace: String
        public var pool: String
        public var gateway: String
        public var auxAddresses: [String: String]

        init(json: JSONValue, path: String) throws(JSONError) {
            guard case .object(let object) = json else { throw .shape(path: path, expected: "an object", found: json.kind) }
            addressSpace = try object.string("AddressSpace", path: path + ".")
            pool = try object.string("Pool", path: path + ".")
            gateway = try object.string("Gateway", path: path + ".")
            auxAddresses = try object.stringMap("AuxAddresses", path: path + ".")
        }
    }

    public struct CreateNetworkRequest: PluginRequest, Equatable {
        public var networkID: String
        public var options: JSONObject?
        public var ipv4Data: [IPAMData]
        public var ipv6Data: [IPAMData]

        public init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
            options = try json.object("Options")
            ipv4Data = try (json.array("IPv4Data") ?? []).enumerated().map { (item) throws(JSONError) in
                try IPAMData(json: item.element, path: "IPv4Data[\(item.offset)]")
            }
            ipv6Data = try (json.array("IPv6Data") ?? []).enumerated().map { (item) throws(JSONError) in
                try IPAMData(json: item.element, path: "IPv6Data[\(item.offset)]")
            }
        }
    }

    /// `DeleteNetwork`, `FreeNetwork`: `{"NetworkID"}`.
    public struct NetworkRequest: PluginRequest, Equatable {
        public var networkID: String
        public init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
        }
    }

    /// `Leave`, `DeleteEndpoint`, `EndpointOperInfo`, `RevokeExternalConnectivity`: `{"NetworkID","EndpointID"}`;
    /// `ProgramExternalConnectivity` adds `Options`.
    public struct EndpointRequest: PluginRequest, Equatable {
        public var networkID: String
        public var endpointID: String
        public var options: JSONObject?
        public init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
            endpointID = try json.string("EndpointID")
            options = try json.object("Options")
        }
    }

    public struct CreateEndpointRequest: PluginRequest, Equatable {
        public var networkID: String
        public var endpointID: String
        /// CIDRs and MAC text; "" when unknown.
        public var address: String
        public var addressIPv6: String
        public var macAddress: String
        public var options: JSONObject?

        public init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
            endpointID = try json.string("EndpointID")
            let interface = try json.object("Interface") ?? JSONObject()
            address = try interface.string("Address", path: "Interface.")
            addressIPv6 = try interface.string("AddressIPv6", path: "Interface.")
            macAddress = try interface.string("MacAddress", path: "Interface.")
            options = try json.object("Options")
        }
    }

    /// Only a MAC when dockerd gave none: it refuses changes to what it sent (shared/docs/protocol.md §2.6).
    public struct CreateEndpointResponse: Sendable, Equatable {
        public var macAddress: String?
        public init(macAddress: String?) { self.macAddress = macAddress }
        public var json: JSONValue {
            guard let macAddress else { return .object(["Interface": .null]) }
            return .object(["Interface": .object(["MacAddress": .string(macAddress)])])
        }
    }

    public struct JoinRequest: PluginRequest, Equatable {
        public var networkID: String
        public var endpointID: String
        public var sandboxKey: String
        public var options: JSONObject?
        public init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
            endpointID = try json.string("EndpointID")
            sandboxKey = try json.string("SandboxKey")
            options = try json.object("Options")
        }
    }

    public struct JoinResponse: Sendable, Equatable {
        public var sourceName: String
        public var destinationPrefix: String
        /// Plain addresses (not CIDRs); "" for none.
        public var gateway: String
        public var gatewayIPv6: String

        public init(sourceName: String, destinationPrefix: String, gateway: String, gatewayIPv6: String) {
            self.sourceName = sourceName
            self.destinationPrefix = destinationPrefix
            self.gateway = gateway
            self.gatewayIPv6 = gatewayIPv6
        }

        public var json: JSONValue {
            .object(["DisableGatewayService": .bool(false), "Gateway": .string(gateway), "GatewayIPv6": .string(gatewayIPv6),
                     "InterfaceName": .object(["DstPrefix": .string(destinationPrefix), "SrcName": .string(sourceName)])])
        }
    }
}

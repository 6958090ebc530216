import SwiftnetJSON

/// The `NetworkDriver.*` messages (libnetwork drivers/remote/api, shared/docs/protocol.md §2). Options
/// maps are Go's `map[string]any`, kept as JSON objects for the driver to read.
package enum NetworkDriverAPI {
    package struct CapabilitiesResponse: Sendable, Equatable {
        package var scope: String
        package var connectivityScope: String
        /// `GwAllocChecker` (Docker ≥ 28): dockerd asks `GwAllocCheck` before allocating gateways.
        package var gatewayAllocationCheck: Bool
        package init(scope: String, connectivityScope: String, gatewayAllocationCheck: Bool = false) {
            self.scope = scope
            self.connectivityScope = connectivityScope
            self.gatewayAllocationCheck = gatewayAllocationCheck
        }
        package var json: JSONValue {
            var object: JSONObject = ["ConnectivityScope": .string(connectivityScope)]
            if gatewayAllocationCheck { object["GwAllocChecker"] = .bool(true) }
            object["Scope"] = .string(scope)
            return .object(object)
        }
    }

    /// `GwAllocCheck` (Docker ≥ 28, protocol.md §2.3): `{"Options": CreateNetwork's options}`.
    package struct GatewayAllocationCheckRequest: PluginRequest, Equatable {
        package var options: JSONObject?
        package init(json: JSONObject) throws(JSONError) {
            options = try json.object("Options")
        }
    }

    /// Families for which dockerd must not ask the IPAM for a gateway (unless `--gateway` gave one).
    package struct GatewayAllocationCheckResponse: Sendable, Equatable {
        package var skipIPv4: Bool
        package var skipIPv6: Bool
        package init(skipIPv4: Bool, skipIPv6: Bool) {
            self.skipIPv4 = skipIPv4
            self.skipIPv6 = skipIPv6
        }
        package var json: JSONValue { .object(["SkipIPv4": .bool(skipIPv4), "SkipIPv6": .bool(skipIPv6)]) }
    }

    /// One element of `IPv4Data`/`IPv6Data`: `Gateway` and aux addresses arrive as CIDRs.
    package struct IPAMData: Sendable, Equatable {
        package var addressSpace: String
        package var pool: String
        package var gateway: String
        package var auxAddresses: [String: String]

        init(json: JSONValue, path: String) throws(JSONError) {
            guard case .object(let object) = json else { throw .shape(path: path, expected: "an object", found: json.kind) }
            addressSpace = try object.string("AddressSpace", path: path + ".")
            pool = try object.string("Pool", path: path + ".")
            gateway = try object.string("Gateway", path: path + ".")
            auxAddresses = try object.stringMap("AuxAddresses", path: path + ".")
        }
    }

    package struct CreateNetworkRequest: PluginRequest, Equatable {
        package var networkID: String
        package var options: JSONObject?
        package var ipv4Data: [IPAMData]
        package var ipv6Data: [IPAMData]

        package init(json: JSONObject) throws(JSONError) {
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
    package struct NetworkRequest: PluginRequest, Equatable {
        package var networkID: String
        package init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
        }
    }

    /// `Leave`, `DeleteEndpoint`, `EndpointOperInfo`, `RevokeExternalConnectivity`: `{"NetworkID","EndpointID"}`;
    /// `ProgramExternalConnectivity` adds `Options`.
    package struct EndpointRequest: PluginRequest, Equatable {
        package var networkID: String
        package var endpointID: String
        package var options: JSONObject?
        package init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
            endpointID = try json.string("EndpointID")
            options = try json.object("Options")
        }
    }

    package struct CreateEndpointRequest: PluginRequest, Equatable {
        package var networkID: String
        package var endpointID: String
        /// CIDRs and MAC text; "" when unknown.
        package var address: String
        package var addressIPv6: String
        package var macAddress: String
        package var options: JSONObject?

        package init(json: JSONObject) throws(JSONError) {
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
    package struct CreateEndpointResponse: Sendable, Equatable {
        package var macAddress: String?
        package init(macAddress: String?) { self.macAddress = macAddress }
        package var json: JSONValue {
            guard let macAddress else { return .object(["Interface": .null]) }
            return .object(["Interface": .object(["MacAddress": .string(macAddress)])])
        }
    }

    package struct JoinRequest: PluginRequest, Equatable {
        package var networkID: String
        package var endpointID: String
        package var sandboxKey: String
        package var options: JSONObject?
        package init(json: JSONObject) throws(JSONError) {
            networkID = try json.string("NetworkID")
            endpointID = try json.string("EndpointID")
            sandboxKey = try json.string("SandboxKey")
            options = try json.object("Options")
        }
    }

    package struct JoinResponse: Sendable, Equatable {
        package var sourceName: String
        package var destinationPrefix: String
        /// Plain addresses (not CIDRs); "" for none.
        package var gateway: String
        package var gatewayIPv6: String
        /// Destinations (CIDRs) routed through the interface with no next hop (RouteType 1,
        /// "connected"); absent from the answer when empty.
        package var connectedRoutes: [String]
        package var disableGatewayService: Bool

        package init(sourceName: String, destinationPrefix: String, gateway: String, gatewayIPv6: String,
                     connectedRoutes: [String] = [], disableGatewayService: Bool = false) {
            self.sourceName = sourceName
            self.destinationPrefix = destinationPrefix
            self.gateway = gateway
            self.gatewayIPv6 = gatewayIPv6
            self.connectedRoutes = connectedRoutes
            self.disableGatewayService = disableGatewayService
        }

        package var json: JSONValue {
            var object: JSONObject = [
                "DisableGatewayService": .bool(disableGatewayService), "Gateway": .string(gateway), "GatewayIPv6": .string(gatewayIPv6),
                "InterfaceName": .object(["DstPrefix": .string(destinationPrefix), "SrcName": .string(sourceName)]),
            ]
            if !connectedRoutes.isEmpty {
                object["StaticRoutes"] = .array(connectedRoutes.map { .object(["Destination": .string($0), "RouteType": .number(1), "NextHop": .string("")]) })
            }
            return .object(object)
        }
    }
}

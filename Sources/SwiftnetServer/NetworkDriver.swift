import Logging
import SwiftnetAddress
import SwiftnetBridge
import SwiftnetJSON
import SwiftnetLANModel
import SwiftnetNetworkModel
import SwiftnetOverlay
import SwiftnetPluginAPI

/// The `NetworkDriver.*` calls: decode, hand to the driver, encode. Deletes, leaves
/// and revokes of unknown ids answer `{}` (dockerd repeats them after failures and restarts).
struct NetworkDriver: Sendable {
    let driver: SwiftnetDriver
    /// The pools of multi-host networks: a network on one of their subnets is an overlay even
    /// without `-o swiftnet.network` (the IPAM's options do not reach the driver).
    var multiHostIPAM: MultiHostIPAM? = nil

    private static let capabilities = NetworkDriverAPI.CapabilitiesResponse(scope: "local", connectivityScope: "local",
                                                                            gatewayAllocationCheck: true)
        .json.serialized
    private static let empty = PluginAPI.empty.serialized

    var routes: [String: PluginRouter.Handler] {
        [
            "/NetworkDriver.GetCapabilities": { _ in NetworkDriver.capabilities },
            "/NetworkDriver.GwAllocCheck": { try gatewayAllocationCheck($0) },
            "/NetworkDriver.CreateNetwork": { try createNetwork($0) },
            "/NetworkDriver.DeleteNetwork": { try deleteNetwork($0) },
            "/NetworkDriver.CreateEndpoint": { try createEndpoint($0) },
            "/NetworkDriver.DeleteEndpoint": { try deleteEndpoint($0) },
            "/NetworkDriver.EndpointOperInfo": { try endpointOperInfo($0) },
            "/NetworkDriver.Join": { try join($0) },
            "/NetworkDriver.Leave": { try leave($0) },
            "/NetworkDriver.ProgramExternalConnectivity": { try programExternalConnectivity($0) },
            "/NetworkDriver.RevokeExternalConnectivity": { try revokeExternalConnectivity($0) },
            // Swarm node discovery: a local-scope driver has nothing to do with it.
            "/NetworkDriver.DiscoverNew": { _ in NetworkDriver.empty },
            "/NetworkDriver.DiscoverDelete": { _ in NetworkDriver.empty },
            "/NetworkDriver.AllocateNetwork": { _ in throw PluginError.failed(DriverError.localScopeOnly("AllocateNetwork").description) },
            "/NetworkDriver.FreeNetwork": { _ in throw PluginError.failed(DriverError.localScopeOnly("FreeNetwork").description) },
        ]
    }

    func createNetwork(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.CreateNetworkRequest.self, from: body, call: "CreateNetwork")
        try PluginError.failedOnError {
            var options = try NetworkOptions(json: request.options)
            var subnets: [NetworkSubnet] = []
            var auxAddresses: [String: IPAddress] = [:]
            for (data, family) in request.ipv4Data.map({ ($0, IPFamily.v4) }) + request.ipv6Data.map({ ($0, IPFamily.v6) }) {
                subnets.append(try NetworkSubnet(ipamPool: data.pool, gateway: data.gateway, family: family))
                for (name, text) in data.auxAddresses {
                    // dockerd sends them as CIDRs (address/pool length).
                    guard let address = InterfaceAddress(cidr: text)?.address ?? IPAddress(text) else {
                        throw NetworkModelError.invalidAddress(field: "AuxAddresses.\(name)", value: text)
                    }
                    auxAddresses[name] = address
                }
            }
            if options.generic[DriverMode.key] == nil, options.multiHostNetwork == nil, let multiHostIPAM,
               let name = subnets.lazy.compactMap({ multiHostIPAM.networkName(forSubnet: $0.pool) }).first {
                options.mode = .overlay
                options.generic[NetworkOptions.multiHostNetworkKey] = name
            }
            try driver.createNetwork(.init(id: request.networkID, options: options, subnets: subnets, auxAddresses: auxAddresses))
        }
        return NetworkDriver.empty
    }

    /// Docker ≥ 28 asks before `network create` allocates gateways. macvlan and ipvlan skip
    /// them: the LAN's router is the containers' gateway only when `--gateway` names it (as
    /// Docker 29's own drivers); without one, Join gives a connected default route. Bridge
    /// networks keep theirs (the bridge carries it), and so do multi-host networks (their IPAM
    /// answers the gateway every host shares).
    func gatewayAllocationCheck(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.GatewayAllocationCheckRequest.self, from: body, call: "GwAllocCheck")
        let options = try PluginError.failedOnError { try NetworkOptions(json: request.options) }
        let skip = options.mode == .macvlan || options.mode == .ipvlan
        return NetworkDriverAPI.GatewayAllocationCheckResponse(skipIPv4: skip, skipIPv6: skip).json.serialized
    }

    func deleteNetwork(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.NetworkRequest.self, from: body, call: "DeleteNetwork")
        try PluginError.failedOnError { try driver.deleteNetwork(id: request.networkID) }
        return NetworkDriver.empty
    }

    func createEndpoint(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.CreateEndpointRequest.self, from: body, call: "CreateEndpoint")
        let mac = try PluginError.failedOnError {
            try driver.createEndpoint(.init(networkID: request.networkID, endpointID: request.endpointID,
                                            address: request.address, addressIPv6: request.addressIPv6,
                                            macAddress: request.macAddress, options: request.options))
        }
        return NetworkDriverAPI.CreateEndpointResponse(macAddress: mac?.description).json.serialized
    }

    func deleteEndpoint(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.EndpointRequest.self, from: body, call: "DeleteEndpoint")
        try PluginError.failedOnError { try driver.deleteEndpoint(networkID: request.networkID, endpointID: request.endpointID) }
        return NetworkDriver.empty
    }

    /// dockerd cannot read typed values from a remote driver's answer, so this is for people:
    /// what swiftnet made for the endpoint.
    func endpointOperInfo(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.EndpointRequest.self, from: body, call: "EndpointOperInfo")
        var value = JSONObject()
        if let endpoint = driver.endpoint(request.endpointID), endpoint.networkID == request.networkID {
            value["swiftnet.veth"] = .string(endpoint.hostVeth)
            value["swiftnet.mac"] = .string(endpoint.mac.description)
            value["swiftnet.published"] = .array(endpoint.publishedPorts.map { .string($0.description) })
        }
        return JSONValue.object(["Value": .object(value)]).serialized
    }

    func join(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.JoinRequest.self, from: body, call: "Join")
        let answer = try PluginError.failedOnError {
            try driver.join(networkID: request.networkID, endpointID: request.endpointID,
                            sandboxKey: request.sandboxKey, options: request.options)
        }
        return NetworkDriverAPI.JoinResponse(sourceName: answer.sourceName, destinationPrefix: answer.destinationPrefix,
                                             gateway: answer.gateway?.description ?? "",
                                             gatewayIPv6: answer.gatewayIPv6?.description ?? "",
                                             connectedRoutes: answer.connectedRoutes.map(\.description),
                                             disableGatewayService: answer.disableGatewayService).json.serialized
    }

    func leave(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.EndpointRequest.self, from: body, call: "Leave")
        try PluginError.failedOnError { try driver.leave(networkID: request.networkID, endpointID: request.endpointID) }
        return NetworkDriver.empty
    }

    func programExternalConnectivity(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.EndpointRequest.self, from: body, call: "ProgramExternalConnectivity")
        try PluginError.failedOnError {
            try driver.programExternalConnectivity(networkID: request.networkID, endpointID: request.endpointID,
                                                   options: request.options)
        }
        return NetworkDriver.empty
    }

    func revokeExternalConnectivity(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PluginCodec.decode(NetworkDriverAPI.EndpointRequest.self, from: body, call: "RevokeExternalConnectivity")
        try PluginError.failedOnError { try driver.revokeExternalConnectivity(networkID: request.networkID, endpointID: request.endpointID) }
        return NetworkDriver.empty
    }
}

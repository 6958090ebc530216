import SwiftnetJSON

/// The documented JSON shape (docs/operator.md): `GET /state` answers `json`; `ls --json`,
/// `inspect --json` and `pools --json` print parts of it.
extension StateView {
    package var json: JSONValue {
        .object([
            "formatVersion": .integer(StateView.formatVersion),
            "server": server.json,
            "networks": .array(networks.map(\.json)),
            "endpoints": .array(endpoints.map(\.json)),
            "pools": .array(pools.map(\.json)),
            "remoteEndpoints": .array(remoteEndpoints.map(\.json)),
        ])
    }

    package init(json: JSONValue) throws(OperatorError) {
        let object = try json.operatorObject("the state")
        guard case .object(let server)? = object["server"] else { throw .malformed("'server' is missing") }
        var networks: [NetworkView] = []
        for item in try object.objects("networks") { networks.append(try NetworkView(json: item)) }
        var endpoints: [EndpointView] = []
        for item in try object.objects("endpoints") { endpoints.append(try EndpointView(json: item)) }
        var pools: [PoolView] = []
        for item in try object.objects("pools") { pools.append(try PoolView(json: item)) }
        var remote: [RemoteEndpointView] = []
        // Added with multi-host networks: absent from older servers' answers.
        if object["remoteEndpoints"] != nil {
            for item in try object.objects("remoteEndpoints") { remote.append(try RemoteEndpointView(json: item)) }
        }
        self.init(server: try ServerInfo(json: server), networks: networks, endpoints: endpoints, pools: pools, remoteEndpoints: remote)
    }
}

extension RemoteEndpointView {
    package var json: JSONValue {
        .object([
            "network": .string(network), "address": .string(address), "mac": .string(mac), "host": .string(host),
            "underlay": .string(underlay),
        ])
    }

    init(json object: JSONObject) throws(OperatorError) {
        self.init(network: try object.required("network"), address: try object.required("address"), mac: try object.required("mac"),
                  host: try object.required("host"), underlay: try object.required("underlay"))
    }
}

extension ServerInfo {
    package var json: JSONValue {
        .object([
            "version": .string(version), "running": .bool(running), "statePath": .string(statePath),
            "chainPrefix": .string(chainPrefix), "linkGroup": .integer(Int(linkGroup)), "bootID": .string(bootID),
        ])
    }

    init(json object: JSONObject) throws(OperatorError) {
        let group = try object.integer("linkGroup")
        guard let linkGroup = UInt32(exactly: group) else { throw .malformed("'linkGroup' out of range") }
        self.init(version: try object.required("version"), running: try object.flag("running"),
                  statePath: try object.required("statePath"), chainPrefix: try object.required("chainPrefix"),
                  linkGroup: linkGroup, bootID: try object.required("bootID"))
    }
}

extension NetworkView {
    package var json: JSONValue {
        .object([
            "id": .string(id), "bridge": .string(bridge), "state": .string(state), "mode": .string(mode),
            "internal": .bool(isInternal), "ipv6": .bool(ipv6), "mtu": mtu.map { .integer($0) } ?? .null,
            "options": .object(JSONObject(options.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })),
            "subnets": .array(subnets.map { subnet in
                .object(["pool": .string(subnet.prefix), "gateway": .optional(subnet.gateway), "poolID": .optional(subnet.poolID)])
            }),
            "endpoints": .integer(endpointCount), "capacity": .optional(capacity),
            "created": createdAt.map { .integer($0) } ?? .null,
        ])
    }

    init(json object: JSONObject) throws(OperatorError) {
        var subnets: [Subnet] = []
        for subnet in try object.objects("subnets") {
            subnets.append(Subnet(prefix: try subnet.required("pool"), gateway: try subnet.optional("gateway"),
                                  poolID: try subnet.optional("poolID")))
        }
        self.init(id: try object.required("id"), bridge: try object.required("bridge"), state: try object.required("state"),
                  mode: try object.required("mode"), isInternal: try object.flag("internal"), ipv6: try object.flag("ipv6"),
                  mtu: try object.optionalInteger("mtu"), options: try object.stringDictionary("options"),
                  subnets: subnets, endpointCount: try object.integer("endpoints"), capacity: try object.optional("capacity"),
                  createdAt: try object.optionalInteger("created"))
    }
}

extension EndpointView {
    package var json: JSONValue {
        .object([
            "id": .string(id), "network": .string(networkID), "containerName": .optional(containerName),
            "address": .optional(address), "addressIPv6": .optional(addressIPv6), "mac": .string(mac),
            "hostVeth": .string(hostVeth), "containerVeth": .string(containerVeth),
            "published": .array(published.map { .string($0) }), "bootID": .string(bootID), "state": .string(state),
            "created": createdAt.map { .integer($0) } ?? .null,
        ])
    }

    init(json object: JSONObject) throws(OperatorError) {
        self.init(id: try object.required("id"), networkID: try object.required("network"),
                  containerName: try object.optional("containerName"), address: try object.optional("address"),
                  addressIPv6: try object.optional("addressIPv6"), mac: try object.required("mac"),
                  hostVeth: try object.required("hostVeth"), containerVeth: try object.required("containerVeth"),
                  published: try object.strings("published"), bootID: try object.required("bootID"),
                  state: try object.required("state"), createdAt: try object.optionalInteger("created"))
    }
}

extension PoolView {
    package var json: JSONValue {
        .object([
            "id": .string(id), "addressSpace": .string(addressSpace), "prefix": .string(prefix), "subPool": .optional(subPool),
            "allocated": .integer(allocated), "capacity": .string(capacity),
            "utilisation": .number((utilisation * 10000).rounded() / 10000), "network": .optional(networkID),
            "created": createdAt.map { .integer($0) } ?? .null, "multiHostNetwork": .optional(multiHostNetwork),
            "rangeAllocated": rangeAllocated.map { .integer($0) } ?? .null, "rangeCapacity": .optional(rangeCapacity),
        ])
    }

    init(json object: JSONObject) throws(OperatorError) {
        self.init(id: try object.required("id"), addressSpace: try object.required("addressSpace"),
                  prefix: try object.required("prefix"), subPool: try object.optional("subPool"),
                  allocated: try object.integer("allocated"), capacity: try object.required("capacity"),
                  networkID: try object.optional("network"), createdAt: try object.optionalInteger("created"),
                  multiHostNetwork: try object.optional("multiHostNetwork"), rangeAllocated: try object.optionalInteger("rangeAllocated"),
                  rangeCapacity: try object.optional("rangeCapacity"))
    }
}

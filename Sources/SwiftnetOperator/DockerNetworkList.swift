import SwiftnetAddress
import SwiftnetJSON

/// What Docker's `GET /networks` says, as far as `gc --docker` needs it: every network's id
/// and the subnets its IPAM configuration names, and for the networks looked at one by one
/// (`GET /networks/ID`) their endpoints' ids. Read by the CLI from the Docker API, never by
/// the server (a plugin that calls the Docker API can deadlock dockerd; anchors §4.1).
package struct DockerNetworkList: Sendable, Equatable {
    package var ids: Set<String>
    package var subnets: Set<IPPrefix>
    /// By network id; a network missing here was not looked at, and its endpoints are unknown.
    package var endpointIDs: [String: Set<String>]

    package init(ids: Set<String>, subnets: Set<IPPrefix>, endpointIDs: [String: Set<String>] = [:]) {
        self.ids = ids
        self.subnets = subnets
        self.endpointIDs = endpointIDs
    }

    /// `GET /networks/ID`'s endpoints: Docker lists every endpoint of the network there, under
    /// its container's id or, without a sandbox, under `ep-<endpoint id>`.
    package mutating func addEndpoints(ofNetwork id: String, json: JSONValue) throws(OperatorError) {
        guard case .object(let network) = json, case .string(let answered)? = network["Id"], answered == id else {
            throw .notDocker("GET /networks/\(id.prefix(12)) did not answer that network")
        }
        var endpoints: Set<String> = []
        if case .object(let containers)? = network["Containers"] {
            for member in containers.members {
                guard case .object(let container) = member.value, case .string(let endpoint)? = container["EndpointID"], !endpoint.isEmpty else {
                    throw .notDocker("network \(id.prefix(12))'s container \(member.key.prefix(12)) has no EndpointID")
                }
                endpoints.insert(endpoint)
            }
        }
        endpointIDs[id] = endpoints
    }

    /// Strict about what matters: an answer that is not a list of networks with ids is an
    /// error, not an empty list (which would make every swiftnet network look forgotten).
    package init(json: JSONValue) throws(OperatorError) {
        guard case .array(let items) = json else { throw .notDocker("the answer is not a JSON list of networks") }
        var ids: Set<String> = []
        var subnets: Set<IPPrefix> = []
        for item in items {
            guard case .object(let network) = item, case .string(let id)? = network["Id"], !id.isEmpty else {
                throw .notDocker("a network in the list has no Id")
            }
            ids.insert(id)
            guard case .object(let ipam)? = network["IPAM"], case .array(let configs)? = ipam["Config"] else { continue }
            for case .object(let config) in configs {
                guard case .string(let text)? = config["Subnet"] else { continue }
                // A subnet Docker shows but swiftnet cannot parse protects nothing of swiftnet's.
                if let subnet = IPPrefix(text) { subnets.insert(subnet) }
            }
        }
        self.init(ids: ids, subnets: subnets)
    }
}

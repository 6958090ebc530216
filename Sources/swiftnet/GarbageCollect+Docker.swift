import ArgumentParser
import Foundation
import SwiftnetClient
import SwiftnetDiagnosis
import SwiftnetJSON
import SwiftnetOperator
import SwiftnetPlugin

extension GarbageCollect {
    /// `gc --docker`: compares swiftnet's networks, endpoints and pools with Docker's, deletes
    /// and releases what Docker no longer has through the running server's own DeleteNetwork,
    /// DeleteEndpoint and ReleasePool (the calls dockerd gave up on), or through the state file
    /// when no server runs, then collects as `gc` does (which frees the deleted endpoints'
    /// addresses). Nothing is changed when Docker cannot be asked.
    func collectForgottenByDocker() throws {
        let source = try access.open(forChange: !dryRun)
        // swiftnet's view first: what Docker creates after it is not in it, and what Docker
        // lists is read after, so nothing Docker still has can look forgotten.
        let state: StateView
        switch source {
        case .server(let client): state = try StateView(json: try StateAccess.get(client, "/state"))
        case .local(let runtime):
            if !dryRun { try runtime.ownChains() }
            state = runtime.stateView(running: false)
        }
        let list: DockerNetworkList
        do {
            list = try GarbageCollect.dockerNetworks(socket: dockerSocket, lookingInto: state.networks.map(\.id))
        } catch {
            printError("gc --docker: cannot list Docker's networks at \(dockerSocket): \(error); nothing was changed")
            throw ExitCode(1)
        }
        let forgotten = ForgottenByDocker(state: state, docker: list, now: Int(Date().timeIntervalSince1970), minimumAge: minimumAge)
        var done = ForgottenByDocker(networks: [], pools: [])
        var errors: [String] = []
        func call(_ path: String, _ body: [String: String], local: (Plugin) throws -> Void) throws {
            switch source {
            case .server(let client):
                _ = try StateAccess.post(client, path, JSONValue.object(JSONObject(body.sorted { $0.key < $1.key }
                    .map { (key: $0.key, value: .string($0.value)) })).serializedString)
            case .local(let runtime): try local(runtime)
            }
        }
        if dryRun {
            done = forgotten
        } else {
            // Networks before pools: a pool is released only once the network on it is gone.
            for network in forgotten.networks {
                do {
                    try call("/NetworkDriver.DeleteNetwork", ["NetworkID": network.id]) { try $0.driver.deleteNetwork(id: network.id) }
                    done.networks.append(network)
                } catch {
                    errors.append("network \(network.shortID): \(error)")
                }
            }
            for endpoint in forgotten.endpoints {
                do {
                    try call("/NetworkDriver.DeleteEndpoint", ["NetworkID": endpoint.networkID, "EndpointID": endpoint.id]) {
                        try $0.driver.deleteEndpoint(networkID: endpoint.networkID, endpointID: endpoint.id)
                    }
                    done.endpoints.append(endpoint)
                } catch {
                    errors.append("endpoint \(endpoint.shortID): \(error)")
                }
            }
            let deletedNetworks = Set(done.networks.map(\.id))
            for pool in forgotten.pools where pool.networkID.map({ deletedNetworks.contains($0) }) ?? true {
                do {
                    try call("/IpamDriver.ReleasePool", ["PoolID": pool.id]) { try $0.ipam.releasePool(pool.id) }
                    done.pools.append(pool)
                } catch {
                    errors.append("pool \(pool.id): \(error)")
                }
            }
        }
        // gc's own rules after (it first waits for the endpoints' deletion to finish, which
        // without a server is this process's): the deleted endpoints' addresses are now held by
        // none, and go once they are old enough (an address handed out again meanwhile is
        // young, and stays).
        let garbage: GarbageReport
        switch source {
        case .server(let client):
            garbage = try GarbageReport(json: try StateAccess.post(
                client, "/Swiftnet.GC", #"{"DryRun":\#(dryRun),"MinimumAgeSeconds":\#(minimumAge)}"#))
        case .local(let runtime):
            garbage = runtime.collectGarbage(dryRun: dryRun, minimumAge: minimumAge)
        }
        if json {
            printJSON(.object([
                "dryRun": .bool(dryRun), "minimumAgeSeconds": .number(Double(minimumAge)),
                "networks": .array(done.networks.map { .object(["id": .string($0.id), "bridge": .string($0.bridge)]) }),
                "endpoints": .array(done.endpoints.map { .object(["id": .string($0.id), "network": .string($0.networkID)]) }),
                "pools": .array(done.pools.map { .object(["id": .string($0.id), "prefix": .string($0.prefix)]) }),
                "errors": .array(errors.map { .string($0) }),
                "gc": garbage.json,
            ]))
        } else {
            print(OperatorText.forgottenByDocker(done, dryRun: dryRun, errors: errors), terminator: "")
            print(OperatorText.garbage(garbage), terminator: "")
        }
        if !errors.isEmpty || !garbage.errors.isEmpty { throw ExitCode(1) }
    }

    /// Docker's `GET /networks` (the unversioned path: every engine answers it with its own
    /// API version), and `GET /networks/ID` of each network in `lookingInto` that it lists.
    static func dockerNetworks(socket: String, lookingInto ids: [String]) throws -> DockerNetworkList {
        let client = try UnixHTTPClient(socketPath: socket, timeoutSeconds: 30)
        defer { client.close() }
        func get(_ path: String) throws -> JSONValue? {
            let response = try client.get(path)
            if response.status == 404 { return nil }
            guard response.status == 200 else {
                throw OperatorCommandError("Docker answered \(response.status) to GET \(path): \(response.text.prefix(200))")
            }
            guard let value = try? JSONParser.parse(response.body) else { throw OperatorError.notDocker("GET \(path): not JSON") }
            return value
        }
        guard let all = try get("/networks") else { throw OperatorError.notDocker("GET /networks: 404") }
        var list = try DockerNetworkList(json: all)
        for id in ids where list.ids.contains(id) {
            // Removed since the list was read: its endpoints stay unknown, and nothing of it goes.
            guard let network = try get("/networks/\(id)") else { continue }
            try list.addEndpoints(ofNetwork: id, json: network)
        }
        return list
    }
}

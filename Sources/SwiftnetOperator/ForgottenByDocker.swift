import SwiftnetAddress

/// `gc --docker`: the networks, endpoints and pools swiftnet holds that Docker no longer has.
/// dockerd ignores a failed DeleteNetwork (`docker network rm` while swiftnet is down) and never
/// asks again, and a RequestPool whose answer a crash lost is never released: only Docker's own
/// list tells these apart from networks and pools in use.
package struct ForgottenByDocker: Sendable, Equatable {
    package var networks: [NetworkView]
    package var endpoints: [EndpointView]
    package var pools: [PoolView]

    package init(networks: [NetworkView], endpoints: [EndpointView] = [], pools: [PoolView]) {
        self.networks = networks
        self.endpoints = endpoints
        self.pools = pools
    }

    /// - A network is forgotten when Docker lists no network with its id.
    /// - An endpoint of a network Docker still has is forgotten when Docker's view of that
    ///   network lists no endpoint with its id (a crash between Leave and DeleteEndpoint, with
    ///   swiftnet down longer than dockerd retries). Its addresses are then held by no
    ///   endpoint, for gc's own rule to free. The endpoints of a forgotten network go with it.
    /// - A pool is forgotten when no Docker network names its subnet and the swiftnet network
    ///   using it (if any) is forgotten too. Matched by subnet, since Docker does not show
    ///   pool ids; a Docker network of another IPAM on the same subnet keeps the pool.
    /// - Each only once it is `minimumAge` seconds old: dockerd asks for the pool and
    ///   creates the network before its list shows it. One of unknown age is kept (a
    ///   multi-host pool, whose age the state does not record, always is).
    package init(state: StateView, docker: DockerNetworkList, now: Int, minimumAge: Int) {
        func oldEnough(_ createdAt: Int?) -> Bool { createdAt.map { now - $0 >= minimumAge } ?? false }
        let networks = state.networks.filter { !docker.ids.contains($0.id) && oldEnough($0.createdAt) }
        let forgottenIDs = Set(networks.map(\.id))
        let endpoints = state.endpoints.filter { endpoint in
            guard !forgottenIDs.contains(endpoint.networkID), let known = docker.endpointIDs[endpoint.networkID] else { return false }
            return !known.contains(endpoint.id) && oldEnough(endpoint.createdAt)
        }
        let pools = state.pools.filter { pool in
            guard oldEnough(pool.createdAt), let prefix = IPPrefix(pool.prefix), !docker.subnets.contains(prefix) else { return false }
            return pool.networkID.map { forgottenIDs.contains($0) } ?? true
        }
        self.init(networks: networks, endpoints: endpoints, pools: pools)
    }

    package var isEmpty: Bool { networks.isEmpty && endpoints.isEmpty && pools.isEmpty }
}

import ArgumentParser
import Foundation
import SwiftnetClient

/// The plugin's calls as the benchmarks make them: a JSON body in, the answer's JSON object
/// out, any status but 200 an error naming the call.
struct BenchClient {
    let client: UnixHTTPClient

    func call(_ path: String, _ json: String) throws -> [String: Any] {
        let response = try client.post(path, json: json)
        guard response.status == 200 else { throw ValidationError("\(path): \(response.status) \(response.text.prefix(300))") }
        return (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    /// A bridge network on `subnet` as `docker network create --subnet` makes it: RequestPool,
    /// the gateway's RequestAddress, CreateNetwork; with the milliseconds CreateNetwork took.
    func createBridgeNetwork(subnet: String) throws -> (networkID: String, poolID: String, milliseconds: Double) {
        let poolID = try call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"\#(subnet)","V6":false}"#)["PoolID"] as! String
        let gateway = try call("/IpamDriver.RequestAddress",
                               #"{"PoolID":"\#(poolID)","Options":{"RequestAddressType":"com.docker.network.gateway"}}"#)["Address"] as! String
        let networkID = LifecycleBench.hex(64)
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try call("/NetworkDriver.CreateNetwork",
                     #"{"NetworkID":"\#(networkID)","IPv4Data":[{"AddressSpace":"LocalDefault","Pool":"\#(subnet)","Gateway":"\#(gateway)"}],"IPv6Data":[],"Options":{"com.docker.network.generic":{}}}"#)
        return (networkID, poolID, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }

    /// An endpoint on the network as a container start makes it: an address from the pool
    /// (RequestAddress), then CreateEndpoint; its id and its address with the prefix length.
    func createEndpoint(networkID: String, poolID: String) throws -> (endpointID: String, address: String) {
        let endpointID = LifecycleBench.hex(64)
        let address = try call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(poolID)","Address":"","Options":null}"#)["Address"] as! String
        _ = try call("/NetworkDriver.CreateEndpoint",
                     #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","Interface":{"Address":"\#(address)","AddressIPv6":"","MacAddress":""},"Options":{}}"#)
        return (endpointID, address)
    }
}

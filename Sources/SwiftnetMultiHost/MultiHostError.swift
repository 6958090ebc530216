import SwiftnetEtcd
import SwiftnetAddress

/// Why a multi-host operation failed. etcd's own errors pass through as `.etcd`, whose text
/// starts with "etcd", so dockerd's output says which system failed.
package enum MultiHostError: Error, Sendable, Equatable, CustomStringConvertible {
    case etcd(EtcdError)
    case invalidName(String, reason: String)
    case invalidHost(String, reason: String)
    case subnetMismatch(network: String, existing: IPPrefix, requested: IPPrefix)
    case subnetOverlaps(requested: IPPrefix, network: String, subnet: IPPrefix)
    case invalidSubnet(IPPrefix, reason: String)
    case poolExhausted(IPPrefix, prefixLength: Int)
    case noVNI
    case addressesExhausted(network: String, subnet: IPPrefix)
    case addressOutsideSubnet(network: String, address: IPAddress, subnet: IPPrefix)
    case addressReserved(network: String, address: IPAddress)
    case addressHeld(network: String, address: IPAddress, host: String, owner: String)
    case notHolder(network: String, address: IPAddress, host: String, owner: String)
    case unknownNetwork(String)
    case contention(String, attempts: Int)
    case malformedRecord(key: String, reason: String)
    case hostAlive(String)

    package var description: String {
        switch self {
        case .etcd(let error):
            return error.description
        case .invalidName(let name, let reason):
            return "invalid multi-host network name '\(name)': \(reason)"
        case .invalidHost(let name, let reason):
            return "invalid host name '\(name)': \(reason)"
        case .subnetMismatch(let network, let existing, let requested):
            return "multi-host network \(network) exists with subnet \(existing); \(requested) was asked for (create it with --subnet \(existing) or none)"
        case .subnetOverlaps(let requested, let network, let subnet):
            return "subnet \(requested) overlaps multi-host network \(network) (\(subnet))"
        case .invalidSubnet(let subnet, let reason):
            return "subnet \(subnet) cannot be a multi-host network: \(reason)"
        case .poolExhausted(let pool, let length):
            return "no free /\(length) left in the multi-host pool \(pool); give --subnet"
        case .noVNI:
            return "no free VXLAN network identifier"
        case .addressesExhausted(let network, let subnet):
            return "no free address in multi-host network \(network) (\(subnet))"
        case .addressOutsideSubnet(let network, let address, let subnet):
            return "\(address) is not in multi-host network \(network) (\(subnet))"
        case .addressReserved(let network, let address):
            return "\(address) is reserved in multi-host network \(network) (network, broadcast or gateway address)"
        case .addressHeld(let network, let address, let host, let owner):
            return "\(address) in multi-host network \(network) is held by \(owner) on host \(host)"
        case .notHolder(let network, let address, let host, let owner):
            return "\(address) in multi-host network \(network) is held by \(owner) on host \(host), not by the caller"
        case .unknownNetwork(let name):
            return "no multi-host network named \(name) in etcd"
        case .contention(let what, let attempts):
            return "\(what): gave up after \(attempts) attempts lost to other hosts"
        case .malformedRecord(let key, let reason):
            return "etcd key \(key) holds an unreadable record: \(reason)"
        case .hostAlive(let host):
            return "host \(host) is alive (its lease holds): refusing to free its addresses; stop it first or wait for its lease to expire"
        }
    }
}

extension MultiHostError {
    /// Runs an etcd call, wrapping its error.
    @discardableResult
    static func etcd<Result>(_ body: () throws(EtcdError) -> Result) throws(MultiHostError) -> Result {
        do { return try body() } catch { throw .etcd(error) }
    }
}

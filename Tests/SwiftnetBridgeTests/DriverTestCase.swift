import Logging
import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetJSON
import SwiftnetNetworkModel
import XCTest
import SwiftnetLANModel

/// A driver on fakes: no root, no kernel, no iptables. Each test gets a fresh one.
class DriverTestCase: XCTestCase {
    static let bootID = "boot-now"
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    var log: EventLog!
    var store: FakeNetworkStore!
    var dataplane: FakeDataplane!
    var lan: FakeLANDataplane!
    var firewall: FakeFirewall!
    var hostPorts: FakeHostPorts!
    var driver: SwiftnetDriver!

    override func setUpWithError() throws {
        log = EventLog()
        store = FakeNetworkStore(log: log)
        dataplane = FakeDataplane(log: log)
        lan = FakeLANDataplane(host: dataplane, log: log)
        firewall = FakeFirewall(log: log)
        hostPorts = FakeHostPorts()
        driver = try makeDriver()
    }

    override func tearDown() {
        driver?.drain()
    }

    /// A driver on the same fakes, as a restarted server would open them.
    func makeDriver(bootID: String = DriverTestCase.bootID, logger: Logger = DriverTestCase.quiet) throws -> SwiftnetDriver {
        try SwiftnetDriver(store: store, modes: DriverModes(bridge: BridgeMode(dataplane: dataplane, logger: Self.quiet),
                                                            macvlan: LANMode(.macvlan, dataplane: lan, logger: Self.quiet),
                                                            ipvlan: LANMode(.ipvlan, dataplane: lan, logger: Self.quiet)),
                           links: dataplane, firewall: firewall, hostPorts: hostPorts, bootID: bootID, logger: logger)
    }

    // MARK: ids and requests

    /// A dockerd-like id: 64 hex digits, distinct in its first 4 (which name bridges, veths
    /// and the fakes' log lines) for distinct `n` below 65536.
    static func id(_ n: Int) -> String {
        String(format: "%04x", n) + String(repeating: "0", count: 60)
    }

    static func bridge(_ networkID: String) -> String { "swn-" + networkID.prefix(10) }
    static func hostVeth(_ endpointID: String) -> String { "swv" + endpointID.prefix(11) }
    static func containerVeth(_ endpointID: String) -> String { "swc" + endpointID.prefix(11) }

    func options(_ generic: [String: String] = [:], isInternal: Bool = false) throws -> NetworkOptions {
        let object: JSONObject = [
            NetworkOptions.internalKey: .bool(isInternal),
            NetworkOptions.genericKey: .object(JSONObject(generic.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })),
        ]
        return try NetworkOptions(json: object)
    }

    static let subnet = NetworkSubnet(pool: IPPrefix("10.1.0.0/24")!, gateway: IPAddress("10.1.0.1")!)
    static let subnet6 = NetworkSubnet(pool: IPPrefix("fd00:1::/64")!, gateway: IPAddress("fd00:1::1")!)

    @discardableResult
    func createNetwork(_ n: Int = 1, generic: [String: String] = [:], isInternal: Bool = false,
                       subnets: [NetworkSubnet] = [DriverTestCase.subnet], auxAddresses: [String: IPAddress] = [:]) throws -> String {
        let id = Self.id(n)
        try driver.createNetwork(.init(id: id, options: try options(generic, isInternal: isInternal), subnets: subnets,
                                       auxAddresses: auxAddresses))
        return id
    }

    @discardableResult
    func createEndpoint(_ n: Int, network: String, address: String = "10.1.0.2/24", addressIPv6: String = "",
                        mac: String = "", options: JSONObject? = nil) throws -> (id: String, mac: MACAddress?) {
        let id = Self.id(1000 + n)
        let mac = try driver.createEndpoint(.init(networkID: network, endpointID: id, address: address, addressIPv6: addressIPv6,
                                                  macAddress: mac, options: options))
        return (id, mac)
    }

    /// `com.docker.network.portmap` with one binding.
    static func portMap(container: Int, host: Int = 0, hostEnd: Int = 0, hostIP: String = "") -> JSONObject {
        [PortBindingRequest.portMapKey: .array([.object([
            "Proto": .number(6), "Port": .number(Double(container)), "HostIP": .string(hostIP),
            "HostPort": .number(Double(host)), "HostPortEnd": .number(Double(hostEnd)),
        ])])]
    }

    func lines(_ repairs: [Repair]) -> [String] { repairs.map(\.line) }
}

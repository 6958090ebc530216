import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetIPAM
import SwiftnetNetworkModel
import SwiftnetOperator
import XCTest

/// `enable_icc=false` is only enforced while bridged traffic passes iptables.
final class BridgeNetfilterDiagnosisTests: XCTestCase {
    var closed: NetworkRecord {
        var network = Fixtures.network
        network.options.interContainer = false
        return network
    }

    func testInterContainerOffNeedsBridgedFiltering() {
        let off = BridgeNetfilterStatus(iptables: false, ip6tables: false)
        let findings = Diagnosis.findings(networks: [closed], bridgeNetfilter: off)
        XCTAssertEqual(findings.map(\.kind), [.iccNotEnforced])
        XCTAssertEqual(findings.first?.subject, "net.bridge.bridge-nf-call-iptables")
        XCTAssertTrue(findings.first?.problem.contains("is 0") == true)
        XCTAssertEqual(findings.first?.networkID, Fixtures.networkID)

        let unloaded = Diagnosis.findings(networks: [closed], bridgeNetfilter: BridgeNetfilterStatus(iptables: nil, ip6tables: nil))
        XCTAssertTrue(unloaded.first?.problem.contains("br_netfilter kernel module is not loaded") == true)
    }

    func testOnlyTheFamiliesTheNetworkHasAndOnlyWhenOff() {
        // An IPv4-only network does not need ip6tables to see bridged frames.
        XCTAssertEqual(Diagnosis.findings(networks: [closed], bridgeNetfilter: BridgeNetfilterStatus(iptables: true, ip6tables: false)), [])
        var dual = closed
        dual.subnets.append(NetworkSubnet(pool: IPPrefix("fd00:77::/64")!, gateway: IPAddress("fd00:77::1")))
        XCTAssertEqual(Diagnosis.findings(networks: [dual], bridgeNetfilter: BridgeNetfilterStatus(iptables: true, ip6tables: false))
                           .map(\.subject), ["net.bridge.bridge-nf-call-ip6tables"])
        // A network whose containers may talk needs nothing.
        XCTAssertEqual(Diagnosis.findings(networks: [Fixtures.network], bridgeNetfilter: BridgeNetfilterStatus(iptables: nil, ip6tables: nil)), [])
    }
}

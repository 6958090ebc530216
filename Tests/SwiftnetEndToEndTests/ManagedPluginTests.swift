import Foundation
import SwiftnetTestSupport
import XCTest

/// swiftnet as a managed Docker plugin (plugin/build.sh, plugin/config.json) under a real
/// dockerd: package, `docker plugin create`, set, enable, the seed scenario on
/// `-d NAME:latest --ipam-driver NAME:latest`, then everything removed again.
///
/// Safe beside the other end-to-end suites and a real install:
/// - the plugin is named `swiftnet-mt<tag>`, never `swiftnet`: while a managed plugin
///   `swiftnet:latest` exists (enabled or not) dockerd resolves the driver name `swiftnet` to it,
///   so the host service on /run/docker/plugins/swiftnet.sock (which the other suites run)
///   would stop being found. The plugin's own socket is /run/docker/plugins/<plugin id>/swiftnet.sock;
/// - its state folder is a temporary one (`docker plugin set … state.source=`), never
///   /var/lib/swiftnet, and its chains have their own prefix (`args=… --chain-prefix`);
/// - tearDown removes containers, network, plugin (always, also after a failure), the chains
///   and the folders.
///
/// It packages the swiftnet binary the other suites run (`ServerProcess.binary`, built with the
/// tests): `plugin/build.sh --binary`, so the test does not wait for a release build.
final class ManagedPluginTests: DockerTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    lazy var pluginName = "swiftnet-mt\(tag)"
    var plugin: String { pluginName + ":latest" }
    lazy var pluginChainPrefix = "SWM" + tag.uppercased()
    lazy var packageDir = "/tmp/swt-plugin-\(tag)"
    lazy var stateDir = "/tmp/swt-plugin-state-\(tag)"
    var pluginMade = false

    /// Not DockerTestCase's set-up: no host service is started (the plugin is the server).
    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root (dockerd, docker plugin create, iptables)") }
        try requireDockerdAndImage()
        linksBefore = Set(Shell.linkNames().filter(Shell.isSwiftnetLink))
        folders += [packageDir, stateDir]
    }

    override func tearDownWithError() throws {
        // Containers and networks first (DockerTestCase), while the plugin still answers.
        try super.tearDownWithError()
        if pluginMade || Self.pluginExists(plugin) {
            let failed = (testRun?.failureCount ?? 0) + (testRun?.unexpectedExceptionCount ?? 0) > 0
            if failed { print("plugin log (dockerd's, last lines):\n" + pluginLog(40)) }
            Shell.run(Self.docker, ["plugin", "disable", "-f", plugin], timeout: 60)
            let removed = Shell.run(Self.docker, ["plugin", "rm", "-f", plugin], timeout: 60)
            if removed.status != 0 && Self.pluginExists(plugin) { print("tearDown: docker plugin rm -f \(plugin): \(removed.both)") }
        }
        removeChains(prefix: pluginChainPrefix)
    }

    static func pluginExists(_ name: String) -> Bool {
        Shell.run(docker, ["plugin", "inspect", "--format", "{{.Id}}", name], timeout: 20).status == 0
    }

    /// The plugin's stderr as dockerd logs it (`plugin=<id>`), when the log is test/dockerd.sh's.
    func pluginLog(_ lines: Int) -> String {
        let id = Shell.run(Self.docker, ["plugin", "inspect", "--format", "{{.Id}}", plugin]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !id.isEmpty, let log = try? String(contentsOfFile: "/var/log/swiftnet-test-dockerd.log", encoding: .utf8) else { return "" }
        return log.split(separator: "\n").filter { $0.contains("plugin=\(id)") }.suffix(lines).joined(separator: "\n")
    }

    @discardableResult
    func buildScript(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = Shell.run(Self.repository + "/plugin/build.sh", arguments, timeout: 300)
        guard result.status == 0 else {
            XCTFail("plugin/build.sh \(arguments.joined(separator: " ")): \(result.both)", file: file, line: line)
            throw Shell.Failure(description: "plugin/build.sh")
        }
        return result.output
    }

    func testSeedScenarioOnTheManagedPlugin() throws {
        // Package and create, disabled; point it at a test state folder and its own chain prefix.
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        pluginMade = true
        try buildScript(["--name", pluginName, "--dir", packageDir, "--binary", ServerProcess.binary, "--no-enable"])
        for file in ["config.json", "rootfs/usr/bin/swiftnet", "rootfs/usr/sbin/iptables-restore", "rootfs/usr/sbin/ip6tables-save"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(packageDir)/\(file)"), "package lacks \(file)")
        }
        try docker(["plugin", "set", plugin, "state.source=\(stateDir)",
                    "args=--log-level debug --chain-prefix \(pluginChainPrefix)"])
        try docker(["plugin", "enable", "--timeout", "60", plugin], timeout: 90)
        XCTAssertEqual(try docker(["plugin", "inspect", "--format", "{{.Enabled}}", plugin]), "true")

        // The seed scenario: backend (httpd on 8080) and frontend on one network of the plugin.
        let subnet = try freeSubnet()
        let network = "swt-\(tag)-managed"
        networks.append(network)
        let networkID = try docker(["network", "create", "-d", plugin, "--ipam-driver", plugin, "--subnet", subnet.cidr, network])
        let inspected = try inspectNetwork(network)
        XCTAssertEqual(inspected["Driver"] as? String, plugin)
        XCTAssertEqual((inspected["IPAM"] as? [String: Any])?["Driver"] as? String, plugin)
        XCTAssertTrue(Shell.linkNames().contains("swn-" + networkID.prefix(10)), "the plugin made the bridge swn-\(networkID.prefix(10))")

        let backend = try runContainer("backend", network: network, extra: ["--network-alias", "backend"],
                                       command: httpd(content: "managed-\(tag)"))
        let frontend = try runContainer("frontend", network: network)
        let expected = try containerIPv4(backend, network: network)
        XCTAssertTrue(expected.hasPrefix(subnet.base + "."), "backend's address \(expected) is from \(subnet.cidr)")
        var address = ""
        eventually("frontend resolves backend through 127.0.0.11") {
            let lookup = self.exec(frontend, ["timeout", "10", "nslookup", "backend", "127.0.0.11"], timeout: 20)
            address = Self.nslookupAddresses(lookup.output).first(where: Self.isIPv4) ?? ""
            return (!address.isEmpty, lookup.both)
        }
        XCTAssertEqual(address, expected, "backend resolves to its address on \(network)")
        eventually("frontend fetches http://backend=\(address):8080/") {
            let page = self.fetch(in: frontend, "http://\(address):8080/")
            return (page.output.contains("managed-\(tag)"), page.both)
        }

        // Everything removed again, in the user's order; nothing of swiftnet's is left.
        let endpoints = try [backend, frontend].map { try containerNetworkSettings($0, network: network)["EndpointID"] as? String ?? "" }
        try docker(["rm", "-f", backend, frontend], timeout: 120)
        containers.removeAll()
        try docker(["network", "rm", network])
        networks.removeAll()
        try buildScript(["--name", pluginName, "--remove"])
        XCTAssertFalse(Self.pluginExists(plugin), "\(plugin) removed")
        pluginMade = false

        var ours = ["swn-" + networkID.prefix(10)]
        for endpoint in endpoints where !endpoint.isEmpty {
            ours += ["swv" + endpoint.prefix(11), "swc" + endpoint.prefix(11)]
        }
        let left = Set(Shell.linkNames().filter(Shell.isSwiftnetLink))
        // By name: other suites may be making swiftnet links of their own meanwhile.
        XCTAssertTrue(left.isDisjoint(with: ours), "links of the plugin left: \(left.intersection(ours).sorted())")
    }
}

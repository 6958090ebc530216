import Foundation
import SwiftnetAddress
import SwiftnetClient
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// Shared by the end-to-end suites (DockerEndToEndTests, DockerRestartTests): set-up (a real
/// `swiftnet serve` on the plugin socket dockerd discovers, its own chain prefix and automatic
/// pool), tear-down of everything a test made, docker wrappers, bounded waits. No tests here.
class DockerTestCase: XCTestCase {
    static let docker = "/usr/bin/docker"
    static let busybox = "/bin/busybox"
    static let pluginSocket = "/run/docker/plugins/swiftnet.sock"
    static let image = "bb:latest"

    var server: ServerProcess?
    /// Unique per test: names of networks and containers, the chain prefix, namespaces.
    let tag = Shell.randomHex(8)
    var chainPrefix: String?
    var autoPoolBase = ""
    var containers: [String] = []
    var networks: [String] = []
    var namespaces: [String] = []
    var links: [String] = []
    var background: [Process] = []
    var folders: [String] = []
    /// swiftnet's links (swn-, swv, swc) that were there before the test (another suite's).
    var linksBefore: Set<String> = []
    var usedThirdOctets: Set<String> = []

    // MARK: set-up and tear-down

    /// Skips without a dockerd (test/run.sh starts one); fails if it lacks the test image.
    func requireDockerdAndImage() throws {
        let version = Shell.run(Self.docker, ["version", "--format", "{{.Server.Version}}"], timeout: 20)
        guard version.status == 0 else {
            throw XCTSkip("no dockerd answers `/usr/bin/docker version` on the default socket (test/dockerd.sh starts one; test/run.sh runs it): \(version.error)")
        }
        let image = Shell.run(Self.docker, ["image", "inspect", "--format", "{{.Id}}", Self.image], timeout: 20)
        guard image.status == 0 else {
            XCTFail("image \(Self.image) is missing: run test/dockerd.sh, which imports it from /bin/busybox\n\(image.both)")
            throw XCTSkip("image \(Self.image) missing")
        }
    }

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root (dockerd, netlink, iptables, network namespaces)") }
        try requireDockerdAndImage()
        try waitUntilNoOtherServer()

        linksBefore = Set(Shell.linkNames().filter(Shell.isSwiftnetLink))
        let server = ServerProcess(socketPath: Self.pluginSocket)
        self.server = server
        // Automatic pools (a network created without --subnet) come from an unused /16 of
        // 10.240.0.0/12, never from dockerd's 172.x list.
        autoPoolBase = try freeSecondOctetBase()
        server.extraArguments = ["--default-address-pool", "base=\(autoPoolBase).0.0/16,size=24"]
        let help = Shell.run(ServerProcess.binary, ["serve", "--help"], timeout: 20)
        if help.output.contains("--chain-prefix") {
            chainPrefix = "SWT" + tag.uppercased()
            server.extraArguments += ["--chain-prefix", chainPrefix!]
        }
        try prepareServer(server)
        try server.start()
    }

    /// Called before the plugin server starts: subclasses add what their tests need (the
    /// multi-host tests: etcd and the flags that reach it).
    func prepareServer(_ server: ServerProcess) throws {}

    override func tearDownWithError() throws {
        // Containers first (they hold endpoints), then networks, then our own test hosts.
        if !containers.isEmpty {
            let removed = Shell.run(Self.docker, ["rm", "-f"] + containers, timeout: 120)
            if removed.status != 0 && !removed.error.contains("No such container") {
                print("tearDown: docker rm -f: \(removed.both)")
            }
        }
        for network in networks.reversed() {
            let removed = Shell.run(Self.docker, ["network", "rm", network], timeout: 60)
            if removed.status != 0 && !removed.error.contains("No such network") && !removed.error.contains("not found") {
                print("tearDown: docker network rm \(network): \(removed.both)")
            }
        }
        for process in background where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for namespace in namespaces { Shell.run(Shell.ipTool, ["netns", "del", namespace]) }
        for link in links where Shell.linkNames().contains(link) { Shell.run(Shell.ipTool, ["link", "del", link]) }
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }

        if let server {
            server.terminate()
            let failed = (testRun?.failureCount ?? 0) + (testRun?.unexpectedExceptionCount ?? 0) > 0
            if failed {
                // Keep swiftnet's log for the report; the temporary folder goes.
                let kept = "/tmp/swiftnet-e2e-logs/\(name.filter { $0.isLetter || $0.isNumber })-\(tag).log"
                try? FileManager.default.createDirectory(atPath: "/tmp/swiftnet-e2e-logs", withIntermediateDirectories: true)
                try? FileManager.default.copyItem(atPath: server.logPath, toPath: kept)
                print("swiftnet log kept at \(kept); last lines:\n" + server.log.split(separator: "\n").suffix(40).joined(separator: "\n"))
            }
            server.cleanUp()
        }
        if let chainPrefix { removeChains(prefix: chainPrefix) }
    }

    /// Only one swiftnet may serve the plugin socket. One we did not start: wait (bounded).
    func waitUntilNoOtherServer() throws {
        let deadline = Date().addingTimeInterval(300)
        var announced = false
        while Self.socketAnswers(Self.pluginSocket) {
            if Date() > deadline {
                XCTFail("another swiftnet still serves \(Self.pluginSocket) after 5 minutes; stop it to run the end-to-end tests")
                throw XCTSkip("plugin socket busy")
            }
            if !announced {
                print("another swiftnet serves \(Self.pluginSocket); waiting (up to 5 minutes) for it to stop")
                announced = true
            }
            sleep(2)
        }
    }

    static func socketAnswers(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path),
              let client = try? UnixHTTPClient(socketPath: path, timeoutSeconds: 2) else { return false }
        defer { client.close() }
        return (try? client.post("/Plugin.Activate", body: []))?.status == 200
    }

    /// Our chains and every jump into them, in both families, by exact name.
    func removeChains(prefix: String) {
        for (save, tool) in [("/usr/sbin/iptables-save", "/usr/sbin/iptables"), ("/usr/sbin/ip6tables-save", "/usr/sbin/ip6tables")] {
            let saved = Shell.run(save, [])
            var table = ""
            var ours: [(String, String)] = []
            for line in saved.output.split(separator: "\n").map(String.init) {
                if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
                if line.hasPrefix(":\(prefix)-") {
                    ours.append((table, String(line.dropFirst().split(separator: " ")[0])))
                    continue
                }
                let words = line.split(separator: " ").map(String.init)
                guard words.count > 2, words[0] == "-A", !words[1].hasPrefix(prefix + "-"),
                      let target = words.firstIndex(of: "-j"), target + 1 < words.count,
                      words[target + 1].hasPrefix(prefix + "-") else { continue }
                Shell.run(tool, ["-w", "-t", table, "-D"] + words.dropFirst())
            }
            for (table, chain) in ours { Shell.run(tool, ["-w", "-t", table, "-F", chain]) }
            for (table, chain) in ours { Shell.run(tool, ["-w", "-t", table, "-X", chain]) }
        }
    }

    // MARK: docker

    struct Network {
        var name: String
        var id: String
    }

    /// `docker network create -d swiftnet --ipam-driver swiftnet ARGS NAME`, listed for tearDown.
    func createNetwork(_ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> Network {
        let name = "swt-\(tag)-n\(networks.count)"
        networks.append(name)
        let id = try docker(["network", "create", "-d", "swiftnet", "--ipam-driver", "swiftnet"] + arguments + [name],
                            file: file, line: line)
        XCTAssertEqual(id.count, 64, "network id: \(id)", file: file, line: line)
        return Network(name: name, id: id)
    }

    func runArguments(_ role: String, network: String?, extra: [String] = [], command: [String]? = nil) -> [String] {
        var arguments = ["run", "-d", "--name", "swt-\(tag)-\(role)", "--dns", "127.0.0.1"]
        if let network { arguments += ["--network", network] }
        return arguments + extra + [Self.image] + (command ?? ["sleep", "3600"])
    }

    /// `docker run -d` (a `sleep` unless told otherwise), listed for tearDown; returns its name.
    func runContainer(_ role: String, network: String?, extra: [String] = [], command: [String]? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let name = "swt-\(tag)-\(role)"
        containers.append(name)
        try docker(runArguments(role, network: network, extra: extra, command: command), timeout: 90, file: file, line: line)
        return name
    }

    /// busybox httpd on 8080 serving one page.
    func httpd(content: String) -> [String] {
        ["sh", "-c", "mkdir -p /srv && echo \(content) > /srv/index.html && exec httpd -f -p 8080 -h /srv"]
    }

    /// Runs /usr/bin/docker; fails the test (both streams in the message) and throws unless it succeeds.
    @discardableResult
    func docker(_ arguments: [String], timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = Shell.run(Self.docker, arguments, timeout: timeout)
        guard result.status == 0 else {
            let log = server?.log.split(separator: "\n").suffix(15).joined(separator: "\n") ?? ""
            XCTFail("docker \(arguments.joined(separator: " ")) failed: \(result.both)\nswiftnet log (last lines):\n\(log)",
                    file: file, line: line)
            throw Shell.Failure(description: "docker \(arguments.joined(separator: " "))")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An HTTP GET from inside a container. busybox wget's own -T crashes in this static
    /// build (as do its name lookups): addresses only, bounded by `timeout`.
    func fetch(in container: String, _ url: String, seconds: Int = 5) -> Shell.Result {
        exec(container, ["timeout", "\(seconds)", "wget", "-q", "-O", "-", url], timeout: Double(seconds) + 10)
    }

    /// An HTTP GET from this host, or from a test host's namespace.
    static func fetchFromHost(_ url: String, namespace: String? = nil) -> Shell.Result {
        let wget = ["/usr/bin/timeout", "5", busybox, "wget", "-q", "-O", "-", url]
        if let namespace { return Shell.run(Shell.ipTool, ["netns", "exec", namespace] + wget, timeout: 15) }
        return Shell.run(wget[0], Array(wget.dropFirst()), timeout: 15)
    }

    /// `docker exec CONTAINER COMMAND…` (no assertion; callers check).
    func exec(_ container: String, _ command: [String], timeout: Double = 15) -> Shell.Result {
        Shell.run(Self.docker, ["exec", container] + command, timeout: timeout)
    }

    func inspectNetwork(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let text = try docker(["network", "inspect", name], file: file, line: line)
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], let first = array.first else {
            XCTFail("docker network inspect \(name): not a JSON array: \(text)", file: file, line: line)
            throw Shell.Failure(description: "network inspect")
        }
        return first
    }

    func containerNetworkSettings(_ container: String, network: String) throws -> [String: Any] {
        let text = try docker(["inspect", "--format", "{{json .NetworkSettings.Networks}}", container])
        let all = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        guard let settings = all?[network] as? [String: Any] else {
            XCTFail("\(container) is not on \(network): \(text)")
            throw Shell.Failure(description: "inspect \(container)")
        }
        return settings
    }

    func containerIPv4(_ container: String, network: String) throws -> String {
        let address = try containerNetworkSettings(container, network: network)["IPAddress"] as? String ?? ""
        XCTAssertFalse(address.isEmpty, "\(container) has no IPv4 address on \(network)")
        return address
    }

    func containerIPv6(_ container: String, network: String) throws -> String {
        let address = try containerNetworkSettings(container, network: network)["GlobalIPv6Address"] as? String ?? ""
        XCTAssertFalse(address.isEmpty, "\(container) has no IPv6 address on \(network)")
        return address
    }

    /// The answers of busybox nslookup: the `Address:` lines after a `Name:` line (the lines
    /// before it name the server).
    static func nslookupAddresses(_ output: String) -> [String] {
        var afterName = false
        var addresses: [String] = []
        for line in output.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Name:") { afterName = true; continue }
            if afterName, text.hasPrefix("Address:") {
                addresses.append(text.dropFirst("Address:".count).trimmingCharacters(in: .whitespaces))
            }
        }
        return addresses
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    // MARK: subnets, ports, test hosts

    struct Subnet {
        var base: String  // "10.243.17"
        var cidr: String { base + ".0/24" }
        func host(_ last: Int) -> String { "\(base).\(last)" }
    }

    /// Host routes and addresses as IPv4 prefixes (every table), to stay clear of them.
    static func hostPrefixes() -> [(UInt32, Int)] {
        var prefixes: [(UInt32, Int)] = []
        let routes = Shell.run(Shell.ipTool, ["-4", "route", "show", "table", "all"]).output
        let addresses = Shell.run(Shell.ipTool, ["-4", "-o", "addr"]).output
        for word in (routes + " " + addresses).split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = word.split(separator: "/")
            guard let address = parse(String(parts[0])) else { continue }
            let length = parts.count > 1 ? Int(parts[1]) ?? 32 : 32
            prefixes.append((address, length))
        }
        return prefixes
    }

    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    static func overlaps(_ a: (UInt32, Int), _ b: (UInt32, Int)) -> Bool {
        let length = min(a.1, b.1)
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
        return a.0 & mask == b.0 & mask
    }

    /// A /24 in 10.240.0.0/12 (not 10.249/16, which the test hosts use, nor the automatic
    /// pool's /16) that no host route or address touches.
    func freeSubnet() throws -> Subnet {
        let taken = Self.hostPrefixes()
        for _ in 0..<200 {
            let second = [240, 241, 242, 243, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 255].randomElement()!
            let base = "10.\(second).\(Int.random(in: 0...255))"
            guard !base.hasPrefix(autoPoolBase + "."), !usedThirdOctets.contains(base) else { continue }
            let prefix = (Self.parse(base + ".0")!, 24)
            guard !taken.contains(where: { $0.1 > 0 && Self.overlaps($0, prefix) }) else { continue }
            usedThirdOctets.insert(base)
            return Subnet(base: base)
        }
        XCTFail("no free /24 in 10.240.0.0/12")
        throw Shell.Failure(description: "no free subnet")
    }

    /// "10.N" for a /16 of 10.240.0.0/12 that no host route or address touches.
    func freeSecondOctetBase() throws -> String {
        let taken = Self.hostPrefixes()
        for second in [240, 241, 242, 243, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 255].shuffled() {
            let prefix = (Self.parse("10.\(second).0.0")!, 16)
            if !taken.contains(where: { $0.1 > 0 && Self.overlaps($0, prefix) }) { return "10.\(second)" }
        }
        XCTFail("no free /16 in 10.240.0.0/12")
        throw Shell.Failure(description: "no free /16")
    }

    /// A TCP port below the ephemeral range that nothing listens on.
    func freeHostPort() throws -> Int {
        let listening = Shell.run("/bin/ss", ["-Htan"]).output + Shell.run("/bin/ss", ["-Htanu"]).output
        for _ in 0..<100 {
            let port = Int.random(in: 20000...29999)
            if !listening.contains(":\(port) ") { return port }
        }
        XCTFail("no free host port")
        throw Shell.Failure(description: "no free port")
    }

    struct TestHost {
        var namespace: String
        var hostSide: String  // this host's address on the link
        var farSide: String   // the namespace's address
    }

    /// Another machine on the LAN: a namespace linked by a veth pair on a /30 of 10.249.0.0/16,
    /// with no route beyond the link.
    func makeTestHost(file: StaticString = #filePath, line: UInt = #line) throws -> TestHost {
        let hex = Shell.randomHex(8)
        let namespace = "swtest-" + hex
        let near = "swt" + hex, far = near + "b"
        let taken = Self.hostPrefixes()
        var chosen: (String, String)?
        for _ in 0..<200 {
            let third = Int.random(in: 0...255), fourth = Int.random(in: 0...63) * 4
            guard let prefix = Self.parse("10.249.\(third).\(fourth)"),
                  !taken.contains(where: { $0.1 > 0 && Self.overlaps($0, (prefix, 30)) }) else { continue }
            chosen = ("10.249.\(third).\(fourth + 1)", "10.249.\(third).\(fourth + 2)")
            break
        }
        guard let (hostSide, farSide) = chosen else {
            XCTFail("no free /30 in 10.249.0.0/16", file: file, line: line)
            throw Shell.Failure(description: "no test host address")
        }
        namespaces.append(namespace)
        links.append(near)
        let steps: [[String]] = [
            ["netns", "add", namespace],
            ["link", "add", near, "type", "veth", "peer", "name", far],
            ["link", "set", far, "netns", namespace],
            ["addr", "add", hostSide + "/30", "dev", near],
            ["link", "set", near, "up"],
            ["netns", "exec", namespace, Shell.ipTool, "addr", "add", farSide + "/30", "dev", far],
            ["netns", "exec", namespace, Shell.ipTool, "link", "set", far, "up"],
            ["netns", "exec", namespace, Shell.ipTool, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let result = Shell.run(Shell.ipTool, step)
            guard result.status == 0 else {
                XCTFail("ip \(step.joined(separator: " ")): \(result.both)", file: file, line: line)
                throw Shell.Failure(description: "test host")
            }
        }
        let host = TestHost(namespace: namespace, hostSide: hostSide, farSide: farSide)
        eventually("the test host \(farSide) answers the host", file: file, line: line) {
            let ping = Shell.run(Self.busybox, ["ping", "-c", "1", "-W", "1", farSide])
            return (ping.status == 0, ping.both)
        }
        return host
    }

    /// busybox httpd on port 8080 inside the test host's namespace, killed in tearDown.
    func startHTTPServer(in host: TestHost, content: String) throws {
        let folder = "/tmp/swt-www-\(tag)-\(Shell.randomHex(4))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.append(folder)
        try (content + "\n").write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Shell.ipTool)
        process.arguments = ["netns", "exec", host.namespace, Self.busybox, "httpd", "-f", "-p", "8080", "-h", folder]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        background.append(process)
        eventually("the test host's httpd answers") {
            let page = Self.fetchFromHost("http://\(host.farSide):8080/", namespace: host.namespace)
            return (page.output.contains(content), page.both)
        }
    }

    // MARK: bounded waiting

    /// Polls `check` until it says yes, for at most `timeout` seconds; fails with the last detail.
    @discardableResult
    func eventually(_ what: String, timeout: Double = 20, interval: Double = 0.5,
                    file: StaticString = #filePath, line: UInt = #line, _ check: () -> (Bool, String)) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var detail = ""
        repeat {
            let (done, latest) = check()
            if done { return true }
            detail = latest
            if Date() >= deadline { break }
            usleep(UInt32(interval * 1_000_000))
        } while true
        let log = server?.log.split(separator: "\n").suffix(10).joined(separator: "\n") ?? ""
        XCTFail("not within \(Int(timeout)) s: \(what)\nlast attempt: \(detail)\nswiftnet log (last lines):\n\(log)", file: file, line: line)
        return false
    }

}

import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// install/package.sh's Debian package as an operator uses it on a host without a Swift
/// toolchain: built, installed with `apt-get install ./swiftnet_*.deb` and run with /opt/swift
/// out of reach, the seed scenario on it, an upgrade under running containers, then remove and
/// purge. The package's server is the real one on /run/docker/plugins/swiftnet.sock with the
/// default chain prefix and state folder, so the test refuses to start on a host that has any
/// of them in use, and its tearDown puts the host back as it found it.
final class DebianPackageTests: DockerTestCase {
    static let pidFile = "/run/swiftnet.pid"
    static let stateDir = "/var/lib/swiftnet"
    static let logFile = "/var/log/swiftnet.log"
    static let toolchain = "/opt/swift"
    static let binary = "/usr/bin/swiftnet"

    var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    var output = ""
    /// Set once this test has run apt-get install: only then does tearDown purge the package.
    var installedByThisTest = false
    /// plugin/build.sh leaves an empty /var/lib/swiftnet; purge removes it, tearDown remakes it.
    var stateDirWasThereEmpty = false
    /// Every server the package started (tearDown stops any still running).
    var serverPIDs: Set<Int32> = []
    var pathsBefore: Set<String> = []

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root (apt-get, dpkg, dockerd, iptables)") }
        for tool in ["/usr/bin/dpkg-deb", "/usr/bin/dpkg-shlibdeps", "/usr/bin/apt-get", "/usr/bin/dpkg-query", "/usr/bin/unshare"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (Debian packages dpkg-dev, apt, util-linux; install/deps.sh --test installs them)")
        }
        try requireDockerdAndImage()
        let status = Shell.run("/usr/bin/dpkg-query", ["-W", "-f", "${Status}", "swiftnet"])
        guard status.status != 0 || status.output.hasSuffix("not-installed") else {
            throw XCTSkip("a swiftnet package is on this host (\(status.output)); the test would replace and purge it")
        }
        try waitUntilNoOtherServer()
        for save in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"] where Shell.run(save, []).output.contains(":SWIFTNET-") {
            throw XCTSkip("SWIFTNET chains exist (another swiftnet, e.g. install/install.sh); purge would remove them")
        }
        for path in [Self.pidFile, Self.logFile, Self.binary] where FileManager.default.fileExists(atPath: path) {
            throw XCTSkip("\(path) exists (another swiftnet install); the package would take it over")
        }
        if FileManager.default.fileExists(atPath: Self.stateDir) {
            guard (try? FileManager.default.contentsOfDirectory(atPath: Self.stateDir))?.isEmpty == true else {
                throw XCTSkip("\(Self.stateDir) holds another swiftnet's state; the package would adopt and purge it")
            }
            stateDirWasThereEmpty = true
        }
        linksBefore = Set(Shell.linkNames().filter(Shell.isSwiftnetLink))
        pathsBefore = Self.swiftnetPaths()
        output = NSTemporaryDirectory() + "swt-deb-\(tag)"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        folders.append(output)
    }

    override func tearDownWithError() throws {
        // Containers and networks first, while the package's server still answers dockerd.
        try super.tearDownWithError()
        if installedByThisTest && packageStatus() != nil {
            let purged = withoutToolchain(["/usr/bin/dpkg", "--purge", "swiftnet"])
            if purged.status != 0 { print("tearDown: dpkg --purge swiftnet: \(purged.both)") }
        }
        for pid in serverPIDs where Self.isPackagedServer(pid) {
            kill(pid, SIGTERM)
            for _ in 0..<100 where Self.isPackagedServer(pid) { usleep(100_000) }
            if Self.isPackagedServer(pid) { kill(pid, SIGKILL) }
        }
        if installedByThisTest {
            removeChains(prefix: "SWIFTNET")
            for path in [Self.pidFile, Self.logFile] { try? FileManager.default.removeItem(atPath: path) }
            if stateDirWasThereEmpty {
                try? FileManager.default.createDirectory(atPath: Self.stateDir, withIntermediateDirectories: true,
                                                         attributes: [.posixPermissions: 0o700])
            } else {
                try? FileManager.default.removeItem(atPath: Self.stateDir)
            }
        }
    }

    func testBuiltPackageInstallsWithoutToolchainRunsTheSeedUpgradesUnderRunningContainersAndPurgesClean() throws {
        // --- build: two versions, so that the upgrade is a real one -------------------------
        let tree = Shell.run("/bin/bash", [repository + "/install/package.sh", "--print-version"])
        let base = tree.output.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(tree.status, 0, tree.both)
        let first = base + "+test1", second = base + "+test2"
        let firstPackage = try build(version: first)
        let secondPackage = try build(version: second)

        let fields = Shell.run("/usr/bin/dpkg-deb", ["-f", output + "/" + firstPackage, "Version", "Depends"]).output
        XCTAssertTrue(fields.contains("Version: \(first)"), fields)
        for dependency in ["libmicrohttpd12", "libnl-route-3-200", "libsqlite3-0", "iptables"] {
            XCTAssertTrue(fields.contains(dependency), "Depends names \(dependency): \(fields)")
        }
        XCTAssertFalse(fields.lowercased().contains("swift"), "no Swift package to depend on: \(fields)")
        let contents = Shell.run("/usr/bin/dpkg-deb", ["-c", output + "/" + firstPackage]).output
        for file in ["./usr/bin/swiftnet", "./usr/sbin/swiftnet-daemon", "./lib/systemd/system/swiftnet.socket",
                     "./lib/systemd/system/swiftnet.service", "./usr/share/man/man1/swiftnet.1.gz",
                     "./usr/share/bash-completion/completions/swiftnet", "./usr/share/doc/swiftnet/copyright"] {
            XCTAssertTrue(contents.contains(" \(file)\n"), "the package holds \(file):\n\(contents)")
        }
        XCTAssertNil(contents.range(of: #"\.so(\.[0-9]+)*\n"#, options: .regularExpression),
                     "no shared library copied in (Debian provides them):\n\(contents)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian") {
            let lint = Shell.run("/usr/bin/lintian", [output + "/" + firstPackage], timeout: 300)
            XCTAssertFalse(lint.output.contains("E: ") || lint.output.contains("W: "), "lintian finds no error or warning:\n\(lint.both)")
        }

        // --- install where no toolchain can be found ----------------------------------------
        let hidden = withoutToolchain(["/bin/sh", "-c", "! command -v swift && [ ! -e \(Self.toolchain)/usr/bin/swift ] && [ -z \"${LD_LIBRARY_PATH:-}\" ]"])
        XCTAssertEqual(hidden.status, 0, "the toolchain must be out of reach: \(hidden.both)")
        installedByThisTest = true
        let installed = apt(["install", "-y", "./" + firstPackage])
        XCTAssertEqual(installed.status, 0, installed.both)
        if !FileManager.default.fileExists(atPath: "/run/systemd/system") {
            XCTAssertTrue(installed.output.contains("swiftnet-daemon start"), "without systemd it says how to start: \(installed.both)")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: Self.stateDir)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o700, "postinst makes \(Self.stateDir) 0700")
        let ldd = withoutToolchain(["/usr/bin/ldd", Self.binary])
        XCTAssertEqual(ldd.status, 0, ldd.both)
        XCTAssertFalse(ldd.output.contains(Self.toolchain) || ldd.output.contains("libswift") || ldd.output.contains("not found"),
                       "the Swift runtime is linked statically; every library is Debian's:\n\(ldd.output)")
        XCTAssertEqual(withoutToolchain([Self.binary, "--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines), first)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let verify = Shell.run("/usr/bin/systemd-analyze", ["verify", "/lib/systemd/system/swiftnet.socket", "/lib/systemd/system/swiftnet.service"])
            XCTAssertEqual(verify.status, 0, "the packaged units run /usr/bin/swiftnet: \(verify.both)")
        }

        // --- start from the installed files -------------------------------------------------
        let started = withoutToolchain(["/usr/sbin/swiftnet-daemon", "start"], timeout: 60)
        XCTAssertEqual(started.status, 0, started.both)
        let firstPID = try serverPID()
        try assertServes(version: first, pid: firstPID)
        // The daemon's server writes and rotates its log itself (no journal, no cron here).
        let command = (try? String(contentsOfFile: "/proc/\(firstPID)/cmdline", encoding: .utf8))?.split(separator: "\0").map(String.init) ?? []
        XCTAssertEqual(command.suffix(2), ["--log-file", Self.logFile], "\(command)")

        // --- the seed scenario: frontend reaches backend by name ---------------------------
        let network = try createNetwork()
        let backend = try runContainer("backend", network: network.name, extra: ["--network-alias", "backend"],
                                       command: httpd(content: "backend-\(tag)"))
        let frontend = try runContainer("frontend", network: network.name)
        let backendAddress = try containerIPv4(backend, network: network.name)
        assertReaches(frontend, backend, at: backendAddress)
        XCTAssertTrue(Shell.run("/usr/sbin/iptables-save", []).output.contains(":SWIFTNET-FORWARD"), "the packaged server's chains")
        let startedAt = try docker(["inspect", "-f", "{{.State.StartedAt}} {{.State.Running}}", backend, frontend])

        // --- upgrade with the containers running --------------------------------------------
        let upgraded = apt(["install", "-y", "./" + secondPackage])
        XCTAssertEqual(upgraded.status, 0, upgraded.both)
        let secondPID = try serverPID()
        XCTAssertNotEqual(secondPID, firstPID, "the upgrade restarts the server on the new binary: \(upgraded.both)")
        XCTAssertFalse(Self.isPackagedServer(firstPID), "the old server is gone")
        try assertServes(version: second, pid: secondPID)
        XCTAssertEqual(try docker(["inspect", "-f", "{{.State.StartedAt}} {{.State.Running}}", backend, frontend]), startedAt,
                       "the containers ran on through the upgrade")
        XCTAssertEqual(try containerIPv4(backend, network: network.name), backendAddress)
        assertReaches(frontend, backend, at: backendAddress)
        // The state came through: the new server knows the network and both endpoints, and
        // a new container gets an address neither of them has.
        let state = try stateJSON()
        let stateNetworks = state["networks"] as? [[String: Any]] ?? []
        XCTAssertTrue(stateNetworks.contains { $0["id"] as? String == network.id }, "the network is in the upgraded state: \(state)")
        let endpoints = (state["endpoints"] as? [[String: Any]] ?? []).filter { $0["network"] as? String == network.id }
        XCTAssertEqual(endpoints.count, 2, "both endpoints are in the upgraded state: \(state)")
        let late = try runContainer("late", network: network.name)
        let lateAddress = try containerIPv4(late, network: network.name)
        let frontendAddress = try containerIPv4(frontend, network: network.name)
        XCTAssertFalse([backendAddress, frontendAddress].contains(lateAddress),
                       "a new container gets a free address: \(lateAddress)")

        // --- remove, then purge ---------------------------------------------------------------
        Shell.run(Self.docker, ["rm", "-f"] + containers, timeout: 120)
        containers.removeAll()
        try docker(["network", "rm", network.name])
        networks.removeAll()
        let removed = apt(["remove", "-y", "swiftnet"])
        XCTAssertEqual(removed.status, 0, removed.both)
        XCTAssertFalse(Self.isPackagedServer(secondPID), "prerm stops the server")
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.pluginSocket), "no socket after remove")
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.binary))
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.stateDir + "/swiftnet.db"), "remove keeps the state")
        XCTAssertTrue(Shell.run("/usr/sbin/iptables-save", []).output.contains(":SWIFTNET-"), "remove keeps the chains (purge removes them)")

        let purged = apt(["purge", "-y", "swiftnet"])
        XCTAssertEqual(purged.status, 0, purged.both)
        XCTAssertNil(packageStatus(), "purged: dpkg knows no swiftnet")
        for save in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"] {
            let rules = Shell.run(save, []).output
            XCTAssertFalse(rules.contains("SWIFTNET-"), "\(save): purge removes swiftnet's chains and jumps:\n\(rules)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.stateDir), "purge removes the state")
        // /run/swiftnet (the chain-prefix locks) goes with the purge when no other server's
        // lock is in it, whether or not it was there before.
        XCTAssertEqual(Self.swiftnetPaths().subtracting(["/run/swiftnet"]), pathsBefore.subtracting([Self.stateDir, "/run/swiftnet"]),
                       "purge leaves no file or link of swiftnet")
        XCTAssertEqual(Self.packagedServerPIDs(), [], "no swiftnet process is left")
        XCTAssertEqual(Set(Shell.linkNames().filter(Shell.isSwiftnetLink)).subtracting(linksBefore), [], "no swiftnet interface is left")
    }

    // MARK: steps

    /// install/package.sh --version V into the test's folder; the .deb's file name.
    func build(version: String) throws -> String {
        let began = Date()
        let built = Shell.run("/bin/bash", [repository + "/install/package.sh", "--version", version, "--output", output], timeout: 2400)
        guard built.status == 0 else {
            XCTFail("install/package.sh --version \(version): \(built.both)")
            throw Shell.Failure(description: "package build")
        }
        print("install/package.sh --version \(version): \(Int(Date().timeIntervalSince(began))) s; \(built.output)")
        let architecture = Shell.run("/usr/bin/dpkg", ["--print-architecture"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = "swiftnet_\(version)_\(architecture).deb"
        XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/" + name), built.both)
        return name
    }

    /// apt-get in the test's package folder, without the toolchain.
    func apt(_ arguments: [String]) -> Shell.Result {
        withoutToolchain(["/bin/sh", "-c", "cd \"$0\" && exec apt-get -o DPkg::Lock::Timeout=300 \"$@\"", output] + arguments, timeout: 600)
    }

    /// Runs a command as on a host without a Swift toolchain: a fixed PATH and no
    /// LD_LIBRARY_PATH, and /opt/swift covered by an empty tmpfs in a mount namespace of its own
    /// (so that no run path nor absolute path reaches it either). A server started this way
    /// stays in that namespace.
    func withoutToolchain(_ command: [String], timeout: Double = 120) -> Shell.Result {
        var script = "exec \"$@\""
        if FileManager.default.fileExists(atPath: Self.toolchain) {
            script = "mount -t tmpfs -o size=1m,mode=0755 swiftnet-no-toolchain \(Self.toolchain) && " + script
        }
        return Shell.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "--", "/usr/bin/env", "-i",
                                             "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8",
                                             "/bin/sh", "-c", script, "sh"] + command, timeout: timeout)
    }

    func serverPID(file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
        let text = (try? String(contentsOfFile: Self.pidFile, encoding: .utf8)) ?? ""
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            XCTFail("no pid in \(Self.pidFile): '\(text)'", file: file, line: line)
            throw Shell.Failure(description: "pid file")
        }
        serverPIDs.insert(pid)
        return pid
    }

    /// The server runs the installed binary, loads nothing of the toolchain, and answers on the
    /// plugin socket with this version.
    func assertServes(version: String, pid: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"), Self.binary, file: file, line: line)
        let maps = (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)) ?? ""
        XCTAssertFalse(maps.isEmpty, "no /proc/\(pid)/maps", file: file, line: line)
        XCTAssertFalse(maps.contains(Self.toolchain) || maps.contains("libswift"), "the server maps a toolchain library:\n\(maps)",
                       file: file, line: line)
        let server = try stateJSON()["server"] as? [String: Any]
        XCTAssertEqual(server?["version"] as? String, version, file: file, line: line)
        XCTAssertEqual(server?["statePath"] as? String, Self.stateDir + "/swiftnet.db", file: file, line: line)
    }

    func stateJSON() throws -> [String: Any] {
        let client = try UnixHTTPClient(socketPath: Self.pluginSocket, timeoutSeconds: 10)
        defer { client.close() }
        let response = try client.get("/state")
        XCTAssertEqual(response.status, 200, response.text)
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// The seed's check: the frontend resolves the backend by alias and by name to its address
    /// on the network (dockerd's embedded DNS), then fetches its page there.
    func assertReaches(_ frontend: String, _ backend: String, at address: String, file: StaticString = #filePath, line: UInt = #line) {
        for name in ["backend", backend] {
            var resolved = ""
            eventually("\(frontend) resolves \(name)", file: file, line: line) {
                let lookup = self.exec(frontend, ["timeout", "10", "nslookup", name], timeout: 20)
                resolved = Self.nslookupAddresses(lookup.output).first(where: Self.isIPv4) ?? ""
                return (!resolved.isEmpty, lookup.both)
            }
            XCTAssertEqual(resolved, address, "\(name) resolves to the backend's address", file: file, line: line)
        }
        eventually("\(frontend) fetches http://\(address):8080/", file: file, line: line) {
            let page = self.fetch(in: frontend, "http://\(address):8080/")
            return (page.output.contains("backend-\(self.tag)"), page.both)
        }
    }

    // MARK: host inspection

    /// dpkg's status of swiftnet, nil when dpkg knows none (never installed, or purged).
    func packageStatus() -> String? {
        let status = Shell.run("/usr/bin/dpkg-query", ["-W", "-f", "${Status}", "swiftnet"])
        guard status.status == 0, !status.output.hasSuffix("not-installed") else { return nil }
        return status.output
    }

    /// Files, folders and links named after swiftnet where a package or its scripts put them.
    static func swiftnetPaths() -> Set<String> {
        let found = Shell.run("/usr/bin/find", ["/etc", "/usr", "/lib/systemd", "/var/lib/dpkg/info", "/var/lib/systemd", "/var/log", "/run",
                                          "-xdev", "(", "-path", "/run/swiftnet-test-docker", "-o", "-path", "/run/docker/netns",
                                          "-o", "-path", "/run/containerd", ")", "-prune", "-o", "-name", "*swiftnet*", "-print"])
        let stateFolders = Shell.run("/usr/bin/find", ["/var/lib", "-maxdepth", "1", "-name", "*swiftnet*"])
        return Set((found.output + stateFolders.output).split(separator: "\n").map(String.init))
    }

    static func isPackagedServer(_ pid: Int32) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"))?.hasPrefix(binary) == true
    }

    /// Processes running /usr/bin/swiftnet (also one whose file an upgrade replaced).
    static func packagedServerPIDs() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter(isPackagedServer)
    }
}

import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// `install/install.sh` as a user runs it on a host without systemd (like this one), and the
/// systemd units it installs where systemd runs.
final class InstallScriptTests: XCTestCase {
    static let socket = "/run/docker/plugins/swiftnet.sock"
    static let docker = "/usr/bin/docker"
    var root = ""
    var environment: [String: String] = [:]
    var containers: [String] = []
    var networks: [String] = []

    var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    override func setUpWithError() throws {
        root = "/tmp/swn-inst-\(Shell.randomHex(6))"
        environment = ["SWIFTNET_PREFIX": root + "/bin", "SWIFTNET_STATE_DIR": root + "/state",
                       "SWIFTNET_PID_FILE": root + "/swiftnet.pid", "SWIFTNET_LOG_FILE": root + "/swiftnet.log",
                       "SWIFTNET_SHARE": root + "/share", "SWIFTNET_BINARY": releaseBinary]
    }

    /// Built by test/run.sh before the tests (a build from inside `swift test` would wait for
    /// the lock it holds on .build).
    var releaseBinary: String { repository + "/.build/release/swiftnet" }

    override func tearDownWithError() throws {
        for container in containers { Shell.run(Self.docker, ["rm", "-f", container]) }
        for network in networks { Shell.run(Self.docker, ["network", "rm", network]) }
        if FileManager.default.fileExists(atPath: root) { _ = install(["--uninstall", "--purge"]) }
        try? FileManager.default.removeItem(atPath: root)
    }

    func install(_ arguments: [String] = []) -> Shell.Result {
        Shell.run("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + ["bash", repository + "/install/install.sh"] + arguments,
                  timeout: 1200)
    }

    func testUnitFilesPassSystemdAnalyzeVerify() throws {
        let folder = root + "/units"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // verify checks that ExecStart exists: point it at the binary under test.
        let service = try String(contentsOfFile: repository + "/install/swiftnet.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/swiftnet", with: ServerProcess.binary)
        try service.write(toFile: folder + "/swiftnet.service", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: repository + "/install/swiftnet.socket", toPath: folder + "/swiftnet.socket")
        let verify = Shell.run("/usr/bin/systemd-analyze", ["verify", folder + "/swiftnet.socket", folder + "/swiftnet.service"])
        XCTAssertEqual(verify.status, 0, verify.both)
        XCTAssertEqual(verify.error.trimmingCharacters(in: .whitespacesAndNewlines), "", verify.both)
        let socketUnit = try String(contentsOfFile: folder + "/swiftnet.socket", encoding: .utf8)
        XCTAssertTrue(socketUnit.contains("ListenStream=\(Self.socket)"))
        XCTAssertTrue(service.contains("Before=docker.service") && service.contains("Restart=on-failure"))
        XCTAssertTrue(service.contains("\nLimitNOFILE=65536\n"), "the descriptor limit the server raises its soft limit to")
    }

    func testInstallTwiceRunTwoContainersByNameThenUninstallLeavesNothing() throws {
        guard Shell.run(Self.docker, ["version"]).succeeded else { throw XCTSkip("no dockerd answers (test/run.sh starts one)") }
        let linksBefore = Set(Shell.linkNames())
        guard FileManager.default.isExecutableFile(atPath: releaseBinary) else {
            throw XCTSkip("no release build at \(releaseBinary) (test/run.sh builds it first)")
        }
        try waitForFreePluginSocket()

        let first = install()
        XCTAssertEqual(first.status, 0, first.both)
        XCTAssertTrue(first.output.contains("running in the background"), first.both)
        XCTAssertTrue(first.output.contains("docker network create -d swiftnet"), "it ends with how to create a network")
        let pid = try String(contentsOfFile: root + "/swiftnet.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = root + "/state"
        let mode = try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o700)

        // Completion for three shells and the man page, made from the installed binary.
        let installedFiles = ["/share/bash-completion/completions/swiftnet", "/share/zsh/site-functions/_swiftnet",
                              "/share/fish/vendor_completions.d/swiftnet.fish", "/share/man/man1/swiftnet.1.gz"].map { root + $0 }
        for file in installedFiles {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file), "\(file) not installed: \(first.both)")
        }
        let bash = try String(contentsOfFile: installedFiles[0], encoding: .utf8)
        XCTAssertFalse(bash.hasPrefix("#!"), "bash-completion sources the file")
        XCTAssertTrue(bash.contains("--format") && bash.contains("inspect"), "completion of this binary's commands")
        let page = Shell.run("/bin/sh", ["-c", "gzip -dc '\(installedFiles[3])' | man -l - 2>/dev/null | col -b"])
        XCTAssertTrue(page.output.contains("swiftnet") && page.output.contains("--format"), page.both)
        // Without systemd the server writes the log itself, rotating it (--log-file).
        let command = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).split(separator: "\0").map(String.init)
        XCTAssertEqual(command.suffix(2), ["--log-file", root + "/swiftnet.log"], "\(command)")
        let logged = try String(contentsOfFile: root + "/swiftnet.log", encoding: .utf8)
        XCTAssertNotNil(logged.firstMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info swiftnet: serving/#), logged)
        let pageModified = try FileManager.default.attributesOfItem(atPath: installedFiles[3])[.modificationDate] as? Date

        let second = install()
        XCTAssertEqual(second.status, 0, second.both)
        XCTAssertTrue(second.output.contains("nothing to do"), second.both)
        XCTAssertEqual(try String(contentsOfFile: root + "/swiftnet.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), pid,
                       "a second install changes nothing")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: installedFiles[3])[.modificationDate] as? Date, pageModified,
                       "the man page is rewritten only when it changes")

        // Two containers that talk by name.
        let tag = Shell.randomHex(6)
        let network = "swt-inst-\(tag)"
        networks.append(network)
        let created = Shell.run(Self.docker, ["network", "create", "-d", "swiftnet", "--ipam-driver", "swiftnet",
                                              "--subnet", "10.236.\(Int.random(in: 0...250)).0/24", network])
        XCTAssertEqual(created.status, 0, created.both)
        let backend = "swt-inst-\(tag)-backend"
        containers.append(backend)
        let started = Shell.run(Self.docker, ["run", "-d", "--name", backend, "--network", network, "--dns", "127.0.0.1",
                                              "bb:latest", "httpd", "-f", "-p", "8080", "-h", "/www"])
        XCTAssertEqual(started.status, 0, started.both)
        let script = "ip=$(nslookup \(backend) 127.0.0.11 | awk '/^Address/ {a=$NF} END {print a}'); echo resolved $ip; timeout 5 wget -q -O - http://$ip:8080/"
        var fetched = Shell.Result(status: -1, output: "", error: "")
        for _ in 0..<20 {
            fetched = Shell.run(Self.docker, ["run", "--rm", "--network", network, "--dns", "127.0.0.1", "bb:latest", "sh", "-c", script])
            if fetched.succeeded && fetched.output.contains("resolved 10.236.") { break }
            usleep(250_000)
        }
        XCTAssertTrue(fetched.succeeded && fetched.output.contains("resolved 10.236."), fetched.both)
        Shell.run(Self.docker, ["rm", "-f", backend])
        containers.removeAll()
        XCTAssertEqual(Shell.run(Self.docker, ["network", "rm", network]).status, 0)
        networks.removeAll()

        // Uninstall: no process, socket, interface or rule left.
        let removed = install(["--uninstall", "--purge"])
        XCTAssertEqual(removed.status, 0, removed.both)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/\(pid)"), "the server still runs")
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.socket), "the socket is left")
        XCTAssertFalse(FileManager.default.fileExists(atPath: state), "--purge removes the state")
        for file in installedFiles { XCTAssertFalse(FileManager.default.fileExists(atPath: file), "\(file) left") }
        XCTAssertEqual(Set(Shell.linkNames()).subtracting(linksBefore).filter { $0.hasPrefix("swn-") || $0.hasPrefix("swv") || $0.hasPrefix("swc") }, [],
                       "links made while swiftnet was installed are left")
        XCTAssertFalse(Shell.run("/usr/sbin/iptables-save", []).output.contains("SWIFTNET-"), "swiftnet's chains are left")
    }

    /// Other tests (and their servers) use the plugin socket too; wait for it to be free.
    func waitForFreePluginSocket() throws {
        for _ in 0..<300 {
            guard let client = try? UnixHTTPClient(socketPath: Self.socket, timeoutSeconds: 1) else { return }
            client.close()
            sleep(1)
        }
        throw XCTSkip("another swiftnet serves \(Self.socket)")
    }
}

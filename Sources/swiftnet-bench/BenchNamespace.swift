import ArgumentParser

/// A throw-away network namespace for a benchmark's server: deleting it takes the bridges,
/// veths and rules the server made there with it.
struct BenchNamespace {
    let name = "swnbench-\(LifecycleBench.hex(8))"

    init() throws {
        guard DockerRunBench.exec("/usr/sbin/ip", ["netns", "add", name]).status == 0 else {
            throw ValidationError("cannot make network namespace \(name)")
        }
    }

    /// Execs what follows in the namespace (the pid stays the program's).
    var launcher: [String] { ["/usr/sbin/ip", "netns", "exec", name] }

    func delete() {
        _ = DockerRunBench.exec("/usr/sbin/ip", ["netns", "delete", name])
    }
}

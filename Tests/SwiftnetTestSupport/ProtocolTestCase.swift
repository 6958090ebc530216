import SwiftnetClient
import XCTest

/// A real `swiftnet serve` on a temporary socket and a client to it, per test: the fixture of
/// the tests that speak the plugin protocol without touching the kernel. Automatic pools come
/// from `addressPool`, clear of whatever routes this host has.
open class ProtocolTestCase: XCTestCase {
    package var server: ServerProcess!
    package var client: UnixHTTPClient!
    /// `--default-address-pool` of the server; subclasses that run beside each other use their own.
    open var addressPool: String { "base=10.198.0.0/16,size=24" }

    open override func setUpWithError() throws {
        server = ServerProcess()
        server.extraArguments = ["--default-address-pool", addressPool]
        try server.start()
        client = try server.client()
    }

    open override func tearDownWithError() throws {
        client?.close()
        server?.cleanUp()
    }
}

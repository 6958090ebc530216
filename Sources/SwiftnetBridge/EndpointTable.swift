import SwiftnetNetworkModel

/// The endpoint records by id, with the host ports their live endpoints publish kept beside
/// them: every change of a record goes through the subscript, so the index is never stale and
/// choosing a host port never walks the other endpoints.
package struct EndpointTable: Sendable {
    private var byID: [String: EndpointRecord] = [:]
    /// The host ports of endpoints not being deleted (one being deleted has lost its rules).
    private(set) var hostPorts = TakenHostPorts()

    package init() {}

    package subscript(_ id: String) -> EndpointRecord? {
        get { byID[id] }
        set {
            if let old = byID[id] { hostPorts.remove(old) }
            byID[id] = newValue
            if let newValue { hostPorts.insert(newValue) }
        }
    }

    package var values: Dictionary<String, EndpointRecord>.Values { byID.values }
    package var count: Int { byID.count }
    package var isEmpty: Bool { byID.isEmpty }
}

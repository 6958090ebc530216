import SwiftnetJSON

/// One key as etcd holds it. Keys and values are text here: swiftnet stores only UTF-8 (paths
/// and JSON), and etcd's base64 is undone on the way in.
package struct EtcdKeyValue: Sendable, Equatable {
    package var key: String
    package var value: String
    package var createRevision: Int64
    package var modRevision: Int64
    package var version: Int64
    /// 0 when the key hangs on no lease.
    package var lease: Int64

    package init(key: String, value: String, createRevision: Int64 = 0, modRevision: Int64 = 0,
                 version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    init(json object: JSONObject) throws(EtcdJSON.Failure) {
        key = try EtcdJSON.text(object, "key")
        value = try EtcdJSON.text(object, "value")
        createRevision = try EtcdJSON.int64(object, "create_revision")
        modRevision = try EtcdJSON.int64(object, "mod_revision")
        version = try EtcdJSON.int64(object, "version")
        lease = try EtcdJSON.int64(object, "lease")
    }
}

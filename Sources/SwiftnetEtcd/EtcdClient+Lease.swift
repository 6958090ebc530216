import SwiftnetJSON

extension EtcdClient {
    /// A new lease of `ttlSeconds`; returns its id and the TTL etcd granted.
    package func grantLease(ttlSeconds: Int64) throws(EtcdError) -> (id: Int64, ttl: Int64) {
        let answer = try call("/v3/lease/grant", .object(["TTL": EtcdJSON.number(ttlSeconds)]))
        do throws(EtcdJSON.Failure) {
            let id = try EtcdJSON.int64(answer, "ID")
            guard id != 0 else { throw EtcdJSON.Failure(what: "no lease ID") }
            return (id, try EtcdJSON.int64(answer, "TTL"))
        } catch {
            throw Self.malformed(error, "/v3/lease/grant")
        }
    }

    /// Renews the lease; returns its TTL now, 0 when the lease is gone (expired or revoked), as
    /// etcd answers a keepalive for an unknown lease.
    package func keepAlive(lease id: Int64) throws(EtcdError) -> Int64 {
        let answer: JSONObject
        do throws(EtcdError) {
            answer = try call("/v3/lease/keepalive", .object(["ID": EtcdJSON.number(id)]))
        } catch {
            if error.isNotFound { return 0 }
            throw error
        }
        do { return try EtcdJSON.int64(answer, "TTL") } catch { throw Self.malformed(error, "/v3/lease/keepalive") }
    }

    /// Ends the lease now, deleting every key on it. An unknown lease is not an error.
    package func revoke(lease id: Int64) throws(EtcdError) {
        do throws(EtcdError) {
            _ = try call("/v3/lease/revoke", .object(["ID": EtcdJSON.number(id)]))
        } catch {
            if error.isNotFound { return }
            throw error
        }
    }
}

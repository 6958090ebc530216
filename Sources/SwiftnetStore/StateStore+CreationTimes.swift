import GRDB

extension StateStore {
    /// When each network, endpoint and pool was recorded (unix seconds), for the operator views:
    /// `gc --docker` leaves alone what is younger than its minimum age, since dockerd asks
    /// for the pool and creates the network before its own list shows it. Read on demand
    /// rather than kept in the records, which the request path copies.
    package func creationTimes() throws -> (networks: [String: Int], endpoints: [String: Int], pools: [String: Int]) {
        try queue.read { db in
            var networks: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, CAST(strftime('%s', created_at) AS INTEGER) FROM network") {
                networks[row[0]] = row[1]
            }
            var endpoints: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, CAST(strftime('%s', created_at) AS INTEGER) FROM endpoint") {
                endpoints[row[0]] = row[1]
            }
            var pools: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, CAST(strftime('%s', created_at) AS INTEGER) FROM pool") {
                pools[row[0]] = row[1]
            }
            return (networks, endpoints, pools)
        }
    }
}

import GRDB
import GRDBSQLite

/// A value bound to a statement run by `Database.run(cached:_:)`.
enum DirectArgument {
    case text(String)
    case integer(Int64)
    case null

    init(_ text: String?) { self = text.map(DirectArgument.text) ?? .null }
    init(_ integer: Int64?) { self = integer.map(DirectArgument.integer) ?? .null }
}

extension Database {
    /// Runs a cached statement that returns no rows, binding its arguments through SQLite's C
    /// API. Only for the statements of every RequestAddress and ReleaseAddress (and the
    /// BEGIN and COMMIT around them): there GRDB's general path (an argument array of
    /// `DatabaseValueConvertible`, checked and converted on each call, and its step and reset
    /// bookkeeping) cost as much CPU as SQLite's own step (perf, `swiftnet-bench ipam`).
    /// The statement is reset before binding and after the step, so GRDB finds it as it left it.
    func run(cached sql: String, _ arguments: DirectArgument...) throws {
        let handle = try cachedStatement(sql: sql).sqliteStatement
        // GRDB refuses a wrong count; bindings cleared after each run would make it a silent NULL.
        precondition(Int(sqlite3_bind_parameter_count(handle)) == arguments.count, "\(sql): \(arguments.count) arguments")
        sqlite3_reset(handle)
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            let code: Int32
            switch argument {
            case .text(let text): code = sqlite3_bind_text(handle, position, text, -1, Database.transient)
            case .integer(let integer): code = sqlite3_bind_int64(handle, position, integer)
            case .null: code = sqlite3_bind_null(handle, position)
            }
            guard code == SQLITE_OK else { throw failure(code, sql) }
        }
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(code, sql) }
    }

    /// SQLite copies the text before the bind call returns (Swift's C string is temporary).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}

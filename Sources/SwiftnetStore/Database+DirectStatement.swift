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
        let handle = try bound(cached: sql, arguments)
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(code, sql) }
    }

    /// Steps through the rows of a cached query with SQLite's C API, handing each row's
    /// statement to `body` (read it with `DirectRow`). For the start-up scan of every address
    /// held: GRDB's row cursor made a Foundation `Data` for each column it lent out, half of
    /// the time of loading 100,000 allocations (perf, `swiftnet-bench startup`).
    func forEachRow(cached sql: String, _ arguments: DirectArgument..., body: (DirectRow) throws -> Void) throws {
        let handle = try bound(cached: sql, arguments)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code, sql) }
            try body(DirectRow(statement: handle))
        }
    }

    /// The cached statement, reset, with `arguments` bound: GRDB finds it as it left it once
    /// the caller resets it again.
    private func bound(cached sql: String, _ arguments: [DirectArgument]) throws -> OpaquePointer {
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
        return handle
    }

    /// SQLite copies the text before the bind call returns (Swift's C string is temporary).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}

/// One row of `Database.forEachRow`, valid only inside its call.
struct DirectRow {
    fileprivate let statement: OpaquePointer

    /// The column's text as SQLite holds it (nil for NULL), without copying it.
    func withText<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL, let text = sqlite3_column_text(statement, column) else {
            return try body(nil)
        }
        return try body(UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column))))
    }

    /// The column as an integer, nil for NULL.
    func integer(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    /// The column as a String, nil for NULL.
    func text(_ column: Int32) -> String? {
        withText(column) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }
}

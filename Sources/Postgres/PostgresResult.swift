import CLibPQ

/// The result of one statement: rows in binary format, or a command's affected-row count.
///
/// Owns the libpq result and frees it when released. Not `Sendable`; decode what you need on the thread
/// that ran the statement.
public final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(self.handle) }

    /// Number of rows returned.
    public var rowCount: Int { Int(PQntuples(self.handle)) }

    /// Number of columns in each row.
    public var columnCount: Int { Int(PQnfields(self.handle)) }

    /// Rows inserted, updated, deleted, copied or selected by the command; 0 when it reports none.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(self.handle))) ?? 0 }

    /// The command tag the server sent (`INSERT 0 1`, `COMMIT`, `ROLLBACK`, …).
    public var commandTag: String { String(cString: PQcmdStatus(self.handle)) }

    /// The name of column `column`.
    public func columnName(_ column: Int) -> String { String(cString: PQfname(self.handle, Int32(column))) }

    /// The index of the column called `name`, if there is one.
    public func columnIndex(named name: String) -> Int? {
        let index = Int(PQfnumber(self.handle, PostgresConnection.quoteIdentifier(name)))
        return index >= 0 ? index : nil
    }

    /// The type of column `column`.
    public func columnType(_ column: Int) -> PostgresDataType { PostgresDataType(oid: PQftype(self.handle, Int32(column))) }

    /// Whether the value at `row`, `column` is SQL NULL.
    /// A value of a text-format result (``PostgresConnection/simpleQuery(_:)``) as its text; nil for NULL.
    public func text(row: Int, column: Int) -> String? {
        self.isNull(row: row, column: column) ? nil : String(cString: PQgetvalue(self.handle, Int32(row), Int32(column)))
    }

    public func isNull(row: Int, column: Int) -> Bool { PQgetisnull(self.handle, Int32(row), Int32(column)) == 1 }

    /// Decodes the value at `row`, `column` as `T` (use an optional type for nullable columns).
    /// - Throws: ``PostgresError`` with code `.decoding`, naming the column, when the types do not match.
    public func decode<T: PostgresDecodable>(_: T.Type = T.self, row: Int, column: Int) throws -> T {
        guard row >= 0, row < self.rowCount, column >= 0, column < self.columnCount else {
            throw PostgresError(.decoding, "no value at row \(row), column \(column) in a \(self.rowCount)×\(self.columnCount) result")
        }
        do {
            if self.isNull(row: row, column: column) { return try T.decodeNull() }
            guard PQfformat(self.handle, Int32(column)) == PostgresFormat.binary.rawValue else {
                // Simple-protocol results are text; the decoders read binary only.
                throw PostgresError(.decoding, "the column is in text format; run it with query(_:_:)")
            }
            let length = Int(PQgetlength(self.handle, Int32(row), Int32(column)))
            let pointer = PQgetvalue(self.handle, Int32(row), Int32(column))
            return try T.decode(from: UnsafeRawBufferPointer(start: pointer, count: length), type: self.columnType(column))
        } catch var error as PostgresError {
            error.message = "column \"\(self.columnName(column))\" (row \(row)): \(error.message)"
            throw error
        }
    }

    /// The rows, each a view that decodes its columns on demand.
    public var rows: [PostgresRow] { (0..<self.rowCount).map { PostgresRow(result: self, index: $0) } }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow {
    public let result: PostgresResult
    public let index: Int

    /// Decodes column `column` as `T`.
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        try self.result.decode(type, row: self.index, column: column)
    }

    /// Decodes the column called `name` as `T`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let column = self.result.columnIndex(named: name) else {
            throw PostgresError(.decoding, "the result has no column \"\(name)\"")
        }
        return try self.result.decode(type, row: self.index, column: column)
    }
}

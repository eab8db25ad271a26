import CLibPQ

/// The rows of a statement run without waiting (``PostgresConnection/pollResult()``), copied out of
/// the connection and kept for decoding.
///
/// Each row is stored as the protocol's DataRow message carries it: a 16-bit field count, then each field as a
/// 32-bit length (-1 for NULL) and its bytes, in binary format. Rows are checked against the column count as
/// they are added, so decoding never reads past a row. Both ways of running a statement, libpq's and
/// ``PostgresConnection``'s own protocol code, hand back this one form.
public struct PostgresRows {
    /// The type of each column, from the prepared statement's description.
    public let columnTypes: [PostgresDataType]
    private var bytes: [UInt8] = []
    private var rowStarts: [Int] = []

    init(columnTypes: [PostgresDataType]) { self.columnTypes = columnTypes }

    /// Copies the rows of a libpq result (binary format).
    init(copying result: OpaquePointer, columnTypes: [PostgresDataType]) {
        self.columnTypes = columnTypes
        let columns = Int32(columnTypes.count)
        for row in 0..<PQntuples(result) {
            self.rowStarts.append(self.bytes.count)
            withUnsafeBytes(of: Int16(columns).bigEndian) { self.bytes.append(contentsOf: $0) }
            for column in 0..<columns {
                guard PQgetisnull(result, row, column) == 0 else {
                    withUnsafeBytes(of: Int32(-1).bigEndian) { self.bytes.append(contentsOf: $0) }
                    continue
                }
                let length = PQgetlength(result, row, column)
                withUnsafeBytes(of: length.bigEndian) { self.bytes.append(contentsOf: $0) }
                let value = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: Int(length))
                self.bytes.append(contentsOf: value)
            }
        }
    }

    /// Number of rows.
    public var count: Int { self.rowStarts.count }

    /// Number of columns in each row.
    public var columnCount: Int { self.columnTypes.count }

    /// Adds a row from a DataRow message's payload.
    /// - Throws: ``PostgresError`` with code `.protocolViolation` when its fields do not match the columns.
    mutating func append(dataRow payload: UnsafeRawBufferPointer) throws(PostgresError) {
        guard payload.count >= 2, Int(Int16(bigEndian: payload.loadUnaligned(as: Int16.self))) == self.columnTypes.count else {
            throw PostgresError(.protocolViolation, "a row did not have the statement's \(self.columnTypes.count) columns")
        }
        var offset = 2
        for _ in self.columnTypes {
            guard offset + 4 <= payload.count else { throw Self.truncated }
            let length = Int(Int32(bigEndian: payload.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
            offset += 4 + max(length, 0)
            guard length >= -1, offset <= payload.count else { throw Self.truncated }
        }
        self.rowStarts.append(self.bytes.count)
        self.bytes.append(contentsOf: payload)
    }

    private static let truncated = PostgresError(.protocolViolation, "a row's fields ran past the end of its message")

    /// Decodes the value at `row`, `column` as `T` (use an optional type for nullable columns).
    /// - Throws: ``PostgresError`` with code `.decoding` when there is no such value or the types do not match.
    public func decode<T: PostgresDecodable>(_: T.Type = T.self, row: Int, column: Int) throws -> T {
        guard row >= 0, row < self.count, column >= 0, column < self.columnCount else {
            throw PostgresError(.decoding, "no value at row \(row), column \(column) in \(self.count)×\(self.columnCount) rows")
        }
        return try self.bytes.withUnsafeBytes { raw in
            var offset = self.rowStarts[row] + 2
            var length = 0
            for field in 0...column {
                length = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4
                if field < column { offset += max(length, 0) }
            }
            guard length >= 0 else { return try T.decodeNull() }
            do {
                return try T.decode(from: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length]), type: self.columnTypes[column])
            } catch var error as PostgresError {
                error.message = "column \(column) (row \(row)): \(error.message)"
                throw error
            }
        }
    }
}

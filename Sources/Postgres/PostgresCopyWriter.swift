import CLibPQ
import Foundation

/// Writes rows in PostgreSQL's binary COPY format and hands them, in 1 MiB chunks, to a sink: the server
/// (``PostgresConnection/copyIn(table:columns:_:)``) or a file (``PostgresCopyFile``) that a later COPY
/// streams unchanged.
///
/// Format: an 11-byte signature, flags and header-extension length; per row an int16 field count, then each
/// field as an int32 length (-1 for NULL) and its binary value; an int16 -1 trailer.
public struct PostgresCopyWriter: ~Copyable {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var buffer = PostgresBuffer(capacity: Self.chunkBytes + 64 * 1024)
    private let columnCount: Int
    private var fieldsInRow = 0
    public private(set) var rowCount = 0

    /// How many bytes are gathered before one `PQputCopyData` call.
    static let chunkBytes = 1 << 20
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    init(columnCount: Int, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
        self.columnCount = columnCount
        self.buffer.writeBytes(Self.signature)
        self.buffer.writeInteger(Int32(0))  // flags
        self.buffer.writeInteger(Int32(0))  // header extension length
    }

    /// Appends one row; `values` must have one entry per column (nil for NULL).
    public mutating func append(row values: [(any PostgresEncodable)?]) throws {
        try self.beginRow()
        for value in values {
            if let value { try self.append(value) } else { self.appendNull() }
        }
        try self.endRow()
    }

    /// Starts a row; follow with one ``append(_:)`` or ``appendNull()`` per column, then ``endRow()``.
    public mutating func beginRow() throws {
        guard self.fieldsInRow == 0 else { throw PostgresError(.encoding, "beginRow() called inside a row") }
        self.buffer.writeInteger(Int16(self.columnCount))
    }

    /// Appends one field in binary format.
    public mutating func append(_ value: some PostgresEncodable) throws {
        let lengthOffset = self.buffer.count
        self.buffer.writeInteger(Int32(0))
        try value.encode(into: &self.buffer)
        self.buffer.setInt32(Int32(self.buffer.count - lengthOffset - 4), at: lengthOffset)
        self.fieldsInRow += 1
    }

    /// Appends a NULL field.
    public mutating func appendNull() {
        self.buffer.writeInteger(Int32(-1))
        self.fieldsInRow += 1
    }

    /// Ends the row, sending the buffer when a chunk is full.
    public mutating func endRow() throws {
        guard self.fieldsInRow == self.columnCount else {
            throw PostgresError(.encoding, "row \(self.rowCount + 1) has \(self.fieldsInRow) fields, the COPY has \(self.columnCount) columns")
        }
        self.fieldsInRow = 0
        self.rowCount += 1
        if self.buffer.count >= Self.chunkBytes { try self.flush() }
    }

    /// Sends what is buffered.
    mutating func flush() throws {
        guard self.buffer.count > 0 else { return }
        try self.buffer.bytes.withUnsafeBytes { try self.sink($0) }
        self.buffer.removeAll()
    }

    /// Writes the trailer and sends the rest.
    mutating func finish() throws {
        self.buffer.writeInteger(Int16(-1))
        try self.flush()
    }
}

extension PostgresConnection {
    /// Bulk-loads rows with `COPY table (columns) FROM STDIN` in binary format.
    ///
    /// `body` appends rows to the writer; they are streamed as they fill 1 MiB chunks. If `body` throws, the
    /// COPY is aborted and nothing is loaded.
    /// - Returns: the number of rows the server loaded.
    @discardableResult
    public func copyIn(
        table: String, columns: [String], _ body: (inout PostgresCopyWriter) throws -> Void
    ) throws -> Int {
        try self.streamCopy(table: table, columns: columns) {
            var writer = PostgresCopyWriter(columnCount: columns.count) { try self.putCopyData($0) }
            try body(&writer)
            try writer.finish()
        }
    }

    /// Bulk-loads a file written by ``PostgresCopyFile`` with `COPY table (columns) FROM STDIN` in binary
    /// format: all its rows (``copyIn(table:columns:file:rows:progress:)`` over ``PostgresCopyFile/rowBytes(of:)``).
    /// - Parameter progress: called after each chunk with the bytes of rows sent so far.
    /// - Returns: the number of rows the server loaded.
    @discardableResult
    public func copyIn(
        table: String, columns: [String], file path: String, progress: ((Int) -> Void)? = nil
    ) throws -> Int {
        try self.copyIn(table: table, columns: columns, file: path, rows: PostgresCopyFile.rowBytes(of: path), progress: progress)
    }

    /// The COPY protocol around `send`: start `COPY … FROM STDIN (FORMAT binary)`, let `send` stream the data,
    /// end it (or abort it with the error `send` threw, so nothing is loaded), and return the rows loaded.
    func streamCopy(table: String, columns: [String], _ send: () throws -> Void) throws -> Int {
        let target = "\(Self.quoteIdentifier(table)) (\(columns.map(Self.quoteIdentifier).joined(separator: ", ")))"
        let sql = "COPY \(target) FROM STDIN (FORMAT binary)"
        let start = try self.check(PQexec(self.handle, sql), for: sql)
        guard PQresultStatus(start.handle) == PGRES_COPY_IN else {
            throw PostgresError(.protocolViolation, "the server did not enter COPY IN for \(target)")
        }
        do {
            try send()
        } catch {
            _ = PQputCopyEnd(self.handle, "aborted by the client: \(error)")
            self.drainResults()
            throw error
        }
        guard PQputCopyEnd(self.handle, nil) == 1 else { throw self.connectionError() }
        let end = try self.check(PQgetResult(self.handle), for: sql)
        self.drainResults()
        return end.affectedRows
    }

    /// Sends one chunk of COPY data (blocking until libpq has taken it).
    func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        let status = PQputCopyData(self.handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        guard status == 1 else { throw self.connectionError() }
    }

    /// Reads and frees results until libpq has none left, so the connection is idle again.
    func drainResults() {
        while let result = PQgetResult(self.handle) { PQclear(result) }
    }
}

/// A binary COPY file: rows encoded once (by a dataset generator) and streamed later by
/// ``PostgresConnection/copyIn(table:columns:file:)`` without decoding.
public enum PostgresCopyFile {
    /// Writes rows through `body` to `path` (via a temporary name, renamed when complete).
    /// - Returns: the number of rows written.
    @discardableResult
    public static func write(
        to path: String, columnCount: Int, _ body: (inout PostgresCopyWriter) throws -> Void
    ) throws -> Int {
        let temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let output = FileHandle(forWritingAtPath: temporary)
        else { throw PostgresError(.encoding, "\(path): cannot create the file") }
        do {
            var writer = PostgresCopyWriter(columnCount: columnCount) { try output.write(contentsOf: $0) }
            try body(&writer)
            try writer.finish()
            try output.close()
            guard rename(temporary, path) == 0 else {
                throw PostgresError(.encoding, "\(path): cannot rename the finished file: \(String(cString: strerror(errno)))")
            }
            return writer.rowCount
        } catch {
            try? output.close()
            try? FileManager.default.removeItem(atPath: temporary)
            if error is PostgresError { throw error }
            // Foundation's write errors name neither the file nor, plainly, the cause (NSCocoaErrorDomain 640).
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
            throw PostgresError(.file, "\(path): cannot write: \(posix ?? error.localizedDescription)")
        }
    }
}

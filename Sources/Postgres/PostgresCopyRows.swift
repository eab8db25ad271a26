import Foundation

/// Some rows of a binary COPY file, each readable as statement parameters: rows a load left out, inserted
/// later one by one exactly as COPY would have loaded them (binary COPY fields are the types' binary send
/// format, which is also their binary parameter format).
///
/// The file is mapped read-only: a row's bytes are read when it is inserted, from the page cache.
public final class PostgresCopyRows: Sendable {
    /// The file's rows held, by position in the file.
    public let rows: Range<Int>
    private let file: Data
    /// Per held row: where it starts in the file.
    private let starts: [Int]

    /// Reads rows `rows` of the COPY file at `path`.
    /// - Throws: ``PostgresError`` (file) when the file is not a binary COPY file written here or holds fewer rows.
    public init(path: String, rows: Range<Int>) throws {
        var spans: [Range<Int>] = []
        var seen = 0
        if !rows.isEmpty {
            _ = try PostgresCopyFile.walkRows(of: path) { row, start, end, _ in
                seen = row + 1
                if row >= rows.lowerBound { spans.append(start..<end) }
                return seen < rows.upperBound
            }
        }
        guard seen >= rows.upperBound else {
            throw PostgresError(.file, "\(path): holds \(seen) rows; rows \(rows.lowerBound)..<\(rows.upperBound) were asked for")
        }
        self.rows = rows
        self.starts = spans.map(\.lowerBound)
        do {
            self.file = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw PostgresError(.file, "\(path): cannot map: \(error.localizedDescription)")
        }
        guard (spans.last?.upperBound ?? 0) <= self.file.count else { throw PostgresError(.file, "\(path): changed while it was read") }
    }

    /// Row `row`'s fields, in the file's column order, as binary parameters (nil for NULL); none for a row
    /// that is not among ``rows`` (the statement then fails for want of parameters).
    public func fields(of row: Int) -> [PostgresRawField?] {
        guard self.rows.contains(row) else { return [] }
        let index = row - self.rows.lowerBound
        return self.file.withUnsafeBytes { raw in
            var offset = self.starts[index]
            let count = Int(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
            offset += 2
            return (0..<count).map { _ in
                let length = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4
                guard length >= 0 else { return nil }
                defer { offset += length }
                return PostgresRawField(bytes: Array(raw[offset..<(offset + length)]))
            }
        }
    }
}

/// A parameter sent as the binary bytes it already is, its type left to the server (the statement's column).
public struct PostgresRawField: PostgresEncodable, Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public static var parameterType: PostgresDataType { .unspecified }

    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeBytes(self.bytes) }
}

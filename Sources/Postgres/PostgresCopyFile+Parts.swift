import CLibPQ
import Foundation

extension PostgresCopyFile {
    /// The header every binary COPY file written here starts with: signature, flags 0, no extension.
    static let headerBytes = PostgresCopyWriter.signature.count + 8
    /// The walk releases the pages behind it this many bytes at a time (a multiple of every page size).
    static let releaseBytes = 64 << 20

    /// Splits the rows of a binary COPY file into at most `count` consecutive byte ranges of about equal size,
    /// each starting and ending on a row boundary, so that several connections can COPY one table at once
    /// (``PostgresConnection/copyIn(table:columns:file:rows:progress:)``).
    ///
    /// - Parameter rows: only these rows, by position in the file (all when nil): a study that grows a table
    ///   loads the file's first rows, later the next ones.
    /// - Throws: ``PostgresError`` (file) when the file is not a complete binary COPY file as written here, or
    ///   holds fewer rows than `rows` asks for.
    public static func parts(of path: String, count: Int, rows: Range<Int>? = nil) throws -> [Range<Int>] {
        let count = max(count, 1)
        guard let rows else {
            // Cut by bytes as the walk goes: each part about an equal share of the file.
            var parts: [Range<Int>] = []
            var partStart = Self.headerBytes
            let end = try self.walkRows(of: path) { _, _, end, rowsEnd in
                if end - partStart >= max(1, (rowsEnd - Self.headerBytes + count - 1) / count) {
                    parts.append(partStart..<end)
                    partStart = end
                }
                return true
            }
            if end > partStart { parts.append(partStart..<end) }
            return parts
        }
        guard !rows.isEmpty else { return [] }
        // The span's size is known only at its end: note the start of every `spacing`-th row in it, then cut
        // at the noted starts nearest to equal shares.
        let spacing = max(1, rows.count / (count * 64))
        var marks: [Int] = []
        var seen = 0, spanEnd = 0
        _ = try self.walkRows(of: path) { row, start, end, _ in
            seen = row + 1
            guard row >= rows.lowerBound else { return true }
            if (row - rows.lowerBound) % spacing == 0 { marks.append(start) }
            spanEnd = end
            return seen < rows.upperBound
        }
        guard seen >= rows.upperBound else {
            throw PostgresError(.file, "\(path): holds \(seen) rows; rows \(rows.lowerBound)..<\(rows.upperBound) were asked for")
        }
        let share = max(1, (spanEnd - marks[0] + count - 1) / count)
        var parts: [Range<Int>] = []
        var partStart = marks[0]
        for mark in marks.dropFirst() where mark - partStart >= share {
            parts.append(partStart..<mark)
            partStart = mark
        }
        parts.append(partStart..<spanEnd)
        return parts
    }

    /// The bytes of a binary COPY file between its header and its trailer: all its rows.
    /// - Throws: ``PostgresError`` (file) when the file cannot be read or is too short for one.
    public static func rowBytes(of path: String) throws -> Range<Int> {
        var info = stat()
        guard stat(path, &info) == 0 else { throw PostgresError(.file, "\(path): \(String(cString: strerror(errno)))") }
        guard Int(info.st_size) >= Self.headerBytes + 2 else { throw PostgresError(.file, "\(path): too short for a binary COPY file") }
        return Self.headerBytes..<(Int(info.st_size) - 2)
    }

    /// Walks the rows of a binary COPY file through a read-only mapping, reading only their length fields (the
    /// pages are read all the same, which warms the page cache for the COPY that follows): `visit` gets each
    /// row's number, start and end offsets and the offset where the rows end, and returns false to stop.
    /// Returns the offset the walk stopped at; the trailer is checked when it reached the end.
    static func walkRows(of path: String, _ visit: (_ row: Int, _ start: Int, _ end: Int, _ rowsEnd: Int) -> Bool) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw PostgresError(.file, "\(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw PostgresError(.file, "\(path): \(String(cString: strerror(errno)))") }
        let size = Int(info.st_size)
        guard size >= Self.headerBytes + 2 else { throw PostgresError(.file, "\(path): too short for a binary COPY file") }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED else {
            throw PostgresError(.file, "\(path): cannot map: \(String(cString: strerror(errno)))")
        }
        defer { munmap(mapped, size) }
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        let bytes = UnsafeRawPointer(mapped)
        guard PostgresCopyWriter.signature.indices.allSatisfy({ bytes.load(fromByteOffset: $0, as: UInt8.self) == PostgresCopyWriter.signature[$0] }),
            bytes.loadUnaligned(fromByteOffset: Self.headerBytes - 4, as: Int32.self) == 0
        else { throw PostgresError(.file, "\(path): not a binary COPY file written by tripbench") }

        let rowsEnd = size - 2
        var offset = Self.headerBytes, released = 0, row = 0
        while offset < rowsEnd {
            let start = offset
            let fields = Int(Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
            guard fields > 0 else { throw PostgresError(.file, "\(path): byte \(offset): a row of \(fields) fields") }
            offset += 2
            for _ in 0..<fields {
                guard offset + 4 <= rowsEnd else { throw PostgresError(.file, "\(path): byte \(offset): the file ends inside a row") }
                let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4 + max(length, 0)
            }
            guard offset <= rowsEnd else { throw PostgresError(.file, "\(path): byte \(offset): the file ends inside a row") }
            // The walk touches every page; drop those behind it from this process (they stay in the page cache),
            // or splitting `large`'s 6.3 GB file made the loader's resident set 6.3 GB.
            if offset - released > Self.releaseBytes {
                let end = offset / Self.releaseBytes * Self.releaseBytes
                _ = madvise(mapped + released, end - released, MADV_DONTNEED)
                released = end
            }
            guard visit(row, start, offset, rowsEnd) else { return offset }
            row += 1
        }
        guard Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: rowsEnd, as: Int16.self)) == -1 else {
            throw PostgresError(.file, "\(path): the trailer is missing (truncated?)")
        }
        return offset
    }
}

extension PostgresConnection {
    /// Bulk-loads the rows in `rows` (a byte range from ``PostgresCopyFile/parts(of:count:)``) of a binary COPY
    /// file: the file's header, those bytes unchanged, and the trailer.
    /// - Parameter progress: called after each chunk with the bytes of `rows` sent so far.
    /// - Returns: the number of rows the server loaded.
    @discardableResult
    public func copyIn(
        table: String, columns: [String], file path: String, rows: Range<Int>, progress: ((Int) -> Void)? = nil
    ) throws -> Int {
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw PostgresError(.file, "\(path): cannot open the COPY file")
        }
        defer { try? input.close() }
        return try self.streamCopy(table: table, columns: columns) {
            guard let header = try input.read(upToCount: PostgresCopyFile.headerBytes), header.count == PostgresCopyFile.headerBytes else {
                throw PostgresError(.file, "\(path): too short for a binary COPY file")
            }
            try header.withUnsafeBytes { try self.putCopyData($0) }
            try input.seek(toOffset: UInt64(rows.lowerBound))
            var sent = 0
            while sent < rows.count, let chunk = try input.read(upToCount: min(PostgresCopyWriter.chunkBytes, rows.count - sent)), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try self.putCopyData($0) }
                sent += chunk.count
                progress?(sent)
            }
            guard sent == rows.count else { throw PostgresError(.file, "\(path): the file ended before byte \(rows.upperBound)") }
            var trailer = Int16(-1).bigEndian
            try withUnsafeBytes(of: &trailer) { try self.putCopyData($0) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The vector file formats of the ANN benchmark suites.
///
/// - `.fbin` (big-ann-benchmarks): uint32 count, uint32 dimension, then `count × dimension` float32.
/// - `.ibin`: uint32 count, uint32 k, then `count × k` int32 (ground-truth row ids, nearest first).
/// - `.fvecs` (TEXMEX): each row is an int32 dimension followed by that many float32.
///
/// All little-endian. Readers check the sizes against the header and name the file in every error;
/// writers write to a temporary name and rename, so a failed write leaves nothing half-written.
public enum VectorFiles {
    /// The widest vectors read: far beyond any embedding model, and small enough that a row's arithmetic
    /// cannot overflow.
    public static let maximumDimension = 65_536

    /// Reads `.fbin` or `.fvecs` (chosen by the file's extension) into a new store in memory.
    public static func readVectors(_ path: String) throws -> VectorStore {
        path.hasSuffix(".fvecs") ? try self.readFvecs(path) : try self.readFbin(path)
    }

    /// Opens `.fbin` or `.fvecs` (chosen by the file's extension): an `.fbin` is mapped (``mapFbin(_:)``), an
    /// `.fvecs`, whose rows are interleaved with their lengths, is read into memory.
    public static func openVectors(_ path: String) throws -> VectorStore {
        path.hasSuffix(".fvecs") ? try self.readFvecs(path) : try self.mapFbin(path)
    }

    /// Maps an `.fbin` read-only: nothing is read until a row is touched, and the rows stay in the page
    /// cache rather than the process's memory (see ``VectorStore``). The header is checked as ``readFbin(_:)``
    /// checks it.
    ///
    /// - Parameter rows: only the file's first this many rows (all when nil or more than it holds).
    public static func mapFbin(_ path: String, rows: Int? = nil) throws -> VectorStore {
        let (count, dimension) = try self.fbinShape(path)
        let mapping = try PageAllocation(mapping: path)
        guard mapping.bytes == 8 + count * dimension * 4 else {
            mapping.release()
            throw VectorSearchError(.badInput, "\(path): the file changed while it was opened")
        }
        return VectorStore(mapping: mapping, offset: 8, dimension: dimension, count: min(rows ?? count, count))
    }

    /// Maps a row-major float32 matrix stored `offset` bytes into any file (an HDF5 file's contiguous dataset),
    /// read-only, as ``mapFbin(_:rows:)`` maps an `.fbin`'s rows.
    /// - Throws: ``VectorSearchError`` (bad input) when the matrix reaches past the end of the file.
    public static func mapMatrix(_ path: String, offset: Int, count: Int, dimension: Int) throws -> VectorStore {
        guard dimension <= Self.maximumDimension else {
            throw VectorSearchError(.badInput, "\(path): \(dimension) dimensions; at most \(Self.maximumDimension) are supported")
        }
        let mapping = try PageAllocation(mapping: path)
        guard offset >= 0, count > 0, offset + count * dimension * 4 <= mapping.bytes else {
            mapping.release()
            throw VectorSearchError(.badInput, "\(path): \(count) × \(dimension) floats at byte \(offset) reach past the end of the file")
        }
        return VectorStore(mapping: mapping, offset: offset, dimension: dimension, count: count)
    }

    /// Maps the rows `rows` of an `.fbin` read-only: row 0 of the store is row `rows.lowerBound` of the file.
    /// - Throws: ``VectorSearchError`` (bad input) for an empty range or one beyond the file's rows.
    public static func mapFbin(_ path: String, rows: Range<Int>) throws -> VectorStore {
        let (count, dimension) = try self.fbinShape(path)
        guard !rows.isEmpty, rows.lowerBound >= 0, rows.upperBound <= count else {
            throw VectorSearchError(.badInput, "\(path): rows \(rows.lowerBound)..<\(rows.upperBound) are not within its \(count) rows")
        }
        let mapping = try PageAllocation(mapping: path)
        guard mapping.bytes == 8 + count * dimension * 4 else {
            mapping.release()
            throw VectorSearchError(.badInput, "\(path): the file changed while it was opened")
        }
        return VectorStore(mapping: mapping, offset: 8 + rows.lowerBound * dimension * 4, dimension: dimension, count: rows.count)
    }

    /// The row count and dimension of an `.fbin`, from its header, checked against the file's size.
    public static func fbinShape(_ path: String) throws -> (count: Int, dimension: Int) {
        let file = try BinaryFile(reading: path)
        let (count, dimension) = try file.readHeader(kind: "vectors", unit: "floats")
        guard dimension <= Self.maximumDimension else {
            throw VectorSearchError(.badInput, "\(path): the header says \(dimension) dimensions; at most \(Self.maximumDimension) are supported")
        }
        return (count, dimension)
    }

    /// Reads an `.fbin` into memory (huge pages for large files): for a store that is searched at random many
    /// times, or that is changed.
    public static func readFbin(_ path: String) throws -> VectorStore {
        let (count, dimension) = try self.fbinShape(path)
        let file = try BinaryFile(reading: path)
        try file.skip(8)
        let expected = count * dimension * 4
        let store = try VectorStore(dimension: dimension, capacity: count)
        try file.read(into: UnsafeMutableRawPointer(store.base), bytes: expected)
        store.didFill(count)
        return store
    }

    public static func readFvecs(_ path: String) throws -> VectorStore {
        let file = try BinaryFile(reading: path)
        guard file.size >= 4 else { throw VectorSearchError(.badInput, "\(path): too short for an .fvecs file") }
        var dimension: Int32 = 0
        try file.read(into: &dimension, bytes: 4)
        guard dimension > 0, dimension <= Self.maximumDimension else {
            throw VectorSearchError(.badInput, "\(path): row 0 has dimension \(dimension) (1 to \(Self.maximumDimension) supported)")
        }
        let rowBytes = 4 + Int(dimension) * 4
        guard file.size % rowBytes == 0 else {
            throw VectorSearchError(.badInput, "\(path): \(file.size) bytes is not a whole number of \(dimension)-d rows (\(rowBytes) bytes each)")
        }
        let count = file.size / rowBytes
        let store = try VectorStore(dimension: Int(dimension), capacity: count)
        for row in 0..<count {
            if row > 0 {
                var rowDimension: Int32 = 0
                try file.read(into: &rowDimension, bytes: 4)
                guard rowDimension == dimension else {
                    throw VectorSearchError(.badInput, "\(path): row \(row) has dimension \(rowDimension), row 0 has \(dimension)")
                }
            }
            try file.read(into: UnsafeMutableRawPointer(store.row(row)), bytes: Int(dimension) * 4)
        }
        store.didFill(count)
        return store
    }

    /// Writes the store's rows as `.fbin`.
    public static func writeFbin(_ store: VectorStore, to path: String) throws {
        try BinaryFile.write(to: path) { file in
            try file.writeHeader(store.count, store.dimension)
            try file.write(UnsafeRawPointer(store.base), bytes: store.count * store.dimension * 4)
        }
    }

    /// Writes an `.fbin` of `count × dimension` floats that `body` hands over a block at a time through the
    /// function it is given, so no more than a block need be in memory. Fails, leaving nothing, unless exactly
    /// `count` rows were written.
    public static func writeFbin(
        to path: String, count: Int, dimension: Int, _ body: ((UnsafeBufferPointer<Float>) throws -> Void) throws -> Void
    ) throws {
        try BinaryFile.write(to: path) { file in
            try file.writeHeader(count, dimension)
            var written = 0
            try body { floats in
                try file.write(UnsafeRawPointer(floats.baseAddress!), bytes: floats.count * 4)
                written += floats.count
            }
            guard written == count * dimension else {
                throw VectorSearchError(.io, "\(path): \(written) floats written for \(count) × \(dimension)")
            }
        }
    }

    /// Reads an `.ibin` file: row ids, `k` per query.
    public static func readIbin(_ path: String) throws -> (ids: [Int32], count: Int, k: Int) {
        let file = try BinaryFile(reading: path)
        let (count, k) = try file.readHeader(kind: "ids", unit: "ids")
        var ids = [Int32](repeating: 0, count: count * k)
        try ids.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, bytes: $0.count) }
        return (ids, count, k)
    }

    /// Writes `ids` (`count × k`, nearest first per query) as `.ibin`.
    public static func writeIbin(_ ids: [Int32], count: Int, k: Int, to path: String) throws {
        precondition(ids.count == count * k)
        try BinaryFile.write(to: path) { file in
            try file.writeHeader(count, k)
            try ids.withUnsafeBytes { try file.write($0.baseAddress!, bytes: $0.count) }
        }
    }
}

/// A file opened for one binary read or write, with errors that name it; closed when released.
final class BinaryFile {
    let path: String
    private var handle: UnsafeMutablePointer<FILE>?
    let size: Int

    init(reading path: String) throws {
        guard let handle = fopen(path, "rb") else {
            throw VectorSearchError(errno == ENOENT ? .badInput : .io, "\(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        fstat(fileno(handle), &info)
        self.path = path
        self.handle = handle
        self.size = Int(info.st_size)
    }

    private init(path: String, handle: UnsafeMutablePointer<FILE>) {
        self.path = path
        self.handle = handle
        self.size = 0
    }

    deinit {
        if let handle = self.handle { fclose(handle) }
    }

    /// Closes the file, reporting a failed flush (a full disk shows here).
    func close() throws {
        guard let handle = self.handle else { return }
        self.handle = nil
        guard fclose(handle) == 0 else { throw VectorSearchError(.io, "\(self.path): \(String(cString: strerror(errno)))") }
    }

    /// Reads the 8-byte header of `count × width` 4-byte values and checks it against the file's size, so a
    /// corrupt header is refused before anything is allocated (the product of two 32-bit fields can exceed
    /// what a 64-bit size holds).
    func readHeader(kind: String, unit: String) throws -> (Int, Int) {
        guard self.size >= 8 else { throw VectorSearchError(.badInput, "\(self.path): \(self.size) bytes is too short for the 8-byte header") }
        var header: (UInt32, UInt32) = (0, 0)
        try self.read(into: &header, bytes: 8)
        let (count, width) = (Int(UInt32(littleEndian: header.0)), Int(UInt32(littleEndian: header.1)))
        guard width > 0 else { throw VectorSearchError(.badInput, "\(self.path): the header says \(kind) of width 0") }
        let (values, overflow) = count.multipliedReportingOverflow(by: width)
        let bytes = overflow || values > (Int.max - 8) / 4 ? nil : values * 4 + 8
        guard bytes == self.size else {
            let expected = bytes.map { "\($0) bytes" } ?? "more bytes than a file can hold"
            throw VectorSearchError(.badInput, "\(self.path): the header says \(count) × \(width) \(unit) (\(expected)) but the file has \(self.size) bytes")
        }
        return (count, width)
    }

    func skip(_ bytes: Int) throws {
        guard fseek(self.handle, bytes, SEEK_CUR) == 0 else { throw VectorSearchError(.io, "\(self.path): \(String(cString: strerror(errno)))") }
    }

    func read(into pointer: UnsafeMutableRawPointer, bytes: Int) throws {
        guard fread(pointer, 1, bytes, self.handle) == bytes else {
            throw VectorSearchError(.badInput, "\(self.path): the file ended early (truncated?)")
        }
    }

    func writeHeader(_ count: Int, _ width: Int) throws {
        guard let count = UInt32(exactly: count), let width = UInt32(exactly: width) else {
            throw VectorSearchError(.badInput, "\(self.path): \(count) × \(width) does not fit the 32-bit header")
        }
        var header = (count.littleEndian, width.littleEndian)
        try self.write(&header, bytes: 8)
    }

    func write(_ pointer: UnsafeRawPointer, bytes: Int) throws {
        guard fwrite(pointer, 1, bytes, self.handle) == bytes else {
            throw VectorSearchError(.io, "\(self.path): write failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes through `body` to `path.tmp-PID`, then renames it over `path`; removes the temporary file on failure.
    static func write(to path: String, _ body: (BinaryFile) throws -> Void) throws {
        let temporary = "\(path).tmp-\(getpid())"
        guard let handle = fopen(temporary, "wb") else {
            throw VectorSearchError(.io, "\(path): \(String(cString: strerror(errno)))")
        }
        do {
            let file = BinaryFile(path: path, handle: handle)
            try body(file)
            try file.close()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw VectorSearchError(.io, "\(path): \(String(cString: strerror(errno)))")
        }
    }
}

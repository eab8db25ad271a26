/// `count` vectors of `dimension` floats in one contiguous buffer with a fixed stride: row `i` starts at
/// `base + i·dimension`.
///
/// Two kinds: a store built in memory (large ones get huge pages, see ``PageAllocation``), and a store mapped
/// read-only from an `.fbin` file (``VectorFiles/mapFbin(_:)``), whose rows live in the page cache and cost the
/// process no anonymous memory however many there are. A mapped store is full and read-only: writing through
/// ``base`` faults.
///
/// `@unchecked Sendable`: rows are only appended by the single owner while it builds the store; once
/// shared, the buffer is read-only.
public final class VectorStore: @unchecked Sendable {
    public let dimension: Int
    public let capacity: Int
    public private(set) var count = 0
    /// The first float of row 0.
    public let base: UnsafeMutablePointer<Float>
    /// The rows' memory: zeroed, or a file's mapping with row 0 at `offset` bytes.
    private let memory: PageAllocation
    private let offset: Int

    /// An empty store for up to `capacity` rows.
    /// - Throws: ``VectorSearchError`` for a zero dimension or when memory cannot be had.
    public init(dimension: Int, capacity: Int) throws {
        guard dimension > 0 else { throw VectorSearchError(.badInput, "vector dimension must be at least 1") }
        self.dimension = dimension
        self.capacity = max(capacity, 0)
        self.memory = try PageAllocation(
            bytes: self.capacity * dimension * MemoryLayout<Float>.stride, purpose: "\(capacity) vectors")
        self.offset = 0
        self.base = self.memory.pointer.bindMemory(to: Float.self, capacity: self.memory.bytes / 4)
    }

    /// A full, read-only store over `count` rows of a mapped file starting `offset` bytes in.
    init(mapping: PageAllocation, offset: Int, dimension: Int, count: Int) {
        precondition(mapping.isFile && offset + count * dimension * 4 <= mapping.bytes)
        self.dimension = dimension
        self.capacity = count
        self.count = count
        self.memory = mapping
        self.offset = offset
        // Never written through: the mapping is PROT_READ, and a mapped store is full (append refuses).
        self.base = (mapping.pointer + offset).assumingMemoryBound(to: Float.self)
    }

    deinit { self.memory.release() }

    /// Whether the rows are mapped from a file (and so read-only).
    public var isMapped: Bool { self.memory.isFile }

    /// How rows will be read next, for a mapped store; nothing for a store in memory.
    public enum Access: Sendable {
        case sequential, random, willNeed
        /// Done with for now: for a mapped store the rows' pages leave the process's resident set and stay in
        /// the page cache. A scan that releases each block after reading it stays small however big the file.
        case done
    }

    /// Copies `rows` into `destination` (`rows.count × dimension` floats): from a mapped file by `pread`, without
    /// mapping its pages into this process (see ``PageAllocation/copy(bytes:into:)``).
    public func copyRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let rowBytes = self.dimension * MemoryLayout<Float>.stride
        self.memory.copy(bytes: (self.offset + rows.lowerBound * rowBytes)..<(self.offset + rows.upperBound * rowBytes), into: destination)
    }

    /// Advises the kernel how `rows` will be read (see ``Access``). Harmless on a store in memory: its rows
    /// are never dropped.
    public func advise(_ access: Access, rows: Range<Int>) {
        let rowBytes = self.dimension * MemoryLayout<Float>.stride
        self.memory.advise(access, bytes: (self.offset + rows.lowerBound * rowBytes)..<(self.offset + rows.upperBound * rowBytes))
    }

    /// Row `index`, `dimension` floats.
    @inline(__always)
    public func row(_ index: Int) -> UnsafeMutablePointer<Float> { self.base + index &* self.dimension }

    /// Appends a row, normalising it to unit length when `normalize` is set.
    public func append(_ vector: UnsafeBufferPointer<Float>, normalize: Bool = false) {
        precondition(vector.count == self.dimension, "a \(vector.count)-float row in a \(self.dimension)-d store")
        precondition(self.count < self.capacity, "the store is full")
        let destination = self.row(self.count)
        destination.update(from: vector.baseAddress!, count: self.dimension)
        if normalize { DistanceKernels.normalize(destination, count: self.dimension) }
        self.count += 1
    }

    /// Counts `rows` rows that were written directly into the free space after the last row (by a file
    /// reader, or by generator threads filling disjoint rows through ``base``).
    public func didFill(_ rows: Int) {
        precondition(self.count + rows <= self.capacity, "\(rows) rows do not fit")
        self.count += rows
    }

    /// Bytes of the vectors (in memory, or mapped).
    public var sizeBytes: Int { self.capacity * self.dimension * MemoryLayout<Float>.stride }

    /// Row `index` as an array (for tests and small jobs, not hot loops).
    public func vector(_ index: Int) -> [Float] { Array(UnsafeBufferPointer(start: self.row(index), count: self.dimension)) }
}

extension VectorStore {
    /// - Throws: ``VectorSearchError`` (bad input) naming the first row and column holding NaN or an
    ///   infinity, which have no distance to rank by; `name` says which vectors ("base vector", "query").
    public func requireFinite(name: String) throws {
        for row in 0..<self.count {
            let values = self.row(row)
            // A sum is NaN or infinite when any term is; look for the column only then.
            var sum: Float = 0
            for column in 0..<self.dimension { sum += values[column] * 0 }
            guard !sum.isFinite else { continue }
            let column = (0..<self.dimension).first { !values[$0].isFinite } ?? 0
            throw VectorSearchError(.badInput, "\(name) \(row) is not finite: dimension \(column) is \(values[column])")
        }
    }
}

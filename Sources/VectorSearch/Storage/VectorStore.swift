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
    private let backing: Backing

    private enum Backing {
        case memory(PageAllocation)
        /// The file's mapping, and the byte offset of row 0 in it.
        case file(FileMapping, offset: Int)
    }

    /// An empty store for up to `capacity` rows.
    /// - Throws: ``VectorSearchError`` for a zero dimension or when memory cannot be had.
    public init(dimension: Int, capacity: Int) throws {
        guard dimension > 0 else { throw VectorSearchError(.badInput, "vector dimension must be at least 1") }
        self.dimension = dimension
        self.capacity = max(capacity, 0)
        let allocation = try PageAllocation(
            bytes: self.capacity * dimension * MemoryLayout<Float>.stride, purpose: "\(capacity) vectors")
        self.backing = .memory(allocation)
        self.base = allocation.pointer.bindMemory(to: Float.self, capacity: allocation.bytes / 4)
    }

    /// A full, read-only store over `count` rows of `mapping` starting `offset` bytes in.
    init(mapping: FileMapping, offset: Int, dimension: Int, count: Int) {
        precondition(offset + count * dimension * 4 <= mapping.bytes)
        self.dimension = dimension
        self.capacity = count
        self.count = count
        self.backing = .file(mapping, offset: offset)
        // Never written through: the mapping is PROT_READ, and a mapped store is full (append refuses).
        self.base = UnsafeMutableRawPointer(mutating: mapping.pointer + offset).assumingMemoryBound(to: Float.self)
    }

    deinit {
        switch self.backing {
        case .memory(let allocation): allocation.release()
        case .file(let mapping, _): mapping.release()
        }
    }

    /// Whether the rows are mapped from a file (and so read-only).
    public var isMapped: Bool {
        if case .file = self.backing { true } else { false }
    }

    /// How rows will be read next, for a mapped store; nothing for a store in memory.
    public enum Access: Sendable {
        case sequential, random, willNeed
        /// Done with for now: for a mapped store the rows' pages leave the process's resident set and stay in
        /// the page cache. A scan that releases each block after reading it stays small however big the file.
        case done
    }

    /// Advises the kernel how `rows` will be read (see ``Access``). Harmless on a store in memory: its rows
    /// are never dropped.
    public func advise(_ access: Access, rows: Range<Int>) {
        guard case .file(let mapping, let offset) = self.backing else { return }
        let rowBytes = self.dimension * MemoryLayout<Float>.stride
        let bytes = (offset + rows.lowerBound * rowBytes)..<(offset + rows.upperBound * rowBytes)
        switch access {
        case .sequential: mapping.advise(.sequential, bytes: bytes)
        case .random: mapping.advise(.random, bytes: bytes)
        case .willNeed: mapping.advise(.willNeed, bytes: bytes)
        case .done: mapping.advise(.done, bytes: bytes)
        }
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

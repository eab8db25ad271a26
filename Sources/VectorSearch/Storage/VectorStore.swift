/// `count` vectors of `dimension` floats in one contiguous buffer with a fixed stride: row `i` starts at
/// `base + i·dimension`. Large stores get huge pages (see ``PageAllocation``).
///
/// `@unchecked Sendable`: rows are only appended by the single owner while it builds the store; once
/// shared, the buffer is read-only.
public final class VectorStore: @unchecked Sendable {
    public let dimension: Int
    public let capacity: Int
    public private(set) var count = 0
    /// The first float of row 0.
    public let base: UnsafeMutablePointer<Float>
    private let allocation: PageAllocation

    /// An empty store for up to `capacity` rows.
    /// - Throws: ``VectorSearchError`` for a zero dimension or when memory cannot be had.
    public init(dimension: Int, capacity: Int) throws {
        guard dimension > 0 else { throw VectorSearchError(.badInput, "vector dimension must be at least 1") }
        self.dimension = dimension
        self.capacity = max(capacity, 0)
        self.allocation = try PageAllocation(
            bytes: self.capacity * dimension * MemoryLayout<Float>.stride, purpose: "\(capacity) vectors")
        self.base = self.allocation.pointer.bindMemory(to: Float.self, capacity: self.allocation.bytes / 4)
    }

    deinit { self.allocation.release() }

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

    /// Scales every row to unit length.
    public func normalizeAll() {
        for index in 0..<self.count { DistanceKernels.normalize(self.row(index), count: self.dimension) }
    }

    /// Bytes held for the vectors.
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

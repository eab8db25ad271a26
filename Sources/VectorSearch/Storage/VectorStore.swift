#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `count` vectors of `dimension` floats in one contiguous buffer with a fixed stride: row `i` starts at
/// `base + i·dimension`. Large stores are mapped with huge pages advised (at 1536 dimensions a search is
/// bound by memory traffic, and 2 MiB pages cut TLB misses; shared/notes/hnsw.md §4.4).
///
/// `@unchecked Sendable`: rows are only appended by the single owner while it builds the store; once
/// shared, the buffer is read-only.
public final class VectorStore: @unchecked Sendable {
    public let dimension: Int
    public let capacity: Int
    public private(set) var count = 0
    /// The first float of row 0.
    public let base: UnsafeMutablePointer<Float>
    private let allocation: Allocation

    private enum Allocation {
        case mapped(bytes: Int)
        case heap
    }

    /// Below this many bytes a plain aligned allocation is used.
    static let mappingThreshold = 4 << 20

    /// An empty store for up to `capacity` rows.
    /// - Throws: ``VectorSearchError`` for a zero dimension or when memory cannot be had.
    public init(dimension: Int, capacity: Int) throws {
        guard dimension > 0 else { throw VectorSearchError(.badInput, "vector dimension must be at least 1") }
        self.dimension = dimension
        self.capacity = max(capacity, 0)
        let bytes = max(self.capacity * dimension * MemoryLayout<Float>.stride, 64)
        if bytes >= Self.mappingThreshold {
            guard let pointer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                pointer != MAP_FAILED
            else { throw VectorSearchError(.io, "cannot map \(bytes) bytes for \(capacity) vectors") }
            #if canImport(Glibc)
            _ = madvise(pointer, bytes, 14)  // MADV_HUGEPAGE; a hint, harmless where unsupported
            #endif
            self.base = pointer.bindMemory(to: Float.self, capacity: bytes / 4)
            self.allocation = .mapped(bytes: bytes)
        } else {
            var pointer: UnsafeMutableRawPointer?
            guard posix_memalign(&pointer, 64, bytes) == 0, let pointer else {
                throw VectorSearchError(.io, "cannot allocate \(bytes) bytes for \(capacity) vectors")
            }
            self.base = pointer.bindMemory(to: Float.self, capacity: bytes / 4)
            self.allocation = .heap
        }
    }

    deinit {
        switch self.allocation {
        case .mapped(let bytes): munmap(self.base, bytes)
        case .heap: free(self.base)
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

    /// Scales every row to unit length.
    public func normalizeAll() {
        for index in 0..<self.count { DistanceKernels.normalize(self.row(index), count: self.dimension) }
    }

    /// Bytes held for the vectors.
    public var sizeBytes: Int { self.capacity * self.dimension * MemoryLayout<Float>.stride }

    /// Row `index` as an array (for tests and small jobs, not hot loops).
    public func vector(_ index: Int) -> [Float] { Array(UnsafeBufferPointer(start: self.row(index), count: self.dimension)) }
}

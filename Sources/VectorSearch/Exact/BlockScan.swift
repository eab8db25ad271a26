import COpenBLAS
import Synchronization

/// One worker's buffers for scanning a block of rows against a block of queries: the rows copied out of the
/// store (normalised for cosine), their squared norms (for L2), and the `queries × rows` inner products.
///
/// Not shared: each worker of ``ExactSearch/search(_:k:threads:progress:)`` makes its own.
final class BlockScan {
    private let search: ExactSearch
    private let queries: VectorStore
    private let range: Range<Int>
    private let rows: UnsafeMutablePointer<Float>
    private let rowNorms: UnsafeMutablePointer<Float>
    private let queryNorms: UnsafeMutablePointer<Float>
    private let scores: UnsafeMutablePointer<Float>

    init(search: ExactSearch, queries: VectorStore, range: Range<Int>) {
        self.search = search
        self.queries = queries
        self.range = range
        let dimension = queries.dimension
        self.rows = .allocate(capacity: search.rowsPerBlock * dimension)
        self.rowNorms = .allocate(capacity: search.rowsPerBlock)
        self.queryNorms = .allocate(capacity: range.count)
        self.scores = .allocate(capacity: range.count * search.rowsPerBlock)
        for (slot, query) in range.enumerated() {
            self.queryNorms[slot] = DistanceKernels.dotProduct(queries.row(query), queries.row(query), count: dimension)
        }
    }

    deinit {
        self.rows.deallocate()
        self.rowNorms.deallocate()
        self.queryNorms.deallocate()
        self.scores.deallocate()
    }

    /// Copies `rows` of the store (a mapped one by `pread`, so its pages never enter this process) and
    /// computes every query's inner product with each of them.
    func score(rows: Range<Int>) {
        let store = self.search.store, dimension = store.dimension
        store.copyRows(rows, into: self.rows)
        for slot in 0..<rows.count {
            let destination = self.rows + slot &* dimension
            if self.search.metric.normalizes { DistanceKernels.normalize(destination, count: dimension) }
            if self.search.metric == .l2 { self.rowNorms[slot] = DistanceKernels.dotProduct(destination, destination, count: dimension) }
        }
        cblas_sgemm(
            Self.rowMajor, Self.noTranspose, Self.transpose, Int32(self.range.count), Int32(rows.count), Int32(dimension),
            1, self.queries.row(self.range.lowerBound), Int32(dimension), self.rows, Int32(dimension), 0, self.scores,
            Int32(rows.count))
    }

    /// Offers query `query`'s distances to the rows of the last ``score(rows:)`` to its heap: sixteen at a
    /// time, looking at single lanes only when the sixteen hold one below the heap's threshold (most do not
    /// once the heap is full).
    func offer(_ query: Int, rows: Range<Int>, to heaps: borrowing TopKBank) {
        let scores = UnsafeRawPointer(self.scores + query &* rows.count)
        let metric = self.search.metric
        let queryNorm = SIMD16<Float>(repeating: self.queryNorms[query])
        let rowNorms = UnsafeRawPointer(self.rowNorms)
        var threshold = heaps.threshold(query)
        var lane = 0
        while lane < rows.count {
            let width = min(16, rows.count - lane)
            var distances = SIMD16<Float>(repeating: .infinity)
            if width == 16 {
                let dots = scores.loadUnaligned(fromByteOffset: lane &* 4, as: SIMD16<Float>.self)
                switch metric {
                case .cosine: distances = 1 - dots
                case .innerProduct: distances = -dots
                case .l2: distances = rowNorms.loadUnaligned(fromByteOffset: lane &* 4, as: SIMD16<Float>.self) + queryNorm - 2 * dots
                }
            } else {
                for index in 0..<width {
                    let dot = scores.load(fromByteOffset: (lane &+ index) &* 4, as: Float.self)
                    switch metric {
                    case .cosine: distances[index] = 1 - dot
                    case .innerProduct: distances[index] = -dot
                    case .l2: distances[index] = self.rowNorms[lane &+ index] + queryNorm[0] - 2 * dot
                    }
                }
            }
            if Self.anyAtMost(distances, threshold) {
                for index in 0..<width where distances[index] <= threshold {
                    heaps.offer(query, distances[index], Int32(truncatingIfNeeded: rows.lowerBound &+ lane &+ index))
                    threshold = heaps.threshold(query)
                }
            }
            lane &+= 16
        }
    }

    /// Whether any lane is at most `threshold`, from the sign bits of `threshold - lanes` (clear where a lane
    /// is at most it; infinity padding lanes never count): vector arithmetic and an integer sum, where
    /// `SIMD16.min()` compiled to a scalar loop through the stack (a tenth of the whole search's time, perf on
    /// Zen 4) and a `.<=` mask's `any()` was built lane by lane too.
    @inline(__always)
    static func anyAtMost(_ lanes: SIMD16<Float>, _ threshold: Float) -> Bool {
        let signs = unsafeBitCast(SIMD16(repeating: threshold) - lanes, to: SIMD16<UInt32>.self)
        return ((~signs) &>> 31).wrappedSum() != 0
    }

    private static let rowMajor: Int32 = 101
    private static let noTranspose: Int32 = 111
    private static let transpose: Int32 = 112
}

extension ExactSearch {
    /// OpenBLAS told once to run each call on the calling thread: the search runs its own threads, one block
    /// each, and a threaded BLAS under them would oversubscribe the cores.
    static let singleThreadedBLAS: Void = openblas_set_num_threads(1)
}

/// Rows scanned so far, summed over workers, for the caller's progress display.
final class ScanCounter: Sendable {
    private let rows = Atomic<Int>(0)
    private let progress: (@Sendable (Int) -> Void)?

    init(_ progress: (@Sendable (Int) -> Void)?) { self.progress = progress }

    func add(_ count: Int) {
        let total = self.rows.wrappingAdd(count, ordering: .relaxed).newValue
        self.progress?(total)
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Exact k-nearest-neighbour search by scanning every row: the ground truth for recall, and the plan for
/// small filtered candidate sets.
///
/// The store must already hold normalised rows when the metric is cosine (queries are normalised here).
public struct ExactSearch: Sendable {
    public let store: VectorStore
    public let metric: VectorMetric

    public init(store: VectorStore, metric: VectorMetric) {
        self.store = store
        self.metric = metric
    }

    /// The nearest `k` rows for each query, nearest first.
    public struct Result: Sendable {
        public let k: Int
        /// `queries × k` row ids; -1 where fewer than `k` rows exist.
        public var ids: [Int32]
        /// `queries × k` distances (see ``VectorMetric``).
        public var distances: [Float]

        public func ids(ofQuery query: Int) -> ArraySlice<Int32> { self.ids[(query * self.k)..<((query + 1) * self.k)] }
    }

    /// Searches all rows for every query in `queries`, on `threads` threads.
    ///
    /// Rows are taken 16 at a time and transposed into a dimension-major tile; four queries then run down the
    /// tile together, so each step is one 16-row load, four broadcasts and four multiply-adds, and the 16
    /// lanes of each accumulator are 16 distances: no horizontal sums (the layout BLAS kernels use). L2 is
    /// `|q|² + |x|² − 2 q·x` with the row norms computed once, as FAISS does.
    /// - Complexity: O(queries × rows × dimension / threads).
    public func search(_ queries: VectorStore, k: Int, threads: Int = ExactSearch.defaultThreads) throws -> Result {
        guard queries.dimension == self.store.dimension else {
            throw VectorSearchError(.badInput, "queries have \(queries.dimension) dimensions, the vectors \(self.store.dimension)")
        }
        guard k >= 1 else { throw VectorSearchError(.badInput, "k must be at least 1") }
        let normalized = try self.prepared(queries)
        let rowNorms = self.metric == .l2 ? (0..<self.store.count).map {
            DistanceKernels.dotProduct(self.store.row($0), self.store.row($0), count: self.store.dimension)
        } : []
        let tiles = TiledRows(self.store)
        var ids = [Int32](repeating: -1, count: queries.count * k)
        var distances = [Float](repeating: .infinity, count: queries.count * k)
        let chunks = (queries.count + Self.queryChunk - 1) / Self.queryChunk
        let workers = max(1, min(threads, chunks))
        ids.withUnsafeMutableBufferPointer { idBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                let output = ResultBuffers(ids: idBuffer.baseAddress!, distances: distanceBuffer.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for chunk in stride(from: worker, to: chunks, by: workers) {
                        let first = chunk * Self.queryChunk
                        let last = min(first + Self.queryChunk, normalized.count)
                        self.searchChunk(normalized, queries: first..<last, tiles: tiles, k: k, rowNorms: rowNorms, output: output)
                    }
                }
            }
        }
        return Result(k: k, ids: ids, distances: distances)
    }

    /// Queries handled together against each tile: enough to amortise the transpose, few enough that their
    /// vectors stay in the L2 cache.
    static let queryChunk = 64
    /// Rows per tile: the lanes of one `SIMD16`.
    static let tileRows = 16

    private func searchChunk(
        _ queries: VectorStore, queries range: Range<Int>, tiles: TiledRows, k: Int, rowNorms: [Float], output: ResultBuffers
    ) {
        let dimension = self.store.dimension
        let rows = self.store.count
        let heaps = TopKBank(heaps: range.count, k: k)
        let queryNorms = range.map { DistanceKernels.dotProduct(queries.row($0), queries.row($0), count: dimension) }
        // Groups of four queries; a short last group repeats its last query, whose extra answers are ignored.
        let groups = stride(from: 0, to: range.count, by: 4).map { group in
            let last = min(group + 3, range.count - 1)
            return (queries.row(range.lowerBound + group), queries.row(range.lowerBound + min(group + 1, last)),
                    queries.row(range.lowerBound + min(group + 2, last)), queries.row(range.lowerBound + last))
        }
        for tileStart in stride(from: 0, to: rows, by: Self.tileRows) {
            let valid = min(Self.tileRows, rows - tileStart)
            let tile = tiles.tile(tileStart / Self.tileRows)
            var rowNorm = SIMD16<Float>()
            if self.metric == .l2 { for lane in 0..<valid { rowNorm[lane] = rowNorms[tileStart + lane] } }
            for (index, q) in groups.enumerated() {
                let group = index * 4
                let members = min(4, range.count - group)
                let dots = Self.dotProducts(tile, dimension: dimension, q.0, q.1, q.2, q.3)
                for member in 0..<members {
                    let heap = group + member
                    let dot = member == 0 ? dots.0 : member == 1 ? dots.1 : member == 2 ? dots.2 : dots.3
                    let distance: SIMD16<Float>
                    switch self.metric {
                    case .cosine: distance = SIMD16(repeating: 1) - dot
                    case .innerProduct: distance = -dot
                    case .l2: distance = rowNorm + SIMD16(repeating: queryNorms[heap]) - 2 * dot
                    }
                    // Most tiles hold nothing near enough. (`min()` compiles to vector instructions; a `.<=`
                    // mask with `any()` was built lane by lane on the stack, half the run time in a profile.)
                    guard distance.min() <= heaps.threshold(heap) else { continue }
                    for lane in 0..<valid where distance[lane] <= heaps.threshold(heap) {
                        heaps.offer(heap, distance[lane], Int32(truncatingIfNeeded: tileStart &+ lane))
                    }
                }
            }
        }
        for (heap, query) in range.enumerated() {
            heaps.drain(heap, ids: output.ids + query * k, distances: output.distances + query * k)
        }
    }

    /// Inner products of four queries with the 16 rows of a transposed tile.
    @inline(__always)
    private static func dotProducts(
        _ tile: UnsafePointer<SIMD16<Float>>, dimension: Int,
        _ q0: UnsafeMutablePointer<Float>, _ q1: UnsafeMutablePointer<Float>,
        _ q2: UnsafeMutablePointer<Float>, _ q3: UnsafeMutablePointer<Float>
    ) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        for j in 0..<dimension {
            let rows = tile[j]
            DistanceKernels.multiplyAdd(&a0, rows, SIMD16(repeating: q0[j]))
            DistanceKernels.multiplyAdd(&a1, rows, SIMD16(repeating: q1[j]))
            DistanceKernels.multiplyAdd(&a2, rows, SIMD16(repeating: q2[j]))
            DistanceKernels.multiplyAdd(&a3, rows, SIMD16(repeating: q3[j]))
        }
        return (a0, a1, a2, a3)
    }

    /// All online cores.
    public static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The nearest `k` among `candidates` (row ids) for one query: exact search under a filter.
    public func search(
        _ query: UnsafePointer<Float>, k: Int, candidates: UnsafeBufferPointer<Int32>
    ) -> (ids: [Int32], distances: [Float]) {
        let dimension = self.store.dimension
        let q = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
        defer { q.deallocate() }
        q.update(from: query, count: dimension)
        if self.metric.normalizes { DistanceKernels.normalize(q, count: dimension) }
        let top = TopKBank(heaps: 1, k: k)
        for id in candidates {
            top.offer(0, self.metric.distance(q, self.store.row(Int(id)), count: dimension), id)
        }
        var ids = [Int32](repeating: -1, count: k)
        var distances = [Float](repeating: .infinity, count: k)
        ids.withUnsafeMutableBufferPointer { i in
            distances.withUnsafeMutableBufferPointer { d in top.drain(0, ids: i.baseAddress!, distances: d.baseAddress!) }
        }
        return (ids, distances)
    }

    /// The queries as the metric needs them: a normalised copy for cosine, else the store itself.
    private func prepared(_ queries: VectorStore) throws -> VectorStore {
        guard self.metric.normalizes else { return queries }
        let copy = try VectorStore(dimension: queries.dimension, capacity: queries.count)
        for index in 0..<queries.count {
            copy.append(UnsafeBufferPointer(start: queries.row(index), count: queries.dimension), normalize: true)
        }
        return copy
    }
}

/// The rows in tiles of 16, each tile dimension-major: `tile(t)[j]` holds dimension `j` of rows
/// `16t ..< 16t + 16` in its 16 lanes (zeros past the last row). Built once per batch search and read by all
/// workers.
///
/// `@unchecked Sendable`: the buffer is written only in `init`, then read-only.
final class TiledRows: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<SIMD16<Float>>
    private let dimension: Int
    private let tileCount: Int

    init(_ store: VectorStore) {
        self.dimension = store.dimension
        self.tileCount = (store.count + ExactSearch.tileRows - 1) / ExactSearch.tileRows
        self.storage = .allocate(capacity: self.tileCount * store.dimension)
        self.storage.initialize(repeating: SIMD16(), count: self.tileCount * store.dimension)
        let lanes = ExactSearch.tileRows
        UnsafeMutableRawPointer(self.storage).withMemoryRebound(to: Float.self, capacity: self.tileCount * store.dimension * lanes) { floats in
            for row in 0..<store.count {
                let source = store.row(row)
                let destination = floats + (row / lanes) * store.dimension * lanes + row % lanes
                for j in 0..<store.dimension { destination[j &* lanes] = source[j] }
            }
        }
    }

    deinit { self.storage.deallocate() }

    @inline(__always)
    func tile(_ index: Int) -> UnsafePointer<SIMD16<Float>> { UnsafePointer(self.storage + index &* self.dimension) }
}

/// Where workers write their answers: disjoint `k`-slot ranges per query, so no locking is needed.
private struct ResultBuffers: @unchecked Sendable {
    let ids: UnsafeMutablePointer<Int32>
    let distances: UnsafeMutablePointer<Float>
}

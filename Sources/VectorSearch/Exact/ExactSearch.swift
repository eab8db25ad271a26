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
    /// - Complexity: O(queries × rows × dimension / threads).
    public func search(_ queries: VectorStore, k: Int, threads: Int = ExactSearch.defaultThreads) throws -> Result {
        guard queries.dimension == self.store.dimension else {
            throw VectorSearchError(.badInput, "queries have \(queries.dimension) dimensions, the vectors \(self.store.dimension)")
        }
        guard k >= 1 else { throw VectorSearchError(.badInput, "k must be at least 1") }
        let normalized = try self.prepared(queries)
        var ids = [Int32](repeating: -1, count: queries.count * k)
        var distances = [Float](repeating: .infinity, count: queries.count * k)
        let blocks = (queries.count + 3) / 4
        let workers = max(1, min(threads, blocks))
        ids.withUnsafeMutableBufferPointer { idBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                let output = ResultBuffers(ids: idBuffer.baseAddress!, distances: distanceBuffer.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for block in stride(from: worker, to: blocks, by: workers) {
                        self.searchBlock(normalized, first: block * 4, k: k, output: output)
                    }
                }
            }
        }
        return Result(k: k, ids: ids, distances: distances)
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
        var top = TopK(k: k)
        for id in candidates {
            top.offer(self.metric.distance(q, self.store.row(Int(id)), count: dimension), id)
        }
        var ids = [Int32](repeating: -1, count: k)
        var distances = [Float](repeating: .infinity, count: k)
        ids.withUnsafeMutableBufferPointer { i in
            distances.withUnsafeMutableBufferPointer { d in top.drain(ids: i.baseAddress!, distances: d.baseAddress!) }
        }
        return (ids, distances)
    }

    /// Up to four queries against every row. Inner-product metrics read each row once for the four queries.
    private func searchBlock(_ queries: VectorStore, first: Int, k: Int, output: ResultBuffers) {
        let last = min(first + 4, queries.count)
        let dimension = self.store.dimension
        let rows = self.store.count
        if self.metric == .l2 {
            for query in first..<last {
                let q = queries.row(query)
                var top = TopK(k: k)
                for row in 0..<rows {
                    let distance = DistanceKernels.squaredL2(q, self.store.row(row), count: dimension)
                    if distance <= top.threshold { top.offer(distance, Int32(truncatingIfNeeded: row)) }
                }
                top.drain(ids: output.ids + query * k, distances: output.distances + query * k)
            }
            return
        }
        // Missing queries in a short last block repeat the last one; their answers are discarded.
        func query(_ lane: Int) -> UnsafePointer<Float> { UnsafePointer(queries.row(min(first + lane, last - 1))) }
        let (q0, q1, q2, q3) = (query(0), query(1), query(2), query(3))
        var top0 = TopK(k: k), top1 = TopK(k: k), top2 = TopK(k: k), top3 = TopK(k: k)
        let offset = SIMD4<Float>(repeating: self.metric == .cosine ? 1 : 0)
        for row in 0..<rows {
            let distances = offset - DistanceKernels.dotProducts4(self.store.row(row), q0, q1, q2, q3, count: dimension)
            let id = Int32(truncatingIfNeeded: row)
            if distances[0] <= top0.threshold { top0.offer(distances[0], id) }
            if distances[1] <= top1.threshold { top1.offer(distances[1], id) }
            if distances[2] <= top2.threshold { top2.offer(distances[2], id) }
            if distances[3] <= top3.threshold { top3.offer(distances[3], id) }
        }
        let count = last - first
        top0.drain(ids: output.ids + first * k, distances: output.distances + first * k)
        if count > 1 { top1.drain(ids: output.ids + (first + 1) * k, distances: output.distances + (first + 1) * k) }
        if count > 2 { top2.drain(ids: output.ids + (first + 2) * k, distances: output.distances + (first + 2) * k) }
        if count > 3 { top3.drain(ids: output.ids + (first + 3) * k, distances: output.distances + (first + 3) * k) }
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

/// Where workers write their answers: disjoint `k`-slot ranges per query, so no locking is needed.
private struct ResultBuffers: @unchecked Sendable {
    let ids: UnsafeMutablePointer<Int32>
    let distances: UnsafeMutablePointer<Float>
}

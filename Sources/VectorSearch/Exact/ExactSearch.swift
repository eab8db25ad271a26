import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Exact k-nearest-neighbour search by scanning every row: the ground truth for recall, and the plan for
/// small filtered candidate sets.
///
/// The batch search normalises rows itself for cosine, so the store may hold raw vectors, and reads the store
/// once per block of queries: a store mapped from a file is scanned block by block and its pages released
/// behind the scan, so memory stays bounded however many rows there are.
public struct ExactSearch: Sendable {
    public let store: VectorStore
    public let metric: VectorMetric
    /// Rows per matrix product: big enough for the BLAS kernel to run at full speed, small enough that each
    /// thread's block and its `queries × rows` scores stay in tens of MB.
    public var rowsPerBlock = 4096

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

        public init(k: Int, ids: [Int32], distances: [Float]) {
            precondition(ids.count == distances.count && ids.count % k == 0)
            self.k = k
            self.ids = ids
            self.distances = distances
        }

        public func ids(ofQuery query: Int) -> ArraySlice<Int32> { self.ids[(query * self.k)..<((query + 1) * self.k)] }

        /// The nearest `k` of both answers per query (searches of disjoint rows for the same queries), ties by
        /// id as in one search.
        public func merged(with other: Result) -> Result {
            precondition(other.k == self.k && other.ids.count == self.ids.count)
            var merged = self
            let heaps = TopKBank(heaps: 1, k: self.k)
            for query in 0..<(self.ids.count / self.k) {
                let slots = (query * self.k)..<((query + 1) * self.k)
                for answer in [self, other] {
                    for slot in slots where answer.ids[slot] >= 0 { heaps.offer(0, answer.distances[slot], answer.ids[slot]) }
                }
                merged.ids.withUnsafeMutableBufferPointer { ids in
                    merged.distances.withUnsafeMutableBufferPointer { distances in
                        heaps.drain(0, ids: ids.baseAddress! + slots.lowerBound, distances: distances.baseAddress! + slots.lowerBound)
                    }
                }
            }
            return merged
        }
    }

    /// Searches all rows for every query in `queries`, on `threads` threads.
    ///
    /// Exact search is a matrix product, as in FAISS's `IndexFlat`: each thread takes blocks of rows in turn,
    /// copies one (normalised for cosine), multiplies the queries by it with OpenBLAS's `sgemm` (one thread per
    /// call) and offers each query's scores to its own top-k heaps; the threads' heaps are merged at the end.
    /// Blocks are fixed by row, not by thread, so every distance and so the answer is the same on any number
    /// of threads. L2 is `|q|² + |x|² − 2 q·x`, as FAISS computes it.
    /// - Parameters:
    ///   - rows: the rows to search (all by default); a part of the base starting on a multiple of
    ///     `rowsPerBlock` is cut into the same blocks as the whole, so searching the parts and merging them
    ///     (``Result/merged(with:)``) gives the whole's answer.
    ///   - progress: called from a worker thread with the rows scanned so far (summed over blocks of queries).
    /// - Complexity: O(queries × rows × dimension / threads).
    public func search(
        _ queries: VectorStore, k: Int, rows: Range<Int>? = nil, threads: Int = ExactSearch.defaultThreads,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> Result {
        let rows = rows ?? 0..<self.store.count
        guard rows.lowerBound >= 0, rows.upperBound <= self.store.count else {
            throw VectorSearchError(.badInput, "rows \(rows) are outside the \(self.store.count) vectors")
        }
        guard queries.dimension == self.store.dimension else {
            throw VectorSearchError(.badInput, "queries have \(queries.dimension) dimensions, the vectors \(self.store.dimension)")
        }
        guard k >= 1 else { throw VectorSearchError(.badInput, "k must be at least 1") }
        Self.singleThreadedBLAS
        let prepared = try self.prepared(queries)
        var ids = [Int32](repeating: -1, count: queries.count * k)
        var distances = [Float](repeating: .infinity, count: queries.count * k)
        let scanned = ScanCounter(progress)
        ids.withUnsafeMutableBufferPointer { idBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                let output = ResultBuffers(ids: idBuffer.baseAddress!, distances: distanceBuffer.baseAddress!)
                for first in stride(from: 0, to: prepared.count, by: Self.queriesPerBlock) {
                    let block = first..<min(first + Self.queriesPerBlock, prepared.count)
                    self.searchBlock(prepared, queries: block, rows: rows, k: k, threads: threads, output: output, scanned: scanned)
                }
            }
        }
        return Result(k: k, ids: ids, distances: distances)
    }

    /// Queries multiplied together: the base is read once per this many queries.
    static let queriesPerBlock = 2048

    /// `rows` against the queries in `range`: each worker scans its blocks into heaps of its own, drains them
    /// into its slice of `partial`, and the slices are merged per query.
    private func searchBlock(
        _ queries: VectorStore, queries range: Range<Int>, rows searched: Range<Int>, k: Int, threads: Int,
        output: ResultBuffers, scanned: ScanCounter
    ) {
        let rowBlocks = (searched.count + self.rowsPerBlock - 1) / self.rowsPerBlock
        let workers = max(1, min(threads, rowBlocks))
        let slots = range.count * k
        let partial = ResultBuffers(ids: .allocate(capacity: workers * slots), distances: .allocate(capacity: workers * slots))
        defer {
            partial.ids.deallocate()
            partial.distances.deallocate()
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let heaps = TopKBank(heaps: range.count, k: k)
            let scan = BlockScan(search: self, queries: queries, range: range)
            for block in stride(from: worker, to: rowBlocks, by: workers) {
                let first = searched.lowerBound + block * self.rowsPerBlock
                let rows = first..<min(first + self.rowsPerBlock, searched.upperBound)
                scan.score(rows: rows)
                for query in 0..<range.count { scan.offer(query, rows: rows, to: heaps) }
                scanned.add(rows.count)
            }
            for query in 0..<range.count {
                let slot = worker * slots + query * k
                heaps.drain(query, ids: partial.ids + slot, distances: partial.distances + slot)
            }
        }
        let merged = TopKBank(heaps: 1, k: k)
        for query in 0..<range.count {
            for worker in 0..<workers {
                let slot = worker * slots + query * k
                for rank in 0..<k where partial.ids[slot + rank] >= 0 {
                    merged.offer(0, partial.distances[slot + rank], partial.ids[slot + rank])
                }
            }
            let at = (range.lowerBound + query) * k
            merged.drain(0, ids: output.ids + at, distances: output.distances + at)
        }
    }

    /// All online cores.
    public static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The nearest `k` among `candidates` (row ids) for one query: exact search under a filter. For cosine the
    /// rows need not be unit length.
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
            let row = self.store.row(Int(id))
            let distance: Float
            if self.metric.normalizes {
                let norm = DistanceKernels.dotProduct(row, row, count: dimension).squareRoot()
                distance = 1 - DistanceKernels.dotProduct(q, row, count: dimension) / max(norm, .leastNormalMagnitude)
            } else {
                distance = self.metric.distance(q, row, count: dimension)
            }
            top.offer(0, distance, id)
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

/// Where workers write their answers: disjoint `k`-slot ranges per query, so no locking is needed.
struct ResultBuffers: @unchecked Sendable {
    let ids: UnsafeMutablePointer<Int32>
    let distances: UnsafeMutablePointer<Float>
}

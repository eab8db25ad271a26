import Dispatch
import Synchronization

/// Measures an index the way `tripbench index bench` reports it: for each `ef_search`, recall@k against
/// exact answers, queries per second on one thread (queries one at a time, as a service would run them) and
/// on several, and the one-thread latency distribution.
public struct HNSWBenchmark: Sendable {
    public let index: HNSWIndex
    public let queries: VectorStore
    /// Exact neighbours, `groundTruthDepth` per query, nearest first.
    public let groundTruth: [Int32]
    public let groundTruthDepth: Int
    public let k: Int
    /// When set, every query is a filtered search over its own allowed set, and `groundTruth` holds the exact
    /// neighbours among that set.
    public var filter: QueryFilter?

    /// The allowed set of each query: `sets[setOfQuery[query]]`.
    public struct QueryFilter: Sendable {
        public let sets: [AllowSet]
        public let setOfQuery: [Int]

        public init(sets: [AllowSet], setOfQuery: [Int]) {
            self.sets = sets
            self.setOfQuery = setOfQuery
        }
    }

    /// - Throws: ``VectorSearchError`` (bad input) when the shapes disagree or `k` exceeds the ground truth.
    public init(
        index: HNSWIndex, queries: VectorStore, groundTruth: [Int32], groundTruthDepth: Int, k: Int, filter: QueryFilter? = nil
    ) throws {
        guard queries.count > 0 else { throw VectorSearchError(.badInput, "there are no queries") }
        guard queries.dimension == index.dimension else {
            throw VectorSearchError(.badInput, "the queries have \(queries.dimension) dimensions, the index \(index.dimension)")
        }
        try Self.checkGroundTruth(entries: groundTruth.count, depth: groundTruthDepth, queries: queries.count, k: k)
        if let bad = groundTruth.first(where: { $0 < -1 || Int($0) >= index.count }) {
            throw VectorSearchError(.badInput, "the ground truth names row \(bad), the index has \(index.count) rows")
        }
        try queries.requireFinite(name: "query")
        if let filter {
            guard filter.setOfQuery.count == queries.count, filter.setOfQuery.allSatisfy(filter.sets.indices.contains) else {
                throw VectorSearchError(.badInput, "the filter names a set for \(filter.setOfQuery.count) queries, there are \(queries.count)")
            }
        }
        self.filter = filter
        self.index = index
        self.queries = queries
        self.groundTruth = groundTruth
        self.groundTruthDepth = groundTruthDepth
        self.k = k
    }

    /// Checks that a ground truth of `entries` ids, `depth` per query, answers `queries` queries at `k`: cheap,
    /// so a command can call it before a long build. `files` names the files in the messages.
    /// - Throws: ``VectorSearchError`` (bad input) otherwise.
    public static func checkGroundTruth(
        entries: Int, depth: Int, queries: Int, k: Int, files: (queries: String, groundTruth: String)? = nil
    ) throws {
        guard entries == queries * depth else {
            let covered = depth > 0 ? entries / depth : 0
            throw VectorSearchError(.badInput, files.map { "\($0.groundTruth) has answers for \(covered) queries, \($0.queries) has \(queries)" }
                ?? "the ground truth has answers for \(covered) queries, there are \(queries)")
        }
        guard k >= 1, k <= depth else {
            throw VectorSearchError(.badInput, "k \(k) is larger than the ground truth's \(depth) neighbours per query" + (files.map { " in \($0.groundTruth)" } ?? ""))
        }
    }

    /// One line of the report.
    public struct Result: Sendable, Codable, Equatable {
        public var efSearch: Int
        /// Mean over queries of |found ∩ exact top k| / k.
        public var recall: Double
        public var qps1t: Double
        public var qpsNt: Double
        public var p50Us: Double
        public var p95Us: Double
        public var p99Us: Double
        /// Distances computed per query: the work behind the time.
        public var distancesPerQuery: Double

        enum CodingKeys: String, CodingKey {
            case efSearch = "ef_search", recall, qps1t = "qps_1t", qpsNt = "qps_nt", p50Us = "p50_us", p95Us = "p95_us"
            case p99Us = "p99_us", distancesPerQuery = "distances_per_query"
        }
    }

    /// Runs every `ef` (raised to `k` when smaller). Each measurement is the median of `repeats` passes;
    /// one untimed pass warms the caches first.
    public func run(efSearch: [Int], threads: Int, repeats: Int = 1) -> [Result] {
        let found = UnsafeMutablePointer<Int32>.allocate(capacity: self.queries.count * self.k)
        defer { found.deallocate() }
        let context = self.index.makeContext()
        if let first = efSearch.first { _ = self.pass(ef: max(first, self.k), context: context, found: found) }
        return efSearch.map { requested in
            let ef = max(requested, self.k)
            let distancesBefore = context.distanceCount
            var passes = (0..<max(repeats, 1)).map { _ in self.pass(ef: ef, context: context, found: found) }
            let distances = Double(context.distanceCount - distancesBefore) / Double(passes.count * self.queries.count)
            passes.sort { $0.seconds < $1.seconds }
            let median = passes[passes.count / 2]
            let parallel = (0..<max(repeats, 1)).map { _ in self.parallelPass(ef: ef, threads: threads) }.sorted()
            let latencies = median.latencies.sorted()
            return Result(
                efSearch: ef, recall: self.recall(found), qps1t: Double(self.queries.count) / median.seconds,
                qpsNt: Double(self.queries.count) / parallel[parallel.count / 2],
                p50Us: Self.percentile(latencies, 0.50), p95Us: Self.percentile(latencies, 0.95),
                p99Us: Self.percentile(latencies, 0.99), distancesPerQuery: distances)
        }
    }

    /// All queries one at a time on this thread; their answers go to `found`.
    private func pass(ef: Int, context: HNSWSearchContext, found: UnsafeMutablePointer<Int32>) -> (seconds: Double, latencies: [Double]) {
        var latencies = [Double](repeating: 0, count: self.queries.count)
        let start = MonotonicClock.nanoseconds()
        var previous = start
        for query in 0..<self.queries.count {
            self.search(query, ef: ef, context: context, ids: found + query * self.k)
            let now = MonotonicClock.nanoseconds()
            latencies[query] = Double(now - previous) / 1_000
            previous = now
        }
        return (Double(previous - start) / 1e9, latencies)
    }

    /// All queries spread over `threads` threads, each with its own context; returns the wall time.
    private func parallelPass(ef: Int, threads: Int) -> Double {
        let next = Atomic<Int>(0)
        let start = MonotonicClock.nanoseconds()
        DispatchQueue.concurrentPerform(iterations: max(threads, 1)) { _ in
            let context = self.index.makeContext()
            let ids = UnsafeMutablePointer<Int32>.allocate(capacity: self.k)
            defer { ids.deallocate() }
            while true {
                let query = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard query < self.queries.count else { break }
                self.search(query, ef: ef, context: context, ids: ids)
            }
        }
        return Double(MonotonicClock.nanoseconds() - start) / 1e9
    }

    /// One query, through its filter when there is one.
    @inline(__always)
    private func search(_ query: Int, ef: Int, context: HNSWSearchContext, ids: UnsafeMutablePointer<Int32>) {
        if let filter = self.filter {
            ids.update(repeating: -1, count: self.k)
            _ = self.index.search(
                self.queries.row(query), k: self.k, ef: ef, allowing: filter.sets[filter.setOfQuery[query]], context: context, ids: ids)
        } else {
            self.index.search(self.queries.row(query), k: self.k, ef: ef, context: context, ids: ids)
        }
    }

    private func recall(_ found: UnsafeMutablePointer<Int32>) -> Double {
        var hits = 0
        for query in 0..<self.queries.count {
            let truth = Set(self.groundTruth[(query * self.groundTruthDepth)..<(query * self.groundTruthDepth + self.k)])
            for slot in 0..<self.k where truth.contains(found[query * self.k + slot]) && found[query * self.k + slot] >= 0 { hits += 1 }
        }
        return Double(hits) / Double(self.queries.count * self.k)
    }

    /// The nearest-rank percentile of sorted values.
    public static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

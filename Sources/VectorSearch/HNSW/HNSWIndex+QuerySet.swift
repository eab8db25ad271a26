/// What `index bench` checks and counts about a set of queries, outside any timing: whether the queries and
/// their exact answers fit the index, and how many distances a search computes (the work behind its time).
/// Requests are timed by the workload engine only.
extension HNSWIndex {
    /// Checks that `queries` and their ground truth (`depth` neighbours per query) can be searched at `k`.
    /// - Throws: ``VectorSearchError`` (bad input) when the shapes disagree or `k` exceeds the ground truth.
    public func checkQueries(_ queries: VectorStore, groundTruth: [Int32], depth: Int, k: Int) throws {
        guard queries.count > 0 else { throw VectorSearchError(.badInput, "there are no queries") }
        guard queries.dimension == self.dimension else {
            throw VectorSearchError(.badInput, "the queries have \(queries.dimension) dimensions, the index \(self.dimension)")
        }
        try Self.checkGroundTruth(entries: groundTruth.count, depth: depth, queries: queries.count, k: k)
        if let bad = groundTruth.first(where: { $0 < -1 || Int($0) >= self.count }) {
            throw VectorSearchError(.badInput, "the ground truth names row \(bad), the index has \(self.count) rows")
        }
        try queries.requireFinite(name: "query")
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

    /// Distances computed per query when every query is searched once at `ef` (counted, not timed).
    public func distancesPerQuery(_ queries: VectorStore, k: Int, ef: Int) -> Double {
        let context = self.makeContext()
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: k)
        defer { ids.deallocate() }
        for query in 0..<queries.count { self.search(queries.row(query), k: k, ef: ef, context: context, ids: ids) }
        return Double(context.distanceCount) / Double(max(queries.count, 1))
    }
}

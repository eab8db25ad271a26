import Datasets
import Dispatch
import VectorSearch

/// The queries a sweep measures and their exact answers: the first `count` of the dataset's queries, their
/// unfiltered neighbours from the dataset's ground truth, and (when filtered) each query restricted to the
/// rows of its own content type, with the exact neighbours among those rows computed here.
///
/// The content type is the filter because it is the one a graph search meets in TripSage: it keeps 20–40 %
/// of the rows, so pgvector walks the HNSW graph and discards the other types (the user filter keeps 1 row
/// in 4,000 and is answered exactly by the b-tree; no HNSW parameter changes it).
final class SweepQueries: Sendable {
    let vectors: VectorStore
    /// `count × k` unfiltered exact neighbours.
    let groundTruth: [Int32]
    /// The content type of each query, and the rows of each type.
    let types: [Int]
    let rowsOfType: [[Int32]]
    /// `count × k` exact neighbours among the rows of each query's type; empty when not filtered.
    let filteredGroundTruth: [Int32]
    let k: Int

    var count: Int { self.vectors.count }

    init(catalog: DatasetCatalog, count: Int, k: Int, filtered: Bool, threads: Int) throws {
        let vectors = try VectorStore(dimension: catalog.queries.dimension, capacity: count)
        for query in 0..<count {
            vectors.append(UnsafeBufferPointer(start: catalog.queries.row(query), count: vectors.dimension))
        }
        self.vectors = vectors
        self.k = k
        let depth = catalog.manifest.groundTruthK
        self.groundTruth = (0..<count).flatMap { catalog.groundTruth[($0 * depth)..<($0 * depth + k)] }
        self.types = (0..<count).map { Int(catalog.queryTypes[$0]) }
        var rows = [[Int32]](repeating: [], count: DatasetCatalog.typeCount)
        for row in catalog.memoryTypes.indices { rows[Int(catalog.memoryTypes[row])].append(Int32(row)) }
        self.rowsOfType = rows
        let rowsOfType = rows
        guard filtered else {
            self.filteredGroundTruth = []
            return
        }
        let exact = ExactSearch(store: catalog.base, metric: catalog.manifest.metric)
        let answers = ResultBox<[Int32]>(count: count)
        let types = self.types
        DispatchQueue.concurrentPerform(iterations: max(threads, 1)) { worker in
            for query in stride(from: worker, to: count, by: max(threads, 1)) {
                let found = rowsOfType[types[query]].withUnsafeBufferPointer { exact.search(vectors.row(query), k: k, candidates: $0) }
                answers.set(query, found.ids)
            }
        }
        self.filteredGroundTruth = (0..<count).flatMap { answers.get($0) }
    }

    /// Mean recall@k of `found` (`count × k` row ids, -1 for none) against `truth`.
    func recall(_ found: [Int32], truth: [Int32]) -> Double {
        var hits = 0, expected = 0
        for query in 0..<self.count {
            let exact = truth[(query * self.k)..<((query + 1) * self.k)].filter { $0 >= 0 }
            expected += exact.count
            let answers = Set(found[(query * self.k)..<((query + 1) * self.k)])
            hits += exact.filter(answers.contains).count
        }
        return expected == 0 ? 1 : Double(hits) / Double(expected)
    }
}

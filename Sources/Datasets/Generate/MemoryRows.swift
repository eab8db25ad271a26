import Dispatch
import Foundation
import VectorSearch

/// The memory embeddings of a dataset, in the order of `base.fbin`: for each row its user, content type and
/// topic cluster, and where its vector comes from; plus the held-out queries drawn from the same mixture.
///
/// The labels take a few bytes a row; the vectors are never all in memory: ``writeVectors(to:threads:)``
/// streams them to `base.fbin` a block at a time, and later steps map that file.
struct MemoryRows {
    /// Per row.
    let users: [Int32]
    let types: [UInt8]
    let clusters: [Int32]
    let vectors: VectorSource
    /// Per user: the clusters their memories concentrate on.
    let homeClusters: [[Int]]

    /// Per query: the user and content type its filter names, and its vector.
    let queryUsers: [Int32]
    let queryTypes: [UInt8]
    let queries: VectorStore

    /// Vectors a user brought: they replace the sampled ones, row for row; the rest (users, types, topics,
    /// query filters) is generated as usual.
    struct ProvidedVectors {
        /// The user's file: the base rows are its rows but those held out as queries, in order.
        let file: VectorStore
        let heldOut: Set<Int>
        let queries: VectorStore

        var baseCount: Int { self.file.count - self.heldOut.count }
    }

    /// Where the base rows' vectors come from.
    enum VectorSource {
        /// Sampled from the mixture: row `i` from its cluster, with noise from stream `i` of `seed`.
        case sampled(ClusterMixture, seed: UInt64)
        case provided(file: VectorStore, heldOut: Set<Int>)
    }

    static func generate(plan: DatasetPlan, mixture: ClusterMixture, threads: Int, provided: ProvidedVectors? = nil) throws -> MemoryRows {
        let spec = plan.spec
        var homeRandom = SplitMix64(seed: spec.seed, stream: DatasetPlan.Stream.homeClusters.rawValue)
        let homeCount = min(spec.homeClustersPerUser, spec.clusters)
        let homeClusters = (0..<spec.users).map { _ in
            Array((0..<spec.clusters).shuffled(using: &homeRandom).prefix(homeCount))
        }
        // Rows grouped by user and type, then shuffled: insertion order is not sorted by user in a real app.
        var layout: [(user: Int32, type: UInt8)] = []
        layout.reserveCapacity(plan.embeddingCount)
        for user in 0..<spec.users {
            for (type, count) in plan.embeddings[user].enumerated() {
                layout.append(contentsOf: repeatElement((user: Int32(user), type: UInt8(type)), count: count))
            }
        }
        var shuffleRandom = SplitMix64(seed: spec.seed, stream: DatasetPlan.Stream.memories.rawValue)
        layout.shuffle(using: &shuffleRandom)
        let tripCreation = UInt8(DatasetSpec.contentTypeNames.firstIndex(of: "trip_creation")!)

        // Each row's cluster and noise come from a stream of its own: the result does not depend on threads.
        let rowSeed = spec.seed ^ 0x6D65_6D6F_7269_6573  // "memories"
        var clusters = [Int32](repeating: 0, count: layout.count)
        for (row, entry) in layout.enumerated() {
            var random = SplitMix64(seed: rowSeed, stream: UInt64(row))
            let home = homeClusters[Int(entry.user)]
            if entry.type == tripCreation {
                // A trip's memory talks about the trip, whose topic is one of the user's home clusters.
                clusters[row] = Int32(home[Self.tripSlot(row: row, user: Int(entry.user), plan: plan) % home.count])
            } else {
                clusters[row] = Int32(Self.pickCluster(home: home, spec: spec, random: &random))
            }
        }
        let vectors: VectorSource
        if let provided {
            precondition(provided.baseCount == layout.count, "the plan must be made for the provided rows")
            vectors = .provided(file: provided.file, heldOut: provided.heldOut)
        } else {
            vectors = .sampled(mixture, seed: rowSeed)
        }

        var queryRandom = SplitMix64(seed: spec.seed, stream: DatasetPlan.Stream.queries.rawValue)
        var queryUsers = [Int32](), queryTypes = [UInt8](), queryClusters = [Int]()
        let queryCount = provided?.queries.count ?? spec.queries
        for _ in 0..<queryCount {
            // A random stored row names the (user, content type) filter, so busy users query more and
            // every filter matches at least one row; the vector is a fresh draw, never a stored one.
            let row = Int(queryRandom.next() % UInt64(layout.count))
            queryUsers.append(layout[row].user)
            queryTypes.append(layout[row].type)
            queryClusters.append(Self.pickCluster(home: homeClusters[Int(layout[row].user)], spec: spec, random: &queryRandom))
        }
        let queries: VectorStore
        if let provided {
            queries = provided.queries
        } else {
            queries = try VectorStore(dimension: spec.dimension, capacity: spec.queries)
            Self.sample(into: queries.base, rows: 0..<spec.queries, threads: threads, mixture: mixture, seed: rowSeed ^ 0x7175_6572_6965_7321) { queryClusters[$0] }
            queries.didFill(spec.queries)
        }

        return MemoryRows(
            users: layout.map(\.user), types: layout.map(\.type), clusters: clusters, vectors: vectors,
            homeClusters: homeClusters, queryUsers: queryUsers, queryTypes: queryTypes, queries: queries
        )
    }

    /// Which of the user's trips a trip_creation row describes (round robin over their trips).
    static func tripSlot(row: Int, user: Int, plan: DatasetPlan) -> Int { row % max(plan.trips[user], 1) }

    private static func pickCluster(home: [Int], spec: DatasetSpec, random: inout SplitMix64) -> Int {
        if Double(random.nextUnitFloat()) < spec.homeClusterShare {
            return home[Int(random.next() % UInt64(home.count))]
        }
        return Int(random.next() % UInt64(spec.clusters))
    }

    /// Writes every base row's vector to `path` as `.fbin`, a block at a time: memory holds one block
    /// whatever the row count.
    func writeVectors(to path: String, dimension: Int, rowsPerBlock: Int, threads: Int, progress: (Int) -> Void) throws {
        let count = self.users.count
        let block = try VectorStore(dimension: dimension, capacity: rowsPerBlock)
        var sourceRow = 0
        try VectorFiles.writeFbin(to: path, count: count, dimension: dimension) { write in
            for first in stride(from: 0, to: count, by: rowsPerBlock) {
                let rows = first..<min(first + rowsPerBlock, count)
                switch self.vectors {
                case .sampled(let mixture, let seed):
                    Self.sample(into: block.base, rows: rows, threads: threads, mixture: mixture, seed: seed) { Int(self.clusters[$0]) }
                case .provided(let file, let heldOut):
                    let start = sourceRow
                    for slot in 0..<rows.count {
                        while heldOut.contains(sourceRow) { sourceRow += 1 }
                        (block.base + slot * dimension).update(from: file.row(sourceRow), count: dimension)
                        sourceRow += 1
                    }
                    file.advise(.done, rows: start..<sourceRow)
                }
                try write(UnsafeBufferPointer(start: block.base, count: rows.count * dimension))
                progress(rows.upperBound)
            }
        }
    }

    /// Samples `rows` on `threads` threads into consecutive rows from `destination`, row `i` from cluster
    /// `cluster(i)` with noise from stream `i` of `seed`: the bytes do not depend on threads or blocks.
    private static func sample(
        into destination: UnsafeMutablePointer<Float>, rows: Range<Int>, threads: Int, mixture: ClusterMixture,
        seed: UInt64, cluster: (Int) -> Int
    ) {
        let clusters = rows.map(cluster)
        let workers = max(1, min(threads, rows.count))
        let base = SendablePointer(destination)
        let dimension = mixture.dimension
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for offset in stride(from: worker, to: rows.count, by: workers) {
                var random = SplitMix64(seed: seed, stream: UInt64(rows.lowerBound + offset) | 1 << 62)
                mixture.sample(cluster: clusters[offset], into: base.pointer + offset * dimension, random: &random)
            }
        }
    }
}

/// A pointer handed to worker threads that write disjoint rows.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

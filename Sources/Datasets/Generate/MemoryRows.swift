import Dispatch
import Foundation
import VectorSearch

/// The memory embeddings of a dataset, in the order of `base.fbin`: for each row its user, content type and
/// topic cluster, and its vector; plus the held-out queries drawn from the same mixture.
struct MemoryRows {
    /// Per row.
    let users: [Int32]
    let types: [UInt8]
    let clusters: [Int32]
    let vectors: VectorStore
    /// Per user: the clusters their memories concentrate on.
    let homeClusters: [[Int]]

    /// Per query: the user and content type its filter names, and its vector.
    let queryUsers: [Int32]
    let queryTypes: [UInt8]
    let queries: VectorStore

    /// Vectors a user brought: they replace the sampled ones, row for row; the rest (users, types, topics,
    /// query filters) is generated as usual.
    struct ProvidedVectors {
        let base: VectorStore
        let queries: VectorStore
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
        let vectors: VectorStore
        if let provided {
            precondition(provided.base.count == layout.count, "the plan must be made for the provided rows")
            vectors = provided.base
        } else {
            vectors = try VectorStore(dimension: spec.dimension, capacity: layout.count)
            try Self.fill(vectors, count: layout.count, threads: threads, mixture: mixture, seed: rowSeed) { Int(clusters[$0]) }
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
            try Self.fill(queries, count: spec.queries, threads: threads, mixture: mixture, seed: rowSeed ^ 0x7175_6572_6965_7321) { queryClusters[$0] }
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

    /// Samples `count` rows into `store` on `threads` threads, row `i` from cluster `cluster(i)` with noise from
    /// stream `i` of `seed`.
    private static func fill(
        _ store: VectorStore, count: Int, threads: Int, mixture: ClusterMixture, seed: UInt64,
        cluster: (Int) -> Int
    ) throws {
        let clusters = (0..<count).map(cluster)
        let workers = max(1, min(threads, count))
        let base = SendablePointer(store.base)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for row in stride(from: worker, to: count, by: workers) {
                var random = SplitMix64(seed: seed, stream: UInt64(row) | 1 << 62)
                mixture.sample(cluster: clusters[row], into: base.pointer + row * store.dimension, random: &random)
            }
        }
        store.didFill(count)
    }
}

/// A pointer handed to worker threads that write disjoint rows.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

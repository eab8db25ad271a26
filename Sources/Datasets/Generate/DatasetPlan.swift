import Foundation
import VectorSearch

/// How many rows of each kind every user gets: derived from the spec and the seed alone, so any later step
/// (the loader, the workload drawing parameters) can recompute it.
///
/// User activity follows a Zipf law over a seeded ranking of the users: weight `1 / rank^activitySkew`. Totals
/// (users × the per-user averages) are shared out in proportion to the weights by largest remainder, every user
/// getting at least one trip, one chat session and one memory of some kind.
public struct DatasetPlan: Sendable {
    public let spec: DatasetSpec
    /// Per user.
    public let trips: [Int]
    public let sessions: [Int]
    /// Per user, per content type (in ``DatasetSpec/contentTypeNames`` order).
    public let embeddings: [[Int]]
    /// Index of each user's first trip and first session in the tables.
    public let firstTrip: [Int]
    public let firstSession: [Int]

    /// - Parameter embeddingTotal: the exact number of memory embeddings, when they come from a user's file;
    ///   otherwise `users × embeddingsPerUser`.
    public init(_ spec: DatasetSpec, embeddingTotal: Int? = nil) {
        self.spec = spec
        var random = SplitMix64(seed: spec.seed, stream: Stream.activity.rawValue)
        let ranking = Array(0..<spec.users).shuffled(using: &random)
        var weights = [Double](repeating: 0, count: spec.users)
        for (rank, user) in ranking.enumerated() { weights[user] = 1 / pow(Double(rank + 1), spec.activitySkew) }
        let users = Double(spec.users)
        self.trips = Self.allocate(Int((users * spec.tripsPerUser).rounded()), weights: weights, minimum: 1)
        self.sessions = Self.allocate(Int((users * spec.chatSessionsPerUser).rounded()), weights: weights, minimum: 1)
        let total = embeddingTotal ?? spec.embeddingTotal
        let memories = Self.allocate(total, weights: weights, minimum: 1)
        let shares = spec.contentTypeShares
        self.embeddings = memories.map { Self.allocate($0, weights: shares, minimum: 0) }
        self.firstTrip = Self.prefixSums(self.trips)
        self.firstSession = Self.prefixSums(self.sessions)
    }

    public var tripCount: Int { self.trips.reduce(0, +) }
    public var sessionCount: Int { self.sessions.reduce(0, +) }
    public var embeddingCount: Int { self.embeddings.reduce(0) { $0 + $1.reduce(0, +) } }

    /// Shares `total` out in proportion to `weights`, at least `minimum` each, by largest remainder.
    static func allocate(_ total: Int, weights: [Double], minimum: Int) -> [Int] {
        var counts = [Int](repeating: minimum, count: weights.count)
        let remaining = total - minimum * weights.count
        let weightSum = weights.reduce(0, +)
        guard remaining > 0, weightSum > 0 else { return counts }
        let exact = weights.map { Double(remaining) * $0 / weightSum }
        var given = 0
        for index in counts.indices {
            let whole = Int(exact[index])
            counts[index] += whole
            given += whole
        }
        let order = exact.indices.sorted { (exact[$0] - exact[$0].rounded(.down), $1) > (exact[$1] - exact[$1].rounded(.down), $0) }
        for index in order.prefix(remaining - given) { counts[index] += 1 }
        return counts
    }

    static func prefixSums(_ counts: [Int]) -> [Int] {
        var sums = [Int](repeating: 0, count: counts.count)
        var running = 0
        for index in counts.indices {
            sums[index] = running
            running += counts[index]
        }
        return sums
    }

    /// The independent random streams of a dataset, one per concern, so that changing how one table is
    /// generated leaves the others as they were.
    enum Stream: UInt64 {
        case activity = 1, clusters, homeClusters, memories, queries, users, trips, flights, accommodations, sessions,
            messages
    }
}

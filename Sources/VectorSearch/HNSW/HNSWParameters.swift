#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How an HNSW graph is built (Malkov & Yashunin's names; hnswlib's and pgvector's defaults differ, these
/// are the TripSage document's).
public struct HNSWParameters: Sendable, Equatable, Codable {
    public var metric: VectorMetric
    /// Links per node on the upper layers; layer 0 keeps up to `2·m`.
    public var m: Int
    /// Candidates kept while searching for a new node's neighbours (raised to `m` if smaller, as hnswlib does).
    public var efConstruction: Int
    /// Seeds each node's level: node `i` draws its level from `SplitMix64(seed ^ i)`, so levels do not
    /// depend on the number of threads or the order of insertion.
    public var seed: UInt64
    /// How the index stores its vectors (``VectorPrecision/float16`` predicts pgvector's `halfvec`).
    public var precision: VectorPrecision

    public init(
        metric: VectorMetric = .cosine, m: Int = 16, efConstruction: Int = 200, seed: UInt64 = 100, precision: VectorPrecision = .float32
    ) {
        self.metric = metric
        self.m = m
        self.efConstruction = efConstruction
        self.seed = seed
        self.precision = precision
    }

    /// - Throws: ``VectorSearchError`` (bad input) for `m` outside 2...1000 or `efConstruction` < 1.
    public func validate() throws {
        guard (2...1000).contains(self.m) else { throw VectorSearchError(.badInput, "m must be between 2 and 1000, not \(self.m)") }
        guard self.efConstruction >= 1 else {
            throw VectorSearchError(.badInput, "ef_construction must be at least 1, not \(self.efConstruction)")
        }
    }

    /// The level of node `id`: `⌊−ln(u) / ln m⌋` with `u` uniform in (0, 1], the paper's `mL = 1/ln m`.
    func level(of id: Int) -> Int {
        var generator = SplitMix64(seed: self.seed ^ UInt64(id))
        let u = max(Double(generator.next() >> 11) * 0x1p-53, .leastNonzeroMagnitude)
        return Int(-log(u) / log(Double(self.m)))
    }
}


/// What PostgreSQL itself says about a run: the architecture document's health targets (buffer cache hit
/// ratio above 95 %, index scans above 98 % of scans), the busiest statements, the connections, and the plan
/// each operation ran under. Counters are differences over the measured window of the postgres target.
///
/// A figure the server would not give (pg_stat_statements not installed, no rights) is nil, and `missing`
/// says which and why.
public struct DatabaseHealth: Codable, Sendable {
    public static let cacheHitTarget = 0.95
    public static let indexScanTarget = 0.98

    /// `blks_hit / (blks_hit + blks_read)` of this database over the window.
    public var cacheHitRatio: Double?
    public var blocksHit: Int64?
    public var blocksRead: Int64?
    /// `idx_scan / (idx_scan + seq_scan)` over the window, summed over the database's own tables.
    public var indexScanRatio: Double?
    public var indexScans: Int64?
    public var sequentialScans: Int64?
    public var connections: Connections?
    /// pg_stat_statements over the window, by total execution time, busiest first.
    public var topStatements: [StatementStats]?
    public var plans: [OperationPlan]
    /// How big the searched data is beside the memory that could hold it.
    public var sizes: DataSizes?
    /// One line per figure that could not be collected: what and why.
    public var missing: [String]

    public init(plans: [OperationPlan] = [], missing: [String] = []) {
        self.plans = plans
        self.missing = missing
    }

    /// Connections to this database when measuring began.
    public struct Connections: Codable, Sendable {
        public var total: Int
        public var active: Int
        public var maxConnections: Int

        package init(total: Int, active: Int, maxConnections: Int) {
            self.total = total
            self.active = active
            self.maxConnections = maxConnections
        }
    }

    public struct StatementStats: Codable, Sendable {
        public var query: String
        public var calls: Int64
        public var meanMs: Double
        /// The slowest call in the window, when the server could reset the maxima at its start (PostgreSQL 17+
        /// and the right to call `pg_stat_statements_reset`); otherwise since the statistics were last reset.
        public var maxMs: Double
        public var totalMs: Double
        public var rows: Int64

        package init(query: String, calls: Int64, meanMs: Double, maxMs: Double, totalMs: Double, rows: Int64) {
            self.query = query
            self.calls = calls
            self.meanMs = meanMs
            self.maxMs = maxMs
            self.totalMs = totalMs
            self.rows = rows
        }
    }

    /// `EXPLAIN` of an operation's main statement, once, with the first parameters the run draws for it.
    public struct OperationPlan: Codable, Sendable {
        public var operation: String
        /// How memory_embeddings is read: `hnsw`, another index method (`btree`, `gin`), `bitmap`, `seq_scan`,
        /// or nil when the statement does not read it.
        public var vectorAccess: String?
        /// The plan's nodes, depth first, indented two spaces a level (`Limit`, `  Index Scan using … on …`).
        public var nodes: [String]
        public var error: String?
        /// The plans the run's measured requests took (a plan follows the parameters: a busy user's filter can
        /// take HNSW where a typical user's takes the b-tree), most requests first; absent in older reports.
        public var shares: [PlanShare]?

        package init(operation: String, vectorAccess: String? = nil, nodes: [String], error: String? = nil, shares: [PlanShare]? = nil) {
            self.shares = shares
            self.operation = operation
            self.vectorAccess = vectorAccess
            self.nodes = nodes
            self.error = error
        }
    }

    /// One plan an operation's requests took: how many measured requests, their latency, and the recall of those
    /// whose recall was measured.
    public struct PlanShare: Codable, Sendable, Equatable {
        /// How memory_embeddings was read (`hnsw`, `btree`, `bitmap`, `seq_scan`), `none`, or `unexplained` for
        /// requests whose (user, content type) group was not among those EXPLAINed.
        public var access: String
        public var requests: Int
        /// Of the operation's measured requests.
        public var share: Double
        public var latencyUs: LatencySummary
        /// Mean recall@k of the recall samples that took this plan, and how many there were.
        public var recall: Double?
        public var recallSamples: Int?

        package init(access: String, requests: Int, share: Double, latencyUs: LatencySummary, recall: Double? = nil, recallSamples: Int? = nil) {
            self.access = access
            self.requests = requests
            self.share = share
            self.latencyUs = latencyUs
            self.recall = recall
            self.recallSamples = recallSamples
        }
    }

    /// The sizes that decide whether a vector search is served from memory: memory_embeddings (heap, TOAST,
    /// indexes) beside `shared_buffers` and `effective_cache_size`, and the share of the HNSW index's pages in
    /// `shared_buffers` (pg_buffercache) when the measured window began and ended.
    public struct DataSizes: Codable, Sendable {
        public var embeddingsHeapBytes: Int64
        /// The TOAST table and its index: where 1536-d vectors (6 KB, above the 2 KB threshold) are stored.
        public var embeddingsToastBytes: Int64
        /// pgvector HNSW indexes on memory_embeddings; nil when there is none.
        public var hnswIndexBytes: Int64?
        /// memory_embeddings' other indexes (b-tree, GIN).
        public var otherIndexBytes: Int64
        public var databaseBytes: Int64
        public var sharedBuffersBytes: Int64
        public var effectiveCacheSizeBytes: Int64
        public var hnswInSharedBuffersAtStart: Double?
        public var hnswInSharedBuffersAtEnd: Double?

        package init(
            embeddingsHeapBytes: Int64, embeddingsToastBytes: Int64, hnswIndexBytes: Int64?, otherIndexBytes: Int64, databaseBytes: Int64,
            sharedBuffersBytes: Int64, effectiveCacheSizeBytes: Int64, hnswInSharedBuffersAtStart: Double? = nil,
            hnswInSharedBuffersAtEnd: Double? = nil
        ) {
            self.embeddingsHeapBytes = embeddingsHeapBytes
            self.embeddingsToastBytes = embeddingsToastBytes
            self.hnswIndexBytes = hnswIndexBytes
            self.otherIndexBytes = otherIndexBytes
            self.databaseBytes = databaseBytes
            self.sharedBuffersBytes = sharedBuffersBytes
            self.effectiveCacheSizeBytes = effectiveCacheSizeBytes
            self.hnswInSharedBuffersAtStart = hnswInSharedBuffersAtStart
            self.hnswInSharedBuffersAtEnd = hnswInSharedBuffersAtEnd
        }
    }

    /// Whether the cache and index figures meet the architecture's targets (nil when not measured).
    public var cacheHitMet: Bool? { self.cacheHitRatio.map { $0 > Self.cacheHitTarget } }
    public var indexScanMet: Bool? { self.indexScanRatio.map { $0 > Self.indexScanTarget } }
}

import Postgres

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

        /// Reads the sizes of memory_embeddings and the server's memory settings (not the shares in
        /// `shared_buffers`, which are the run's).
        public static func read(_ connection: PostgresConnection) throws -> DataSizes {
            let row = try connection.query("""
                SELECT pg_relation_size(c.oid), COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0),
                       (SELECT sum(pg_relation_size(i.indexrelid))::int8 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                        JOIN pg_am a ON a.oid = ic.relam WHERE i.indrelid = c.oid AND a.amname = 'hnsw'),
                       pg_indexes_size(c.oid), pg_database_size(current_database()),
                       (SELECT setting::int8 * 8192 FROM pg_settings WHERE name = 'shared_buffers'),
                       (SELECT setting::int8 * 8192 FROM pg_settings WHERE name = 'effective_cache_size')
                FROM pg_class c WHERE c.oid = 'memory_embeddings'::regclass
                """).rows[0]
            let hnsw = try row.decode(2, as: Int64?.self)
            return DataSizes(
                embeddingsHeapBytes: try row.decode(0), embeddingsToastBytes: try row.decode(1), hnswIndexBytes: hnsw,
                otherIndexBytes: try row.decode(3, as: Int64.self) - (hnsw ?? 0), databaseBytes: try row.decode(4),
                sharedBuffersBytes: try row.decode(5), effectiveCacheSizeBytes: try row.decode(6))
        }
    }

    /// Whether the cache and index figures meet the architecture's targets (nil when not measured).
    public var cacheHitMet: Bool? { self.cacheHitRatio.map { $0 > Self.cacheHitTarget } }
    public var indexScanMet: Bool? { self.indexScanRatio.map { $0 > Self.indexScanTarget } }
}

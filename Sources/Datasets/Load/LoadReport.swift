extension Duration {
    /// The duration in seconds, as reports and rates use it.
    public var inSeconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) * 1e-18 }
}

/// `load.json`: what `tripbench load` did and how fast, for people and for scripts.
public struct LoadReport: Codable, Sendable {
    public var schemaVersion = 1
    public var dataset: String
    public var checksum: String
    /// The server, password masked.
    public var server: String
    /// True when the database already held this dataset and index, and nothing was done.
    public var skipped: Bool
    public var steps: [Step]
    public var hnsw: HNSWBuild?
    /// `pg_total_relation_size` per table after loading, in bytes.
    public var tableBytes: [String: Int]
    public var totalSeconds: Double
    /// When rows were appended to a loaded prefix (`scale`): how the HNSW index followed them, pgvector's
    /// inserts or a rebuild. Nil for a full load, or when nothing was done.
    public var grownBy: DatasetLoader.IndexGrowth? = nil

    public struct Step: Codable, Sendable {
        public var name: String
        public var seconds: Double
        public var rows: Int?
        public var rowsPerSecond: Double?
    }

    public struct HNSWBuild: Codable, Sendable {
        public var m: Int
        public var efConstruction: Int
        public var operatorClass: String
        /// Nil when an index with these parameters was already there.
        public var buildSeconds: Double?
        public var indexBytes: Int
        public var maintenanceWorkMem: String
        public var parallelWorkers: Int
        /// pgvector's estimate-free truth: its notices during the build (for example that the graph no longer
        /// fit in `maintenance_work_mem`).
        public var notices: [String]
    }
}

/// What the loader is doing, for a progress display.
public struct LoadProgress: Sendable {
    public var step: String
    /// Units done and expected (rows for COPY, tuples for the index build); total 0 when unknown.
    public var done: Int
    public var total: Int
    public var unit: String

    public init(step: String, done: Int, total: Int, unit: String) {
        self.step = step
        self.done = done
        self.total = total
        self.unit = unit
    }
}

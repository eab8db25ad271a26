import Foundation

/// `scale.json`: a scale study — one database grown through prefixes of one dataset's embeddings, and at each
/// size the scenario's capacity under its SLO, recall, the data's sizes and what growing cost. Rewritten after
/// every size, so a stopped study resumes at the next one.
public struct ScaleResults: Codable, Sendable {
    /// pgvector's HNSW index of the study (`PostgresHNSWIndex`, as it is written in JSON).
    public struct IndexParameters: Codable, Sendable, Equatable, CustomStringConvertible {
        public var m: Int
        public var efConstruction: Int
        public var operatorClass: String

        public init(m: Int, efConstruction: Int, operatorClass: String) {
            self.m = m
            self.efConstruction = efConstruction
            self.operatorClass = operatorClass
        }

        public var description: String { "m \(self.m), ef_construction \(self.efConstruction), \(self.operatorClass)" }
    }

    public static let currentSchemaVersion = 1
    public var schemaVersion = ScaleResults.currentSchemaVersion
    public var scenario: String
    public var scenarioFile: String
    public var dataset: String
    public var datasetChecksum: String
    public var dimension: Int
    /// The sizes asked for (memory embeddings), ascending.
    public var sizes: [Int]
    public var hnsw: IndexParameters?
    /// `prewarm` when pg_prewarm read the index and the embeddings in before each size's search; nil for
    /// warm (the caches as growing the table left them).
    public var cache: String?
    public var objective: CapacityObjective
    /// The rate the one-sentence answer is about: the scenario's (the architecture's 471/s for the TripSage mix).
    public var targetRate: Double
    public var clients: Int
    public var stepSeconds: Double
    public var warmupSeconds: Double
    public var rateGrowth: Double
    public var precision: Double
    /// This machine's RAM, for the crossing the report marks.
    public var memoryBytes: Int64
    public var points: [ScalePoint] = []
    public var environment: RunEnvironment?

    public init(
        scenario: String, scenarioFile: String, dataset: String, datasetChecksum: String, dimension: Int, sizes: [Int],
        hnsw: IndexParameters?, objective: CapacityObjective, targetRate: Double, clients: Int,
        stepSeconds: Double, warmupSeconds: Double, rateGrowth: Double, precision: Double, memoryBytes: Int64
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.dataset = dataset
        self.datasetChecksum = datasetChecksum
        self.dimension = dimension
        self.sizes = sizes
        self.hnsw = hnsw
        self.objective = objective
        self.targetRate = targetRate
        self.clients = clients
        self.stepSeconds = stepSeconds
        self.warmupSeconds = warmupSeconds
        self.rateGrowth = rateGrowth
        self.precision = precision
        self.memoryBytes = memoryBytes
    }

    public var complete: Bool { self.points.count == self.sizes.count }

    /// Whether saved results were measured the same way as a study about to run; otherwise what differs.
    public func mismatch(_ other: ScaleResults) -> String? {
        let pairs: [(String, String, String)] = [
            ("scenario", self.scenario, other.scenario), ("dataset", self.datasetChecksum, other.datasetChecksum),
            ("the HNSW index", "\(String(describing: self.hnsw))", "\(String(describing: other.hnsw))"),
            ("--cache", self.cache ?? "warm", other.cache ?? "warm"),
            ("the objective", self.objective.latency.expression, other.objective.latency.expression),
            ("clients", "\(self.clients)", "\(other.clients)"), ("--step", "\(self.stepSeconds)", "\(other.stepSeconds)"),
        ]
        return pairs.first { $0.1 != $0.2 }.map { "\($0.0) was \($0.1), now \($0.2)" }
    }
}

/// One size of a scale study.
public struct ScalePoint: Codable, Sendable {
    /// How the rows added at this size reached the HNSW index (`DatasetLoader.IndexGrowth`).
    public enum Growth: String, Codable, Sendable {
        /// pgvector inserted each new row into the index.
        case insert
        /// The index was dropped and built again over all the rows.
        case rebuild
    }

    /// Memory embeddings in the table.
    public var rows: Int
    /// Rows added to reach this size (all of them for the first size of a fresh database; 0 when the
    /// database already held it).
    public var addedRows: Int
    /// Seconds to add them: COPY, with pgvector inserting each row into the index when it grows by inserts.
    public var addSeconds: Double?
    /// How the index followed the added rows: nil for a full load (or nothing added). Chosen per run of the
    /// study (`--index-growth`), so one study can grow by inserts at small sizes and by rebuilds later.
    public var growth: Growth?
    /// Seconds to (re)build the HNSW index over all rows, when it was built.
    public var indexBuildSeconds: Double?
    /// Seconds to compute the exact ground truth over the first `rows` rows (nil: the dataset's own).
    public var groundTruthSeconds: Double?
    public var sizes: DatabaseHealth.DataSizes?
    /// What prewarming did at this size (`--cache prewarm`).
    public var cache: CacheState?
    public var targets: [CapacityResults.TargetCapacity]

    public init(rows: Int, addedRows: Int, targets: [CapacityResults.TargetCapacity] = []) {
        self.rows = rows
        self.addedRows = addedRows
        self.targets = targets
    }

    /// The capacity search on `target`.
    public func capacity(_ target: TargetKind) -> CapacityOutcome? { self.targets.first { $0.target == target }?.outcome }
}

/// Row counts as the scale study names them.
public enum ScaleSizes {
    /// `50k`, `1M`, `1.5M`, `1,234`.
    public static func label(_ rows: Int) -> String {
        if rows >= 1_000_000, rows % 100_000 == 0 { return String(format: "%g", Double(rows) / 1e6) + "M" }
        if rows >= 1_000, rows % 1_000 == 0 { return "\(rows / 1000)k" }
        return rows.formatted()
    }
}

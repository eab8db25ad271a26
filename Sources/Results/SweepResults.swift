import Foundation

/// `sweep.json`: everything a sweep measured, written after every point, so an interrupted sweep resumes
/// from it and a finished one renders from it without running again. Schema in `docs/capacity-planning.md`.
public struct SweepResults: Codable, Sendable {
    public static let currentSchemaVersion = 1
    public var schemaVersion = SweepResults.currentSchemaVersion
    public var name: String
    public var description: String
    public var file: String
    public var grid: SweepGrid
    /// `postgres`, `index` or both, in the order they ran.
    public var targets: [TargetKind]
    public var recallFloor: Double
    public var latencyTarget: Threshold
    public var conditions: SweepConditions
    public var builds: [BuildResult]
    public var points: [PointResult]
    /// True once every point of the grid was measured.
    public var complete: Bool
    public var environment: RunEnvironment?
    /// pgvector's exact answer to each share filter (the b-tree on the share's bucket, or a scan, then a sort),
    /// measured once: what the index paths of every point are compared with.
    public var exactPaths: [FilterResult]?

    /// The measurement of one grid point, if it was made.
    public func point(_ target: TargetKind, _ build: BuildKey, _ search: SearchKey) -> PointResult? {
        self.points.first { $0.target == target && $0.build == build && $0.search == search }
    }

    public func build(_ target: TargetKind, _ key: BuildKey) -> BuildResult? {
        self.builds.first { $0.target == target && $0.build == key }
    }

    /// The grid's points over every target swept (the in-process index builds `vector` only).
    public var expectedPoints: Int {
        self.targets.reduce(0) { total, target in
            total + self.grid.builds.filter { target.builds($0.variant) }.reduce(0) { $0 + self.grid.searches(of: $1).count }
        }
    }

    /// Adds or replaces the measurement of a point.
    public mutating func record(_ point: PointResult) {
        self.points.removeAll { $0.target == point.target && $0.build == point.build && $0.search == point.search }
        self.points.append(point)
    }

    /// Adds or replaces the exact path's measurement of a filter.
    public mutating func record(exact: FilterResult) {
        self.exactPaths = (self.exactPaths ?? []).filter { $0.filter != exact.filter } + [exact]
    }

    public mutating func record(_ build: BuildResult) {
        self.builds.removeAll { $0.target == build.target && $0.build == build.build }
        self.builds.append(build)
    }

    package init(
        name: String, description: String, file: String, grid: SweepGrid, targets: [TargetKind], recallFloor: Double,
        latencyTarget: Threshold, conditions: SweepConditions, builds: [BuildResult], points: [PointResult],
        complete: Bool, environment: RunEnvironment? = nil
    ) {
        self.name = name
        self.description = description
        self.file = file
        self.grid = grid
        self.targets = targets
        self.recallFloor = recallFloor
        self.latencyTarget = latencyTarget
        self.conditions = conditions
        self.builds = builds
        self.points = points
        self.complete = complete
        self.environment = environment
    }
}

/// What must be the same for cached points to be comparable with new ones; a sweep whose conditions differ
/// from its cache starts over.
public struct SweepConditions: Codable, Sendable, Equatable {
    public var dataset: String
    public var datasetChecksum: String
    public var k: Int
    public var queries: Int
    public var clients: Int
    public var filtered: Bool
    /// The share filters and iterative scan settings measured at every point (absent: none).
    public var shares: [Double]?
    public var iterativeScan: [String]?
    public var maxScanTuples: [Int]?
    /// pgvector session settings, `name=value` in order.
    public var settings: [String]
    /// The server (password masked), when pgvector is swept.
    public var database: String?

    /// The conditions that differ from `other`, named for a message.
    public func differences(from other: SweepConditions) -> [String] {
        var names: [String] = []
        if self.dataset != other.dataset || self.datasetChecksum != other.datasetChecksum { names.append("dataset") }
        if self.k != other.k { names.append("k") }
        if self.queries != other.queries { names.append("queries") }
        if self.clients != other.clients { names.append("clients") }
        if self.filtered != other.filtered { names.append("filtered") }
        if (self.shares ?? []) != (other.shares ?? []) || (self.iterativeScan ?? []) != (other.iterativeScan ?? [])
            || (self.maxScanTuples ?? []) != (other.maxScanTuples ?? []) {
            names.append("filter shares or iterative scans")
        }
        if self.settings != other.settings { names.append("settings") }
        if self.database != other.database { names.append("database") }
        return names
    }

    package init(
        dataset: String, datasetChecksum: String, k: Int, queries: Int, clients: Int, filtered: Bool,
        shares: [Double]? = nil, iterativeScan: [String]? = nil, maxScanTuples: [Int]? = nil, settings: [String], database: String? = nil
    ) {
        self.shares = shares
        self.iterativeScan = iterativeScan
        self.maxScanTuples = maxScanTuples
        self.dataset = dataset
        self.datasetChecksum = datasetChecksum
        self.k = k
        self.queries = queries
        self.clients = clients
        self.filtered = filtered
        self.settings = settings
        self.database = database
    }
}

/// One index build: its time and size.
public struct BuildResult: Codable, Sendable {
    public var target: TargetKind
    public var build: BuildKey
    public var buildSeconds: Double
    /// In-process: the graph and vectors; pgvector: `pg_relation_size` of the index.
    public var indexBytes: Int

    package init(target: TargetKind, build: BuildKey, buildSeconds: Double, indexBytes: Int) {
        self.target = target
        self.build = build
        self.buildSeconds = buildSeconds
        self.indexBytes = indexBytes
    }
}

/// One grid point: an index build searched at one ef_search.
public struct PointResult: Codable, Sendable {
    public var target: TargetKind
    public var build: BuildKey
    /// HNSW's ef_search, or IVFFlat's probes.
    public var efSearch: Int
    /// `bit`: candidates per neighbour re-ranked by the full vectors.
    public var rerank: Int?
    /// Unfiltered: mean recall@k over the queries.
    public var recall: Double
    /// Queries per second, one client sending one query at a time.
    public var qps1: Double
    /// Queries per second over all the sweep's clients at once.
    public var qpsAll: Double
    /// One client's latency, µs.
    public var p50Us: Double
    public var p95Us: Double
    public var p99Us: Double
    /// pgvector: how the query reads memory_embeddings at this ef_search (`hnsw`, `seq_scan`, `btree`, …);
    /// anything but `hnsw` is an exact search, which ef_search does not affect.
    public var plan: String?
    /// The same queries, each restricted to its content type, when the sweep measures it.
    public var filtered: FilteredResult?
    /// Latency at the sweep's `clients` (the pass `qpsAll` comes from); absent in sweeps from before it was
    /// measured.
    public var concurrent: Latency?
    /// The share filters under each iterative scan mode, when the sweep measures them.
    public var filters: [FilterResult]?

    public var search: SearchKey { SearchKey(efSearch: self.efSearch, rerank: self.rerank) }

    /// `ef_search 40`, `ef_search 40, re-rank ×4`, `probes 10`.
    public var searchLabel: String {
        self.build.variant == .ivfflat ? "probes \(self.efSearch)" : self.search.description
    }

    public struct Latency: Codable, Sendable {
        public var p50Us: Double
        public var p95Us: Double
        public var p99Us: Double

        public init(_ summary: LatencySummary) {
            self.p50Us = Double(summary.p50)
            self.p95Us = Double(summary.p95)
            self.p99Us = Double(summary.p99)
        }
    }

    public struct FilteredResult: Codable, Sendable {
        public var recall: Double
        public var qps1: Double
        public var p95Us: Double
        public var plan: String?
        /// pgvector: the plans the pass's requests took (each content type is planned for its own share of
        /// the rows), with their latency and recall.
        public var plans: [DatabaseHealth.PlanShare]?

        package init(recall: Double, qps1: Double, p95Us: Double, plan: String? = nil, plans: [DatabaseHealth.PlanShare]? = nil) {
            self.plans = plans
            self.recall = recall
            self.qps1 = qps1
            self.p95Us = p95Us
            self.plan = plan
        }
    }

    /// False when PostgreSQL answered the unfiltered query without the HNSW index: the point then measures an
    /// exact search, not this configuration of the index.
    public var usesIndex: Bool { ["hnsw", "ivfflat"].contains(self.plan ?? "hnsw") }

    /// The one-client latency a latency target names.
    public func latency(_ metric: Threshold.Metric) -> Double? {
        switch metric {
        case .p50: self.p50Us
        case .p95: self.p95Us
        case .p99: self.p99Us
        default: nil
        }
    }

    package init(
        target: TargetKind, build: BuildKey, efSearch: Int, rerank: Int? = nil, recall: Double, qps1: Double, qpsAll: Double,
        p50Us: Double, p95Us: Double, p99Us: Double, plan: String? = nil, filtered: FilteredResult? = nil,
        concurrent: Latency? = nil, filters: [FilterResult]? = nil
    ) {
        self.target = target
        self.build = build
        self.efSearch = efSearch
        self.rerank = rerank
        self.filters = filters
        self.recall = recall
        self.qps1 = qps1
        self.qpsAll = qpsAll
        self.p50Us = p50Us
        self.p95Us = p95Us
        self.p99Us = p99Us
        self.plan = plan
        self.filtered = filtered
        self.concurrent = concurrent
    }
}

/// One filtered pass: a share of the rows kept by a filter uncorrelated with the vectors, searched one query at a
/// time on one client under one iterative scan mode, by the path the planner chose or with the vector index forced.
public struct FilterResult: Codable, Sendable {
    /// The share of the rows the filter keeps.
    public var share: Double
    /// pgvector's `hnsw.iterative_scan` / `ivfflat.iterative_scan`: `off`, `strict_order`, `relaxed_order`; nil
    /// for the in-process index (its filtered search admits only allowed rows as it walks) and the exact path.
    public var iterativeScan: String?
    /// `hnsw.max_scan_tuples`, when set.
    public var maxScanTuples: Int?
    /// `planner` (as PostgreSQL chose), `index` (sequential and bitmap scans disabled, so the vector index
    /// answers), `exact` (index scans disabled: the b-tree's bitmap, or a scan, then a sort).
    public var path: String
    public var recall: Double
    public var qps1: Double
    public var p95Us: Double
    /// Rows returned per request: below k when the index ran out of candidates that pass the filter.
    public var rowsPerRequest: Double
    /// How memory_embeddings was read (`hnsw`, `ivfflat`, `bitmap`, `btree`, `seq_scan`).
    public var plan: String?

    package init(
        share: Double, iterativeScan: String?, maxScanTuples: Int?, path: String, recall: Double, qps1: Double, p95Us: Double,
        rowsPerRequest: Double, plan: String?
    ) {
        self.share = share
        self.iterativeScan = iterativeScan
        self.maxScanTuples = maxScanTuples
        self.path = path
        self.recall = recall
        self.qps1 = qps1
        self.p95Us = p95Us
        self.rowsPerRequest = rowsPerRequest
        self.plan = plan
    }

    /// Which filter pass this is, for matching: share, mode, tuples and path.
    public var filter: String { "\(self.share) \(self.iterativeScan ?? "-") \(self.maxScanTuples ?? 0) \(self.path)" }
}

extension TargetKind {
    /// Whether this target builds `variant`: pgvector all of them, the in-process index HNSW over vectors in
    /// single or half precision (no binary quantization, no IVFFlat).
    public func builds(_ variant: IndexVariant) -> Bool { self == .postgres || variant == .vector || variant == .halfvec }
}

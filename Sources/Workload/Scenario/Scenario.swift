import Foundation
import Results
import VectorSearch

/// A workload: which dataset, which target, how much load, for how long, and which operations in which
/// proportions. Read from `scenarios/<name>.yaml` (every key in `docs/scenarios.md`); command-line options
/// override the load and timing.
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var description: String
    /// A dataset spec name (`tiny`, `small`) or path.
    public var dataset: String
    public var target: TargetSelection
    /// Seed of the operation stream: the same seed sends the same operations with the same parameters.
    public var seed: UInt64
    public var executor: ExecutorConfiguration
    /// Requests in the warm-up run but are not measured.
    public var warmup: Duration
    /// How long the measured part lasts; ignored when `requests` is set.
    public var duration: Duration
    /// A count of measured requests instead of a duration.
    public var requests: Int?
    /// Per-request timeout: the server's `statement_timeout` for PostgreSQL.
    public var timeout: Duration
    /// Session settings for every PostgreSQL connection (`hnsw.ef_search`, `work_mem`, …), set in file order.
    public var settings: [Setting]
    /// The HNSW index the scenario needs: pgvector's is rebuilt when it differs, the in-process one is built so.
    public var index: IndexConfiguration
    /// Share of vector requests whose recall is measured against exact answers (0…1).
    public var recallSample: Double
    /// Each PostgreSQL client acts as one dataset user through the `authenticated` role and `auth.uid()`.
    public var rowLevelSecurity: Bool
    /// How many of the dataset's memory embeddings are in the table when the run starts (the first ones):
    /// the rest are what `insert_memory` inserts. Nil for all of them.
    public var memoryRows: RowAmount?
    /// Stages of inserts and deletes with a recall checkpoint after each (`tripbench stages`); nil for a run.
    public var runbook: Runbook?
    /// Logical replication subscribers reading the changes the run's writes make (PostgreSQL); nil for none.
    public var changeFeed: ChangeFeedSpec?
    /// A pooler the clients connect through (PostgreSQL); nil for direct connections.
    public var pooler: PoolerSpec?
    /// The application's connection pool (PostgreSQL, open loop); nil for none.
    public var pool: PoolSpec?
    /// Connection churn (PostgreSQL): each client opens a new connection for every this many requests, as
    /// serverless clients do (pgbench `-C` is 1); nil keeps one connection per client for the run.
    public var reconnectEvery: Int?
    public var operations: [OperationSpec]
    /// Pass/fail conditions per operation (or `all`), checked by the reporting step.
    public var thresholds: [Threshold]

    public init(
        name: String, description: String = "", dataset: String, target: TargetSelection, seed: UInt64 = 1,
        executor: ExecutorConfiguration, warmup: Duration = .seconds(5), duration: Duration = .seconds(30), requests: Int? = nil,
        timeout: Duration = .seconds(30), settings: [Setting] = [], index: IndexConfiguration = .init(), recallSample: Double = 1,
        rowLevelSecurity: Bool = false, operations: [OperationSpec], thresholds: [Threshold] = []
    ) {
        self.name = name
        self.description = description
        self.dataset = dataset
        self.target = target
        self.seed = seed
        self.executor = executor
        self.warmup = warmup
        self.duration = duration
        self.requests = requests
        self.timeout = timeout
        self.settings = settings
        self.index = index
        self.recallSample = recallSample
        self.rowLevelSecurity = rowLevelSecurity
        self.operations = operations
        self.thresholds = thresholds
        self.memoryRows = nil
        self.runbook = nil
        self.changeFeed = nil
        self.pooler = nil
        self.pool = nil
        self.reconnectEvery = nil
    }

    /// The connections a run opens to its target: the mix's clients and those of every write stream and probe.
    public var clientConnections: Int {
        self.executor.clients + self.operations.filter { $0.hasOwnRate || $0.isProbe }.reduce(0) { $0 + $1.clients }
    }

    /// The settings every session of the run has: `statement_timeout` from `timeout`, then `settings` in order
    /// (a pooler applies them when it opens a server connection).
    public var sessionSettings: [Setting] {
        [Setting(name: "statement_timeout", value: "\(max(1, self.timeout.nanoseconds / 1_000_000))ms")] + self.settings
    }

    /// How long the measured part is planned to last: a ramp's stages, else `duration` (a request count
    /// may end it sooner).
    public var plannedDuration: Duration {
        self.executor.type == .rampingArrivalRate ? self.executor.stagesDuration : self.duration
    }

    public struct Setting: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct IndexConfiguration: Sendable, Equatable {
        public var m = 16
        public var efConstruction = 200
        /// `ef_search` of the in-process index (pgvector takes `hnsw.ef_search` from `settings`).
        public var efSearch = 100
        /// Whether the in-process index takes inserts and deletes (``HNSWIndex/growing(_:initial:parameters:threads:progress:)``):
        /// set when the scenario inserts or deletes memories.
        public var growing = false
        /// How the in-process index stores its vectors: `float16` answers `vectorType: halfvec` searches as
        /// pgvector's HNSW on `embedding::halfvec` does, `float32` the plain ones. Unset in a scenario, it is
        /// `float16` when every vector search is on halfvec.
        public var precision: VectorPrecision

        public init(m: Int = 16, efConstruction: Int = 200, efSearch: Int = 100, precision: VectorPrecision = .float32) {
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
            self.precision = precision
        }

        /// The precision that serves `operations`: half when every vector search among them is on halfvec.
        static func precision(serving operations: [OperationSpec]) -> VectorPrecision {
            let searches = operations.filter(\.kind.isVectorSearch)
            return !searches.isEmpty && searches.allSatisfy { $0.vectorType == .halfvec } ? .float16 : .float32
        }
    }
}

/// A number of rows, or a share of a dataset's.
public enum RowAmount: Sendable, Equatable {
    case count(Int)
    case share(Double)

    /// The rows of `total` this amount is (at least 1, at most `total`).
    public func rows(of total: Int) -> Int {
        switch self {
        case .count(let count): min(max(count, 1), total)
        case .share(let share): min(max(Int((share * Double(total)).rounded()), 1), total)
        }
    }

    /// `12000` or `75%`; nil otherwise.
    public init?(text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let percent = Double(trimmed.dropLast().trimmingCharacters(in: .whitespaces)), percent > 0, percent <= 100 {
            self = .share(percent / 100)
        } else if let count = Int(trimmed), count > 0 {
            self = .count(count)
        } else {
            return nil
        }
    }
}

/// Which systems a run measures.
public enum TargetSelection: String, Sendable, Codable, CaseIterable {
    case postgres, index, both

    /// The targets in the order they run.
    public var targets: [TargetKind] {
        switch self {
        case .postgres: [.postgres]
        case .index: [.index]
        case .both: [.postgres, .index]
        }
    }
}

extension Scenario {
    /// The bounds of a scenario's numbers, the same in a scenario file and on the command line, so nothing
    /// that reaches the executors' arithmetic can overflow it or stall them.
    public enum Limits {
        public static let clients = 1...10_000
        /// Requests per second.
        public static let rate = 0.001...10_000_000.0
        public static let requests = 1...1_000_000_000
        public static let threads = 1...1_024
    }
}

import Foundation

/// `report.json`: everything a run measured, versioned. Keys are snake_case (one encoder with
/// `.convertToSnakeCase`); `docs/report-format.md` documents every field.
public struct RunReport: Codable, Sendable {
    public static let currentSchemaVersion = 1

    public var schemaVersion = RunReport.currentSchemaVersion
    /// True when the run was stopped early (Ctrl-C, SIGTERM): the figures cover the part that ran.
    public var partial: Bool
    public var scenario: ScenarioSummary
    /// `postgres`, `index` or `both`.
    public var target: String
    public var environment: RunEnvironment
    /// Per target and operation.
    public var operations: [OperationReport]
    /// Per target.
    public var totals: [TotalsReport]
    /// Per target, one entry per second of the measured part.
    public var timeseries: [TimeseriesReport]
    /// The merged histograms, per target and operation, in a form that merges again (see ``LatencyHistogram``).
    public var histograms: [HistogramReport]
    /// What PostgreSQL said about the run (postgres target only).
    public var health: DatabaseHealth?
    /// How the caches stood when the run began (absent in older reports).
    public var cache: CacheState?
    /// The run's realtime change feed, when it had one (postgres target).
    public var changeFeed: ChangeFeedReport?
    /// How a pooled run's requests got their connections (a scenario's `pool` or `pooler`; postgres target).
    public var pool: PoolReport?
    /// A shard's report (`run --shard i/N`) or a merge of shards' (`tripbench merge`); absent for a whole run.
    public var shard: ShardSummary?

    package init(
        partial: Bool, scenario: ScenarioSummary, target: String, environment: RunEnvironment,
        operations: [OperationReport], totals: [TotalsReport], timeseries: [TimeseriesReport],
        histograms: [HistogramReport], health: DatabaseHealth? = nil, cache: CacheState? = nil
    ) {
        self.partial = partial
        self.scenario = scenario
        self.target = target
        self.environment = environment
        self.operations = operations
        self.totals = totals
        self.timeseries = timeseries
        self.histograms = histograms
        self.health = health
        self.cache = cache
    }
}

/// `warm`: the caches as the load and earlier runs left them. `cold`: tripbench's local server was stopped, its
/// data directory's files dropped from the OS page cache, and started again before the run. `prewarm`: the
/// HNSW index read into `shared_buffers` and the embeddings into the page cache first (``CachePrewarm``).
public struct CacheState: Codable, Sendable, Equatable {
    public var mode: String
    /// Cold: the data directory's size, the share of it in the page cache before the eviction and once the
    /// server ran again, and the files that could not be evicted.
    public var dataBytes: Int64?
    public var residentBefore: Double?
    public var residentAfter: Double?
    public var filesSkipped: Int?
    /// Prewarm: the 8 kB blocks pg_prewarm read (the index into shared_buffers, the heap and TOAST into the
    /// page cache), how long it took, and shared_buffers' own blocks (an index larger than them passes through:
    /// only its last blocks stay, the rest in the page cache).
    public var prewarmedIndexBlocks: Int64?
    public var prewarmedTableBlocks: Int64?
    public var prewarmSeconds: Double?
    public var sharedBuffersBlocks: Int64?

    public init(
        mode: String, dataBytes: Int64? = nil, residentBefore: Double? = nil, residentAfter: Double? = nil, filesSkipped: Int? = nil,
        prewarmedIndexBlocks: Int64? = nil, prewarmedTableBlocks: Int64? = nil, prewarmSeconds: Double? = nil,
        sharedBuffersBlocks: Int64? = nil
    ) {
        self.mode = mode
        self.dataBytes = dataBytes
        self.residentBefore = residentBefore
        self.residentAfter = residentAfter
        self.filesSkipped = filesSkipped
        self.prewarmedIndexBlocks = prewarmedIndexBlocks
        self.prewarmedTableBlocks = prewarmedTableBlocks
        self.prewarmSeconds = prewarmSeconds
        self.sharedBuffersBlocks = sharedBuffersBlocks
    }

    /// One line for the reports.
    public var summary: String {
        if self.mode == "prewarm", let index = self.prewarmedIndexBlocks, let table = self.prewarmedTableBlocks {
            var into = "into shared_buffers"
            if let buffers = self.sharedBuffersBlocks, index > buffers {
                into = String(
                    format: "through shared_buffers (%.2f GB: at most %.0f %% of the index stays there, the rest in the page cache)",
                    Double(buffers) * 8192 / 1e9, Double(buffers) / Double(index) * 100)
            }
            return String(
                format: "prewarmed: pg_prewarm read %.2f GB of the HNSW index %@ and %.2f GB of memory_embeddings into the page cache in %.1f s",
                Double(index) * 8192 / 1e9, into, Double(table) * 8192 / 1e9, self.prewarmSeconds ?? 0)
        }
        guard self.mode == "cold", let bytes = self.dataBytes, let before = self.residentBefore, let after = self.residentAfter else {
            return "warm: as the load and earlier runs left them"
        }
        var text = String(
            format: "cold: the local server was restarted and its %.1f GB of files dropped from the page cache (%.1f %% resident before, %.1f %% once it ran again)",
            Double(bytes) / 1e9, before * 100, after * 100)
        if let skipped = self.filesSkipped, skipped > 0 { text += "; \(skipped) files could not be opened to evict" }
        return text
    }
}

public struct ScenarioSummary: Codable, Sendable {
    public var name: String
    public var file: String
    public var description: String
    public var dataset: String
    public var seed: UInt64
    public var executor: String
    public var clients: Int
    public var rate: Double?
    public var startRate: Double?
    public var stages: [StageSummary]?
    public var thinkTimeSeconds: Double?
    /// Open loop: `uniform` or `poisson` (absent in reports from before it was a choice: uniform).
    public var arrivals: String?
    public var warmupSeconds: Double
    public var durationSeconds: Double
    public var requests: Int?
    public var timeoutSeconds: Double
    public var recallSample: Double
    public var rowLevelSecurity: Bool
    public var settings: [String: String]
    public var index: IndexSummary
    public var operations: [OperationSummary]
    public var thresholds: [Threshold]

    public struct StageSummary: Codable, Sendable {
        public var durationSeconds: Double
        public var target: Double

        package init(durationSeconds: Double, target: Double) {
            self.durationSeconds = durationSeconds
            self.target = target
        }
    }

    public struct IndexSummary: Codable, Sendable {
        public var m: Int
        public var efConstruction: Int
        public var efSearch: Int

        package init(m: Int, efConstruction: Int, efSearch: Int) {
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
        }
    }

    public struct OperationSummary: Codable, Sendable {
        public var name: String
        public var kind: String
        public var weight: Double
        public var limit: Int
        public var filter: String?
        public var sql: [String]

        package init(name: String, kind: String, weight: Double, limit: Int, filter: String? = nil, sql: [String]) {
            self.name = name
            self.kind = kind
            self.weight = weight
            self.limit = limit
            self.filter = filter
            self.sql = sql
        }
    }

    package init(
        name: String, file: String, description: String, dataset: String, seed: UInt64, executor: String, clients: Int,
        rate: Double? = nil, startRate: Double? = nil, stages: [StageSummary]? = nil, thinkTimeSeconds: Double? = nil,
        arrivals: String? = nil, warmupSeconds: Double, durationSeconds: Double, requests: Int? = nil,
        timeoutSeconds: Double, recallSample: Double, rowLevelSecurity: Bool, settings: [String: String],
        index: IndexSummary, operations: [OperationSummary], thresholds: [Threshold]
    ) {
        self.name = name
        self.file = file
        self.description = description
        self.dataset = dataset
        self.seed = seed
        self.executor = executor
        self.clients = clients
        self.rate = rate
        self.startRate = startRate
        self.stages = stages
        self.thinkTimeSeconds = thinkTimeSeconds
        self.arrivals = arrivals
        self.warmupSeconds = warmupSeconds
        self.durationSeconds = durationSeconds
        self.requests = requests
        self.timeoutSeconds = timeoutSeconds
        self.recallSample = recallSample
        self.rowLevelSecurity = rowLevelSecurity
        self.settings = settings
        self.index = index
        self.operations = operations
        self.thresholds = thresholds
    }
}

public struct RunEnvironment: Codable, Sendable {
    public var cpuModel: String
    public var cores: Int
    public var memoryBytes: Int
    public var os: String
    public var hostname: String
    /// `user@host:port/db`, never a password; nil for an in-process-only run.
    public var database: String?
    public var serverVersion: String?
    /// The server settings in force for the run's sessions (scenario settings and the usual suspects).
    public var serverSettings: [String: String]
    public var dataset: String
    public var datasetChecksum: String
    public var tripbenchVersion: String
    public var gitCommit: String
    public var startTime: String
    public var endTime: String

    package init(
        cpuModel: String, cores: Int, memoryBytes: Int, os: String, hostname: String, database: String? = nil,
        serverVersion: String? = nil, serverSettings: [String: String], dataset: String, datasetChecksum: String,
        tripbenchVersion: String, gitCommit: String, startTime: String, endTime: String
    ) {
        self.cpuModel = cpuModel
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.os = os
        self.hostname = hostname
        self.database = database
        self.serverVersion = serverVersion
        self.serverSettings = serverSettings
        self.dataset = dataset
        self.datasetChecksum = datasetChecksum
        self.tripbenchVersion = tripbenchVersion
        self.gitCommit = gitCommit
        self.startTime = startTime
        self.endTime = endTime
    }
}

/// Latency percentiles in microseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var p50: UInt64
    public var p90: UInt64
    public var p95: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64
    public var mean: Double

    public init(_ histogram: LatencyHistogram) {
        self.p50 = histogram.percentile(50)
        self.p90 = histogram.percentile(90)
        self.p95 = histogram.percentile(95)
        self.p99 = histogram.percentile(99)
        self.p999 = histogram.percentile(99.9)
        self.max = histogram.max
        self.mean = (histogram.mean * 10).rounded() / 10
    }
}

public struct OperationReport: Codable, Sendable {
    public var target: String
    public var operation: String
    public var kind: String
    /// Requests measured (errors included).
    public var count: Int
    public var errors: Int
    public var errorsByKind: [String: Int]
    public var qps: Double
    public var rows: Int
    public var rowsPerRequest: Double
    /// From the intended start (open loop) or the send (closed loop) to the answer.
    public var latencyUs: LatencySummary
    /// From the send to the answer; open-loop runs only (in a closed loop it equals latency).
    public var serviceUs: LatencySummary?
    public var recall: RecallSummary?
    /// Row-level security runs: rows returned that belong to another user (should be 0), among the memory
    /// rows every vector request returned during the run.
    public var foreignRows: Int?
    /// Row-level security runs: the audit after the run, every row of a sample of requests checked against
    /// its owner, half of them naming another user's data (``RowLevelSecurityAudit``).
    public var rowLevelSecurityAudit: RowLevelSecurityCheck?
    /// Requests the target could not serve (the in-process index has no relational data): skipped, not sent.
    public var unsupported: Int?
    /// Open loop: requests of this operation due before the end that were never sent (see
    /// ``TotalsReport/unsent``); they count as failed in `error_rate`.
    public var unsent: Int?
    /// The time-to-searchable probe: the searches it made (each request is one inserted row, searched every
    /// poll until found); its latency runs from the row's commit to the end of the search that returned it.
    public var polls: Int?

    package init(
        target: String, operation: String, kind: String, count: Int, errors: Int, errorsByKind: [String: Int],
        qps: Double, rows: Int, rowsPerRequest: Double, latencyUs: LatencySummary, serviceUs: LatencySummary? = nil,
        recall: RecallSummary? = nil, foreignRows: Int? = nil, rowLevelSecurityAudit: RowLevelSecurityCheck? = nil,
        unsupported: Int? = nil, unsent: Int? = nil
    ) {
        self.target = target
        self.operation = operation
        self.kind = kind
        self.count = count
        self.errors = errors
        self.errorsByKind = errorsByKind
        self.qps = qps
        self.rows = rows
        self.rowsPerRequest = rowsPerRequest
        self.latencyUs = latencyUs
        self.serviceUs = serviceUs
        self.recall = recall
        self.foreignRows = foreignRows
        self.rowLevelSecurityAudit = rowLevelSecurityAudit
        self.unsupported = unsupported
        self.unsent = unsent
    }
}

extension RunReport {
    /// What thresholds on this report may name: the scenario's operations, and the entries that follow them
    /// (`change_lag`, `pool_wait`, `connect`).
    public var thresholdNames: [String] {
        let names = self.scenario.operations.map(\.name)
        return names + Set(self.operations.filter { $0.followsRequests && !names.contains($0.operation) }.map(\.operation)).sorted()
    }
}

extension OperationReport {
    /// Whether the entry measures something that follows the requests rather than requests of its own: the
    /// time-to-searchable probe (inserted rows followed), the change feed's lag (transactions delivered), and a
    /// pooled run's wait for a connection and a churning run's connection setup (both part of the requests' own
    /// latencies). None belongs to the totals or to `all`.
    public var followsRequests: Bool { self.polls != nil || ["change_feed", "pool_wait", "connect"].contains(self.kind) }

    /// Rows of another user seen anywhere: during the run and in the audit after it.
    public var everyForeignRow: Int { (self.foreignRows ?? 0) + (self.rowLevelSecurityAudit?.foreignRows ?? 0) }
}

public struct RecallSummary: Codable, Sendable {
    /// Mean recall@k over the sampled requests.
    public var mean: Double
    public var min: Double
    public var samples: Int
    public var k: Int

    package init(mean: Double, min: Double, samples: Int, k: Int) {
        self.mean = mean
        self.min = min
        self.samples = samples
        self.k = k
    }
}

public struct TotalsReport: Codable, Sendable {
    public var target: String
    public var count: Int
    public var errors: Int
    public var qps: Double
    public var measuredSeconds: Double
    /// The driver's own CPU time per measured request, µs (for the index target, the searches themselves).
    public var harnessCpuUsPerRequest: Double
    /// The postgres target: which code ran the statements, `direct` (tripbench's own protocol code) or `libpq`
    /// (absent in reports from before it was a choice: libpq).
    public var driver: String?
    /// Open loop: how late requests were sent after their due time (a driver or queueing delay), µs.
    public var scheduleLagUs: LatencySummary?
    /// Open loop: requests due before the end that were never sent (the backlog at the end).
    public var unsent: Int?
    /// Open loop: requests due in the measured part (up to a stop), from the schedule itself: `count + unsent`
    /// when nothing went unaccounted for (absent in older reports).
    public var scheduled: Int?
    /// Requests finished per measured second, whenever they were due: `qps` counts only those due in the
    /// window, so when the warm-up's backlog outlasts the window it is 0 while the target served this many
    /// (absent in older reports).
    public var servedPerSecond: Double?
    public var reconnects: Int
    /// The postgres target: seconds of the measured part during which the server could not be reached (some
    /// client had lost its connection and had not yet opened a new one); absent in older reports.
    public var unreachableSeconds: Double?
    /// The in-process index: build seconds and bytes.
    public var indexBuildSeconds: Double?
    public var indexBytes: Int?

    package init(
        target: String, count: Int, errors: Int, qps: Double, measuredSeconds: Double, harnessCpuUsPerRequest: Double,
        driver: String? = nil, scheduleLagUs: LatencySummary? = nil, unsent: Int? = nil, scheduled: Int? = nil,
        servedPerSecond: Double? = nil, reconnects: Int, unreachableSeconds: Double? = nil,
        indexBuildSeconds: Double? = nil, indexBytes: Int? = nil
    ) {
        self.target = target
        self.count = count
        self.errors = errors
        self.qps = qps
        self.measuredSeconds = measuredSeconds
        self.harnessCpuUsPerRequest = harnessCpuUsPerRequest
        self.driver = driver
        self.scheduleLagUs = scheduleLagUs
        self.unsent = unsent
        self.scheduled = scheduled
        self.servedPerSecond = servedPerSecond
        self.reconnects = reconnects
        self.unreachableSeconds = unreachableSeconds
        self.indexBuildSeconds = indexBuildSeconds
        self.indexBytes = indexBytes
    }
}

public struct TimeseriesReport: Codable, Sendable {
    public var target: String
    public var seconds: [Second]

    public struct Second: Codable, Sendable {
        public var second: Int
        public var count: Int
        public var errors: Int
        public var p50Us: UInt64
        public var p95Us: UInt64
        public var p99Us: UInt64
        /// Pooled runs: the P95 of the wait for a connection of the requests finished in this second.
        public var waitP95Us: UInt64?
        /// A shard's report (`run --shard i/N`): the second's latency histogram in HdrHistogram's compressed
        /// form, base64 (``HistogramEncoding``; a few hundred bytes), so the merge computes the second's
        /// percentiles over every shard's requests.
        public var histogram: String?
        /// A pooled shard's report: the second's histogram of the wait for a connection, in the same form.
        public var waitHistogram: String?

        package init(second: Int, count: Int, errors: Int, p50Us: UInt64, p95Us: UInt64, p99Us: UInt64) {
            self.second = second
            self.count = count
            self.errors = errors
            self.p50Us = p50Us
            self.p95Us = p95Us
            self.p99Us = p99Us
        }
    }

    package init(target: String, seconds: [Second]) {
        self.target = target
        self.seconds = seconds
    }
}

public struct HistogramReport: Codable, Sendable {
    public var target: String
    public var operation: String
    /// `latency` or `service`; `schedule_lag` (operation `all`: every request of the target) for open loops.
    public var measure: String
    public var unit = "us"
    public var significantDigits = 3
    public var highestTrackable = LatencyHistogram.highestMicros
    /// `[value, count]` per recorded bucket; value is the bucket's lowest equivalent.
    public var buckets: [[UInt64]]

    package init(target: String, operation: String, measure: String, buckets: [[UInt64]]) {
        self.target = target
        self.operation = operation
        self.measure = measure
        self.buckets = buckets
    }

    /// An open loop's schedule lag over every request of `target`.
    package static func scheduleLag(target: String, buckets: [[UInt64]]) -> HistogramReport {
        HistogramReport(target: target, operation: "all", measure: "schedule_lag", buckets: buckets)
    }

    /// Where the merge adds it up: target, operation and measure.
    var key: String { Self.key(target: self.target, operation: self.operation, measure: self.measure) }

    static func key(target: String, operation: String, measure: String) -> String { "\(target)\u{0}\(operation)\u{0}\(measure)" }
}

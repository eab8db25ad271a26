import CPoll
import Datasets
import Dispatch
import Foundation
import Logging
import Postgres
import Results
import VectorSearch

/// Runs a scenario against each of its targets in turn and assembles the report.
///
/// Blocking: call it from a dedicated thread. Workers are threads of their own (about one per core), each
/// driving its share of the clients; they share nothing on the measured path and hand their per-second
/// figures to a board once a second, from which the live progress line is read.
public struct WorkloadRunner: Sendable {
    public let scenario: Scenario
    public let scenarioFile: String
    public let catalog: DatasetCatalog
    /// The PostgreSQL server, when a target needs it.
    public let database: PostgresConnectionString?
    public let stopSignal: StopSignal
    public var threads = ExactSearch.defaultThreads
    /// Which code runs the postgres target's statements (``PostgresStatementDriver``); `.direct` falls back to
    /// libpq on an encrypted connection.
    public var driver = PostgresStatementDriver.direct
    public var version = "dev"
    public var gitCommit = "unknown"
    /// The in-process index to search, when one is already built (a capacity search runs many steps on one);
    /// nil builds it from the scenario.
    public var inProcessIndex: InProcessIndex?
    /// Whether a run whose streams insert, delete or update memories puts the table back afterwards (a
    /// runbook's stages keep what each stage did for the next).
    public var restoresMemories = true
    /// The pooler the postgres target's clients connect through (a scenario's `pooler`); nil for direct
    /// connections. Setup, EXPLAIN, health and change feeds stay on `database`.
    public var pooler: PoolerTarget?
    /// Called about once a second from a progress thread while measuring.
    public var progress: (@Sendable (ProgressLine) -> Void)?
    /// Live outputs (a metrics endpoint, an interval log): fed each complete second of every target's run.
    public var sinks: [any RunSink] = []
    /// The share of measured requests handed to the sinks one by one (a per-request log): 0 for none, 1 for all.
    public var requestSample = 0.0
    /// The part of the run this process sends (``RunShard``); the whole run by default. Only shard 0 sets up
    /// and puts back (the cleanup of the run's rows, the memories' restore) and collects the database's health.
    public var shard = RunShard.whole
    /// When the run starts (the warm-up's first request), so shards on several machines start together; nil:
    /// as soon as the clients are connected.
    public var startAt: Date?
    /// How late after ``startAt`` a shard may still join the common timeline (seconds).
    static let lateStartLimit = 1.0
    /// Whether this process sets up and puts back (shard 0, or the whole run).
    private var setsUp: Bool { self.shard.index == 0 }

    public init(scenario: Scenario, scenarioFile: String, catalog: DatasetCatalog, database: PostgresConnectionString?, stopSignal: StopSignal) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.catalog = catalog
        self.database = database
        self.stopSignal = stopSignal
    }

    /// One line of live progress.
    public struct ProgressLine: Sendable {
        public var target: TargetKind
        public var second: Int
        public var count: Int
        public var errors: Int
        public var p95Micros: UInt64
        /// Requests finished so far in the measured part.
        public var total: Int
        public var totalErrors: Int
    }

    public func run(logger: Logger) throws -> RunReport {
        let startTime = Date()
        let sql = self.scenario.operations.map { OperationSQL($0, dimension: self.catalog.base.dimension) }
        var environmentDatabase: (version: String, settings: [String: String])?
        var targetRuns: [TargetRun] = []
        var health: DatabaseHealth?
        var changeFeed: (report: ChangeFeedReport, operation: OperationReport)?
        var poolerFigures: PoolReport.Pooler?
        let runTag = UUID().uuidString.lowercased()
        let changes = try MemoryChanges(scenario: self.scenario, catalog: self.catalog)
        let stream = RequestStream(
            operations: self.scenario.operations, catalog: self.catalog, seed: self.scenario.seed, insertRows: changes.rows,
            rowVectors: try self.probeVectors())
        for target in self.scenario.target.targets where !self.stopSignal.isSet {
            switch target {
            case .postgres:
                guard let database = self.database else { throw WorkloadError(.badInput, "the postgres target needs a database") }
                let admin = try PostgresConnection(database)
                environmentDatabase = try self.describeServer(admin)
                let setup = self.setsUp
                let cleanup = setup ? OperationSQL.cleanup(of: self.scenario.operations) : nil
                if let cleanup { try admin.execute(script: cleanup) }
                defer {
                    if let cleanup { try? admin.execute(script: cleanup) }
                    if changes.changesAnything, self.restoresMemories, setup {
                        do { try changes.restore(admin, catalog: self.catalog) } catch {
                            logger.error("could not put memory_embeddings back after the run's writes: \(error)")
                        }
                    }
                }
                let collector = HealthCollector(target: database, connection: admin)
                // The plans are read by the setup shard alone: the merged report's plan shares are its requests'.
                let classifier = setup
                    ? collector.explain(
                        operations: self.scenario.operations, sql: sql, stream: stream, expected: self.expectedRequests,
                        typeCount: DatasetCatalog.typeCount)
                    : nil
                let feed = try self.scenario.changeFeed.flatMap {
                    try ChangeFeed(spec: $0, database: database, admin: admin, runTag: runTag, stop: self.stopSignal)
                }
                if let feed { logger.info("change feed: \(feed.spec.subscribers) logical replication subscribers on \(feed.spec.tables.joined(separator: ", "))") }
                let monitor = self.pooler.map { pooler in
                    PoolerMonitor(target: pooler.url, base: PoolReport.Pooler(
                        server: pooler.server, mode: self.scenario.pooler?.mode ?? "transaction",
                        poolSize: pooler.startedByTripbench ? self.scenario.pooler?.poolSize : nil,
                        reservePool: pooler.startedByTripbench ? self.scenario.pooler?.reservePool : nil,
                        statements: PoolerSpec.statements, clients: self.scenario.clientConnections),
                        seconds: Int((Double(self.scenario.plannedDuration.nanoseconds) / 1e9).rounded(.up)))
                }
                var run: TargetRun
                do {
                    run = try self.runPostgres(
                        database, sql: sql, stream: stream, runTag: runTag, health: collector, classifier: classifier, feed: feed,
                        monitor: monitor, logger: logger)
                } catch {
                    _ = feed?.finish(admin: admin, stopped: true)
                    _ = monitor?.endWindow()
                    throw error
                }
                health = setup ? collector.endWindow() : nil
                poolerFigures = monitor?.endWindow()
                changeFeed = feed.map { $0.finish(admin: admin, stopped: self.stopSignal.isSet) }
                if self.scenario.rowLevelSecurity, !self.stopSignal.isSet {
                    let audit = RowLevelSecurityAudit(scenario: self.scenario, sql: sql, stream: stream, runTag: runTag)
                    run.rowLevelSecurity = audit.run(database: database, actingUsers: self.catalog.actingUsers(self.scenario.executor.clients))
                }
                targetRuns.append(run)
            case .index:
                let index = try self.inProcessIndex ?? InProcessIndex(catalog: self.catalog, scenario: self.scenario, logger: logger)
                precondition(index.index.parameters.precision == self.scenario.index.precision, "the index given stores another precision than the scenario's")
                targetRuns.append(try self.runIndex(index, stream: stream))
            }
        }
        let environment = RunEnvironment.collect(
            database: self.database.flatMap { self.scenario.target == .index ? nil : $0.summary }, server: environmentDatabase,
            manifest: self.catalog.manifest, version: self.version, gitCommit: self.gitCommit, start: startTime, end: Date())
        var report = ReportAssembler(scenario: self.scenario, scenarioFile: self.scenarioFile, catalog: self.catalog, sql: sql)
            .report(runs: targetRuns, environment: environment, health: health, partial: self.stopSignal.isSet, pooler: poolerFigures)
        if let changeFeed {
            let position = report.operations.lastIndex { $0.target == TargetKind.postgres.rawValue }.map { $0 + 1 } ?? report.operations.endIndex
            report.operations.insert(changeFeed.operation, at: position)
            report.changeFeed = changeFeed.report
        }
        for sink in self.sinks { sink.finished(report) }
        return report
    }

    /// Puts memory_embeddings back as the dataset's loaded rows after writes the runner did not undo (a
    /// runbook's stages): the rows `inserted` removed, the rows `deleted` inserted again from the COPY file,
    /// metadata updates taken out.
    public static func restoreMemories(
        _ database: PostgresConnectionString, catalog: DatasetCatalog, inserted: Range<Int>, deleted: Range<Int>
    ) throws {
        let changes = try MemoryChanges(inserted: inserted, deleted: deleted, updates: true, catalog: catalog)
        try changes.restore(try PostgresConnection(database), catalog: catalog)
    }

    /// The server's version and the settings the run's sessions see.
    private func describeServer(_ connection: PostgresConnection) throws -> (String, [String: String]) {
        for setting in self.scenario.settings {
            try connection.query("SELECT set_config($1, $2, false)", [setting.name, setting.value])
        }
        let names = ["shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "hnsw.ef_search",
                     "hnsw.iterative_scan", "jit", "random_page_cost"] + self.scenario.settings.map(\.name)
        var settings: [String: String] = [:]
        for name in Set(names) {
            let value = try connection.query("SELECT current_setting($1, true)", [name])
            if value.rowCount == 1, let text = try value.decode(String?.self, row: 0, column: 0) { settings[name] = text }
        }
        let version = try connection.query("SELECT version()").decode(String.self, row: 0, column: 0)
        return (version, settings)
    }

    /// About how many request numbers the run uses (warm-up included), twice over: closed-loop clients number
    /// their requests in stride, and one ahead of the others reaches past the count. The plan classifier
    /// EXPLAINs the groups these draw.
    private var expectedRequests: Int {
        if let requests = self.scenario.requests { return 2 * requests + 2 * self.scenario.executor.clients }
        let seconds = self.scenario.warmup.inSeconds + self.scenario.plannedDuration.inSeconds
        let rate = self.scenario.executor.rate ?? max(self.scenario.executor.startRate, self.scenario.executor.stages.map(\.target).max() ?? 0)
        return Int(min(max(2 * (rate > 0 ? rate * seconds : 1000 * seconds), 100), 1e9))
    }

    /// The dataset's base vectors, mapped, when a time-to-searchable probe searches for rows being inserted.
    private func probeVectors() throws -> VectorStore? {
        guard self.scenario.operations.contains(where: \.isProbe) else { return nil }
        do {
            return try VectorFiles.mapFbin(self.catalog.directory.appendingPathComponent("base.fbin").path)
        } catch let error as VectorSearchError {
            throw WorkloadError(.badInput, error.message)
        }
    }

    /// The operations on streams of their own beside the mix: those with a rate, then the probes.
    private var laneOperations: [Int] {
        let operations = self.scenario.operations
        return operations.indices.filter { operations[$0].hasOwnRate } + operations.indices.filter { operations[$0].isProbe }
    }

    /// The mix's context and one per operation of ``laneOperations``, on one timeline; an insert stream
    /// followed by a probe hands its rows to the probe's context through a queue of their own.
    private func makeContexts(
        workers: Int, stream: RequestStream, classifier: PlanClassifier? = nil, pooled: Bool = false
    ) throws -> (mix: RunContext, lanes: [RunContext]) {
        // Start a little after now, so every worker is waiting when the first request is due; or at the agreed
        // time of a sharded run, even when it has just passed (the requests already due are sent at once and
        // counted from their due times), so the shards keep one timeline. A shard ready well after it is refused.
        var wait = 0.02
        if let startAt = self.startAt {
            wait = startAt.timeIntervalSinceNow
            guard wait > -Self.lateStartLimit else {
                throw WorkloadError(.runtime, String(
                    format: "shard %@ was ready %.1f s after --start-at: the shards' common start had passed; start them further ahead",
                    self.shard.description, -wait))
            }
        }
        let start = RunClock.now() + Int64(wait * 1e9)
        let live = !self.sinks.isEmpty
        let sample = live ? self.requestSample : 0
        let mix = RunContext(
            scenario: self.scenario, stream: stream, start: start, workers: workers, stopSignal: self.stopSignal, planClassifier: classifier,
            pooled: pooled, live: live, requestSample: sample, shard: self.shard)
        let operations = self.scenario.operations
        var queues: [Int: ProbeQueue] = [:]
        for operation in operations where operation.isProbe {
            let insert = operation.probedInsert!
            queues[insert] = operations[insert].searchable.map(ProbeQueue.init)
        }
        let lanes = self.laneOperations.map { lane in
            if let insert = operations[lane].probedInsert, let queue = queues[insert] {
                return RunContext(
                    probe: lane, of: self.scenario, stream: stream, start: start, queue: queue, stopSignal: self.stopSignal, live: live,
                    requestSample: sample)
            }
            return RunContext(
                lane: lane, of: self.scenario, stream: stream, start: start, stopSignal: self.stopSignal, followedBy: queues[lane], live: live,
                requestSample: sample, shard: self.shard)
        }
        return (mix, lanes)
    }

    /// The clients of this process's worker `worker` out of `workers` (round robin over the shard's clients), by
    /// global id.
    private func clients(of worker: Int, workers: Int) -> [Int] {
        let mine = self.shard.clients(of: self.scenario.executor.clients)
        return Array(stride(from: worker, to: mine.count, by: workers).map { mine[$0] })
    }

    /// The load-driver threads for this process's clients.
    private var workerCount: Int { max(1, min(self.threads, self.shard.clients(of: self.scenario.executor.clients).count)) }

    private func runPostgres(
        _ database: PostgresConnectionString, sql: [OperationSQL], stream: RequestStream, runTag: String, health: HealthCollector,
        classifier: PlanClassifier?, feed: ChangeFeed?, monitor: PoolerMonitor?, logger: Logger
    ) throws -> TargetRun {
        // An application pool is one queue: its connections on one worker (a worker takes its own share of
        // the schedule, so two would be two pools of half the size).
        let workers = self.scenario.pool != nil ? 1 : self.workerCount
        let database = self.pooler?.url ?? database
        let description = StatementDescriptions()
        // With row-level security each client acts as one user, the busiest first.
        let clients = self.scenario.executor.clients
        let actingUsers: [Int?] = self.scenario.rowLevelSecurity ? self.catalog.actingUsers(clients) : Array(repeating: nil, count: clients)
        let groups = (0..<workers).map {
            PostgresClientGroup(
                clientIDs: self.clients(of: $0, workers: workers), actingUsers: actingUsers, target: database,
                scenario: self.scenario, sql: sql, catalog: self.catalog, driver: self.driver, descriptions: description)
        }
        do {
            for group in groups { try group.connect() }
        } catch let error as WorkloadError {
            throw WorkloadError(error.kind, "\(self.scenarioFile): \(error.message)")
        }
        // Every session takes the same path: encryption is a setting of the target, not of one session.
        let driver = groups.first?.clients.first?.session?.connection.driver
        logger.info("\(clients) PostgreSQL clients connected on \(workers) worker thread\(workers == 1 ? "" : "s") (driver: \(driver?.rawValue ?? "none"))")
        let laneGroups = try self.laneOperations.map { self.scenario.operations[$0] }.map { operation in
            let group = PostgresClientGroup(
                clientIDs: Array(0..<operation.clients), actingUsers: Array(repeating: nil, count: operation.clients), target: database,
                scenario: self.scenario, sql: sql, catalog: self.catalog, driver: self.driver, descriptions: description)
            do { try group.connect() } catch let error as WorkloadError {
                throw WorkloadError(error.kind, "\(self.scenarioFile): \(operation.name): \(error.message)")
            }
            return group
        }
        // The timeline starts once every client is connected.
        let (context, lanes) = try self.makeContexts(workers: workers, stream: stream, classifier: classifier, pooled: self.scenario.pool != nil)
        let mixBodies = (0..<workers).map { index -> @Sendable () -> WorkerResult in
            { PostgresWorker(index: index, group: groups[index], context: context, runTag: runTag).run() }
        }
        let laneBodies = lanes.indices.map { lane -> @Sendable () -> WorkerResult in
            { PostgresWorker(index: 0, group: laneGroups[lane], context: lanes[lane], runTag: runTag).run() }
        }
        let bodies = mixBodies + laneBodies
        let setup = self.setsUp
        let results = self.runWorkers(bodies, target: .postgres, context: context, lanes: lanes) {
            if setup { health.beginWindow() }
            feed?.beginWindow()
            monitor?.beginWindow()
        }
        return TargetRun(kind: .postgres, context: context, results: results.results, finished: results.finished, index: nil, driver: driver)
    }

    private func runIndex(_ index: InProcessIndex, stream: RequestStream) throws -> TargetRun {
        let workers = self.workerCount
        let (context, lanes) = try self.makeContexts(workers: workers, stream: stream)
        let (catalog, operations) = (self.catalog, self.scenario.operations)
        let mixBodies = (0..<workers).map { worker -> @Sendable () -> WorkerResult in
            let clients = self.clients(of: worker, workers: workers)
            return {
                IndexWorker(index: worker, clientIDs: clients, context: context, target: index, catalog: catalog, operations: operations).run()
            }
        }
        let laneBodies = lanes.map { lane -> @Sendable () -> WorkerResult in
            {
                IndexWorker(
                    index: 0, clientIDs: Array(0..<lane.executor.clients), context: lane, target: index, catalog: catalog, operations: operations
                ).run()
            }
        }
        let bodies = mixBodies + laneBodies
        let results = self.runWorkers(bodies, target: .index, context: context, lanes: lanes)
        return TargetRun(kind: .index, context: context, results: results.results, finished: results.finished, index: index)
    }

    /// Runs each body on a thread of its own (the mix's workers, then one per operation with its own rate) and
    /// waits for all, printing the mix's progress and feeding the live outputs meanwhile, and calling
    /// `atMeasureStart` (on this thread) once the warm-up is over.
    private func runWorkers(
        _ bodies: [@Sendable () -> WorkerResult], target: TargetKind, context: RunContext, lanes: [RunContext],
        atMeasureStart: (() -> Void)? = nil
    ) -> (results: [WorkerResult], finished: Int64) {
        let live = self.liveRun(target: target, context: context)
        for sink in self.sinks { sink.begin(live) }
        var feed = LiveFeed(run: live, sinks: self.sinks, progress: self.progress, mix: context, lanes: lanes)
        let count = bodies.count
        let slots = ResultBox<WorkerResult>(count: count)
        let group = DispatchGroup()
        for worker in 0..<count {
            group.enter()
            let body = bodies[worker]
            let thread = Thread {
                // The kernel's default timer slack (50 µs) made an open-loop request about 45 µs late at the
                // median on this machine, counted in its latency (docs/benchmarks.md).
                _ = tripbench_precise_timers()
                slots.set(worker, body())
                group.leave()
            }
            thread.name = "tripbench-worker-\(worker)"
            thread.stackSize = 4 << 20
            thread.start()
        }
        var measuring = false
        while true {
            if !measuring, RunClock.now() >= context.measureStart {
                measuring = true
                atMeasureStart?()
                feed.phase(.measuring)
            }
            if measuring, RunClock.now() >= context.end { feed.phase(.draining) }
            let untilMeasuring = measuring ? Int64.max : max(context.measureStart - RunClock.now(), 1_000_000)
            if group.wait(timeout: .now() + .nanoseconds(Int(min(untilMeasuring, 200_000_000)))) == .success { break }
            feed.handOn(all: false)
        }
        let finished = RunClock.now()
        feed.handOn(all: true)
        feed.phase(.finished)
        return ((0..<count).map { slots.get($0) }, finished)
    }

    /// How the live outputs see this target's run.
    private func liveRun(target: TargetKind, context: RunContext) -> LiveRun {
        let wallClock = Date().timeIntervalSince1970 + Double(context.measureStart - RunClock.now()) / 1e9
        let executor = self.scenario.executor
        let warmup = Double(context.measureStart - context.start)
        // A shard offers its share of the rate and has its share of the slots due: summed over the shards (as
        // Prometheus does), the run's.
        let (shard, workers) = (context.shard, context.workers)
        let rate: Double? = switch executor.type {
        case .constantVUs: nil
        case .constantArrivalRate: executor.rate
        case .rampingArrivalRate:
            context.schedule.map { ($0.arrivals(before: $0.end) - $0.arrivals(before: warmup)) / max(($0.end - warmup) / 1e9, 1e-9) }
        }
        let offered = rate.map { $0 / Double(shard.count) }
        let due = context.schedule.map { schedule in
            { @Sendable (seconds: Double) in
                shard.slots(below: Int(schedule.arrivals(before: warmup + seconds * 1e9)), workers: workers)
                    - shard.slots(below: Int(schedule.arrivals(before: warmup)), workers: workers)
            }
        }
        return LiveRun(
            scenario: self.scenario.name, target: target, operations: self.scenario.operations.map(\.name), offeredRate: offered,
            measureStart: wallClock, dueAfter: due)
    }
}

/// What one target's run produced, before it becomes report sections.
struct TargetRun {
    let kind: TargetKind
    let context: RunContext
    let results: [WorkerResult]
    /// When the last worker finished, monotonic ns.
    let finished: Int64
    let index: InProcessIndex?
    /// The postgres target: which code ran its statements.
    var driver: PostgresStatementDriver? = nil
    /// The postgres target under row-level security: the audit after the run, per operation.
    var rowLevelSecurity: [RowLevelSecurityCheck]? = nil

    /// Seconds of the measured part that actually ran.
    var measuredSeconds: Double {
        Double(max(min(self.finished, self.context.end) - self.context.measureStart, 1)) / 1e9
    }

    /// Seconds of the measured part during which some client had lost its connection and not yet opened a
    /// new one: the union of every worker's outages, within the measured part.
    var unreachableSeconds: Double {
        let window = self.context.measureStart..<max(min(self.finished, self.context.end), self.context.measureStart)
        let outages = self.results.flatMap(\.outages).map { $0.clamped(to: window) }.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        var total: Int64 = 0
        var covered = window.lowerBound
        for outage in outages where outage.upperBound > covered {
            total += outage.upperBound - max(outage.lowerBound, covered)
            covered = outage.upperBound
        }
        return Double(total) / 1e9
    }
}

/// One value per worker, written by each worker thread into its own slot and read after all have finished.
final class ResultBox<T>: @unchecked Sendable {
    private var values: [T?]
    private let lock = NSLock()

    init(count: Int) { self.values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) { self.lock.withLock { self.values[index] = value } }
    func get(_ index: Int) -> T { self.lock.withLock { self.values[index]! } }
}

/// Where a pooled run's clients connect: a pooler's URL, and whose pooler it is (for the report).
public struct PoolerTarget: Sendable {
    public var url: PostgresConnectionString
    /// `pgbouncer (tripbench's own)`, or `a pooler at host:port` for one given by the user.
    public var server: String
    /// Whether tripbench started it with the scenario's pool size (its configuration is known).
    public var startedByTripbench: Bool

    public init(url: PostgresConnectionString, server: String, startedByTripbench: Bool) {
        self.url = url
        self.server = server
        self.startedByTripbench = startedByTripbench
    }
}

import Datasets
import Foundation
import Logging
import Postgres
import Results
import VectorSearch
import Workload

/// Runs a scenario's runbook (``Runbook``) on each target: the table starts with the scenario's `memoryRows`;
/// each stage is one run of the workload engine in which the write streams insert the dataset's next rows and
/// delete its oldest, as many as the stage says, while the read mix runs; then a checkpoint, another run,
/// searches every query once against the rows present and measures recall against the exact answers over
/// exactly those rows (computed for each stage).
///
/// The in-process index is one growing index through all stages, as pgvector's is one table. pgvector's table is
/// put back as it started at the end (also when stopped or failed).
public struct StageStudy: Sendable {
    public let scenario: Scenario
    public let scenarioFile: String
    public let directory: URL
    public let manifest: DatasetManifest
    /// The database's loader; nil when only the in-process index is measured.
    public let loader: DatasetLoader?
    public let targets: [TargetKind]
    public let stop: StopSignal
    public var threads = ExactSearch.defaultThreads
    public var version = "dev"
    public var gitCommit = "unknown"
    public var runProgress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?
    public var loadProgress: @Sendable (LoadProgress) -> Void = { _ in }

    public init(
        scenario: Scenario, scenarioFile: String, directory: URL, manifest: DatasetManifest, loader: DatasetLoader?, targets: [TargetKind],
        stop: StopSignal
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.directory = directory
        self.manifest = manifest
        self.loader = loader
        self.targets = targets
        self.stop = stop
    }

    /// The dataset's memory embeddings.
    public var datasetRows: Int { self.manifest.counts["memory_embeddings"] ?? 0 }

    /// The rows present at the start and after each stage.
    /// - Throws: ``WorkloadError`` (bad input) when the scenario has no runbook, or a stage would insert past
    ///   the dataset's end or delete every row.
    public func plan() throws -> (start: Range<Int>, stages: [Range<Int>]) {
        guard let runbook = self.scenario.runbook else {
            throw WorkloadError(.badInput, "\(self.scenarioFile) has no runbook: give it `runbook: {stages: [...]}` (docs/scenarios.md)")
        }
        let total = self.datasetRows
        let start = self.scenario.memoryRows?.rows(of: total) ?? total
        let stages = runbook.presentRows(start: start, total: total)
        for (number, rows) in stages.enumerated() {
            if rows.upperBound > total {
                throw WorkloadError(.badInput, "stage \(number + 1) would need \(rows.upperBound) rows and the dataset has \(total); start from fewer (memoryRows) or insert less")
            }
            if rows.isEmpty {
                throw WorkloadError(.badInput, "stage \(number + 1) would delete every row present; delete less")
            }
        }
        return (0..<start, stages)
    }

    /// Every target through every stage, saving after each; the results so far when stopped.
    public func run(logger: Logger, save: (StageResults) throws -> Void) throws -> StageResults {
        let (start, stages) = try self.plan()
        var results = StageResults(
            scenario: self.scenario.name, scenarioFile: self.scenarioFile, dataset: self.manifest.spec.directoryName,
            datasetChecksum: self.manifest.checksum, datasetRows: self.datasetRows)
        results.thresholds = self.scenario.thresholds
        results.targets = self.targets
        results.plannedStages = stages.count
        let started = Date()
        // Both targets pass through the same rows: each range's exact answers are computed once.
        var truths: [Range<Int>: [Int32]] = [:]
        for target in self.targets where !self.stop.isSet && results.stoppedBecause == nil {
            try self.run(target, start: start, stages: stages, truths: &truths, results: &results, logger: logger, save: save)
        }
        results.complete = !self.stop.isSet && results.stoppedBecause == nil
        let database = self.loader?.target
        results.environment = RunEnvironment.collect(
            database: database?.summary, server: try database.map(RunEnvironment.describeServer), manifest: self.manifest,
            version: self.version, gitCommit: self.gitCommit, start: started, end: Date())
        try save(results)
        return results
    }

    private func run(
        _ target: TargetKind, start: Range<Int>, stages: [Range<Int>], truths: inout [Range<Int>: [Int32]], results: inout StageResults,
        logger: Logger, save: (StageResults) throws -> Void
    ) throws {
        var catalog = try self.catalog(start, truths: &truths)
        var index: InProcessIndex?
        var database: PostgresConnectionString?
        if target == .index {
            index = try InProcessIndex(catalog: catalog, scenario: self.scenario, logger: logger)
        } else {
            guard var loader = self.loader else { throw WorkloadError(.badInput, "the postgres target needs a database") }
            // Always a fresh load: a table that writes changed and were put back holds the same rows but not
            // the same pages (dead tuples, an HNSW index grown by the inserts it forgot), and an earlier study
            // killed before putting it back leaves other rows than the load's record says. Measured on small,
            // inserts at 100/s took P95 19.6 ms on a fresh table and 449 ms on one a previous study had used.
            loader.embeddingRows = start.count
            loader.force = true
            _ = try loader.load(logger: logger, progress: self.loadProgress)
            database = loader.target
        }
        var reached = start
        defer {
            if let database, reached != start {
                do {
                    try WorkloadRunner.restoreMemories(
                        database, catalog: catalog, inserted: start.upperBound..<reached.upperBound, deleted: 0..<reached.lowerBound)
                    try PostgresConnection(database).execute(script: "VACUUM (ANALYZE) memory_embeddings")
                    logger.info("memory_embeddings put back to the first \(start.count) rows and vacuumed (its HNSW index keeps the space the inserts took: `tripbench load --force` for a fresh one)")
                } catch {
                    logger.error("could not put memory_embeddings back to the first \(start.count) rows: \(error)")
                }
            }
        }
        let before = try database.map(Self.tableCounters)
        var first = StageResult(target: target, stage: 0, rows: start, inserted: 0, deleted: 0, checkpoint: try self.checkpoint(target, catalog: catalog, index: index, logger: logger) ?? [])
        self.addSizes(&first, database: database, index: index, since: before)
        results.stages.append(first)
        try save(results)
        logger.info("\(target.rawValue) stage 0: \(start.count) rows, recall \(first.recall.map { String(format: "%.4f", $0) } ?? "—")")
        var counters = before
        for (number, rows) in stages.enumerated() where !self.stop.isSet {
            let previous = reached
            let inserted = rows.upperBound - previous.upperBound, deleted = rows.lowerBound - previous.lowerBound
            var stageScenario = self.stageScenario(inserted: inserted, deleted: deleted)
            stageScenario.target = target == .postgres ? .postgres : .index
            var runner = WorkloadRunner(
                scenario: stageScenario, scenarioFile: self.scenarioFile, catalog: catalog, database: database, stopSignal: self.stop)
            runner.threads = self.threads
            runner.inProcessIndex = index
            runner.restoresMemories = false
            runner.progress = self.runProgress
            let clock = ContinuousClock(), began = clock.now
            let report = try runner.run(logger: logger.forEngineRuns)
            // The rows changed even when the run was stopped part-way: undone at the end from what may have been.
            reached = (previous.lowerBound + deleted)..<(previous.upperBound + inserted)
            guard !report.partial, !self.stop.isSet else { break }
            if let problem = Self.shortfall(report, target: target, inserted: inserted, deleted: deleted) {
                results.stoppedBecause = "stage \(number + 1) on \(target.rawValue): \(problem)"
                logger.error("\(results.stoppedBecause!)")
                try save(results)
                return
            }
            catalog = try self.catalog(rows, truths: &truths)
            guard let checkpoint = try self.checkpoint(target, catalog: catalog, index: index, logger: logger) else { break }
            var result = StageResult(target: target, stage: number + 1, rows: rows, inserted: inserted, deleted: deleted, checkpoint: checkpoint)
            result.seconds = (clock.now - began).inSeconds
            result.operations = report.operations.filter { $0.target == target.rawValue }
            self.addSizes(&result, database: database, index: index, since: counters)
            counters = try database.map(Self.tableCounters)
            results.stages.append(result)
            try save(results)
            logger.info("\(target.rawValue) stage \(number + 1): rows \(rows.lowerBound)..<\(rows.upperBound) (+\(inserted), −\(deleted)) in \(String(format: "%.1f", result.seconds ?? 0)) s, recall \(result.recall.map { String(format: "%.4f", $0) } ?? "—")")
        }
    }

    /// The catalog of the rows `rows`, with the exact answers over them (from `truths`, else computed and kept there).
    private func catalog(_ rows: Range<Int>, truths: inout [Range<Int>: [Int32]]) throws -> DatasetCatalog {
        guard rows != 0..<self.datasetRows else { return try DatasetCatalog(directory: self.directory, manifest: self.manifest) }
        let truth = try truths[rows] ?? self.manifest.rangeGroundTruth(in: self.directory, rows: rows, threads: self.threads)
        truths[rows] = truth
        return try DatasetCatalog(directory: self.directory, manifest: self.manifest, presentRows: rows, groundTruth: truth)
    }

    /// The scenario of one stage: its write streams limited to the stage's rows, the read mix beside them for
    /// as long as the slowest stream needs; no warm-up (every write counts) and no recall (the rows move).
    func stageScenario(inserted: Int, deleted: Int) -> Scenario {
        var scenario = self.scenario
        scenario.runbook = nil
        scenario.recallSample = 0
        scenario.warmup = .zero
        scenario.thresholds = []
        var seconds = 1.0
        for position in scenario.operations.indices {
            let kind = scenario.operations[position].kind
            guard kind == .insertMemory || kind == .deleteMemory, let rate = scenario.operations[position].rate else { continue }
            let count = kind == .insertMemory ? inserted : deleted
            scenario.operations[position].count = count
            seconds = max(seconds, Double(count) / rate)
        }
        scenario.duration = .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
        return scenario
    }

    /// Why a stage did not change the rows it was to, if it did not.
    static func shortfall(_ report: RunReport, target: TargetKind, inserted: Int, deleted: Int) -> String? {
        for (kind, planned) in [(OperationKind.insertMemory, inserted), (.deleteMemory, deleted)] where planned > 0 {
            guard let operation = report.operations.first(where: { $0.kind == kind.rawValue && $0.target == target.rawValue }) else { continue }
            let done = operation.count - operation.errors
            if done != planned {
                let errors = operation.errorsByKind.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                return "\(operation.operation) did \(done) of \(planned)\(errors.isEmpty ? "" : " (\(errors))")\((operation.unsent ?? 0) > 0 ? ", \(operation.unsent!) never sent: the stream could not keep its rate" : ""); the runbook stops"
            }
        }
        return nil
    }

    /// Every query once, in order, on one client, against the rows present: recall per vector search.
    private func checkpoint(_ target: TargetKind, catalog: DatasetCatalog, index: InProcessIndex?, logger: Logger) throws -> [OperationReport]? {
        var scenario = self.scenario
        scenario.runbook = nil
        scenario.changeFeed = nil
        scenario.target = target == .postgres ? .postgres : .index
        var searches = scenario.operations.filter { $0.kind == .vectorSearch && !$0.hasOwnRate && !$0.isProbe }
        // The graph itself, whatever the scenario's filters: with the document's user filter pgvector answers
        // exactly from the b-tree, and recall says nothing of what inserts and deletes did to the HNSW index.
        searches.append(OperationSpec(name: StageResult.unfilteredName, kind: .vectorSearch, limit: searches.first?.limit, filter: .none))
        scenario.operations = searches.map {
            var operation = $0
            operation.queryOrder = .sequential
            operation.weight = 1
            return operation
        }
        scenario.executor = ExecutorConfiguration(type: .constantVUs, clients: 1)
        scenario.warmup = .zero
        scenario.requests = (self.scenario.runbook?.checkpointQueries ?? catalog.queryCount) * scenario.operations.count
        scenario.recallSample = 1
        scenario.thresholds = []
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: self.scenarioFile, catalog: catalog, database: self.loader?.target, stopSignal: self.stop)
        runner.threads = self.threads
        runner.inProcessIndex = index
        let report = try runner.run(logger: logger.forEngineRuns)
        return report.partial ? nil : report.operations.filter { $0.target == target.rawValue }
    }

    /// The index's size, the table's rows (counted) and its dead tuples and vacuum runs since `since` (from
    /// pg_stat_user_tables, which trails the sessions that just ended by up to a second).
    private func addSizes(_ result: inout StageResult, database: PostgresConnectionString?, index: InProcessIndex?, since: TableCounters?) {
        if let index { result.indexBytes = index.index.bytes }
        guard let database, let now = try? Self.tableCounters(database) else { return }
        result.indexBytes = now.hnswBytes
        result.liveTuples = now.live
        result.deadTuples = now.dead
        result.autovacuums = since.map { now.autovacuums - $0.autovacuums }
        result.autoanalyzes = since.map { now.autoanalyzes - $0.autoanalyzes }
    }

    struct TableCounters {
        var live, dead, autovacuums, autoanalyzes, hnswBytes: Int
    }

    static func tableCounters(_ database: PostgresConnectionString) throws -> TableCounters {
        let connection = try PostgresConnection(database)
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM memory_embeddings), n_dead_tup, autovacuum_count, autoanalyze_count,
                (SELECT coalesce(sum(pg_relation_size(i.indexrelid)), 0)::int8 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'memory_embeddings'::regclass AND am.amname = 'hnsw')
            FROM pg_stat_user_tables WHERE relname = 'memory_embeddings'
            """).rows[0]
        return TableCounters(
            live: Int(try row.decode(0, as: Int64.self)), dead: Int(try row.decode(1, as: Int64.self)),
            autovacuums: Int(try row.decode(2, as: Int64.self)), autoanalyzes: Int(try row.decode(3, as: Int64.self)),
            hnswBytes: Int(try row.decode(4, as: Int64.self)))
    }
}

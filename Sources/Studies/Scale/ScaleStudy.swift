import Datasets
import Foundation
import Logging
import Postgres
import Results
import VectorSearch
import Workload

/// Grows one database through prefixes of one dataset's memory embeddings and, at each size, finds the
/// scenario's capacity under its objective (the `capacity` search, through the workload engine), with recall
/// against the exact answer over the rows present and the data's sizes beside the server's memory.
///
/// The prefixes are the dataset's own rows in file order, and the rows are shuffled across users when
/// generated: each size is what the deployment holds after fewer conversations, every user's memories grown
/// alike. The loader appends only the missing rows (``DatasetLoader/embeddingRows``), letting pgvector insert
/// them into the index or rebuilding it (``DatasetLoader/IndexGrowth``).
public struct ScaleStudy: Sendable {
    public let scenario: Scenario
    public let scenarioFile: String
    public let directory: URL
    public let manifest: DatasetManifest
    /// The study's database; nil when only the in-process index is measured (built anew at each size).
    public let loader: DatasetLoader?
    public let targets: [TargetKind]
    public let search: CapacitySearch
    public let step: Duration
    public let warmup: Duration
    public let stop: StopSignal
    /// Where the exact ground truth over the first `rows` rows is kept between runs.
    public let truthPath: @Sendable (_ rows: Int) -> String
    public var threads = ExactSearch.defaultThreads
    /// Read the index into shared_buffers and the embeddings into the page cache before each size's search.
    public var prewarm = false
    public var version = "dev"
    public var gitCommit = "unknown"
    public var loadProgress: @Sendable (LoadProgress) -> Void = { _ in }
    public var runProgress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?
    public var stepFinished: @Sendable (CapacityStep) -> Void = { _ in }

    public init(
        scenario: Scenario, scenarioFile: String, directory: URL, manifest: DatasetManifest, loader: DatasetLoader?, targets: [TargetKind],
        search: CapacitySearch, step: Duration, warmup: Duration, stop: StopSignal, truthPath: @escaping @Sendable (Int) -> String
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.directory = directory
        self.manifest = manifest
        self.loader = loader
        self.targets = targets
        self.search = search
        self.step = step
        self.warmup = warmup
        self.stop = stop
        self.truthPath = truthPath
    }

    /// Measures every size `results` has not measured yet, saving after each; returns when all are measured
    /// or the user stopped (the size in progress is then measured again next time), with the environment of
    /// this session's measurements.
    public func run(_ results: ScaleResults, logger: Logger, save: (ScaleResults) throws -> Void) throws -> ScaleResults {
        var results = results
        let started = Date()
        for rows in results.sizes.dropFirst(results.points.count) where !self.stop.isSet {
            logger.info("scale: \(ScaleSizes.label(rows)) embeddings (\(results.points.count + 1) of \(results.sizes.count))")
            guard let point = try self.measure(rows: rows, logger: logger) else { break }
            results.points.append(point)
            try save(results)
        }
        let database = self.loader?.target
        results.environment = RunEnvironment.collect(
            database: database?.summary, server: try database.map(RunEnvironment.describeServer), manifest: self.manifest,
            version: self.version, gitCommit: self.gitCommit, start: started, end: Date())
        try save(results)
        return results
    }

    /// One size: grow the database to `rows`, compute the ground truth over them, search each target's capacity.
    func measure(rows: Int, logger: Logger) throws -> ScalePoint? {
        var point = ScalePoint(rows: rows, addedRows: 0)
        if var loader = self.loader {
            loader.embeddingRows = rows
            let report = try loader.load(logger: logger, progress: self.loadProgress)
            let added = report.steps.first { ["insert memory_embeddings", "copy memory_embeddings"].contains($0.name) }
            point.addedRows = added?.rows ?? 0
            point.addSeconds = added?.seconds
            point.growth = report.grownBy.flatMap { ScalePoint.Growth(rawValue: $0.rawValue) }
            point.indexBuildSeconds = report.hnsw?.buildSeconds
            point.sizes = try DatabaseHealth.DataSizes.read(PostgresConnection(loader.target))
        }
        guard !self.stop.isSet else { return nil }
        let (truth, seconds) = try self.groundTruth(rows: rows, logger: logger)
        point.groundTruthSeconds = seconds
        let all = self.manifest.counts["memory_embeddings"] ?? rows
        let catalog = try DatasetCatalog(directory: self.directory, manifest: self.manifest, embeddingRows: rows < all ? rows : nil, groundTruth: truth)
        if self.prewarm, let loader = self.loader {
            point.cache = try CachePrewarm.run(loader.target)
            logger.info("\(point.cache!.summary)")
        }
        for target in self.targets {
            guard !self.stop.isSet else { return nil }
            let index = target == .index ? try InProcessIndex(catalog: catalog, scenario: self.scenario, logger: logger) : nil
            var probe = ScenarioProbe(
                scenario: self.scenario, scenarioFile: self.scenarioFile, target: target, catalog: catalog, database: self.loader?.target,
                index: index, objective: self.search.objective, step: self.step, warmup: self.warmup, userStop: self.stop)
            probe.progress = self.runProgress
            let measuring = probe
            let outcome = try self.search.run(probe: { try measuring.measure(rate: $0, logger: logger) }, report: self.stepFinished)
            guard !outcome.interrupted else { return nil }
            point.targets.append(.init(target: target, outcome: outcome, indexBuildSeconds: index?.buildSeconds))
        }
        return point
    }

    /// The exact unfiltered neighbours over the first `rows` rows: the dataset's own at full size, else read
    /// from ``truthPath`` or computed (and kept there) with the seconds it took.
    private func groundTruth(rows: Int, logger: Logger) throws -> (truth: [Int32]?, seconds: Double?) {
        guard rows < self.manifest.counts["memory_embeddings"] ?? rows else { return (nil, nil) }
        let path = self.truthPath(rows), k = self.manifest.groundTruthK, queries = self.manifest.counts["queries"] ?? 0
        if let saved = try? VectorFiles.readIbin(path), saved.count == queries, saved.k == k { return (saved.ids, nil) }
        logger.info("exact ground truth over the first \(rows) rows (\(queries) queries, k \(k))")
        let clock = ContinuousClock(), started = clock.now
        let truth = try self.manifest.prefixGroundTruth(in: self.directory, rows: rows, threads: self.threads)
        let seconds = (clock.now - started).inSeconds
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try VectorFiles.writeIbin(truth, count: queries, k: k, to: path)
        return (truth, seconds)
    }
}

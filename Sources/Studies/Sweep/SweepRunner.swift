import Datasets
import Foundation
import Logging
import Postgres
import Results
import VectorSearch
import Workload

/// Runs a sweep: for each target, each (m, ef_construction) build with points still to measure is built
/// once, then searched at each missing ef_search. The results are handed to `save` after every build and
/// point, so a sweep stopped at any moment resumes from its last saved point.
///
/// Blocking: call it from a dedicated thread.
public struct SweepRunner: Sendable {
    public let spec: SweepSpec
    public let specFile: String
    public let catalog: DatasetCatalog
    /// Where pgvector is swept (its loader names the server); nil for the in-process index only.
    public let loader: DatasetLoader?
    public let stopSignal: StopSignal
    public var threads = ExactSearch.defaultThreads
    /// Live outputs the sweep's engine runs (its concurrent passes) feed.
    public var sinks: [any RunSink] = []
    public var version = "dev"
    public var gitCommit = "unknown"

    public init(spec: SweepSpec, specFile: String, catalog: DatasetCatalog, loader: DatasetLoader?, stopSignal: StopSignal) {
        self.spec = spec
        self.specFile = specFile
        self.catalog = catalog
        self.loader = loader
        self.stopSignal = stopSignal
    }

    public var queryCount: Int { min(self.spec.queries ?? .max, self.catalog.queryCount) }

    public var conditions: SweepConditions {
        SweepConditions(
            dataset: self.catalog.manifest.spec.directoryName, datasetChecksum: self.catalog.manifest.checksum, k: self.spec.k,
            queries: self.queryCount, clients: self.spec.clients, filtered: self.spec.filtered,
            shares: self.spec.shares.isEmpty ? nil : self.spec.shares, iterativeScan: self.spec.shares.isEmpty ? nil : self.spec.iterativeScan,
            maxScanTuples: self.spec.maxScanTuples.isEmpty ? nil : self.spec.maxScanTuples, settings: self.spec.settings.map { "\($0.name)=\($0.value)" },
            database: self.spec.target == .index ? nil : self.loader?.target.summary)
    }

    /// The results to continue from: `cached` when it was measured under the same conditions, else a new set
    /// (and the reason the cache was set aside).
    public func resume(from cached: SweepResults?) -> (results: SweepResults, discarded: String?) {
        var results = SweepResults(
            name: self.spec.name, description: self.spec.description, file: self.specFile, grid: self.spec.grid,
            targets: self.spec.target.targets, recallFloor: self.spec.recallFloor, latencyTarget: self.spec.latencyTarget,
            conditions: self.conditions, builds: [], points: [], complete: false, environment: nil)
        guard let cached else { return (results, nil) }
        let differences = self.conditions.differences(from: cached.conditions)
        guard differences.isEmpty else {
            return (results, "the saved results were measured with another \(differences.joined(separator: ", ")); starting over")
        }
        results.builds = cached.builds
        results.points = cached.points
        results.exactPaths = cached.exactPaths
        results.environment = cached.environment
        results.complete = self.spec.missing(in: results).isEmpty
        return (results, nil)
    }

    /// Measures every missing point of `results`, saving after each, until done or stopped.
    public func run(
        _ results: SweepResults, logger: Logger, save: (SweepResults) throws -> Void,
        progress: @escaping @Sendable (LoadProgress) -> Void = { _ in }
    ) throws -> SweepResults {
        var results = results
        let started = Date()
        let work = self.spec.missing(in: results)
        var measurement = SweepMeasurement(
            spec: self.spec, catalog: self.catalog, database: self.loader?.target, requests: self.queryCount, stopSignal: self.stopSignal,
            threads: self.threads)
        measurement.sinks = self.sinks
        var server: (version: String, settings: [String: String])?
        /// Measures the build's missing search settings in turn, saving and logging each point.
        func measurePoints(_ searches: [SearchKey], _ measure: (SearchKey) throws -> PointResult?) throws {
            for search in searches where !self.stopSignal.isSet {
                guard let point = try measure(search) else { break }
                results.record(point)
                try save(results)
                self.log(point, logger: logger)
            }
        }
        for target in self.spec.target.targets where !self.stopSignal.isSet {
            var builds = work.filter { $0.target == target }
            guard !builds.isEmpty else { continue }
            switch target {
            case .index:
                let sweep = IndexSweep(catalog: self.catalog)
                for item in builds where !self.stopSignal.isSet {
                    logger.info("in-process: building \(item.build)")
                    let built = try sweep.build(item.build, threads: self.threads)
                    results.record(built.result)
                    try save(results)
                    try measurePoints(item.searches) {
                        try measurement.measure(target: .index, build: item.build, search: $0, index: built.index, logger: logger)
                    }
                }
            case .postgres:
                guard let loader = self.loader else { throw WorkloadError(.badInput, "sweeping pgvector needs a database") }
                let sweep = try PostgresSweep(loader: loader)
                // The other variants first and the database's own index last: when the grid holds it, no rebuild
                // is needed to restore it.
                builds.sort { ($0.build.variant == .vector ? 1 : 0) < ($1.build.variant == .vector ? 1 : 0) }
                if let original = sweep.originalBuild, let last = builds.firstIndex(where: { $0.build == original }) {
                    builds.append(builds.remove(at: last))
                }
                do {
                    var sharesReady = false
                    for item in builds where !self.stopSignal.isSet {
                        logger.info("pgvector: building \(item.build)")
                        results.record(try sweep.build(item.build, logger: logger, progress: progress))
                        try save(results)
                        if !self.spec.shares.isEmpty, !sharesReady {
                            try sweep.prepareShares()
                            sharesReady = true
                            for share in self.spec.shares where !(results.exactPaths ?? []).contains(where: { $0.share == share }) {
                                guard let exact = try measurement.exactPath(share: share, logger: logger) else { break }
                                results.record(exact: exact)
                                try save(results)
                                logger.info("\(String(format: "pgvector exact path at %g %% of the rows: recall %.4f, %.0f QPS on 1 client, P95 %.2f ms, plan %@", share * 100, exact.recall, exact.qps1, exact.p95Us / 1000, exact.plan ?? "?"))")
                            }
                        }
                        try measurePoints(item.searches) {
                            try measurement.measure(target: .postgres, build: item.build, search: $0, index: nil, logger: logger)
                        }
                    }
                    server = try RunEnvironment.describeServer(loader.target)
                } catch {
                    try? sweep.restore(logger: logger)
                    throw error
                }
                try sweep.restore(logger: logger)
            }
        }
        results.complete = self.spec.missing(in: results).isEmpty
        results.environment = RunEnvironment.collect(
            database: self.conditions.database, server: server ?? results.environment.flatMap { old in old.serverVersion.map { ($0, old.serverSettings) } },
            manifest: self.catalog.manifest, version: self.version, gitCommit: self.gitCommit, start: started, end: Date())
        try save(results)
        return results
    }

    private func log(_ point: PointResult, logger: Logger) {
        var line = String(
            format: "%@ %@, %@: recall %.4f, %.0f QPS on 1 client (P95 %.2f ms), %.0f on %d (P95 %.2f ms)",
            point.target.rawValue, point.build.description, point.searchLabel, point.recall, point.qps1, point.p95Us / 1000,
            point.qpsAll, self.spec.clients, (point.concurrent?.p95Us ?? 0) / 1000)
        if let filtered = point.filtered { line += String(format: "; filtered recall %.4f", filtered.recall) }
        for filter in point.filters ?? [] {
            line += String(format: "; %g %% %@%@: recall %.4f (%@)", filter.share * 100, filter.path, filter.iterativeScan.map { " " + $0 } ?? "", filter.recall, filter.plan ?? "?")
        }
        logger.info("\(line)")
    }
}

import Datasets
import Foundation
import Logging
import Postgres
import Results
import Workload

/// `tripbench capacity`: the scenario's capacity search on each of its targets in turn, each step a run of the
/// workload engine (``ScenarioProbe``), with the in-process index built once per search.
///
/// Blocking: call it from a dedicated thread.
public struct CapacityStudy: Sendable {
    public let scenario: Scenario
    public let scenarioFile: String
    public let catalog: DatasetCatalog
    /// The server, when the scenario measures pgvector.
    public let database: PostgresConnectionString?
    public let search: CapacitySearch
    public let step: Duration
    public let warmup: Duration
    /// Ctrl-C: the step in progress is dropped and the search ends with what it found.
    public let stop: StopSignal
    public var version = "dev"
    public var gitCommit = "unknown"
    public var runProgress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?
    /// Live outputs every step's run feeds.
    public var sinks: [any RunSink] = []
    public var stepFinished: @Sendable (CapacityStep) -> Void = { _ in }

    public init(
        scenario: Scenario, scenarioFile: String, catalog: DatasetCatalog, database: PostgresConnectionString?, search: CapacitySearch,
        step: Duration, warmup: Duration, stop: StopSignal
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.catalog = catalog
        self.database = database
        self.search = search
        self.step = step
        self.warmup = warmup
        self.stop = stop
    }

    /// Searches every target of the scenario (until stopped) and describes the environment.
    public func run(logger: Logger) throws -> CapacityResults {
        let objective = self.search.objective
        let manifest = self.catalog.manifest
        var results = CapacityResults(
            scenario: self.scenario.name, scenarioFile: self.scenarioFile, dataset: manifest.spec.directoryName,
            datasetChecksum: manifest.checksum, clients: self.scenario.executor.clients, stepSeconds: self.step.inSeconds,
            warmupSeconds: self.warmup.inSeconds, growth: self.search.growth, precision: self.search.precision, objective: objective)
        let started = Date()
        for target in self.scenario.target.targets where !self.stop.isSet {
            let index = target == .index ? try InProcessIndex(catalog: self.catalog, scenario: self.scenario, logger: logger) : nil
            var probe = ScenarioProbe(
                scenario: self.scenario, scenarioFile: self.scenarioFile, target: target, catalog: self.catalog, database: self.database,
                index: index, objective: objective, step: self.step, warmup: self.warmup, userStop: self.stop)
            probe.progress = self.runProgress
            probe.sinks = self.sinks
            logger.info("capacity of \(self.scenario.name) on \(target.rawValue): \(objective.latency.operation) \(objective.latency.expression), from \(Int(self.search.startRate)) requests/s")
            let outcome = try self.search.run(probe: { try probe.measure(rate: $0, logger: logger) }, report: self.stepFinished)
            results.targets.append(.init(target: target, outcome: outcome, indexBuildSeconds: index?.buildSeconds))
        }
        results.environment = RunEnvironment.collect(
            database: self.database?.summary, server: try self.database.map(RunEnvironment.describeServer), manifest: manifest,
            version: self.version, gitCommit: self.gitCommit, start: started, end: Date())
        return results
    }
}

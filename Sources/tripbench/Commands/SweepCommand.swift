import ArgumentParser
import Datasets
import Foundation
import LocalServer
import Postgres
import Reporting
import Results
import Studies
import VectorSearch
import Workload

/// `tripbench sweep`: an HNSW parameter grid on the in-process index and/or pgvector, with a Pareto front and
/// a recommendation.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Sweep HNSW parameters (m × ef_construction × ef_search): recall, QPS, latency, build time and size.",
        discussion: """
            Reads the sweep (scenarios/<name>.yaml or a path; keys in docs/capacity-planning.md), builds one index \
            per (m, ef_construction) on each target and measures every ef_search: recall@k unfiltered and \
            filtered, QPS on one client and on all, one-client P50/P95/P99. Writes sweep.json, sweep.md and \
            sweep.html to reports/sweep-<name>-<dataset>/. Every point is saved as it is measured: an interrupted \
            sweep resumes where it stopped when run again, and a finished one re-renders without measuring. \
            On pgvector the index the database had is put back afterwards.
            """
    )

    @Argument(help: ArgumentHelp("A sweep in scenarios/ by name, or a path to a sweep file.", valueName: "sweep"))
    var sweep: String

    @Option(help: ArgumentHelp("Dataset spec name or path (default: the sweep's).", valueName: "name"))
    var dataset: String?

    @Option(help: "The targets to measure (default: the sweep's).")
    var target: TargetSelection?

    @Option(help: "Queries measured per point (default: the sweep's, else all of the dataset's).")
    var queries: Int?

    @Option(help: "Clients of the throughput pass (default: the sweep's).")
    var clients: Int?

    @Option(help: ArgumentHelp("Refuse a sweep estimated to take longer (default: the sweep's maxDuration, 2h).", valueName: "duration"))
    var maxDuration: String?

    @Option(help: ArgumentHelp("Directory for the results (default: reports/sweep-<name>-<dataset>).", valueName: "dir"))
    var out: String?

    @Flag(help: "Measure every point again instead of resuming from saved results.")
    var fresh = false

    @OptionGroup var liveOutputs: LiveOutputOptions

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try OptionBounds.check("--queries", self.queries, in: 1...10_000_000)
        try OptionBounds.check("--clients", self.clients, in: Scenario.Limits.clients)
        if let maxDuration, DurationText.parse(maxDuration) == nil {
            throw ValidationError("--max-duration must be \(DurationText.expected), not \(maxDuration)")
        }
    }

    func run() async throws {
        let root = ProjectLocator.projectRoot()
        var spec = try SweepSpec.load(
            self.sweep, directory: root.appendingPathComponent("scenarios"), datasetsDirectory: root.appendingPathComponent("datasets"))
        if let dataset = self.dataset { spec.dataset = dataset }
        if let target = self.target { spec.target = target }
        if let queries = self.queries { spec.queries = queries }
        if let clients = self.clients { spec.clients = clients }
        if let maxDuration = self.maxDuration { spec.maxDuration = DurationText.parse(maxDuration)! }
        try spec.validate()
        let database = spec.target == .index ? nil : try self.connection.resolve()
        var datasetOptions = try DatasetOptions.parse([])
        datasetOptions.dataset = spec.dataset
        let shape = try datasetOptions.spec()
        let directory = self.out ?? root.appendingPathComponent("reports/sweep-\(spec.name)-\(shape.directoryName)").path
        let output = SweepDirectory(path: directory)
        let cached = self.fresh ? nil : try output.readIfPresent()
        // Checked before the dataset is generated: a sweep too large to finish is refused at once.
        let queryCount = min(spec.queries ?? shape.queries, shape.queries)
        func estimate(_ results: SweepResults?) throws -> SweepEstimate {
            let estimate = SweepEstimate(
                spec: spec, rows: shape.embeddingTotal, dimension: shape.dimension, queries: queryCount, threads: ExactSearch.defaultThreads, results: results)
            guard estimate.totalSeconds <= spec.maxDuration.inSeconds else {
                throw CommandFailure(.badInput, "the sweep is estimated to take \(estimate.description), more than its limit of \(DurationText.format(spec.maxDuration)): shrink the grid, lower queries, or raise maxDuration (--max-duration)")
            }
            return estimate
        }
        var forecast = try estimate(cached)
        let dataset = try await PreparedDataset.open(spec.dataset)

        let stop = StopSignal()
        let signals = RunCommand.trapSignals(stop, what: "stopping after the point being measured; what was measured is saved")
        defer { signals.forEach { $0.cancel() } }
        var runner = SweepRunner(
            spec: spec, specFile: YAMLMapping.path(of: self.sweep, in: URL(fileURLWithPath: "scenarios")), catalog: dataset.catalog,
            loader: database.map { dataset.loader(into: $0) }, stopSignal: stop)
        runner.version = BuildInfo.version
        runner.gitCommit = RunCommand.gitCommit(root)
        let outputs = try self.liveOutputs.open()
        runner.sinks = outputs.sinks
        let (start, discarded) = runner.resume(from: cached)
        if let discarded {
            Console.info(discarded)
            forecast = try estimate(nil)
        }
        var results = start
        if results.complete {
            Console.info("all \(results.points.count) points are saved in \(output.resultsPath); rendering without measuring (--fresh measures again)")
        } else {
            let saved = results.points.count
            Console.info("sweeping \(spec.name) on \(spec.target.rawValue): \(forecast.points) points to measure\(saved > 0 ? " (\(saved) saved from before)" : ""), estimated \(forecast.description)")
            let display = ProgressDisplay()
            let chosen = runner
            do {
                results = try await DedicatedThread.run(name: "tripbench-sweep") {
                    try chosen.run(start, logger: Console.logger, save: { try output.save($0) }) { display.update($0) }
                }
            } catch {
                outputs.discard()
                throw error
            }
            display.finish()
        }
        try await DedicatedThread.run { try outputs.close() }
        Console.out(try output.render(results))
        Console.out("report: \(output.htmlPath)")
        Console.out("json:   \(output.resultsPath)")
        if !results.complete {
            Console.error("stopped: \(results.points.count) of \(results.expectedPoints) points saved; run the same command again to resume")
            throw ExitStatus.interrupted
        }
    }
}

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

/// `tripbench scale`: capacity as a function of data size.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Grow one database through prefixes of a dataset and find the scenario's capacity under its SLO at each size.",
        discussion: """
            Loads the first --sizes memory embeddings of the dataset (50k,100k,250k,500k,1M of large, say), then \
            at each size appends the rows that are missing — pgvector inserting them into the HNSW index, or \
            rebuilding it with --index-growth rebuild — computes the exact ground truth over the rows present, \
            and runs the capacity search (as `tripbench capacity`) with recall sampled against it. Writes \
            scale.json, scale.md and scale.html to reports/scale-<scenario>-<dataset>/: the largest size at which \
            the scenario's rate meets the SLO in one sentence, capacity and P95 against size with the points where \
            the index passed shared_buffers and RAM, and why the slow sizes were slow. Each size is saved as it is \
            measured: a stopped study resumes at the next size when run again.
            """
    )

    @Argument(help: ArgumentHelp("A scenario in scenarios/ by name, or a path to a scenario file.", valueName: "scenario"))
    var scenario: String

    @Option(help: ArgumentHelp("Memory embeddings at each step, ascending, e.g. 50k,100k,250k,500k,1M (default: 1/20, 1/10, 1/4, 1/2 and all of the dataset's).", valueName: "list"))
    var sizes: String?

    @Option(help: ArgumentHelp("How the HNSW index follows the rows this run adds: insert (pgvector inserts each new row) or rebuild (dropped and built again over all rows).", valueName: "insert|rebuild"))
    var indexGrowth = "insert"

    @Option(help: ArgumentHelp("Dataset spec name or path (default: the scenario's).", valueName: "name"))
    var dataset: String?

    @Option(help: ArgumentHelp("The caches at each size's search: warm (as growing the table left them) or prewarm (pg_prewarm reads the HNSW index into shared_buffers and the embeddings into the page cache first).", valueName: "warm|prewarm"))
    var cache = "warm"

    @Option(help: "The targets to measure (default: postgres; index builds the in-process index anew at each size).")
    var target: TargetSelection = .postgres

    @Option(help: "Concurrent clients (default: the scenario's); they bound the requests in flight.")
    var clients: Int?

    @OptionGroup var search: CapacitySearchOptions

    @Option(help: ArgumentHelp("Directory for the results (default: reports/scale-<scenario>-<dataset>).", valueName: "dir"))
    var out: String?

    @Flag(help: "Measure every size again instead of resuming from saved results.")
    var fresh = false

    @Flag(help: "No live progress line (for CI).")
    var quiet = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try OptionBounds.check("--clients", self.clients, in: Scenario.Limits.clients)
        guard ["warm", "prewarm"].contains(self.cache) else { throw ValidationError("--cache must be warm or prewarm, not \(self.cache)") }
        guard DatasetLoader.IndexGrowth(rawValue: self.indexGrowth) != nil else {
            throw ValidationError("--index-growth must be insert or rebuild, not \(self.indexGrowth)")
        }
        if let sizes { _ = try Self.parseSizes(sizes) }
    }

    static func parseSizes(_ text: String) throws -> [Int] {
        do { return try ScaleSizes.parse(text) } catch let error as ReportingError { throw ValidationError(error.message) }
    }

    func run() async throws {
        let root = ProjectLocator.projectRoot()
        var scenario = try Scenario.load(
            self.scenario, scenariosDirectory: root.appendingPathComponent("scenarios"), datasetsDirectory: root.appendingPathComponent("datasets"))
        if let dataset = self.dataset { scenario.dataset = dataset }
        scenario.target = self.target
        if let clients = self.clients { scenario.executor.clients = clients }
        let search = try self.search.search(for: scenario)
        let (step, warmup) = self.search.durations
        let growth = DatasetLoader.IndexGrowth(rawValue: self.indexGrowth)!

        // Checked before anything is generated or loaded.
        var datasetOptions = try DatasetOptions.parse([])
        datasetOptions.dataset = scenario.dataset
        let shape = try datasetOptions.spec()
        let sizes = try self.sizes.map(Self.parseSizes) ?? ScaleSizes.defaults(total: shape.embeddingTotal)
        guard let largest = sizes.last, largest <= shape.embeddingTotal else {
            throw CommandFailure(.badInput, "--sizes: \(shape.directoryName) has \(shape.embeddingTotal.formatted()) memory embeddings, the study asks for \(sizes.last?.formatted() ?? "none")")
        }
        let database = scenario.target == .index ? nil : try self.connection.resolve()
        let dataset = try await PreparedDataset.open(scenario.dataset)
        let output = ScaleDirectory(path: self.out ?? root.appendingPathComponent("reports/scale-\(scenario.name)-\(shape.directoryName)").path)
        let scenarioFile = YAMLMapping.path(of: self.scenario, in: URL(fileURLWithPath: "scenarios"))
        let loader = database.map { dataset.loader(into: $0, m: scenario.index.m, efConstruction: scenario.index.efConstruction) }
        var planned = ScaleResults(
            scenario: scenario.name, scenarioFile: scenarioFile, dataset: dataset.manifest.spec.directoryName,
            datasetChecksum: dataset.manifest.checksum, dimension: dataset.manifest.dimension, sizes: sizes,
            hnsw: loader?.index.map { .init(m: $0.m, efConstruction: $0.efConstruction, operatorClass: $0.operatorClass) }, objective: search.objective, targetRate: search.startRate, clients: scenario.executor.clients,
            stepSeconds: step.inSeconds, warmupSeconds: warmup.inSeconds, rateGrowth: search.growth, precision: search.precision,
            memoryBytes: Int64(ProcessInfo.processInfo.physicalMemory))
        if self.cache == "prewarm" {
            guard database != nil else { throw CommandFailure(.badInput, "--cache prewarm applies to the postgres target") }
            planned.cache = "prewarm"
        }
        let begun = self.resume(planned, from: self.fresh ? nil : try output.readIfPresent())

        let stop = StopSignal()
        let signals = RunCommand.trapSignals(stop, what: "stopping: the size in progress is dropped; the sizes measured are saved")
        defer { signals.forEach { $0.cancel() } }
        let live = LiveProgress(enabled: !self.quiet && isatty(STDERR_FILENO) != 0)
        let display = ProgressDisplay()
        let checksum = dataset.manifest.checksum
        var study = ScaleStudy(
            scenario: scenario, scenarioFile: scenarioFile, directory: dataset.directory, manifest: dataset.manifest,
            loader: loader.map { var grown = $0; grown.growth = growth; return grown }, targets: scenario.target.targets, search: search,
            step: step, warmup: warmup, stop: stop, truthPath: { output.truthPath(checksum: checksum, rows: $0) })
        study.prewarm = self.cache == "prewarm"
        study.version = BuildInfo.version
        study.gitCommit = RunCommand.gitCommit(root)
        study.loadProgress = { display.update($0) }
        study.runProgress = { live.show($0) }
        study.stepFinished = { step in
            live.finish()
            Console.info(CapacityCommand.describe(step))
        }
        if begun.complete {
            Console.info("all \(sizes.count) sizes are saved in \(output.resultsPath); rendering without measuring (--fresh measures again)")
        } else {
            let saved = begun.points.count
            Console.info("scale study of \(scenario.name) on \(scenario.target.rawValue): \(sizes.map(ScaleSizes.label).joined(separator: ", ")) embeddings of \(shape.directoryName)\(saved > 0 ? " (\(saved) saved from before)" : ""), the index grown by \(growth == .insert ? "inserts" : "rebuilds"); the largest holds an HNSW index of about \(SystemMemory.gigabytes(PostgresHNSWIndex().estimatedIndexBytes(rows: largest, dimension: shape.dimension)))")
        }
        let chosen = study
        let results = begun.complete ? begun : try await DedicatedThread.run(name: "tripbench-scale") {
            defer { display.finish() }
            return try chosen.run(begun, logger: Console.logger) { try output.save($0) }
        }
        live.finish()
        Console.out(try output.render(results))
        Console.out("report: \(output.htmlPath)")
        Console.out("json:   \(output.resultsPath)")
        if !results.complete {
            Console.error("stopped: \(results.points.count) of \(results.sizes.count) sizes saved; run the same command again to resume")
            throw ExitStatus.interrupted
        }
    }

    /// The saved sizes to keep: those measured the same way, in the order asked now.
    private func resume(_ study: ScaleResults, from saved: ScaleResults?) -> ScaleResults {
        guard let saved, !saved.points.isEmpty else { return study }
        if let difference = study.mismatch(saved) {
            Console.info("the saved study in \(self.out ?? "its directory") was measured differently (\(difference)); measuring every size again")
            return study
        }
        var kept = study
        kept.points = Array(zip(study.sizes, saved.points).prefix { $0 == $1.rows }.map(\.1))
        kept.environment = saved.environment
        if kept.points.count < saved.points.count {
            Console.info("keeping \(kept.points.count) of the \(saved.points.count) saved sizes (the others are not the first of --sizes)")
        }
        return kept
    }
}

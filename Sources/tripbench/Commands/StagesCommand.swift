import ArgumentParser
import Datasets
import Foundation
import LocalServer
import Postgres
import Reporting
import Results
import Studies
import Workload

/// `tripbench stages`: a scenario's runbook of inserts and deletes, with recall after each stage.
struct StagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "Run a scenario's runbook: stages of inserts and deletes beside the read mix, recall after each against the rows present.",
        discussion: """
            The table starts with the scenario's memoryRows (the first rows of the dataset). Each stage of its \
            runbook is one run in which insert_memory adds the dataset's next rows and delete_memory removes its \
            oldest, as many as the stage says, at their own rates while the read mix runs; then a checkpoint \
            searches every query once against the rows present and measures recall against the exact answers \
            over exactly those rows. The in-process index grows through the stages as the table does. Writes \
            stages.json, stages.md, stages.html and junit.xml to reports/stages-<scenario>-<dataset>/; pgvector's \
            table is put back as it started afterwards, also when stopped. The scenario's thresholds hold at \
            every stage (recall_at_stage at every checkpoint); exits 1 when one fails.
            """
    )

    @Argument(help: ArgumentHelp("A scenario in scenarios/ by name, or a path to a scenario file, with a runbook.", valueName: "scenario"))
    var scenario: String

    @Option(help: ArgumentHelp("Dataset spec name or path (default: the scenario's).", valueName: "name"))
    var dataset: String?

    @Option(help: "The targets to measure (default: the scenario's).")
    var target: TargetSelection?

    @Option(help: ArgumentHelp("Directory for the results (default: reports/stages-<scenario>-<dataset>).", valueName: "dir"))
    var out: String?

    @Flag(help: "No live progress line (for CI).")
    var quiet = false

    @OptionGroup var thresholdOptions: ThresholdOptions

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let root = ProjectLocator.projectRoot()
        var scenario = try Scenario.load(
            self.scenario, scenariosDirectory: root.appendingPathComponent("scenarios"), datasetsDirectory: root.appendingPathComponent("datasets"))
        if let dataset = self.dataset { scenario.dataset = dataset }
        if let target = self.target { scenario.target = target }
        scenario.thresholds += try self.thresholdOptions.parse(operations: scenario.thresholdNames)
        let scenarioFile = YAMLMapping.path(of: self.scenario, in: URL(fileURLWithPath: "scenarios"))
        let database = scenario.target == .index ? nil : try self.connection.resolve()
        let dataset = try await PreparedDataset.open(scenario.dataset)
        let output = StageDirectory(path: self.out ?? root.appendingPathComponent("reports/stages-\(scenario.name)-\(dataset.manifest.spec.directoryName)").path)
        let stop = StopSignal()
        let signals = RunCommand.trapSignals(stop, what: "stopping: the stage in progress is dropped; the table is put back")
        defer { signals.forEach { $0.cancel() } }
        let live = LiveProgress(enabled: !self.quiet && isatty(STDERR_FILENO) != 0)
        let display = ProgressDisplay()
        var study = StageStudy(
            scenario: scenario, scenarioFile: scenarioFile, directory: dataset.directory, manifest: dataset.manifest,
            loader: database.map { dataset.loader(into: $0, m: scenario.index.m, efConstruction: scenario.index.efConstruction) },
            targets: scenario.target.targets, stop: stop)
        study.version = BuildInfo.version
        study.gitCommit = RunCommand.gitCommit(root)
        study.loadProgress = { display.update($0) }
        study.runProgress = { live.show($0) }
        let plan = try study.plan()
        Console.info("stages of \(scenario.name) on \(scenario.target.rawValue): \(plan.start.count.formatted()) rows, then \(plan.stages.map { "\($0.lowerBound.formatted())..<\($0.upperBound.formatted())" }.joined(separator: ", "))")
        let chosen = study
        let results = try await DedicatedThread.run(name: "tripbench-stages") {
            defer { display.finish() }
            return try chosen.run(logger: Console.logger) { try output.save($0) }
        }
        live.finish()
        Console.out(try output.render(results))
        let outcomes = try output.writeJUnit(results)
        Console.out("report: \(output.htmlPath)")
        Console.out("json:   \(output.resultsPath)")
        Console.out("junit:  \(output.junitPath)")
        if stop.isSet { throw ExitStatus.interrupted }
        if let reason = results.stoppedBecause { throw CommandFailure(.runtimeFailure, reason) }
        if !ThresholdVerdict.passed(outcomes) { throw ExitStatus.thresholdFailed }
    }
}

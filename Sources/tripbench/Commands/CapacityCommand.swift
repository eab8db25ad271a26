import ArgumentParser
import Datasets
import Foundation
import LocalServer
import Postgres
import Reporting
import Results
import Studies
import Workload

/// `tripbench capacity`: the highest open-loop arrival rate a scenario sustains within an SLO.
struct CapacityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Find the highest arrival rate that meets a latency SLO (P95 from each request's schedule).",
        discussion: """
            Runs the scenario open-loop in steps: the rate is multiplied by --growth from --start-rate until a \
            step breaks the SLO or the error rate, then bisected until the passing and failing rates are within \
            --precision. A step whose per-second P95 is past twice the limit for two seconds running stops at \
            once, so the server is never held in overload. Writes capacity.json, capacity.md and capacity.html \
            (latency against rate with the knee, served against offered with the saturation) to \
            reports/capacity-<scenario>-<time>/. Ctrl-C stops the search and writes what it found so far.
            """
    )

    @Argument(help: ArgumentHelp("A scenario in scenarios/ by name, or a path to a scenario file.", valueName: "scenario"))
    var scenario: String

    @OptionGroup var search: CapacitySearchOptions

    @OptionGroup var liveOutputs: LiveOutputOptions

    @Option(help: ArgumentHelp("Dataset spec name or path (default: the scenario's).", valueName: "name"))
    var dataset: String?

    @Option(help: "The targets to run (default: the scenario's).")
    var target: TargetSelection?

    @Option(help: "Concurrent clients (default: the scenario's); they bound the requests in flight.")
    var clients: Int?

    @Option(help: ArgumentHelp("Directory for the results (default: reports/capacity-<scenario>-<time>).", valueName: "dir"))
    var out: String?

    @Flag(help: "No live progress line (for CI).")
    var quiet = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try OptionBounds.check("--clients", self.clients, in: Scenario.Limits.clients)
    }

    func run() async throws {
        let root = ProjectLocator.projectRoot()
        var scenario = try Scenario.load(
            self.scenario, scenariosDirectory: root.appendingPathComponent("scenarios"), datasetsDirectory: root.appendingPathComponent("datasets"))
        if let dataset = self.dataset { scenario.dataset = dataset }
        if let target = self.target { scenario.target = target }
        if let clients = self.clients { scenario.executor.clients = clients }
        let search = try self.search.search(for: scenario)
        let scenarioFile = YAMLMapping.path(of: self.scenario, in: URL(fileURLWithPath: "scenarios"))
        let database = scenario.target == .index ? nil : try self.connection.resolve()
        let catalog = try await PreparedDataset.open(scenario.dataset).prepare(for: scenario, into: database)
        let stop = StopSignal()
        let signals = RunCommand.trapSignals(stop, what: "stopping: the step in progress is dropped; writing what was found")
        defer { signals.forEach { $0.cancel() } }

        let (step, warmup) = self.search.durations
        let live = LiveProgress(enabled: !self.quiet && isatty(STDERR_FILENO) != 0)
        var study = CapacityStudy(
            scenario: scenario, scenarioFile: scenarioFile, catalog: catalog, database: database, search: search, step: step,
            warmup: warmup, stop: stop)
        study.version = BuildInfo.version
        study.gitCommit = RunCommand.gitCommit(root)
        study.runProgress = { live.show($0) }
        let outputs = try self.liveOutputs.open()
        study.sinks = outputs.sinks
        study.stepFinished = { step in
            live.finish()
            Console.info(Self.describe(step))
        }
        let chosen = study
        let results: CapacityResults
        do {
            results = try await DedicatedThread.run(name: "tripbench-capacity") {
                defer { live.finish() }
                return try chosen.run(logger: Console.logger)
            }
        } catch {
            outputs.discard()
            throw error
        }
        try await DedicatedThread.run { try outputs.close() }
        let directory = CapacityDirectory(path: self.out ?? root.appendingPathComponent("reports/capacity-\(scenario.name)-\(RunCommand.timestamp())").path)
        Console.out(try directory.write(results))
        Console.out("report: \(directory.file("capacity.html"))")
        Console.out("json:   \(directory.file("capacity.json"))")
        if stop.isSet { throw ExitStatus.interrupted }
    }

    static func describe(_ step: CapacityStep) -> String {
        var line = String(format: "%@ %.0f/s: served %.0f/s", step.phase.rawValue, step.offeredRate, step.achievedRate)
        if let latency = step.latencyUs { line += ", " + MetricText.micros(latency) }
        line += String(format: ", errors %.2f%%, %.1f s", step.errorRate * 100, step.seconds)
        return line + (step.passed ? " ✓" : " ✗ \(step.reason ?? "")")
    }
}

import ArgumentParser
import Datasets
import Foundation
import LocalServer
import Postgres
import Reporting
import Results
import Studies
import Workload

/// `tripbench pooling`: what the architecture's pgbouncer costs and makes possible, at several client counts.
struct PoolingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooling",
        abstract: "Run a scenario direct and through tripbench's pgbouncer at several client counts, alternating, side by side.",
        discussion: """
            For each --clients count, runs the scenario --rounds times each way — direct (one server connection \
            per client) and through tripbench's own pgbouncer (started for each run in front of the local server, \
            transaction mode unless the scenario's pooler says otherwise, --pool-size server connections) — \
            alternating which goes first, and writes pooling.json, pooling.md and pooling.html to \
            reports/pooling-<scenario>/ with every run's own report beside them: latency, throughput, pool \
            efficiency, the pooler's wait and server connections, and with --reconnect-every the connection setup \
            time. A direct run with more clients than the server has connections for is reported as not possible. \
            Local server only (docs/pooling.md).
            """
    )

    @Argument(help: ArgumentHelp("A scenario in scenarios/ by name, or a path to a scenario file.", valueName: "scenario"))
    var scenario: String

    @Option(help: ArgumentHelp("Client counts, e.g. 8,200,1000.", valueName: "list"))
    var clients = "8,200,1000"

    @Option(help: "Runs each way per client count.")
    var rounds = 2

    @Option(name: .customLong("pool-size"), help: "pgbouncer's server connections (default: the scenario's pooler poolSize, or 20).")
    var poolSize: Int?

    @Option(help: ArgumentHelp("Measured duration of each run, e.g. 30s (default: the scenario's).", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("Warm-up of each run, e.g. 5s (default: the scenario's).", valueName: "duration"))
    var warmup: String?

    @Option(help: ArgumentHelp("Connection churn: each client opens a new connection for every N requests (1 as pgbench -C).", valueName: "N"))
    var reconnectEvery: Int?

    @Option(help: "Load-driver threads (default: one per core).")
    var threads: Int?

    @Option(help: ArgumentHelp("Directory for the results (default: reports/pooling-<scenario>).", valueName: "dir"))
    var out: String?

    @Flag(help: "No live progress line (for CI).")
    var quiet = false

    func validate() throws {
        try OptionBounds.check("--rounds", self.rounds, in: 1...100)
        try OptionBounds.check("--pool-size", self.poolSize, in: 1...10_000)
        try OptionBounds.check("--reconnect-every", self.reconnectEvery, in: 1...1_000_000)
        try OptionBounds.check("--threads", self.threads, in: OptionBounds.threads)
        _ = try self.clientCounts()
        for (name, value) in [("--duration", self.duration), ("--warmup", self.warmup)] {
            if let value, DurationText.parse(value) == nil { throw ValidationError("\(name) must be \(DurationText.expected), not \(value)") }
        }
        if ProcessInfo.processInfo.environment["DATABASE_URL"].map({ !$0.isEmpty }) == true {
            throw ValidationError("pooling starts tripbench's pgbouncer in front of its local server; unset DATABASE_URL (for a pooler of your own, compare `run --pooler-url` with `run` yourself)")
        }
    }

    /// The --clients list: ascending positive counts.
    func clientCounts() throws -> [Int] {
        let counts = self.clients.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0.map { Scenario.Limits.clients.contains($0) } ?? false }) else {
            throw ValidationError("--clients must be client counts from \(Scenario.Limits.clients.lowerBound) to \(Scenario.Limits.clients.upperBound) separated by commas, not \(self.clients)")
        }
        return counts.map { $0! }
    }

    func run() async throws {
        let root = ProjectLocator.projectRoot()
        var scenario = try Scenario.load(self.scenario, scenariosDirectory: root.appendingPathComponent("scenarios"), datasetsDirectory: root.appendingPathComponent("datasets"))
        guard scenario.target != .index, !scenario.rowLevelSecurity else {
            throw CommandFailure(.badInput, "\(scenario.name) \(scenario.target == .index ? "runs on the in-process index" : "runs under row-level security, whose per-session role and user a pooler does not keep"): pooling compares connections to PostgreSQL")
        }
        scenario.target = .postgres
        if let duration = self.duration { scenario.duration = DurationText.parse(duration)! }
        if let warmup = self.warmup { scenario.warmup = DurationText.parse(warmup)! }
        if let every = self.reconnectEvery { scenario.reconnectEvery = every }
        var pooler = scenario.pooler ?? PoolerSpec()
        if let size = self.poolSize { pooler.poolSize = size }
        let clients = try self.clientCounts()
        let scenarioFile = YAMLMapping.path(of: self.scenario, in: URL(fileURLWithPath: "scenarios"))
        let output = PoolingDirectory(path: self.out ?? root.appendingPathComponent("reports/pooling-\(scenario.name)").path)
        _ = try ReportOutput.prepare(RunDirectory(path: output.path))

        let database = try ConnectionOptions.parse([]).resolve()
        let catalog = try await PreparedDataset.open(scenario.dataset).prepare(for: scenario, into: database)
        let local = LocalPooler(cluster: LocalCluster(stateDirectory: ProjectLocator.stateDirectory()))
        let stop = StopSignal()
        let signals = RunCommand.trapSignals(stop, what: "stopping: the run in progress is dropped; the runs measured are saved", beforeExit: { _ = try? local.down(logger: Console.logger) })
        defer { signals.forEach { $0.cancel() } }
        let live = LiveProgress(enabled: !self.quiet && isatty(STDERR_FILENO) != 0)
        var study = PoolingStudy(
            scenario: scenario, scenarioFile: scenarioFile, catalog: catalog, database: database, clients: clients, rounds: self.rounds,
            pooler: pooler, stop: stop,
            startPooler: { run in
                guard let started = try PoolerOptions.parse(["--pooler", "pgbouncer"]).start(for: run, external: false) else { throw CommandFailure(.runtimeFailure, "pgbouncer did not start") }
                return started.target
            },
            stopPooler: { _ = try? local.down(logger: Console.logger) })
        if let threads = self.threads { study.threads = threads }
        study.version = BuildInfo.version
        study.gitCommit = RunCommand.gitCommit(root)
        study.runProgress = { live.show($0) }
        let planned = PoolingResults(
            scenario: scenario.name, dataset: scenario.dataset, rate: scenario.executor.isOpen ? scenario.executor.rate : nil, clients: clients,
            rounds: self.rounds, durationSeconds: Double(scenario.duration.nanoseconds) / 1e9, warmupSeconds: Double(scenario.warmup.nanoseconds) / 1e9,
            poolSize: pooler.poolSize, poolMode: pooler.mode, reconnectEvery: scenario.reconnectEvery, maxConnections: nil)
        Console.info("pooling study of \(scenario.name): \(clients.map(String.init).joined(separator: ", ")) clients, \(self.rounds) rounds each way, pgbouncer with \(pooler.poolSize) server connections")
        let chosen = study
        let results = try await DedicatedThread.run(name: "tripbench-pooling") {
            try chosen.run(planned, logger: Console.logger, keep: { name, report in
                let directory = try ReportOutput.write(report, to: RunDirectory(path: output.file(name)))
                try directory.render(report, verdict: GateVerdict(thresholds: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)))
                return name
            }, save: { try output.save($0) })
        }
        live.finish()
        Console.out(try output.render(results))
        Console.out("report: \(output.htmlPath)")
        Console.out("json:   \(output.resultsPath)")
        if stop.isSet {
            Console.error("stopped: \(results.points.count) runs saved")
            throw ExitStatus.interrupted
        }
    }
}

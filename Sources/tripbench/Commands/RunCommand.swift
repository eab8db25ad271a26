import ArgumentParser
import Datasets
import Dispatch
import Foundation
import LocalServer
import Postgres
import Reporting
import Results
import Workload

/// `tripbench run`: run a scenario against PostgreSQL and/or the in-process index and write report.json.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workload scenario and write its reports.",
        discussion: """
            Reads the scenario (scenarios/<name>.yaml or a path; every key in docs/scenarios.md), generates and \
            loads its dataset if needed, runs the operation mix at the scenario's concurrency or arrival rate \
            against each target, and writes reports/<scenario>-<time>/ with report.json (docs/report-format.md), \
            report.md, report.html and junit.xml. Options override the scenario; --threshold adds to its thresholds. \
            Exits 1 when a threshold fails. Ctrl-C stops the run and writes a partial report.
            """
    )

    @Argument(help: ArgumentHelp("A scenario in scenarios/ by name, or a path to a scenario file.", valueName: "scenario"))
    var scenario: String

    @Option(help: ArgumentHelp("Dataset spec name or path (default: the scenario's).", valueName: "name"))
    var dataset: String?

    @Option(help: "The targets to run (default: the scenario's).")
    var target: TargetSelection?

    @Option(help: "Concurrent clients.")
    var clients: Int?

    @Option(help: "Load-driver threads, each multiplexing its share of the clients (as pgbench -j; default: one per core).")
    var threads: Int?

    @Option(help: """
        What runs the PostgreSQL statements: tripbench's own protocol code on libpq's socket (direct, the default; \
        libpq with TLS) or libpq's PQsendQueryPrepared/PQgetResult, as pgbench (libpq).
        """)
    var driver: PostgresStatementDriver?

    @Option(help: "Requests per second: an open-loop, constant-arrival-rate run (latency from each request's schedule).")
    var rate: Double?

    @Option(help: "Open loop: evenly spaced arrivals (uniform, as k6) or exponential gaps (poisson, as pgbench --rate).")
    var arrivals: ArrivalProcess?

    @Option(help: ArgumentHelp("Measured duration, e.g. 30s or 2m.", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("Warm-up before measuring, e.g. 5s.", valueName: "duration"))
    var warmup: String?

    @Option(help: "Measured request count instead of a duration.")
    var requests: Int?

    @Option(parsing: .unconditional, help: "Seed of the operation stream (0 to 2^64-1).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Directory for report.json (default: reports/<scenario>-<time>).", valueName: "dir"))
    var out: String?

    @Option(help: """
        The caches at the start: warm (as the load and earlier runs left them), cold (tripbench's local server \
        restarted and its files dropped from the OS page cache first; with --warmup 0s the cold start is measured) \
        or prewarm (pg_prewarm reads the HNSW index into shared_buffers and the embeddings into the page cache first).
        """)
    var cache: CacheMode = .warm

    enum CacheMode: String, ExpressibleByArgument, CaseIterable {
        case warm, cold, prewarm
    }

    @Option(help: ArgumentHelp("""
        Logical replication subscribers reading the run's changes (the scenario's changeFeed, on its tables;         without one, on trips and chat_messages); 0 for none.
        """, valueName: "count"))
    var subscribers: Int?

    @Option(help: ArgumentHelp("Connection churn: each client opens a new connection for every N requests (1 as pgbench -C), its setup time the operation `connect`.", valueName: "N"))
    var reconnectEvery: Int?

    @Flag(help: "No live progress line (for CI).")
    var quiet = false

    @Option(help: ArgumentHelp("""
        Send only shard i of N of the run (0-based): its share of the open loop's requests or of the clients, the \
        same requests one process would send for them; shard 0 alone sets up, cleans up and reads the database's \
        health. `tripbench merge` makes one report of the shards' (docs/distributed.md).
        """, valueName: "i/N"))
    var shard: String?

    @Option(name: .customLong("start-at"), help: ArgumentHelp("""
        Start the run (its warm-up) at this time, seconds since 1970 or ISO 8601, once the clients are connected: \
        shards on several machines start together.
        """, valueName: "time"))
    var startAt: String?

    @OptionGroup var thresholdOptions: ThresholdOptions

    @OptionGroup var poolerOptions: PoolerOptions

    @OptionGroup var liveOutputs: LiveOutputOptions

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try OptionBounds.check("--clients", self.clients, in: Scenario.Limits.clients)
        try OptionBounds.check("--threads", self.threads, in: OptionBounds.threads)
        try OptionBounds.check("--rate", self.rate, in: Scenario.Limits.rate)
        try OptionBounds.check("--requests", self.requests, in: Scenario.Limits.requests)
        try OptionBounds.check("--subscribers", self.subscribers, in: 0...ChangeFeedSpec.maximumSubscribers)
        try OptionBounds.check("--reconnect-every", self.reconnectEvery, in: 1...1_000_000)
        if let shard, RunShard(shard) == nil { throw ValidationError("--shard must be i/N with 0 ≤ i < N, e.g. 0/4, not \(shard)") }
        if let startAt, Self.time(startAt) == nil { throw ValidationError("--start-at must be seconds since 1970 or an ISO 8601 time, not \(startAt)") }
        for (name, value) in [("--duration", self.duration), ("--warmup", self.warmup)] {
            if let value, DurationText.parse(value) == nil { throw ValidationError("\(name) must be \(DurationText.expected), not \(value)") }
        }
        if self.cache == .cold, let shard = self.shard.flatMap(RunShard.init), shard.count > 1 {
            throw ValidationError("--cache cold restarts the server, under the other shards' connections: run a sharded run warm or prewarmed")
        }
        if self.cache == .cold, self.connection.externalURL != nil {
            throw ValidationError("--cache cold restarts the server, and only tripbench's local server can be restarted here; for a server of your own (--database-url or DATABASE_URL), restart it and drop its page cache yourself, then run with --cache warm")
        }
    }

    func run() async throws {
        let root = ProjectLocator.projectRoot()
        let datasets = root.appendingPathComponent("datasets")
        var scenario = try Scenario.load(self.scenario, scenariosDirectory: root.appendingPathComponent("scenarios"), datasetsDirectory: datasets)
        try self.apply(to: &scenario)
        let scenarioFile = YAMLMapping.path(of: self.scenario, in: URL(fileURLWithPath: "scenarios"))
        // Where the reports go is settled before anything is measured: a run is never lost to an unwritable path.
        let runDirectory = try ReportOutput.prepare(
            RunDirectory(path: self.out ?? root.appendingPathComponent("reports/\(scenario.name)-\(Self.timestamp())").path))
        // So are the live outputs: an address or a path that cannot be used is refused before anything runs.
        let outputs: LiveOutputs
        do {
            outputs = try self.liveOutputs.open()
        } catch {
            rmdir(runDirectory.path)
            throw error
        }
        do {
            try await self.measure(scenario, scenarioFile: scenarioFile, root: root, into: runDirectory, outputs: outputs)
        } catch {
            // A run that failed before its report leaves no empty directory behind (rmdir keeps a full one).
            outputs.discard()
            rmdir(runDirectory.path)
            throw error
        }
    }

    /// Loads the dataset if needed, runs the scenario and writes its reports into `runDirectory`.
    private func measure(_ scenario: Scenario, scenarioFile: String, root: URL, into runDirectory: RunDirectory, outputs: LiveOutputs) async throws {
        let database = scenario.target == .index ? nil : try self.connection.resolve()
        // Before the dataset is opened (and perhaps generated): the target may come from --target or the scenario.
        guard self.cache == .warm || database != nil else {
            throw CommandFailure(
                .badInput, "--cache \(self.cache.rawValue) applies to the postgres target: \(scenario.name) runs on the in-process index only, built from the vectors at every run")
        }
        let chosen = scenario
        let catalog = try await PreparedDataset.open(scenario.dataset).prepare(for: chosen, into: database)
        var cache = CacheState(mode: "warm")
        if self.cache == .cold {
            let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
            let cold = try await DedicatedThread.run {
                try cluster.restartCold(installation: PostgresInstallation.find(projectRoot: root), logger: Console.logger)
            }
            cache = CacheState(mode: "cold", dataBytes: cold.dataBytes, residentBefore: cold.residentBefore, residentAfter: cold.residentAfter, filesSkipped: cold.filesSkipped)
            Console.info(cache.summary)
        } else if self.cache == .prewarm, let database {
            cache = try await DedicatedThread.run { try CachePrewarm.run(database) }
            Console.info(cache.summary)
        }

        // tripbench's own pgbouncer runs for this run only: stopped on every way out, a second Ctrl-C included.
        let pooler = try await DedicatedThread.run { [poolerOptions = self.poolerOptions, external = self.connection.externalURL != nil] in
            try poolerOptions.start(for: chosen, external: external)
        }
        defer { pooler?.stop() }
        let stop = StopSignal()
        let signals = Self.trapSignals(stop, beforeExit: { pooler?.stop() })
        defer { signals.forEach { $0.cancel() } }
        var runner = WorkloadRunner(scenario: chosen, scenarioFile: scenarioFile, catalog: catalog, database: database, stopSignal: stop)
        runner.pooler = pooler?.target
        if let threads = self.threads { runner.threads = threads }
        if let driver = self.driver { runner.driver = driver }
        let shard = self.shard.flatMap(RunShard.init)
        if let shard { runner.shard = shard }
        runner.startAt = self.startAt.flatMap(Self.time)
        runner.version = BuildInfo.version
        runner.gitCommit = Self.gitCommit(root)
        let live = LiveProgress(enabled: !self.quiet && isatty(STDERR_FILENO) != 0)
        runner.progress = { live.show($0) }
        outputs.attach(to: &runner)
        Console.info("running \(chosen.name) on \(chosen.target.rawValue): \(Self.describeLoad(chosen))")
        let finished = runner
        var report = try await DedicatedThread.run(name: "tripbench-run") { try finished.run(logger: Console.logger) }
        live.finish()
        report.cache = database == nil ? nil : cache
        report.shard = shard.map { ShardSummary(count: $0.count, indexes: [$0.index], startAt: finished.startAt?.timeIntervalSince1970) }

        let written = try ReportOutput.write(report, to: runDirectory)
        try await DedicatedThread.run { try outputs.close() }
        if report.partial { Console.info("the run was stopped early: the report is partial") }
        try ReportOutput.publish(
            report, verdict: GateVerdict(thresholds: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)), to: written, justRun: true,
            gates: (shard?.count ?? 1) == 1)
    }

    /// Applies the command-line overrides to the scenario, checking them as the scenario file is checked.
    private func apply(to scenario: inout Scenario) throws {
        if let dataset = self.dataset { scenario.dataset = dataset }
        if let target = self.target { scenario.target = target }
        if let clients = self.clients { scenario.executor.clients = clients }
        if let rate = self.rate {
            if scenario.executor.type == .rampingArrivalRate {
                throw CommandFailure(.badInput, "--rate does not apply to \(scenario.name)'s ramping-arrival-rate executor (its stages set the rate)")
            }
            // As pgbench --rate: a fixed rate makes the run open-loop.
            scenario.executor = ExecutorConfiguration(
                type: .constantArrivalRate, clients: scenario.executor.clients, rate: rate, arrivals: scenario.executor.arrivals)
        }
        if let arrivals = self.arrivals {
            guard scenario.executor.isOpen else {
                throw CommandFailure(.badInput, "--arrivals applies to an open loop: \(scenario.name) is closed-loop (add --rate)")
            }
            scenario.executor.arrivals = arrivals
        }
        if let duration = self.duration { scenario.duration = DurationText.parse(duration)! }
        if let warmup = self.warmup { scenario.warmup = DurationText.parse(warmup)! }
        if let requests = self.requests { scenario.requests = requests }
        if let seed = self.seed { scenario.seed = seed }
        if self.startAt != nil, scenario.target == .both {
            throw CommandFailure(.badInput, "--start-at starts one target's run: \(scenario.name) runs on both; give the shards --target postgres or --target index")
        }
        try self.poolerOptions.apply(to: &scenario)
        if let every = self.reconnectEvery {
            guard scenario.target != .index, !scenario.rowLevelSecurity else {
                throw CommandFailure(.badInput, "--reconnect-every opens PostgreSQL connections without row-level security's role and user: \(scenario.name) runs \(scenario.target == .index ? "on the in-process index" : "under row-level security")")
            }
            scenario.reconnectEvery = every
        }
        if let subscribers = self.subscribers {
            if subscribers > 0, scenario.target == .index {
                throw CommandFailure(.badInput, "--subscribers reads PostgreSQL's logical replication; the target is index")
            }
            scenario.changeFeed = subscribers == 0 ? nil : ChangeFeedSpec(subscribers: subscribers, tables: scenario.changeFeed?.tables ?? ChangeFeedSpec.documentTables)
        }
        scenario.thresholds = scenario.thresholds.filter { scenario.changeFeed != nil || $0.operation != ChangeFeedSpec.operationName }
        scenario.thresholds += try self.thresholdOptions.parse(operations: scenario.thresholdNames)
    }

    static func describeLoad(_ scenario: Scenario) -> String {
        let executor = scenario.executor
        let load = switch executor.type {
        case .constantVUs: "\(executor.clients) closed-loop clients"
        case .constantArrivalRate: "\(executor.rate!.formatted()) requests/s (\(executor.arrivals.rawValue)) over \(executor.clients) clients"
        case .rampingArrivalRate: "rate ramping through \(executor.stages.count) stages (\(executor.arrivals.rawValue)) over \(executor.clients) clients"
        }
        let length = scenario.requests.map { "\($0) requests" } ?? DurationText.format(scenario.plannedDuration)
        return "\(load), \(DurationText.format(scenario.warmup)) warm-up, \(length)"
    }

    /// SIGINT and SIGTERM set the stop signal instead of killing the process, so the partial report is written.
    /// - Parameter beforeExit: what a second Ctrl-C still does before it exits (stop a server the command started).
    static func trapSignals(
        _ stop: StopSignal, what: String = "stopping: finishing requests in flight and writing a partial report",
        beforeExit: (@Sendable () -> Void)? = nil
    ) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // A second Ctrl-C does not wait for the partial report.
                if stop.isSet {
                    beforeExit?()
                    Foundation.exit(ExitStatus.interrupted.rawValue)
                }
                Console.info(what + " (Ctrl-C again to quit at once)")
                stop.set()
            }
            source.resume()
            return source
        }
    }

    /// A time given as seconds since 1970 or ISO 8601 (fractional seconds allowed).
    static func time(_ text: String) -> Date? {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func gitCommit(_ root: URL) -> String {
        guard let output = try? CommandRunner().run("/usr/bin/git", ["-C", root.path, "rev-parse", "--short=12", "HEAD"]),
            output.succeeded
        else { return "unknown" }
        let commit = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? "unknown" : commit
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

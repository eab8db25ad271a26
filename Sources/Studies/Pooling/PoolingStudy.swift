import Datasets
import Foundation
import Logging
import Postgres
import Results
import Workload

/// What a pooler costs: the scenario at each client count, direct and through pgbouncer, in alternating
/// rounds, every run a whole run of the workload engine. A direct run needs a server connection per client:
/// where the server has fewer free than that, the point is refused with the reason rather than failing midway
/// (the pooler is there for exactly those counts).
public struct PoolingStudy: Sendable {
    public let scenario: Scenario
    public let scenarioFile: String
    public let catalog: DatasetCatalog
    public let database: PostgresConnectionString
    public let clients: [Int]
    public let rounds: Int
    public let pooler: PoolerSpec
    public let stop: StopSignal
    /// Starts the pooler for a run of `scenario` (its clients and settings) and says where its clients connect.
    public let startPooler: @Sendable (Scenario) throws -> PoolerTarget
    public let stopPooler: @Sendable () -> Void
    public var threads = 2
    public var driver = PostgresStatementDriver.direct
    public var version = "dev"
    public var gitCommit = "unknown"
    public var runProgress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?

    public init(
        scenario: Scenario, scenarioFile: String, catalog: DatasetCatalog, database: PostgresConnectionString, clients: [Int], rounds: Int,
        pooler: PoolerSpec, stop: StopSignal, startPooler: @escaping @Sendable (Scenario) throws -> PoolerTarget, stopPooler: @escaping @Sendable () -> Void
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.catalog = catalog
        self.database = database
        self.clients = clients
        self.rounds = rounds
        self.pooler = pooler
        self.stop = stop
        self.startPooler = startPooler
        self.stopPooler = stopPooler
    }

    /// The two ways of connecting in round `round` (1-based): direct first in odd rounds, the pooler first in
    /// even ones.
    public static func modes(round: Int) -> [String] { round % 2 == 1 ? ["direct", "pgbouncer"] : ["pgbouncer", "direct"] }

    /// Runs every client count's rounds, saving the results after each run; `keep` writes a run's report and
    /// returns where (relative to the study's directory). Returns early when stopped.
    public func run(
        _ results: PoolingResults, logger: Logger, keep: (_ name: String, _ report: RunReport) throws -> String, save: (PoolingResults) throws -> Void
    ) throws -> PoolingResults {
        var results = results
        results.maxConnections = try? self.maxConnections()
        for clients in self.clients {
            for round in 1...self.rounds {
                for mode in Self.modes(round: round) {
                    guard !self.stop.isSet else { return results }
                    let name = "clients-\(clients)-\(mode)-round-\(round)"
                    logger.info("pooling: \(clients) clients, \(mode), round \(round) of \(self.rounds)")
                    if mode == "direct", let refused = try self.directRefusal(clients: clients) {
                        logger.info("pooling: \(refused)")
                        results.points.append(PoolingResults.Point(clients: clients, mode: mode, round: round, refused: refused))
                    } else {
                        let report = try self.measure(clients: clients, pooled: mode != "direct", logger: logger)
                        // A run stopped midway is not a point: its figures cover part of the window.
                        guard !report.partial else { return results }
                        let path = try keep(name, report)
                        results.points.append(PoolingResults.Point(clients: clients, mode: mode, round: round, report: path, of: report))
                    }
                    try save(results)
                }
            }
        }
        return results
    }

    /// One run of the scenario with `clients` clients, direct or through the pooler (started for it and stopped
    /// after it).
    func measure(clients: Int, pooled: Bool, logger: Logger) throws -> RunReport {
        var scenario = self.scenario
        scenario.executor.clients = clients
        scenario.pool = nil
        scenario.pooler = pooled ? self.pooler : nil
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: self.scenarioFile, catalog: self.catalog, database: self.database, stopSignal: self.stop)
        runner.threads = self.threads
        runner.driver = self.driver
        runner.version = self.version
        runner.gitCommit = self.gitCommit
        runner.progress = self.runProgress
        if pooled { runner.pooler = try self.startPooler(scenario) }
        defer { if pooled { self.stopPooler() } }
        return try runner.run(logger: logger.forEngineRuns)
    }

    /// Why a direct run of `clients` clients cannot be made here: more connections than the server has free.
    func directRefusal(clients: Int) throws -> String? {
        var scenario = self.scenario
        scenario.executor.clients = clients
        // The clients, and the run's own admin, health and EXPLAIN connections.
        let needed = scenario.clientConnections + 3
        let connection = try PostgresConnection(self.database)
        let free = try connection.query("""
            SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int
            """).decode(Int32.self, row: 0, column: 0)
        guard needed > Int(free) else { return nil }
        return "direct needs \(needed) server connections and the server has \(free) free (max_connections \(try self.maxConnections()))"
    }

    private func maxConnections() throws -> Int {
        Int(try PostgresConnection(self.database).query("SELECT current_setting('max_connections')::int").decode(Int32.self, row: 0, column: 0))
    }
}

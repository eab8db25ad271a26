import ArgumentParser
import Foundation
import LocalServer
import Postgres
import Workload

/// `--pooler`, `--pooler-url` and `--pool-size`: whether a run's clients connect through a pooler, and which.
struct PoolerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        none: the clients connect to PostgreSQL directly, whatever the scenario says; pgbouncer: through \
        tripbench's own pgbouncer (transaction mode unless the scenario's pooler says otherwise), started in front \
        of the local server for the run and stopped after it (default: the scenario's pooler).
        """, valueName: "none|pgbouncer"))
    var pooler: PoolerChoice?

    enum PoolerChoice: String, ExpressibleByArgument, CaseIterable {
        case none, pgbouncer
    }

    @Option(name: .customLong("pooler-url"), help: ArgumentHelp("""
        A pooler of your own for the clients (libpq URL; its admin console, the pgbouncer database there, is read \
        for its figures when it lets this user in); setup, EXPLAIN and health still use the database URL.
        """, valueName: "url"))
    var poolerURL: String?

    @Option(name: .customLong("pool-size"), help: "Server connections of tripbench's pgbouncer (its default_pool_size; default: the scenario's pooler poolSize, or 20).")
    var poolSize: Int?

    func validate() throws {
        try OptionBounds.check("--pool-size", self.poolSize, in: 1...10_000)
        if self.pooler == PoolerChoice.none, self.poolerURL != nil || self.poolSize != nil {
            throw ValidationError("--pooler none connects directly: leave out --pooler-url and --pool-size")
        }
        if self.poolerURL != nil, self.poolSize != nil {
            throw ValidationError("--pool-size sizes tripbench's own pgbouncer; a pooler given with --pooler-url keeps its own configuration")
        }
    }

    /// Applies the options to the scenario's `pooler`.
    func apply(to scenario: inout Scenario) throws {
        if self.pooler == PoolerChoice.none {
            scenario.pooler = nil
            return
        }
        if self.pooler == .pgbouncer || self.poolerURL != nil || self.poolSize != nil {
            if scenario.target == .index {
                throw CommandFailure(.badInput, "a pooler stands between clients and PostgreSQL; \(scenario.name)'s target is index")
            }
            if scenario.rowLevelSecurity {
                throw CommandFailure(.badInput, "\(scenario.name) runs under row-level security, which sets a role and a user per session that a pooler does not keep")
            }
            var pooler = scenario.pooler ?? PoolerSpec()
            if let size = self.poolSize { pooler.poolSize = size }
            scenario.pooler = pooler
        }
    }

    /// Starts tripbench's own pgbouncer for `scenario` (its pooler, settings and clients), or takes the one
    /// given with --pooler-url; nil when the scenario runs direct.
    /// - Parameter external: whether the run's database is a server of the user's (no local pgbouncer then).
    func start(for scenario: Scenario, external: Bool) throws -> RunningPooler? {
        guard let spec = scenario.pooler, scenario.target != .index else { return nil }
        if let url = self.poolerURL {
            let target = try PostgresConnectionString(url)
            return RunningPooler(target: PoolerTarget(url: target, server: "a pooler at \(target.summary)", startedByTripbench: false), local: nil)
        }
        guard !external else {
            throw CommandFailure(.badInput, "\(scenario.name)'s pooler is tripbench's own pgbouncer, started in front of its local server; for a server of your own give your pooler with --pooler-url, or run direct with --pooler none")
        }
        let pooler = LocalPooler(cluster: LocalCluster(stateDirectory: ProjectLocator.stateDirectory()))
        var configuration = LocalPooler.Configuration()
        configuration.mode = spec.mode
        configuration.poolSize = spec.poolSize
        configuration.reservePool = spec.reservePool
        // Unless the scenario caps it: room for every client of the run, the console and a margin.
        configuration.maxClients = spec.maxClients ?? scenario.clientConnections + 20
        configuration.settings = scenario.sessionSettings.map { ($0.name, $0.value) }
        let url = try pooler.up(configuration, logger: Console.logger)
        return RunningPooler(target: PoolerTarget(url: try PostgresConnectionString(url), server: "pgbouncer (tripbench's own)", startedByTripbench: true), local: pooler)
    }
}

/// A pooler in use for a run: where its clients connect, and tripbench's own pgbouncer to stop after it.
struct RunningPooler: Sendable {
    let target: PoolerTarget
    let local: LocalPooler?

    /// Stops tripbench's own pgbouncer; a failure to stop is said, not thrown (the run's report comes first).
    func stop() {
        guard let local else { return }
        do { try local.down(logger: Console.logger) } catch { Console.error("could not stop pgbouncer: \(error)") }
    }
}

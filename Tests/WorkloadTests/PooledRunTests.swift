import Datasets
import Foundation
import LocalServer
import Logging
import Postgres
import Results
import TestSupport
import Testing
@testable import Workload

/// Runs whose clients wait for pooled connections: the TripSage mix through a real pgbouncer in transaction
/// mode (many clients over few server connections, its figures in the report), and an application pool too
/// small for its rate (the wait grows second by second, requests time out, the wait's threshold fails).
@Suite(.serialized) struct PooledRunTests {
    static let mix = """
        operations:
          - {name: vector_search, weight: 35}
          - {name: hybrid_search, weight: 10}
          - {name: similar_trips, weight: 10}
          - {name: trip_details, weight: 15}
          - {name: preference_lookup, weight: 15}
          - {name: chat_history, weight: 12}
          - {name: create_trip, weight: 3}
        """

    static func run(_ scenario: Scenario, _ database: PostgresConnectionString, _ catalog: DatasetCatalog, pooler: PoolerTarget? = nil) async throws -> RunReport {
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: "pooled.yaml", catalog: catalog, database: database, stopSignal: StopSignal())
        runner.pooler = pooler
        let chosen = runner
        return try await DedicatedThread.run { try chosen.run(logger: Logger(label: "tests")) }
    }

    @Test func theMixGoesThroughPgbouncerWith200ClientsOver20ServerConnections() async throws {
        // A database of its own: the mix writes (create_trip), which another suite's run on tiny would see.
        let (name, database, catalog) = try await ChangeFeedTests.database()
        let scenario = try Scenario.parse("""
            name: pooled
            executor: {type: constant-arrival-rate, rate: 300, clients: 200}
            warmup: 1s
            duration: 4s
            recallSample: 0.2
            settings: {hnsw.ef_search: 100}
            pooler: {type: pgbouncer, mode: transaction, poolSize: 20}
            \(Self.mix)
            """, file: "pooled.yaml")
        let pooler = LocalPooler(cluster: TestServer.cluster, port: 56441)
        var configuration = LocalPooler.Configuration()
        configuration.poolSize = 20
        configuration.maxClients = 300
        configuration.settings = scenario.sessionSettings.map { ($0.name, $0.value) }
        let chosen = configuration
        let logger = Logger(label: "tests")
        try await DedicatedThread.run { _ = try pooler.up(chosen, logger: logger) }
        let report: RunReport
        do {
            let url = try PostgresConnectionString(pooler.connectionURL(database: name))
            report = try await Self.run(scenario, database, catalog, pooler: PoolerTarget(url: url, server: "pgbouncer (test)", startedByTripbench: true))
        } catch {
            _ = try? pooler.down(logger: logger)
            throw error
        }
        let stopped = try await DedicatedThread.run { try pooler.down(logger: logger) }
        #expect(stopped && pooler.pid == nil)

        let total = try #require(report.totals.first)
        // No request fails through the pooler. Every scheduled one is counted: answered, or unsent when the shared
        // cores fell behind the rate (beside the parallel tests, 73 of 1,200 once).
        let unsent = total.unsent ?? 0
        #expect(total.count > 600 && total.errors == 0 && total.count + unsent == total.scheduled, "\(total.count) requests, \(total.errors) errors, \(unsent) unsent of \(total.scheduled ?? -1): \(report.operations.map { "\($0.operation) \($0.errorsByKind)" })")
        #expect(report.operations.filter { $0.operation == "vector_search" }.allSatisfy { ($0.recall?.mean ?? 0) > 0.9 })
        let figures = try #require(report.pool?.pooler)
        #expect(figures.unavailable == nil, "\(figures.unavailable ?? "")")
        #expect(figures.clients == 200 && figures.mode == "transaction" && figures.poolSize == 20)
        #expect(figures.version?.hasPrefix("PgBouncer") == true)
        // Every request is one transaction (create_trip's statements are one), give or take the window's edges.
        #expect(Double(figures.transactions) > Double(total.count) * 0.8, "\(figures.transactions) transactions for \(total.count) requests")
        #expect(figures.serverConnectionsMax >= 1 && figures.serverConnectionsMax <= 20, "\(figures.serverConnectionsMax) server connections")
        #expect(figures.seconds.count >= 3 && figures.seconds.allSatisfy { $0.clientsActive + $0.clientsWaiting == 200 }, "\(figures.seconds.map { ($0.clientsActive, $0.clientsWaiting) })")
        let efficiency = try #require(report.pool?.efficiency)
        #expect(efficiency > 0 && efficiency <= 1)
        // No application pool: every client has its connection, so no `pool_wait` of the run's own.
        #expect(!report.operations.contains { $0.operation == PoolSpec.waitOperationName })
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    @Test func aPoolTooSmallForItsRateWaitsLongerEverySecondAndTimesOut() async throws {
        let loaded = try await TinyDataset.loaded()
        // Two connections, each request 20 ms: 100 requests/s at most, offered 160.
        let scenario = try Scenario.parse("""
            name: small-pool
            executor: {type: constant-arrival-rate, rate: 160}
            warmup: 0s
            duration: 4s
            recallSample: 0
            pool: {size: 1, maxOverflow: 1, timeout: 1500ms}
            operations:
              - {name: slow, sql: "SELECT pg_sleep(0.02)"}
            thresholds:
              pool_wait: "p95 < 100ms"
            """, file: "small-pool.yaml")
        #expect(scenario.executor.clients == 2)
        let report = try await Self.run(scenario, loaded.database, try DatasetCatalog(directory: loaded.directory, manifest: loaded.manifest))
        let wait = try #require(report.operations.first { $0.operation == PoolSpec.waitOperationName })
        let application = try #require(report.pool?.application)
        #expect(application.size == 1 && application.maxOverflow == 1 && report.pool?.pooler == nil)
        // The backlog grows by about 60 requests a second: each second's requests waited longer than the last's.
        let series = (report.timeseries.first?.seconds ?? []).compactMap { $0.waitP95Us }
        #expect(series.count >= 3 && series[2] > series[0] * 2 && series[0] < 1_500_000, "\(series)")
        // Past the timeout, requests fail unsent; those counted as failed in the operation too.
        #expect(application.timeouts > 0 && wait.errors == application.timeouts)
        #expect(report.operations.first { $0.operation == "slow" }?.errorsByKind[PoolSpec.timeoutError] == application.timeouts)
        // The threshold on the wait fails, and the efficiency shows where the time went.
        let threshold = try #require(report.scenario.thresholds.first { $0.operation == PoolSpec.waitOperationName })
        let p95 = try #require(report.measure(threshold.metric, of: [wait], target: "postgres"))
        #expect(!threshold.comparison.holds(p95, threshold.value), "pool_wait P95 \(p95) µs passed \(threshold.expression)")
        #expect((report.pool?.efficiency ?? 1) < 0.5, "\(report.pool?.efficiency ?? -1)")
    }

    /// Sessions the server has started in `database` (pg_stat_database.sessions).
    static func serverSessions(_ database: PostgresConnectionString) async throws -> Int64 {
        try await PostgresConnection.withConnection(database) {
            _ = try $0.query("SELECT pg_stat_clear_snapshot()")
            return try $0.query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").decode(Int64.self, row: 0, column: 0)
        }
    }

    /// Every request opens its own connection (pgbench -C): direct, each is a server session of its own; through
    /// pgbouncer, the server keeps its few connections while the clients open hundreds.
    @Test func connectionChurnOpensAConnectionForEveryRequest() async throws {
        let loaded = try await TinyDataset.loaded()
        let catalog = try DatasetCatalog(directory: loaded.directory, manifest: loaded.manifest)
        let name = loaded.database.options["dbname"]!
        let yaml = """
            name: churn
            executor: {type: constant-arrival-rate, rate: 100, clients: 4}
            warmup: 0s
            duration: 3s
            recallSample: 0.5
            reconnectEvery: 1
            settings: {hnsw.ef_search: 40, work_mem: 8MB}
            operations:
              - {name: vector_search_all, operation: vector_search, filter: none}
              - {name: preference_lookup, weight: 1}
            thresholds: {connect: "p95 < 5s"}
            """
        let direct = try Scenario.parse(yaml, file: "churn.yaml")
        #expect(direct.reconnectEvery == 1 && direct.thresholds.contains { $0.operation == Scenario.connectOperationName })
        let before = try await Self.serverSessions(loaded.database)
        let report = try await Self.run(direct, loaded.database, catalog)
        let opened = try await Self.serverSessions(loaded.database) - before
        let total = try #require(report.totals.first)
        let connect = try #require(report.operations.first { $0.operation == Scenario.connectOperationName })
        // 300 scheduled; a connection per request in a debug build beside the parallel tests answered 221 once: the
        // test asks for churn (hundreds of connections, each counted), not for the rate kept.
        #expect(total.errors == 0 && total.count > 100, "\(total.count) requests, \(report.operations.map { "\($0.operation) \($0.errorsByKind)" })")
        #expect(connect.count == total.count && connect.errors == 0 && connect.latencyUs.p50 > 0, "\(connect.count) connections for \(total.count) requests")
        // Warm-up none: the run's own requests, its admin and health connections, and whatever else ran meanwhile.
        #expect(opened >= Int64(total.count), "\(opened) server sessions for \(total.count) requests")
        // The settings came with each connection: the searches kept their recall with ef_search 40.
        #expect((report.operations.first { $0.operation == "vector_search_all" }?.recall?.mean ?? 0) > 0.8)

        var pooled = direct
        pooled.pooler = PoolerSpec(poolSize: 3)
        let pooler = LocalPooler(cluster: TestServer.cluster, port: 56442)
        var configuration = LocalPooler.Configuration()
        configuration.poolSize = 3
        configuration.settings = pooled.sessionSettings.map { ($0.name, $0.value) }
        let chosen = configuration
        let logger = Logger(label: "tests")
        try await DedicatedThread.run { _ = try pooler.up(chosen, logger: logger) }
        let through: RunReport
        let serverBefore = try await Self.serverSessions(loaded.database)
        do {
            let url = try PostgresConnectionString(pooler.connectionURL(database: name))
            through = try await Self.run(pooled, loaded.database, catalog, pooler: PoolerTarget(url: url, server: "pgbouncer (test)", startedByTripbench: true))
        } catch {
            _ = try? pooler.down(logger: logger)
            throw error
        }
        let serverOpened = try await Self.serverSessions(loaded.database) - serverBefore
        _ = try await DedicatedThread.run { try pooler.down(logger: logger) }
        let pooledTotal = try #require(through.totals.first)
        let pooledConnect = try #require(through.operations.first { $0.operation == Scenario.connectOperationName })
        #expect(pooledTotal.errors == 0 && pooledConnect.count == pooledTotal.count)
        // Hundreds of client connections, a handful of server sessions (the pool's, the run's admin and health).
        #expect(serverOpened < 20, "\(serverOpened) server sessions behind \(pooledConnect.count) client connections")
    }

    @Test func aPoolNeedsAnOpenLoopAndItsOwnClientCount() throws {
        for (yaml, message) in [
            ("executor: {type: constant-vus, clients: 4}\npool: {size: 2}", "needs an open loop"),
            ("executor: {type: constant-arrival-rate, rate: 10, clients: 4}\npool: {size: 2, maxOverflow: 1}", "executor clients 4 disagree with pool size + maxOverflow = 3"),
            ("executor: {type: constant-arrival-rate, rate: 10}\npool: {size: 0}", "size"),
            ("executor: {type: constant-arrival-rate, rate: 10}\npooler: {type: pgbouncer}\nrowLevelSecurity: true", "rowLevelSecurity"),
            ("executor: {type: constant-arrival-rate, rate: 10}\npooler: {type: odyssey}", "pooler type must be pgbouncer"),
            ("executor: {type: constant-arrival-rate, rate: 10}\npooler: {mode: statment}", "pooler mode must be one of transaction, session"),
        ] {
            let text = "name: bad\n\(yaml)\noperations:\n  - {name: preference_lookup}\n"
            #expect(throws: (any Error).self) { try Scenario.parse(text, file: "bad.yaml") }
            do { _ = try Scenario.parse(text, file: "bad.yaml") } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        let parsed = try Scenario.parse(
            "name: ok\nexecutor: {type: constant-arrival-rate, rate: 10}\npool: {size: 20, maxOverflow: 30, timeout: 30s}\noperations:\n  - {name: preference_lookup}\nthresholds: {pool_wait: \"p95 < 50ms\"}\n",
            file: "ok.yaml")
        #expect(parsed.pool == PoolSpec(size: 20, maxOverflow: 30, timeout: .seconds(30)) && parsed.executor.clients == 50)
    }
}

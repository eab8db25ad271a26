import Datasets
import Foundation
import LocalServer
import Logging
import Postgres
import Results
import TestSupport
import Testing
@testable import Workload

/// Whole runs against the real server with the tiny dataset loaded.
@Suite(.serialized) struct WorkloadRunTests {
    static func run(
        _ yaml: String, target: TargetSelection = .postgres, database: PostgresConnectionString? = nil, stop: StopSignal = StopSignal(),
        driver: PostgresStatementDriver = .direct
    ) async throws -> RunReport {
        let loaded = try await TinyDataset.loaded()
        var scenario = try Scenario.parse(yaml, file: "test.yaml")
        scenario.target = target
        let catalog = try DatasetCatalog(directory: loaded.directory, manifest: loaded.manifest)
        var runner = WorkloadRunner(
            scenario: scenario, scenarioFile: "test.yaml", catalog: catalog, database: database ?? loaded.database, stopSignal: stop)
        runner.driver = driver
        let configured = runner
        return try await DedicatedThread.run { try configured.run(logger: Logger(label: "tests")) }
    }

    static func operation(_ report: RunReport, _ name: String, target: String = "postgres") throws -> OperationReport {
        try #require(report.operations.first { $0.operation == name && $0.target == target })
    }

    /// Both drivers: tripbench's own protocol code (the default) and libpq's, which encrypted connections use.
    @Test(arguments: PostgresStatementDriver.allCases)
    func everyBuiltInOperationReturnsRowsAndVectorSearchesMeasureRecall(driver: PostgresStatementDriver) async throws {
        let report = try await Self.run("""
            name: built-ins
            executor: {type: constant-vus, clients: 3}
            warmup: 0s
            requests: 600
            recallSample: 1
            settings: {hnsw.ef_search: 100}
            operations:
              - {name: vector_search}
              - {name: vector_search_all, operation: vector_search, filter: none}
              - {name: hybrid_search}
              - {name: similar_trips}
              - {name: trip_details, windowDays: 1100}
              - {name: preference_lookup}
              - {name: chat_history}
              - {name: create_trip}
            """, driver: driver)
        #expect(report.totals.first?.count == 600)
        #expect(report.totals.first?.driver == driver.rawValue)
        for name in ["vector_search", "vector_search_all", "hybrid_search", "similar_trips", "trip_details", "preference_lookup", "chat_history", "create_trip"] {
            let operation = try Self.operation(report, name)
            #expect(operation.count > 30, "\(name)")
            #expect(operation.errors == 0, "\(name): \(operation.errorsByKind)")
            #expect(operation.rowsPerRequest > 0.5, "\(name) returned \(operation.rowsPerRequest) rows per request")
            #expect(operation.latencyUs.p50 > 0 && operation.latencyUs.p50 <= operation.latencyUs.p95 && operation.latencyUs.p95 <= operation.latencyUs.max)
        }
        #expect(try Self.operation(report, "preference_lookup").rowsPerRequest == 1)
        // The filtered search is answered exactly through the b-tree; the unfiltered one by HNSW.
        #expect(try #require(Self.operation(report, "vector_search").recall).mean == 1)
        #expect(try #require(Self.operation(report, "vector_search_all").recall).mean > 0.9)
        #expect(try #require(Self.operation(report, "similar_trips").recall).mean > 0.95)
        #expect(try Self.operation(report, "hybrid_search").recall == nil)
        // create_trip's rows are removed after the run.
        let loaded = try await TinyDataset.loaded()
        let left = try await PostgresConnection.withConnection(loaded.database) {
            try $0.query("SELECT count(*) FROM memory_embeddings WHERE metadata ? 'tripbench_run'").decode(Int.self, row: 0, column: 0)
        }
        #expect(left == 0)
        #expect(report.environment.serverSettings["hnsw.ef_search"] == "100")
        #expect(report.environment.datasetChecksum == loaded.manifest.checksum)
    }

    @Test(arguments: PostgresStatementDriver.allCases)
    func rowLevelSecuritySeesOnlyTheClientsOwnRows(driver: PostgresStatementDriver) async throws {
        let report = try await Self.run("""
            name: rls
            executor: {type: constant-vus, clients: 2}
            warmup: 0s
            requests: 200
            rowLevelSecurity: true
            operations:
              - {name: vector_search_all, operation: vector_search, filter: none}
              - {name: chat_history}
              - {name: preference_lookup}
            """, driver: driver)
        let search = try Self.operation(report, "vector_search_all")
        #expect(search.errors == 0 && search.rowsPerRequest > 1)
        // Without the policies the unfiltered search would return other users' rows nearly every time.
        #expect(search.foreignRows == 0)
        // The audit after the run asked every operation for the acting users' own data and for others'.
        for name in ["vector_search_all", "chat_history", "preference_lookup"] {
            let audit = try #require(try Self.operation(report, name).rowLevelSecurityAudit, "\(name)")
            #expect(audit.requests == 2 * RowLevelSecurityAudit.requestsPerOperation && audit.crossUserRequests == RowLevelSecurityAudit.requestsPerOperation)
            #expect(audit.rows > 0 && audit.foreignRows == 0 && audit.errors.isEmpty, "\(name): \(audit)")
        }
        #expect(try Self.operation(report, "chat_history").rowsPerRequest > 0.5)
        #expect(try Self.operation(report, "preference_lookup").rowsPerRequest == 1)
    }

    /// A role the policies apply to cannot read whose rows came back: the audit says so instead of finding
    /// nothing, and the report's foreign_rows cannot be shown to be 0.
    @Test func theAuditRefusesARoleThePoliciesRestrict() async throws {
        let loaded = try await TinyDataset.loaded()
        try await PostgresConnection.withConnection(loaded.database) { connection in
            try connection.execute(script: """
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tripbench_restricted') THEN
                        CREATE ROLE tripbench_restricted LOGIN;
                    END IF;
                END $$;
                GRANT authenticated TO tripbench_restricted;
                GRANT USAGE ON SCHEMA public, auth TO tripbench_restricted;
                GRANT SELECT ON ALL TABLES IN SCHEMA public TO tripbench_restricted;
                """)
        }
        let restricted = try PostgresConnectionString(loaded.database.raw.replacingOccurrences(of: "postgres@", with: "tripbench_restricted@"))
        let report = try await Self.run("""
            name: restricted
            executor: {type: constant-vus, clients: 1}
            warmup: 0s
            requests: 20
            rowLevelSecurity: true
            operations:
              - {name: preference_lookup}
            """, database: restricted)
        let audit = try #require(try Self.operation(report, "preference_lookup").rowLevelSecurityAudit)
        #expect(audit.failure?.contains("subject to the row-level security policies") == true, "\(audit)")
    }

    /// One client, an open schedule of 200 requests/s, and a statement that takes ~10 ms: the server can do
    /// ~100/s, so requests queue. Latency from the schedule must show the queue; service time must not.
    @Test func openLoopCountsQueueingNoCoordinatedOmission() async throws {
        let report = try await Self.run("""
            name: sleep
            executor: {type: constant-arrival-rate, rate: 200, clients: 1}
            warmup: 0s
            duration: 3s
            operations:
              - name: sleep
                sql: SELECT pg_sleep(0.01)
            """)
        let sleep = try Self.operation(report, "sleep")
        let service = try #require(sleep.serviceUs)
        #expect(sleep.count > 150 && sleep.errors == 0)
        #expect(service.p50 >= 10_000 && service.p95 < 25_000, "service \(service)")
        #expect(sleep.latencyUs.p95 > 500_000, "latency \(sleep.latencyUs)")
        let totals = try #require(report.totals.first)
        #expect(try #require(totals.unsent) > 100)
        // Every request due in the measured 3 s at 200/s is counted or unsent; none is lost.
        #expect(totals.scheduled == 600 && totals.count + totals.unsent! == 600, "\(totals.count) + \(totals.unsent!) of \(totals.scheduled ?? -1)")
        #expect(sleep.unsent == totals.unsent)
    }

    /// A warm-up whose backlog outlasts the window: no request due in the window is ever sent (QPS 0), and
    /// the report still says what the server served meanwhile.
    @Test func servedThroughputCountsTheWarmUpsBacklog() async throws {
        let report = try await Self.run("""
            name: behind
            executor: {type: constant-arrival-rate, rate: 400, clients: 1}
            warmup: 2s
            duration: 1s
            operations:
              - name: sleep
                sql: SELECT pg_sleep(0.01)
            """)
        let totals = try #require(report.totals.first)
        // 800 requests are due in the warm-up and one client serves at most ~100/s: the window never starts.
        #expect(totals.count == 0 && totals.qps == 0 && totals.unsent == 400, "\(totals.count), \(totals.unsent ?? -1)")
        let served = try #require(totals.servedPerSecond)
        #expect(served > 30 && served < 110, "\(served) over \(totals.measuredSeconds) s")
    }

    @Test func statementTimeoutsAreCountedAndTheRunGoesOn() async throws {
        let report = try await Self.run("""
            name: timeouts
            executor: {type: constant-vus, clients: 2}
            warmup: 0s
            duration: 2s
            timeout: 50ms
            operations:
              - {name: slow, sql: SELECT pg_sleep(0.2), weight: 1}
              - {name: fast, sql: SELECT 1, weight: 1}
            """)
        let slow = try Self.operation(report, "slow")
        #expect(slow.errors == slow.count && slow.errorsByKind["timeout"] == slow.count && slow.count > 0)
        #expect(try Self.operation(report, "fast").errors == 0)
    }

    @Test func bothTargetsRunTheSameStreamAndTheIndexSaysWhatItCannotServe() async throws {
        let report = try await Self.run("""
            name: both
            executor: {type: constant-vus, clients: 2}
            warmup: 0s
            requests: 300
            operations:
              - {name: vector_search}
              - {name: vector_search_all, operation: vector_search, filter: none}
              - {name: vector_search_type, operation: vector_search, filter: content_type}
              - {name: vector_search_share, operation: vector_search, filter: share, share: 0.1}
              - {name: chat_history}
            """, target: .both)
        #expect(report.totals.map(\.target) == ["postgres", "index"])
        let indexSearch = try Self.operation(report, "vector_search_all", target: "index")
        #expect(indexSearch.count > 50)
        #expect(try #require(indexSearch.recall).mean > 0.95)
        // The content-type filter keeps 20–40 % of tiny's rows: the in-process index returns k rows of that type;
        // pgvector as planned: all k from a scan, or fewer when its HNSW scan's ef_search candidates run out of
        // rows of the type (the plan follows the table's statistics, which other tests' writes move).
        let indexTyped = try Self.operation(report, "vector_search_type", target: "index")
        #expect(indexTyped.count > 30 && indexTyped.errors == 0 && indexTyped.rowsPerRequest == 10)
        #expect(try #require(indexTyped.recall).mean > 0.8, "\(indexTyped.recall?.mean ?? 0)")
        let typed = try Self.operation(report, "vector_search_type")
        #expect(typed.count > 30 && typed.errors == 0 && typed.rowsPerRequest > 5, "\(typed.rowsPerRequest) rows")
        #expect(try #require(typed.recall).mean > 0.5, "\(typed.recall?.mean ?? 0)")
        #expect(report.scenario.operations[2].sql[0].contains("WHERE content_type = $2"))
        // A tenth of the rows by their id's bucket: the in-process index searches exactly those; pgvector is
        // sent the same filter (its recall depends on the plan: HNSW then filter, or the rows then sort).
        let share = try Self.operation(report, "vector_search_share", target: "index")
        #expect(share.count > 30 && share.rowsPerRequest == 10 && (share.recall?.mean ?? 0) > 0.8, "\(share.recall?.mean ?? 0)")
        let shared = try Self.operation(report, "vector_search_share")
        #expect(shared.count > 30 && shared.errors == 0 && shared.recall != nil)
        #expect(report.scenario.operations[3].sql[0].contains("WHERE \(RowShare.expression) < $2"))
        let history = try Self.operation(report, "chat_history", target: "index")
        #expect(history.unsupported ?? 0 > 0 && history.count == 0)
        // The same seed sends the same requests: each operation's count is the same on both targets.
        let counts = try ["vector_search", "vector_search_all", "vector_search_type", "vector_search_share", "chat_history"].map { try Self.operation(report, $0).count }
        #expect(counts.reduce(0, +) == 300)
        #expect(try #require(report.totals.last?.indexBuildSeconds) > 0)
    }

    /// The plan follows the draw: every request is classed by the plan its (user, content type) group took under
    /// EXPLAIN before the run, and each plan is reported with its requests, latency and recall.
    @Test func everyRequestIsClassedByItsPlanWithLatencyAndRecall() async throws {
        let report = try await Self.run("""
            name: plans
            executor: {type: constant-vus, clients: 2}
            warmup: 0s
            requests: 300
            recallSample: 1
            operations:
              - {name: vector_search}
              - {name: chat_history}
            """)
        let plans = try #require(report.health?.plans)
        let search = try #require(plans.first { $0.operation == "vector_search" })
        let shares = try #require(search.shares)
        let operation = try Self.operation(report, "vector_search")
        #expect(shares.reduce(0) { $0 + $1.requests } == operation.count, "\(shares)")
        #expect(abs(shares.reduce(0) { $0 + $1.share } - 1) < 1e-9)
        #expect(shares.allSatisfy { ["btree", "bitmap", "hnsw", "seq_scan"].contains($0.access) && $0.latencyUs.p95 > 0 }, "\(shares.map { "\($0.access) \($0.requests)" })")
        #expect(shares.compactMap(\.recallSamples).reduce(0, +) == operation.recall?.samples, "\(shares)")
        #expect(plans.first { $0.operation == "chat_history" }?.shares?.map(\.access) == ["none"])
    }

    /// The server ends the run's sessions halfway (as an administrator or a failover would): the requests in
    /// flight count as `connection_lost`, the clients reconnect, and the run goes on to its end.
    @Test func droppedConnectionsAreCountedAndTheClientsReconnect() async throws {
        let loaded = try await TinyDataset.loaded()
        let killer = StartedThread(after: 1.2) {
            try PostgresConnection(loaded.database).query(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%dropped-connection-probe%' AND pid <> pg_backend_pid()) t"
            ).decode(Int.self, row: 0, column: 0)
        }
        let report = try await Self.run("""
            name: dropped
            executor: {type: constant-vus, clients: 3}
            warmup: 0s
            duration: 3s
            operations:
              - {name: probe, sql: "SELECT pg_sleep(0.005) /* dropped-connection-probe */"}
            """)
        let terminated = try await killer.value
        #expect(terminated >= 1)
        let probe = try Self.operation(report, "probe")
        #expect(probe.errorsByKind["connection_lost"] ?? 0 >= 1, "\(probe.errorsByKind)")
        #expect(try #require(report.totals.first).reconnects >= 1)
        // It went on: the last full second completed requests without errors.
        let last = try #require(report.timeseries.first?.seconds.dropLast().last)
        #expect(last.count > 10 && last.errors == 0, "\(last)")
        #expect(!report.partial)
    }

    /// The server restarts during the run: requests fail while it is away, the clients reconnect with back-off
    /// once it is back, and the report covers the whole run. (A think time keeps these runs from taking both
    /// cores away from the timing-sensitive tests running beside them.)
    @Test func aServerRestartIsSurvived() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID().uuidString.prefix(8))")
        let cluster = LocalCluster(stateDirectory: state)
        let configuration = LocalCluster.Configuration(port: TestServer.port + 3)
        let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
        let logger = Logger(label: "tests")
        let settings = {
            var settings = ServerSettings.architectureDefaults
            settings.set("shared_buffers", "32MB")
            settings.set("fsync", "off")
            return settings
        }()
        try await DedicatedThread.run { _ = try cluster.up(configuration, settings: settings, installation: installation, logger: logger) }
        defer {
            _ = try? cluster.down(installation: installation, logger: logger)
            try? FileManager.default.removeItem(at: state)
        }
        let database = try PostgresConnectionString(cluster.connectionURL(configuration: configuration))
        let restart = StartedThread(after: 1) {
            try cluster.down(installation: installation, logger: logger)
            _ = try cluster.up(configuration, settings: settings, installation: installation, logger: logger)
        }
        let report = try await Self.run("""
            name: restart
            executor: {type: constant-vus, clients: 2, thinkTime: 2ms}
            warmup: 0s
            duration: 8s
            operations:
              - {name: ping, sql: SELECT 1}
            """, database: database)
        try await restart.value
        let ping = try Self.operation(report, "ping")
        #expect(ping.errorsByKind["connection_lost"] ?? 0 >= 1, "\(ping.errorsByKind)")
        #expect(try #require(report.totals.first).reconnects >= 2)
        let last = try #require(report.timeseries.first?.seconds.dropLast().last)
        #expect(last.count > 100 && last.errors == 0, "\(last)")
    }

    /// A stop (Ctrl-C) ends the run early: requests in flight finish, and the report says it is partial.
    @Test func aStoppedRunReportsWhatRanAndIsPartial() async throws {
        // The dataset first: run alone, loading tiny took longer than the 1.5 s before the stop.
        _ = try await TinyDataset.loaded()
        let stop = StopSignal()
        _ = StartedThread(after: 1.5) { stop.set() }
        let started = Date()
        let report = try await Self.run("""
            name: stopped
            executor: {type: constant-vus, clients: 2, thinkTime: 2ms}
            warmup: 0s
            duration: 60s
            operations:
              - {name: ping, sql: SELECT 1}
            """, stop: stop)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(report.partial)
        let ping = try Self.operation(report, "ping")
        #expect(ping.count > 100 && ping.errors == 0)
    }
}

import Foundation
import LocalServer
import Logging
import Postgres
import TestSupport
import Testing

/// `tripbench run` with the scenario's pgbouncer, the test server standing in for the local one
/// (`TRIPBENCH_STATE_DIR`): the pooler is started for the run and gone after it, whether the run ends, is
/// interrupted, or fails its threshold on pool efficiency because the pool is too small for the rate.
@Suite(.serialized) struct PoolerCommandTests {
    static var environment: [String: String] { ["TRIPBENCH_STATE_DIR": TestServer.stateDirectory.path] }
    static var pooler: LocalPooler { LocalPooler(cluster: TestServer.cluster) }

    /// The clients connected to the run's database through the pooler, from its console (0 when it is down).
    static func pooledClients() -> Int {
        guard let console = try? PostgresConnection(PostgresConnectionString(Self.pooler.connectionURL(database: "pgbouncer"))),
            let pools = try? console.simpleQuery("SHOW POOLS")
        else { return 0 }
        var clients = 0
        for row in 0..<pools.rowCount where pools.text(row: row, column: 0) == LocalCluster.databaseName {
            for name in ["cl_active", "cl_waiting"] { clients += pools.columnIndex(named: name).flatMap { Int(pools.text(row: row, column: $0) ?? "") } ?? 0 }
        }
        return clients
    }

    @Test func anInterruptedRunStopsItsPgbouncer() async throws {
        _ = try await TestServer.connectionString()
        let (status, standardError, report) = try await GateIntegrityTests.withScenario("pooled-cli", """
            name: pooled-cli
            dataset: tiny
            executor: {type: constant-arrival-rate, rate: 100, clients: 50}
            warmup: 0s
            duration: 60s
            recallSample: 0
            pooler: {type: pgbouncer, poolSize: 5}
            operations:
              - {name: preference_lookup, weight: 1}
            """) { file, out in
            let run = try TripbenchCLI.start(["run", file.path, "--out", out.path, "--quiet"], environment: Self.environment)
            let connected = try await DedicatedThread.run { () -> Bool in
                let deadline = ContinuousClock.now + .seconds(120)
                while Self.pooledClients() < 50 {
                    if ContinuousClock.now > deadline || !run.isRunning { return false }
                    usleep(100_000)
                }
                Thread.sleep(forTimeInterval: 1.5)
                run.send(SIGINT)
                return true
            }
            let (status, standardError) = run.finish()
            #expect(connected, "the run's 50 clients never connected through pgbouncer: \(standardError)")
            let report = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
            return (status, standardError, report)
        }
        #expect(status == 130, "\(standardError)")
        #expect(Self.pooler.pid == nil, "pgbouncer still runs after the interrupted run")
        #expect(report?["partial"] as? Bool == true)
        let pooler = (report?["pool"] as? [String: Any])?["pooler"] as? [String: Any]
        #expect(pooler?["clients"] as? Int == 50 && (pooler?["transactions"] as? Int ?? 0) > 0, "\(String(describing: pooler))")
    }

    @Test func aPoolTooSmallForTheRateFailsItsEfficiencyThreshold() async throws {
        _ = try await TestServer.connectionString()
        // One server connection, each request 10 ms: 100 requests/s at most, offered 150 from 40 clients: they
        // queue in the pooler for most of their time.
        let (status, standardError, junit, report) = try await GateIntegrityTests.withScenario("small-pooler", """
            name: small-pooler
            dataset: tiny
            executor: {type: constant-arrival-rate, rate: 150, clients: 40}
            warmup: 0s
            duration: 3s
            recallSample: 0
            pooler: {type: pgbouncer, poolSize: 1}
            operations:
              - {name: slow, sql: "SELECT pg_sleep(0.01)"}
            thresholds:
              all: "pool_efficiency >= 95%"
            """) { file, out in
            let run = try await DedicatedThread.run { try TripbenchCLI.run(["run", file.path, "--out", out.path, "--quiet"], environment: Self.environment) }
            let junit = (try? String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)) ?? ""
            let report = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
            return (run.status, run.standardError, junit, report)
        }
        #expect(status == 1, "\(standardError)")
        #expect(junit.contains("pool_efficiency") && junit.contains("<failure"), "\(junit)")
        #expect(Self.pooler.pid == nil)
        let pool = report?["pool"] as? [String: Any]
        let pooler = pool?["pooler"] as? [String: Any]
        #expect((pool?["efficiency"] as? Double ?? 1) < 0.95, "\(String(describing: pool))")
        #expect((pooler?["wait_mean_us"] as? Double ?? 0) > 1000 && (pooler?["clients_waiting_max"] as? Int ?? 0) > 0, "\(String(describing: pooler))")
        #expect(pooler?["server_connections_max"] as? Int == 1)
    }

    /// The study: direct and through pgbouncer at two client counts, alternating; the count beyond the server's
    /// connections is not possible direct, and is through the pooler.
    @Test func thePoolingStudyComparesDirectAndPooledRunsAndRefusesWhatCannotConnect() async throws {
        _ = try await TestServer.connectionString()
        let (status, standardError, results, files) = try await GateIntegrityTests.withScenario("pooling-cli", """
            name: pooling-cli
            dataset: tiny
            executor: {type: constant-arrival-rate, rate: 100, clients: 2}
            warmup: 500ms
            duration: 2s
            recallSample: 0
            operations:
              - {name: preference_lookup, weight: 3}
              - {name: chat_history, weight: 1}
            """) { file, out in
            let run = try await DedicatedThread.run {
                try TripbenchCLI.run(["pooling", file.path, "--clients", "3,250", "--rounds", "2", "--pool-size", "4", "--out", out.path, "--quiet"], environment: Self.environment)
            }
            let results = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("pooling.json"))) as? [String: Any]
            let files = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            return (run.status, run.standardError, results, files)
        }
        #expect(status == 0, "\(standardError)")
        #expect(Self.pooler.pid == nil)
        let points = results?["points"] as? [[String: Any]] ?? []
        // Two rounds each way at each count, direct first in the first round and second in the second.
        #expect(points.map { "\($0["clients"] ?? "")-\($0["mode"] ?? "")" } == [
            "3-direct", "3-pgbouncer", "3-pgbouncer", "3-direct", "250-direct", "250-pgbouncer", "250-pgbouncer", "250-direct",
        ])
        for point in points where point["refused"] == nil {
            #expect((point["requests"] as? Int ?? 0) > 100 && point["error_rate"] as? Double == 0, "\(point)")
            #expect(files.contains(point["report"] as? String ?? "-"), "\(point["report"] ?? "") not among \(files)")
        }
        let refused = points.filter { $0["refused"] != nil }
        #expect(refused.count == 2 && refused.allSatisfy { $0["clients"] as? Int == 250 && $0["mode"] as? String == "direct" })
        #expect((refused.first?["refused"] as? String)?.contains("max_connections") == true)
        let pooled = points.filter { $0["mode"] as? String == "pgbouncer" }
        #expect(pooled.allSatisfy { ($0["server_connections_max"] as? Int ?? 99) <= 4 && $0["efficiency"] != nil }, "\(pooled)")
        #expect(files.contains("pooling.md") && files.contains("pooling.html"))
    }
}

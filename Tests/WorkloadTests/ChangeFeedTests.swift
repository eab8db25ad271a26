import Datasets
import Foundation
import Logging
import Postgres
import Results
import TestSupport
import Testing
@testable import Workload

/// Logical replication subscribers beside a run, on a database of their own holding tiny: every transaction
/// of the window reaches every subscriber, a subscriber whose WAL sender is killed is reported and the run goes
/// on, a feed the server cannot carry is refused before anything starts, and no slot is left.
@Suite(.serialized) struct ChangeFeedTests {
    static func yaml(subscribers: Int, duration: String = "3s") -> String {
        """
        name: feeds
        executor: {type: constant-arrival-rate, rate: 40, clients: 2}
        warmup: 500ms
        duration: \(duration)
        recallSample: 0
        changeFeed: {subscribers: \(subscribers)}
        operations:
          - {name: preference_lookup, weight: 3}
          - {name: create_trip, weight: 1}
          - {name: insert_message, rate: 30}
          - {name: update_trip, rate: 10, clients: 1}
        thresholds: {change_lag: "p95 < 5s"}
        """
    }

    static func database() async throws -> (name: String, url: PostgresConnectionString, catalog: DatasetCatalog) {
        let (directory, manifest) = try await TinyDataset.generated()
        let name = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: name)
        let loader = DatasetLoader(directory: directory, manifest: manifest, target: url)
        _ = try await DedicatedThread.run { try loader.load(logger: Logger(label: "test")) { _ in } }
        return (name, url, try DatasetCatalog(directory: directory, manifest: manifest))
    }

    static func count(_ url: PostgresConnectionString, _ sql: String) async throws -> Int64 {
        try await PostgresConnection.withConnection(url) { (connection) throws -> Int64 in try connection.query(sql).decode(Int64.self, row: 0, column: 0) }
    }

    static func run(_ yaml: String, _ url: PostgresConnectionString, _ catalog: DatasetCatalog) async throws -> RunReport {
        let runner = WorkloadRunner(scenario: try Scenario.parse(yaml, file: "feeds.yaml"), scenarioFile: "feeds.yaml", catalog: catalog, database: url, stopSignal: StopSignal())
        return try await DedicatedThread.run { try runner.run(logger: Logger(label: "tests")) }
    }

    @Test func everySubscriberReceivesEveryTransactionOfTheWindow() async throws {
        let (name, url, catalog) = try await Self.database()
        let report = try await Self.run(Self.yaml(subscribers: 3), url, catalog)
        let feed = try #require(report.changeFeed)
        #expect(feed.subscribers == 3 && feed.lost == 0 && feed.slotsLeft == 0, "\(feed.perSubscriber.compactMap(\.lost))")
        let received = feed.perSubscriber.map(\.transactions)
        // The same stream reaches each: the same transactions, whatever each one's lag.
        #expect(Set(received).count == 1 && received[0] > 0, "\(received)")
        // The writes committed in the window: every insert_message, update_trip and create_trip (one transaction
        // each), give or take those at the window's edges.
        let writes = report.operations.filter { ["insert_message", "update_trip", "create_trip"].contains($0.operation) }.reduce(0) { $0 + $1.count - $1.errors }
        #expect(report.operations.first { $0.operation == "update_trip" }.map { $0.count > 20 && $0.errors == 0 } == true)
        #expect(abs(received[0] - writes) <= 6, "\(received[0]) transactions received, \(writes) writes measured")
        // create_trip changes two rows but publishes one: trips (memory_embeddings is not in the publication);
        // an update of a trip is one change.
        #expect(feed.perSubscriber.allSatisfy { $0.changes == $0.transactions })
        let lag = try #require(report.operations.first { $0.operation == "change_lag" })
        #expect(lag.count == 3 * received[0] && lag.errors == 0 && lag.latencyUs.p50 > 0 && lag.latencyUs.max < 5_000_000)
        #expect(report.totals[0].count == report.operations.filter { $0.operation != "change_lag" }.reduce(0) { $0 + $1.count })
        // Nothing left: no slot, no publication, no message of the run.
        #expect(try await Self.count(url, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'tripbench%'") == 0)
        #expect(try await Self.count(url, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'tripbench%'") == 0)
        #expect(try await Self.count(url, "SELECT count(*) FROM chat_messages WHERE metadata ? 'tripbench_run'") == 0)
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    @Test func aSubscriberWhoseSenderIsKilledIsReportedAndTheRunGoesOn() async throws {
        let (name, url, catalog) = try await Self.database()
        let killer = Task {
            try await DedicatedThread.run { () throws -> Bool in
                let connection = try PostgresConnection(url)
                let deadline = ContinuousClock.now + .seconds(60)
                // Streaming: a slot is listed, and active, while it waits to be made.
                while try connection.query("""
                    SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
                    WHERE s.slot_name LIKE 'tripbench%' AND s.database = current_database() AND r.state = 'streaming'
                    """).decode(Int64.self, row: 0, column: 0) < 3 {
                    if ContinuousClock.now > deadline { return false }
                    usleep(50_000)
                }
                Thread.sleep(forTimeInterval: 2)
                return try connection.query("""
                    SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
                    WHERE active AND slot_name LIKE 'tripbench%' ORDER BY slot_name LIMIT 1
                    """).decode(Bool.self, row: 0, column: 0)
            }
        }
        let report = try await Self.run(Self.yaml(subscribers: 3, duration: "5s"), url, catalog)
        #expect(try await killer.value)
        #expect(!report.partial)
        let feed = try #require(report.changeFeed)
        #expect(feed.lost == 1 && feed.slotsLeft == 0)
        let lost = try #require(feed.perSubscriber.first { $0.lost != nil })
        #expect(lost.lost?.contains("replication stream") == true, "\(lost.lost ?? "")")
        let others = feed.perSubscriber.filter { $0.lost == nil }.map(\.transactions)
        #expect(others.count == 2 && Set(others).count == 1 && lost.transactions < others[0], "\(feed.perSubscriber.map(\.transactions))")
        // The run went on: its writes all done, and the loss fails nothing but counts against change_lag.
        let messages = try #require(report.operations.first { $0.operation == "insert_message" })
        #expect(messages.errors == 0 && messages.count >= 140, "\(messages.count)")
        let lag = try #require(report.operations.first { $0.operation == "change_lag" })
        #expect(lag.errorsByKind == ["subscriber_lost": 1])
        #expect(try await Self.count(url, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'tripbench%'") == 0)
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    /// A transaction left open elsewhere holds the slots' creation (PostgreSQL waits for it to end): the feed
    /// gives up after its wait, ends the WAL senders still waiting, and leaves no slot and no publication.
    @Test func aFeedHeldByALongTransactionGivesUpAndLeavesNothing() async throws {
        let (name, url, _) = try await Self.database()
        let outcome = try await DedicatedThread.run { () throws -> (error: String?, slots: Int64, publications: Int64) in
            let holder = try PostgresConnection(url)
            try holder.execute(script: "BEGIN; SELECT txid_current();")
            let admin = try PostgresConnection(url)
            var message: String?
            do {
                _ = try ChangeFeed(spec: ChangeFeedSpec(subscribers: 2), database: url, admin: admin, runTag: UUID().uuidString, stop: StopSignal(), within: .seconds(2))
            } catch let error as WorkloadError {
                message = error.kind == .runtime ? error.message : "bad input: \(error.message)"
            }
            try holder.execute(script: "COMMIT")
            let count = { (sql: String) throws -> Int64 in try admin.query(sql).decode(Int64.self, row: 0, column: 0) }
            return (message, try count("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'tripbench%'"),
                    try count("SELECT count(*) FROM pg_publication"))
        }
        #expect(outcome.error?.contains("were not ready within 2s") == true, "\(String(describing: outcome.error))")
        #expect(outcome.slots == 0 && outcome.publications == 0)
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    @Test func aFeedTheServerCannotCarryIsRefusedBeforeTheRun() async throws {
        let (name, url, catalog) = try await Self.database()
        let error = await #expect(throws: WorkloadError.self) { _ = try await Self.run(Self.yaml(subscribers: 100), url, catalog) }
        #expect(error?.kind == .badInput)
        #expect(error?.message.contains("changeFeed asks for 100 subscribers") == true && error?.message.contains("max_replication_slots") == true, "\(error?.message ?? "")")
        #expect(try await Self.count(url, "SELECT count(*) FROM pg_publication") == 0)
        #expect(try await Self.count(url, "SELECT count(*) FROM chat_messages WHERE metadata ? 'tripbench_run'") == 0)
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }
}

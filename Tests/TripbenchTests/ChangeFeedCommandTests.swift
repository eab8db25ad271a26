import Foundation
import Postgres
import TestSupport
import Testing

/// `tripbench run` with a change feed, stopped from outside: no replication slot outlives the run, whether it
/// is interrupted (Ctrl-C: the feed closes its streams) or killed outright (the server drops a TEMPORARY slot
/// when its session ends).
@Suite(.serialized) struct ChangeFeedCommandTests {
    static let scenario = """
        name: feeds-cli
        dataset: tiny
        executor: {type: constant-arrival-rate, rate: 40, clients: 2}
        warmup: 0s
        duration: 30s
        recallSample: 0
        operations:
          - {name: preference_lookup, weight: 1}
          - {name: insert_message, rate: 20}
        """

    static func slots(_ url: PostgresConnectionString) throws -> Int64 {
        try PostgresConnection(url).query(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'tripbench%' AND database = current_database()"
        ).decode(Int64.self, row: 0, column: 0)
    }

    /// Subscribers streaming: their slots made (a slot is listed, and active, while it waits to be made) and
    /// their WAL senders sending.
    static func streaming(_ url: PostgresConnectionString) throws -> Int64 {
        try PostgresConnection(url).query("""
            SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.slot_name LIKE 'tripbench%' AND s.database = current_database() AND r.state = 'streaming'
            """).decode(Int64.self, row: 0, column: 0)
    }

    /// Starts the run with 4 subscribers and waits until all four stream; then `stop` is sent.
    func interrupted(by signal: Int32) async throws -> (status: Int32, standardError: String, url: PostgresConnectionString, database: String) {
        let (database, url) = try await GateIntegrityTests.freshTinyDatabase()
        let (status, standardError) = try await GateIntegrityTests.withScenario("feeds", Self.scenario) { file, out in
            let run = try TripbenchCLI.start(["run", file.path, "--subscribers", "4", "--database-url", url.raw, "--out", out.path, "--quiet"])
            let streaming = try await DedicatedThread.run { () throws -> Bool in
                let deadline = ContinuousClock.now + .seconds(60)
                while try Self.streaming(url) < 4 {
                    if ContinuousClock.now > deadline || !run.isRunning { return false }
                    usleep(50_000)
                }
                Thread.sleep(forTimeInterval: 1)
                run.send(signal)
                return true
            }
            let (status, standardError) = run.finish()
            #expect(streaming, "the four subscribers never streamed: \(standardError)")
            return (status, standardError)
        }
        return (status, standardError, url, database)
    }

    @Test func anInterruptedRunLeavesNoSlot() async throws {
        let (status, standardError, url, database) = try await self.interrupted(by: SIGINT)
        #expect(status == 130, "\(standardError)")
        // Closed by the run itself before it exits.
        #expect(try Self.slots(url) == 0)
        #expect(try PostgresConnection(url).query("SELECT count(*) FROM pg_publication").decode(Int64.self, row: 0, column: 0) == 0)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    @Test func aKilledRunLeavesNoSlot() async throws {
        let (status, _, url, database) = try await self.interrupted(by: SIGKILL)
        #expect(status == SIGKILL)
        // Temporary slots go with their WAL senders, which end when they find their client gone.
        let deadline = ContinuousClock.now + .seconds(20)
        var left = try Self.slots(url)
        while left > 0, ContinuousClock.now < deadline {
            usleep(100_000)
            left = try Self.slots(url)
        }
        #expect(left == 0)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }
}

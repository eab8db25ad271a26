import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// Runs that see a failure must not pass: rows leaking across users under row-level security, and a run
/// stopped early, reach the exit code, report.md, junit.xml and `gate`.
@Suite struct GateIntegrityTests {
    static func temporaryDirectory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
    }

    /// Runs `body` with `yaml` written to a temporary scenario file and a report directory beside it, both
    /// removed when it ends.
    static func withScenario<T>(_ name: String, _ yaml: String, _ body: (_ file: URL, _ out: URL) async throws -> T) async throws -> T {
        let file = self.temporaryDirectory(name).appendingPathExtension("yaml")
        let out = self.temporaryDirectory("\(name)-out")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: out)
        }
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return try await body(file, out)
    }

    /// A database of its own on the test server with the tiny dataset loaded by `tripbench load`.
    static func freshTinyDatabase() async throws -> (name: String, url: PostgresConnectionString) {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let load = try await DedicatedThread.run { try TripbenchCLI.run(["load", "--dataset", "tiny", "--database-url", url.raw]) }
        #expect(load.status == 0, "\(load.standardError)")
        return (database, url)
    }

    /// Permissive policies that let every user read everyone's memories, trips, profiles and chat messages.
    @Test func rowsOfAnotherUserFailTheRunWhateverTheThresholds() async throws {
        let (database, url) = try await Self.freshTinyDatabase()
        try await PostgresConnection.withConnection(url) { connection in
            for table in ["memory_embeddings", "trips", "users", "chat_messages"] {
                try connection.execute(script: "CREATE POLICY leak ON \(table) FOR SELECT USING (true)")
            }
        }
        try await Self.withScenario("rls-leak", """
            name: rls-leak
            dataset: tiny
            target: postgres
            executor: {type: constant-vus, clients: 2}
            warmup: 0s
            requests: 200
            rowLevelSecurity: true
            operations:
              - {name: vector_search_all, operation: vector_search, filter: none}
              - {name: trip_details, windowDays: 1100}
              - {name: chat_history}
              - {name: preference_lookup}
            thresholds:
              all: ["error_rate < 1%"]
            """) { scenario, out in
            let run = try await DedicatedThread.run {
                try TripbenchCLI.run(["run", scenario.path, "--database-url", url.raw, "--out", out.path, "--quiet"])
            }
            #expect(run.status == 1, "\(run.standardError)")
            #expect(run.standardError.contains("foreign_rows"), "\(run.standardError)")
            let report = try String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
            let operations = try #require(json["operations"] as? [[String: Any]])
            func audit(_ name: String) -> Int {
                let operation = operations.first { $0["operation"] as? String == name }
                return (operation?["row_level_security_audit"] as? [String: Any])?["foreign_rows"] as? Int ?? -1
            }
            // The unfiltered search shows the leak on every request; the operations that filter by user show it
            // only when asked for someone else's rows, which the audit does.
            #expect((operations.first { $0["operation"] as? String == "vector_search_all" }?["foreign_rows"] as? Int ?? 0) > 0)
            for name in ["trip_details", "chat_history", "preference_lookup"] { #expect(audit(name) > 0, "\(name)") }
            let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
            #expect(markdown.contains("rows of another user returned") && markdown.contains("- ❌ `postgres` `all: foreign_rows < 1`"))
            let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
            #expect(junit.contains("name=\"all: foreign_rows &lt; 1\"") && junit.contains("<failure type=\"check\""))
            let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
            #expect(html.contains("rows of another user returned"))
            // No threshold loosens it, and gate says the same.
            let gate = try TripbenchCLI.run(["gate", out.path, "--threshold", "all:foreign_rows<100000"])
            #expect(gate.status == 1, "\(gate.standardError)")
        }
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    /// Ctrl-C during the first of two targets: exit 130, a partial report, and the second target listed as
    /// not run with failing cases instead of vanishing.
    @Test func anInterruptedRunExits130AndSaysWhatDidNotRun() async throws {
        let (database, url) = try await Self.freshTinyDatabase()
        let out = Self.temporaryDirectory("interrupted")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try TripbenchCLI.start([
            "run", "ci-smoke", "--dataset", "tiny", "--target", "both", "--warmup", "0s", "--duration", "20s",
            "--database-url", url.raw, "--out", out.path, "--quiet",
        ])
        // Wait until the postgres target is measuring (its clients are connected), then interrupt.
        let interrupted = try await Self.whenSessions(of: url, atLeast: 4, after: 1) {
            run.send(SIGINT)
            return ContinuousClock.now
        }
        let (status, stderr) = run.finish()
        // It stopped early: the measured part ended within seconds of the signal (about 1 s into 20), and the
        // process did not hang after it. Writing the reports takes under a second here, but ten with the tests
        // beside it on a loaded machine, so the wall-clock bound is loose and the measured time is the proof.
        #expect(ContinuousClock.now - interrupted < .seconds(30), "took \(ContinuousClock.now - interrupted) to stop")
        #expect(status == 130, "\(stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
        let measured = try #require((report?["totals"] as? [[String: Any]])?.first?["measured_seconds"] as? Double)
        #expect(measured < 12, "the postgres target measured \(measured) s of 20")
        let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("<testsuite name=\"tripbench.ci-smoke.index\""))
        #expect(junit.contains("index did not run: the run was stopped before it"))
        #expect(junit.contains("name=\"all: completed &gt;= 100%\""))
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("(partial: stopped early)") && markdown.contains("**Not run**"))
        let gate = try TripbenchCLI.run(["gate", out.path])
        #expect(gate.status == 1, "\(gate.standardError)")
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    /// SIGTERM while every request is a 30 s statement: the run stops at once (requests in flight are cancelled
    /// after half a second), not when the statements end, and writes its partial report.
    @Test func aStopDoesNotWaitForTheStatementsInFlight() async throws {
        let loaded = try await TinyDataset.loaded()
        try await Self.withScenario("sigterm", """
            name: sleepy
            dataset: tiny
            target: postgres
            executor: {type: constant-vus, clients: 2}
            warmup: 0s
            duration: 60s
            timeout: 60s
            operations:
              - {name: sleep, sql: "SELECT pg_sleep(30) AS tripbench_sigterm_test"}
            """) { scenario, out in
            let run = try TripbenchCLI.start(["run", scenario.path, "--database-url", loaded.database.raw, "--out", out.path, "--quiet"])
            let stopped = try await Self.whenSessions(of: loaded.database, atLeast: 2, running: "tripbench_sigterm_test") {
                run.send(SIGTERM)
                return ContinuousClock.now
            }
            let (status, stderr) = run.finish()
            // Far below the statements' 30 s: it did not wait for them. (About a second alone; the partial reports
            // take ten times as long with the tests beside it on a loaded machine, as one CI run's interrupted run
            // showed.)
            #expect(ContinuousClock.now - stopped < .seconds(15), "took \(ContinuousClock.now - stopped) to stop")
            #expect(status == 130, "\(stderr)")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("junit.xml").path))
        }
    }

    /// SIGTERM while the server builds the HNSW index of a load: the command ends at once, and so does the build
    /// on the server (it notices the client gone), instead of running on for nobody.
    @Test func aStoppedLoadEndsTheServersIndexBuild() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        // The dataset first, so the load watched below does nothing but load.
        let generate = try await DedicatedThread.run { try TripbenchCLI.run(["generate", "--dataset", "tiny"]) }
        #expect(generate.status == 0, "\(generate.standardError)")
        // A build of a minute or more (m 64, ef_construction 1000 on 2,000 rows), so "stopped" and "ran to the
        // end" are far apart even on a loaded machine, where noticing the client gone takes a few seconds.
        let load = try TripbenchCLI.start(["load", "--dataset", "tiny", "--database-url", url.raw, "--m", "64", "--ef-construction", "1000"])
        @Sendable func building() throws -> Int {
            // pgvector's own build phase (a b-tree's loading phase is "loading tuples in tree").
            try PostgresConnection(url).query("""
                SELECT count(*) FROM pg_stat_progress_create_index
                WHERE datname = current_database() AND phase = 'building index: loading tuples'
                """).decode(Int.self, row: 0, column: 0)
        }
        // Watched from a thread of its own: tests beside this one can hold the cooperative pool's threads for
        // seconds, which would count as the build's.
        let deadline = ContinuousClock.now + .seconds(180)
        let seen = try await DedicatedThread.run { () throws -> Int in
            while try building() == 0, ContinuousClock.now < deadline, load.isRunning { usleep(50_000) }
            return try building()
        }
        load.send(SIGTERM)
        let (_, stderr) = load.finish()
        #expect(seen > 0, "no index build seen: \(stderr)")
        let stopped = ContinuousClock.now
        let ended = try await DedicatedThread.run { () throws -> Duration in
            while try building() > 0, ContinuousClock.now - stopped < .seconds(30) { usleep(50_000) }
            return ContinuousClock.now - stopped
        }
        #expect(ended < .seconds(8), "the build went on for \(ended) after the load was stopped")
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    /// Waits until `count` sessions other than this one are connected to the database (running a statement
    /// that contains `running`, when given), waits `delay` more, and runs `action` — all on a thread of its own:
    /// tests beside this one can hold the cooperative pool's threads for longer than the run being watched lasts
    /// (a CI run saw a 20 s run end before its server was killed). Returns what `action` returned.
    static func whenSessions<T: Sendable>(
        of database: PostgresConnectionString, atLeast count: Int, running: String? = nil, after delay: TimeInterval = 0,
        _ action: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await DedicatedThread.run {
            let connection = try PostgresConnection(database)
            let deadline = ContinuousClock.now + .seconds(60)
            func sessions() throws -> Int {
                try connection.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1",
                    ["%" + (running ?? "") + "%"]
                ).decode(Int.self, row: 0, column: 0)
            }
            while try sessions() < count {
                if ContinuousClock.now > deadline { Issue.record("no \(count) sessions within 60 s"); break }
                usleep(50_000)
            }
            Thread.sleep(forTimeInterval: delay)
            return try action()
        }
    }
}

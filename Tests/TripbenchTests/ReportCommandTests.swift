import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// `run --threshold`, `report`, `compare` and `gate` as a CI job uses them: exit codes and what they name.
@Suite(.serialized) struct ReportCommandTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    @Test func anImpossibleThresholdExitsOneAndNamesTheThreshold() throws {
        let out = Self.temporary("impossible")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try TripbenchCLI.run([
            "run", "ci-smoke", "--dataset", "tiny", "--target", "index", "--out", out.path, "--quiet", "--warmup", "0s", "--duration", "1s",
            "--threshold", "vector_search:p95<1us",
        ])
        #expect(run.status == 1, "\(run.standardError)")
        #expect(run.standardError.contains("failed: index vector_search p95<1us (p95 = "), "\(run.standardError)")
        #expect(run.standardOutput.contains("**Verdict: ❌ 1 of"))
        let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("failures=\"1\"") && junit.contains("<failure type=\"threshold\" message=\"p95 = "))
        // report.json keeps the thresholds as run: `report` renders the same verdict again from it.
        try FileManager.default.removeItem(at: out.appendingPathComponent("report.md"))
        let again = try TripbenchCLI.run(["report", out.path])
        #expect(again.status == 1 && again.standardError.contains("failed: index vector_search p95<1us"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))
    }

    @Test(arguments: [
        (["run", "ci-smoke", "--target", "index", "--threshold", "vector_search:p96<1ms"], "unknown threshold metric p96"),
        (["run", "ci-smoke", "--target", "index", "--threshold", "vectr_search:p95<1ms"], "no operation vectr_search (did you mean vector_search?)"),
        (["run", "ci-smoke", "--target", "index", "--threshold", "all:qps>=10ms"], "ms is not a unit of qps"),
        (["compare", "/nonexistent/a.json", "/nonexistent/b.json"], "/nonexistent/a.json: no such report"),
        (["compare", "only-one.json"], "compare needs a baseline report and a new report"),
    ])
    func badInputExitsTwoBeforeAnythingRuns(arguments: [String], message: String) throws {
        let run = try TripbenchCLI.run(arguments)
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(message), "\(run.standardError)")
        #expect(!run.standardError.contains("Fatal error"))
    }

    /// Three real runs of a statement that sleeps: two of 4 ms (the same build twice) and one of 8 ms (an
    /// injected 2x slowdown). compare passes the first pair and flags the second; gate does the same with JUnit.
    @Test func compareFlagsATwofoldSlowdownAndPassesARepeatRun() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let work = Self.temporary("compare")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        func run(_ label: String, sleep: String) throws -> String {
            let scenario = work.appendingPathComponent("\(label).yaml")
            try """
                name: sleep
                dataset: tiny
                executor: {type: constant-vus, clients: 4}
                warmup: 1s
                duration: 3s
                operations:
                  - {name: sleep, sql: "SELECT pg_sleep(\(sleep))"}
                thresholds:
                  sleep: "p95 < 1s"
                """.write(to: scenario, atomically: true, encoding: .utf8)
            let out = work.appendingPathComponent(label).path
            let result = try TripbenchCLI.run(["run", scenario.path, "--database-url", url.raw, "--out", out, "--quiet"])
            #expect(result.status == 0, "\(result.standardError)")
            return out
        }
        let first = try run("first", sleep: "0.004")
        let second = try run("second", sleep: "0.004")
        let slower = try run("slower", sleep: "0.008")

        let same = try TripbenchCLI.run(["compare", first, second])
        #expect(same.status == 0, "\(same.standardOutput)\n\(same.standardError)")
        #expect(same.standardOutput.contains("no regression beyond 10%"))
        let slow = try TripbenchCLI.run(["compare", first, slower])
        #expect(slow.status == 1, "\(slow.standardOutput)")
        #expect(slow.standardOutput.contains("REGRESSION"))
        // Which percentiles clear the noise bar depends on this run's noise (a CI run flagged p99 only, its p50
        // within the noise measured): the operation and a latency percentile are named, whichever they are.
        #expect(slow.standardError.contains("regression") && slow.standardError.contains(": postgres sleep p"), "\(slow.standardError)")

        let gate = try TripbenchCLI.run(["gate", slower, "--baseline", first, "--baseline", second])
        #expect(gate.status == 1)
        let junit = try String(contentsOf: URL(fileURLWithPath: slower).appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("name=\"sleep: no regression against the baseline\"") && junit.contains("<failure"))
        #expect(try TripbenchCLI.run(["gate", second, "--baseline", first]).status == 0)

        // A report of another scenario is refused unless --force.
        let other = URL(fileURLWithPath: work.appendingPathComponent("other.json").path)
        let text = try String(contentsOf: URL(fileURLWithPath: first).appendingPathComponent("report.json"), encoding: .utf8)
        try text.replacingOccurrences(of: "\"name\" : \"sleep\",\n    \"operations\"", with: "\"name\" : \"elsewhere\",\n    \"operations\"")
            .write(to: other, atomically: true, encoding: .utf8)
        let refused = try TripbenchCLI.run(["compare", other.path, second])
        #expect(refused.status == 2 && refused.standardError.contains("scenario elsewhere vs sleep"), "\(refused.standardError)")
        #expect(try TripbenchCLI.run(["compare", other.path, second, "--force"]).status == 0)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }
}

import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// The server killed with SIGKILL in the middle of a run, on a cluster of the test's own: the run must not
/// pass, and its report must say for how long the server could not be reached.
@Suite(.serialized) struct ServerOutageTests {
    /// What a run against a server killed (and, when `restartAfter` is given, started again) said.
    struct Outcome {
        var status: Int32
        var standardError: String
        var report: [String: Any]
        var out: URL
        /// From the kill to the server's `db up` returning (restarts only).
        var outage: Duration?
    }

    /// Runs ci-smoke on the postgres target for 20 s against a cluster of the test's own, kills its postmaster
    /// about 2 s into the measured part (later on a loaded machine: the run's start-up after its sessions
    /// connect takes longer there), and starts it again after `restartAfter` if given.
    func runThroughAnOutage(restartAfter: Duration?, extra: [String] = []) async throws -> Outcome {
        let state = URL(fileURLWithPath: "/tmp/tripbench-outage-\(UUID().uuidString.prefix(8))")
        let environment = ["TRIPBENCH_STATE_DIR": state.path]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("outage-report-\(UUID().uuidString.prefix(8))")
        defer { _ = try? TripbenchCLI.run(["db", "destroy"], environment: environment) }
        let up = try TripbenchCLI.run(["db", "up", "--port", "55445"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        let url = up.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let load = try await DedicatedThread.run { try TripbenchCLI.run(["load", "--dataset", "tiny", "--database-url", url], environment: environment) }
        #expect(load.status == 0, "\(load.standardError)")

        let run = try TripbenchCLI.start([
            "run", "ci-smoke", "--dataset", "tiny", "--target", "postgres", "--warmup", "0s", "--duration", "20s",
            "--database-url", url, "--out", out.path, "--quiet",
        ] + extra, environment: environment)
        let pidFile = state.appendingPathComponent("data/postmaster.pid")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n")[0]))
        // The kill and the restart happen on the watching thread, so a busy test pool cannot delay them past the run.
        let outage = try await GateIntegrityTests.whenSessions(of: try PostgresConnectionString(url), atLeast: 4, after: 2) {
            () throws -> Duration? in
            #expect(run.isRunning, "the run ended before its server was killed")
            #expect(kill(pid, SIGKILL) == 0)
            let killed = ContinuousClock.now
            guard let restartAfter else { return nil }
            Thread.sleep(forTimeInterval: Double(restartAfter.components.seconds) + Double(restartAfter.components.attoseconds) * 1e-18)
            let again = try TripbenchCLI.run(["db", "up"], environment: environment)
            #expect(again.status == 0, "\(again.standardError)")
            return ContinuousClock.now - killed
        }
        let (status, stderr) = run.finish()
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Outcome(status: status, standardError: stderr, report: report, out: out, outage: outage)
    }

    @Test func aServerThatDiesMidRunFailsTheRun() async throws {
        let outcome = try await self.runThroughAnOutage(restartAfter: nil)
        let (stderr, report, out) = (outcome.standardError, outcome.report, outcome.out)
        defer { try? FileManager.default.removeItem(at: out) }
        #expect(outcome.status == 3, "\(stderr)")
        // A runtime failure (the server is unreachable), with the reports written.
        #expect(stderr.contains("unreachable"), "\(stderr)")
        let totals = try #require((report["totals"] as? [[String: Any]])?.first)
        let unreachable = try #require(totals["unreachable_seconds"] as? Double)
        #expect(unreachable > 3 && unreachable <= 20, "unreachable \(unreachable) s")
        let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("name=\"all: unreachable &lt;= 1%\"") && junit.contains("<failure type=\"check\""))
        // gate judges the report the same way.
        #expect(try TripbenchCLI.run(["gate", out.path, "--threshold", "all:error_rate<100%"]).status == 1)
    }

    /// A server that comes back: the clients reconnect, the unreachable time is the outage's, and the health
    /// figures say the counters do not cover the window instead of something false (pg_stat_statements is
    /// still installed; it was said not to be).
    @Test func aServerThatRestartsMidRunIsReportedTruthfully() async throws {
        let outcome = try await self.runThroughAnOutage(restartAfter: .seconds(1), extra: ["--threshold", "all:unreachable<90%"])
        defer { try? FileManager.default.removeItem(at: outcome.out) }
        let totals = try #require((outcome.report["totals"] as? [[String: Any]])?.first)
        let unreachable = try #require(totals["unreachable_seconds"] as? Double)
        // The outage as the test saw it, plus at most the clients' 1 s back-off (and a little slack).
        let seen = try #require(outcome.outage)
        let outage = Double(seen.components.seconds) + Double(seen.components.attoseconds) * 1e-18
        #expect(unreachable > 0.5 && unreachable < outage + 1.5, "unreachable \(unreachable) s, outage \(outage) s")
        #expect((totals["reconnects"] as? Int ?? 0) >= 4)
        let missing = try #require((outcome.report["health"] as? [String: Any])?["missing"] as? [String])
        #expect(missing.contains { $0.contains("the server restarted during the measured window") }, "\(missing)")
        #expect(!missing.contains { $0.contains("not installed") }, "\(missing)")
        #expect(outcome.status != 3, "\(outcome.standardError)")
    }
}

import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// The server killed with SIGKILL in the middle of a run, on a cluster of the test's own: the run must not
/// pass, and its report must say for how long the server could not be reached.
@Suite(.serialized) struct ServerOutageTests {
    @Test func aServerThatDiesMidRunFailsTheRun() async throws {
        let state = URL(fileURLWithPath: "/tmp/tripbench-outage-\(UUID().uuidString.prefix(8))")
        let environment = ["TRIPBENCH_STATE_DIR": state.path]
        let out = state.appendingPathComponent("report")
        defer { _ = try? TripbenchCLI.run(["db", "destroy"], environment: environment) }
        let up = try TripbenchCLI.run(["db", "up", "--port", "55445"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        let url = up.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let load = try await DedicatedThread.run { try TripbenchCLI.run(["load", "--dataset", "tiny", "--database-url", url], environment: environment) }
        #expect(load.status == 0, "\(load.standardError)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TripbenchCLI.executable)
        process.arguments = [
            "run", "ci-smoke", "--dataset", "tiny", "--target", "postgres", "--warmup", "0s", "--duration", "8s",
            "--database-url", url, "--out", out.path, "--quiet",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["TRIPBENCH_HOME": ProjectLocator.projectRoot().path, "TRIPBENCH_STATE_DIR": state.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        try await GateIntegrityTests.waitForSessions(of: try PostgresConnectionString(url), atLeast: 4)
        try await Task.sleep(for: .seconds(2))
        let pidFile = state.appendingPathComponent("data/postmaster.pid")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n")[0]))
        #expect(kill(pid, SIGKILL) == 0)
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // A runtime failure (the server is unreachable), with the reports written.
        #expect(process.terminationStatus == 3, "\(stderr)")
        #expect(stderr.contains("unreachable"), "\(stderr)")
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let totals = try #require((report["totals"] as? [[String: Any]])?.first)
        let unreachable = try #require(totals["unreachable_seconds"] as? Double)
        #expect(unreachable > 3 && unreachable <= 8, "unreachable \(unreachable) s")
        let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("name=\"all: unreachable &lt;= 1%\"") && junit.contains("<failure type=\"check\""))
        // gate judges the report the same way.
        #expect(try TripbenchCLI.run(["gate", out.path, "--threshold", "all:error_rate<100%"]).status == 1)
    }
}

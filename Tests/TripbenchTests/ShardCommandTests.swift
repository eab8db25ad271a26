import Foundation
import LocalServer
import Postgres
import Synchronization
import TestSupport
import Testing

/// `run --shard i/N --start-at` processes against one server and `tripbench merge`: the shards together send one
/// run's requests, thresholds are judged on the merge, and a shard killed mid-run makes the merged report
/// partial and the merge exit 3.
@Suite(.serialized) struct ShardCommandTests {
    static var environment: [String: String] { ["TRIPBENCH_STATE_DIR": TestServer.stateDirectory.path] }

    static let scenario = """
        name: sharded-cli
        dataset: tiny
        executor: {type: constant-arrival-rate, rate: 200, clients: 4}
        warmup: 1s
        duration: 6s
        recallSample: 0
        operations:
          - {name: preference_lookup, weight: 1}
          - {name: chat_history, weight: 1}
        thresholds:
          all: ["qps >= 150"]
        """

    /// Starts `count` shards of the scenario together; `kill` (a shard's index) is SIGKILLed 3 s into the run;
    /// with `metricsPort`, shard 0 serves its live metrics there and `scraped` gets them 3 s into the run.
    static func shards(
        _ file: URL, out: URL, count: Int, kill: Int? = nil, metricsPort: Int? = nil, scraped: ((String) -> Void)? = nil
    ) async throws -> [(status: Int32, text: String)] {
        // The dataset generated and loaded first: in a fresh clone, beside the parallel tests, the shards doing it
        // themselves (one loads, the others wait on its lock) were ready 1.3 s after a start 8 s ahead.
        let load = try await DedicatedThread.run { try TripbenchCLI.run(["load", "--dataset", "tiny"], environment: Self.environment) }
        try #require(load.status == 0, "\(load.standardError)")
        let start = String(format: "%.3f", Date().timeIntervalSince1970 + 10)
        let runs = try (0..<count).map { index in
            let metrics = index == 0 ? metricsPort.map { ["--metrics-listen", "127.0.0.1:\($0)"] } ?? [] : []
            return try TripbenchCLI.start(
                ["run", file.path, "--out", out.appendingPathComponent("shard-\(index)").path, "--quiet", "--shard", "\(index)/\(count)", "--start-at", start]
                    + metrics,
                environment: Self.environment)
        }
        if kill != nil || metricsPort != nil { try await Task.sleep(for: .seconds(13)) }
        if let kill { runs[kill].send(SIGKILL) }
        if let metricsPort, let scraped {
            scraped(LiveOutputCommandTests.fetch("http://127.0.0.1:\(metricsPort)/metrics").map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
        return try await DedicatedThread.run { runs.map { $0.finish() } }.map { ($0.status, $0.standardError) }
    }

    @Test func twoShardsSendOneRunsRequestsAndMergeIntoIt() async throws {
        _ = try await TestServer.connectionString()
        let (runs, merge, reports) = try await GateIntegrityTests.withScenario("sharded-cli", Self.scenario) { file, out in
            // The merge starts first, before the shards' directories exist, and waits for their reports (as the
            // Kubernetes merge Job does).
            let merging = try TripbenchCLI.start(
                ["merge", out.appendingPathComponent("shard-0").path, out.appendingPathComponent("shard-1").path, "--expect-shards", "2",
                 "--wait", "3m", "--grace", "1m", "--out", out.appendingPathComponent("merged").path], environment: Self.environment)
            let metrics = Mutex("")
            let port = try LiveOutputCommandTests.freePort()
            let runs = try await Self.shards(file, out: out, count: 2, metricsPort: port) { text in metrics.withLock { $0 = text } }
            let merge = try await DedicatedThread.run { merging.finish() }
            let merged = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("merged/report.json"))) as? [String: Any]
            let first = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("shard-0/report.json"))) as? [String: Any]
            return (runs, merge, (merged, first, metrics.withLock { $0 }))
        }
        let (merged, first, metrics) = reports
        // Shard 0's live figures are its share: half the offered 200/s, and a backlog of its own slots only (the
        // run's whole due count less its half sent was a backlog of hundreds).
        let samples = PrometheusText.samples(metrics)
        let labels = #"{scenario="sharded-cli",target="postgres"}"#
        #expect(samples["tripbench_offered_rate_requests_per_second\(labels)"] == 100, "\(metrics)")
        #expect((samples["tripbench_requests_unsent\(labels)"] ?? 1e9) < 20, "\(metrics)")
        // A shard keeps each second's histogram and its schedule lag's, for the merge's percentiles.
        let shardSeconds = ((first?["timeseries"] as? [[String: Any]])?.first?["seconds"] as? [[String: Any]]) ?? []
        #expect(!shardSeconds.isEmpty && shardSeconds.allSatisfy { ($0["histogram"] as? String)?.hasPrefix("HISTF") == true }, "\(shardSeconds.first ?? [:])")
        #expect((first?["histograms"] as? [[String: Any]])?.contains { $0["measure"] as? String == "schedule_lag" } == true)
        let mergedSeconds = ((merged?["timeseries"] as? [[String: Any]])?.first?["seconds"] as? [[String: Any]]) ?? []
        #expect(!mergedSeconds.isEmpty && mergedSeconds.allSatisfy { $0["histogram"] == nil && ($0["p95_us"] as? Int ?? 0) > 0 })
        // Each shard sends about 100 of the 200 requests/s: its share fails the run's qps threshold, which is not
        // its to judge; the merge's 200/s pass.
        for run in runs { #expect(run.status == 0 && run.text.contains("tripbench merge judges the run"), "\(run.text)") }
        #expect(merge.status == 0, "\(merge.standardError)")
        let shard = try #require(merged?["shard"] as? [String: Any])
        #expect(shard["indexes"] as? [Int] == [0, 1] && shard["count"] as? Int == 2 && shard["merged"] as? Bool == true, "\(shard)")
        let totals = try #require((merged?["totals"] as? [[String: Any]])?.first)
        #expect(totals["schedule_lag_us"] is [String: Any], "\(totals)")
        // 200 requests/s for 6 s: the single run's 1,200 slots, each sent by exactly one shard.
        #expect(totals["scheduled"] as? Int == 1200, "\(totals)")
        #expect((totals["count"] as? Int ?? 0) + (totals["unsent"] as? Int ?? 0) == 1200, "\(totals)")
        #expect(merged?["partial"] as? Bool == false)
    }

    @Test func aKilledShardMakesAPartialMergeThatDoesNotPass() async throws {
        _ = try await TestServer.connectionString()
        let (runs, merge) = try await GateIntegrityTests.withScenario("sharded-cli", Self.scenario) { file, out in
            let runs = try await Self.shards(file, out: out, count: 2, kill: 1)
            let merge = try await DedicatedThread.run {
                try TripbenchCLI.run(
                    ["merge", out.appendingPathComponent("shard-0").path, out.appendingPathComponent("shard-1").path,
                     "--out", out.appendingPathComponent("merged").path],
                    environment: Self.environment)
            }
            // Waiting does not outwait a lost shard: 2 s after shard 0's report, the merge goes on without shard 1.
            let clock = ContinuousClock()
            let started = clock.now
            let waited = try await DedicatedThread.run {
                try TripbenchCLI.run(
                    ["merge", out.appendingPathComponent("shard-0").path, out.appendingPathComponent("shard-1").path, "--wait", "5m", "--grace", "2s",
                     "--out", out.appendingPathComponent("waited").path],
                    environment: Self.environment)
            }
            let took = clock.now - started
            #expect(waited.status == 3 && took >= .seconds(2) && took < .seconds(60), "\(waited.status) after \(took): \(waited.standardError)")
            #expect(waited.standardError.contains("1 of 2 shards have no report 2s after the first shard's report"), "\(waited.standardError)")
            return (runs, merge)
        }
        // Foundation reports a process ended by a signal with the signal's number.
        #expect(runs[0].status == 0 && runs[1].status == SIGKILL, "\(runs.map(\.status))")
        // The killed shard's directory holds no report: missing, as shard 0's report says the run had 2.
        #expect(merge.status == 3 && merge.standardError.contains("partial: 1 of 2 shards (missing: 1/2)"), "\(merge.status): \(merge.standardError)")
        #expect(merge.standardError.contains("holds no report.json"), "\(merge.standardError)")
    }

    /// A shard ready a second or more after the common start would run on a timeline of its own: refused (3).
    @Test func aShardReadyAfterTheCommonStartIsRefused() async throws {
        _ = try await TestServer.connectionString()
        let late = String(format: "%.3f", Date().timeIntervalSince1970 - 30)
        let run = try await GateIntegrityTests.withScenario("sharded-late", Self.scenario) { file, out in
            try await DedicatedThread.run {
                try TripbenchCLI.run(
                    ["run", file.path, "--out", out.path, "--quiet", "--shard", "1/2", "--start-at", late], environment: Self.environment)
            }
        }
        #expect(run.status == 3, "\(run.status): \(run.standardError)")
        #expect(run.standardError.contains("shard 1/2 was ready") && run.standardError.contains("after --start-at"), "\(run.standardError)")
    }

    /// What a shard cannot do without upsetting the others is refused before anything runs (2).
    @Test(arguments: [
        (["--target", "both", "--shard", "0/2", "--start-at", "2030-01-01T00:00:00Z"], "--start-at starts one target's run"),
        (["--cache", "cold", "--shard", "0/2"], "--cache cold restarts the server, under the other shards' connections"),
    ])
    func whatAShardCannotDoIsRefused(arguments: [String], message: String) async throws {
        let run = try await GateIntegrityTests.withScenario("sharded-refused", Self.scenario) { file, out in
            try await DedicatedThread.run {
                try TripbenchCLI.run(["run", file.path, "--out", out.path, "--quiet"] + arguments, environment: Self.environment)
            }
        }
        #expect(run.status == 2 && run.standardError.contains(message), "\(run.status): \(run.standardError)")
    }

    @Test(arguments: [
        (["--wait", "soon"], "--wait must be a duration such as 500ms, 30s or 2m"),
        (["--wait", "1m", "--grace", "later"], "--grace must be a duration"),
    ])
    func aMergesBadWaitIsRefused(arguments: [String], message: String) throws {
        let merge = try TripbenchCLI.run(["merge", "/nonexistent/shard-0"] + arguments, environment: Self.environment)
        #expect(merge.status == 2 && merge.standardError.contains(message), "\(merge.status): \(merge.standardError)")
    }
}

import Foundation
import LocalServer
import TestSupport
import Testing

/// `tripbench stages` as CI runs it: the scenario's thresholds (and --threshold) held at every stage, a failure
/// in stages.md and junit.xml, and exit 1.
@Suite struct StagesCommandTests {
    static let scenario = """
        name: stages-cli
        dataset: tiny
        target: index
        memoryRows: 50%
        executor: {type: constant-arrival-rate, rate: 50, clients: 2}
        recallSample: 0
        index: {m: 16, efConstruction: 64, efSearch: 100}
        operations:
          - {name: vector_search, weight: 1, filter: none}
          - {name: insert_memory, rate: 400, clients: 2, timeToSearchable: {sample: 0.5, poll: 5ms, timeout: 2s}}
        runbook:
          checkpointQueries: 50
          stages: [{insert: 10%}, {insert: 10%}]
        thresholds:
          vector_search: "recall_at_stage >= 0.5"
          time_to_searchable: "p95 < 10s"
        """

    @Test func aThresholdFailedAtOneStageFailsTheCommand() async throws {
        try await GateIntegrityTests.withScenario("stages", Self.scenario) { file, out in
            let run = try TripbenchCLI.run(["stages", file.path, "--out", out.path, "--quiet", "--threshold", "insert_memory:p95<1us"])
            #expect(run.status == 1, "\(run.standardError)")
            let markdown = try String(contentsOf: out.appendingPathComponent("stages.md"), encoding: .utf8)
            #expect(markdown.contains("## Thresholds, held at every stage"), "\(markdown)")
            #expect(markdown.contains("recall_at_stage >= 0.5") && markdown.contains("❌"))
            let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
            #expect(junit.contains("<testsuite name=\"tripbench.stages-cli.index\" tests=\"4\" failures=\"1\""), "\(junit)")
            #expect(junit.contains("name=\"insert_memory: p95&lt;1us\""), "\(junit)")
            #expect(junit.contains("fails at stages 1, 2"))
            // Without the impossible threshold the same runbook passes.
            let passing = try TripbenchCLI.run(["stages", file.path, "--out", out.path, "--quiet"])
            #expect(passing.status == 0, "\(passing.standardError)")
        }
    }
}

import Reporting
import Results
import Testing
import Workload

/// A runbook's thresholds held at every stage: the worst stage decides, recall comes from the checkpoints,
/// what a target does not serve does not apply, and a runbook cut short fails its completion check.
@Suite struct StageVerdictTests {
    static func operation(_ name: String, kind: String? = nil, p95: UInt64, count: Int = 100, errors: Int = 0, recall: Double? = nil) -> OperationReport {
        var histogram = LatencyHistogram()
        for _ in 0..<count { histogram.record(micros: p95) }
        return OperationReport(
            target: "postgres", operation: name, kind: kind ?? name, count: count, errors: errors, errorsByKind: errors > 0 ? ["timeout": errors] : [:],
            qps: Double(count) / 10, rows: count, rowsPerRequest: 1, latencyUs: LatencySummary(histogram),
            recall: recall.map { RecallSummary(mean: $0, min: $0, samples: 100, k: 10) })
    }

    /// Three stages whose insert P95 is 10, 40 and 25 ms and whose checkpoint recall is 0.99, 0.97, 0.93.
    static func results(complete: Bool = true, thresholds: [(String, String)]) throws -> StageResults {
        var results = StageResults(scenario: "s", scenarioFile: "s.yaml", dataset: "tiny-1", datasetChecksum: "x", datasetRows: 2000)
        results.complete = complete
        results.targets = [.postgres]
        results.plannedStages = 3
        results.thresholds = thresholds.map { operation, condition in try! Threshold.parse(condition, operation: operation).get() }
        for (stage, (insertP95, recall)) in [(0, (nil as UInt64?, 0.99)), (1, (10_000, 0.97)), (2, (40_000, 0.93)), (3, (25_000, 0.98))].prefix(complete ? 4 : 2) {
            let checkpoint = [Self.operation("vector_search", p95: 900, recall: recall), Self.operation("vector_search (unfiltered)", kind: "vector_search", p95: 800, recall: recall + 0.01)]
            var result = StageResult(target: .postgres, stage: stage, rows: 0..<1000, inserted: 0, deleted: 0, checkpoint: checkpoint)
            if let insertP95 {
                result.operations = [Self.operation("vector_search", p95: 5_000), Self.operation("insert_memory", p95: insertP95, count: 200, errors: stage == 2 ? 2 : 0)]
            }
            results.stages.append(result)
        }
        return results
    }

    @Test func theWorstStageDecides() throws {
        let results = try Self.results(thresholds: [
            ("insert_memory", "p95 < 30ms"), ("insert_memory", "p95 < 50ms"), ("vector_search", "recall_at_stage >= 0.95"),
            ("all", "recall_at_stage >= 0.9"), ("insert_memory", "error_rate < 0.5%"),
        ])
        let outcomes = StageVerdict.evaluate(results)
        func outcome(_ expression: String, _ operation: String = "insert_memory") throws -> ThresholdOutcome {
            try #require(outcomes.first { $0.threshold.expression == expression && $0.threshold.operation == operation })
        }
        let tight = try outcome("p95 < 30ms")
        #expect(tight.status == .failed && tight.measured == 40_000 && tight.detail.contains("at stage 2") && tight.detail.contains("fails at stage 2"), "\(tight.detail)")
        #expect(try outcome("p95 < 50ms").status == .passed)
        // Recall from every checkpoint, stage 0 included: the lowest is stage 2's.
        let recall = try outcome("recall_at_stage >= 0.95", "vector_search")
        #expect(recall.status == .failed && recall.measured == 0.93)
        #expect(try outcome("recall_at_stage >= 0.9", "all").status == .passed)
        // 2 errors in 200 at stage 2 is 1 %.
        #expect(try outcome("error_rate < 0.5%").status == .failed)
        #expect(outcomes.last?.threshold.metric == .completed && outcomes.last?.status == .passed)
    }

    @Test func aRunbookCutShortFailsAndLatenciesOfAllDoNotApply() throws {
        let results = try Self.results(complete: false, thresholds: [("all", "p95 < 1s"), ("insert_memory", "p95 < 1s")])
        let outcomes = StageVerdict.evaluate(results)
        #expect(outcomes.first { $0.threshold.operation == "all" && $0.threshold.metric == .p95 }?.status == .notApplicable)
        #expect(outcomes.first { $0.threshold.operation == "insert_memory" }?.status == .passed)
        let completed = try #require(outcomes.last)
        #expect(completed.status == .failed && completed.detail.contains("1 of 3 stages ran"), "\(completed.detail)")
        #expect(!ThresholdVerdict.passed(outcomes))
    }
}

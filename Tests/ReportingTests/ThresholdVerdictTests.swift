import Reporting
import Testing
import Workload

@Suite struct ThresholdVerdictTests {
    @Test func latencyLimitsPassAndFailOnTheMeasuredPercentile() {
        let report = ReportFixture.report(thresholds: ["vector_search": ["p95 < 100ms", "p50 < 1ms"]])
        let outcomes = ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)
        let byExpression = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.threshold.expression, $0) })
        #expect(byExpression["p95 < 100ms"]?.status == .passed)
        let failed = byExpression["p50 < 1ms"]
        #expect(failed?.status == .failed)
        // The message carries the measured value and the limit.
        #expect(failed?.detail.contains("p50 = 4.") == true && failed?.detail.contains("limit < 1.0ms") == true, "\(failed?.detail ?? "")")
        #expect(!ThresholdVerdict.passed(outcomes))
    }

    @Test func allMergesEveryOperationsHistogram() throws {
        let report = ReportFixture.report(thresholds: ["all": ["p50 < 3ms", "qps >= 400", "error_rate < 0.1%"]])
        let outcomes = ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)
        // Half the requests take ~0.8 ms and half ~4 ms: the merged median sits between, not at either.
        let median = try #require(outcomes.first { $0.threshold.metric == .p50 }?.measured)
        #expect(median > 800 && median < 4800)
        #expect(outcomes.first { $0.threshold.metric == .qps }?.measured == 400)
        // 4 errors in 4000 requests is 0.1 %: not below 0.1 %.
        #expect(outcomes.first { $0.threshold.metric == .errorRate }?.status == .failed)
    }

    @Test func recallFloorAndUnmeasuredRecall() {
        let report = ReportFixture.report(thresholds: ["vector_search": ["recall >= 0.95"], "chat_history": ["recall >= 0.9"]])
        let outcomes = ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)
        #expect(outcomes.first { $0.threshold.operation == "vector_search" }?.status == .passed)
        let missing = outcomes.first { $0.threshold.operation == "chat_history" }
        #expect(missing?.status == .failed && missing?.detail == "recall was not measured")
    }

    @Test func theIndexTargetSkipsWhatItDoesNotServe() {
        var operations = ReportFixture.mixed
        operations[1].unsupported = true
        let report = ReportFixture.report(target: "both", operations: operations, thresholds: ["chat_history": ["p95 < 75ms"], "all": ["qps >= 100"]])
        let outcomes = ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)
        #expect(outcomes.count == 4)
        #expect(outcomes.filter { $0.target == "index" }.allSatisfy { $0.status == .notApplicable })
        #expect(outcomes.filter { $0.target == "postgres" }.allSatisfy { $0.status == .passed })
        #expect(ThresholdVerdict.passed(outcomes))
    }

    @Test(arguments: [
        ("vector_serch:p95<100ms", "no operation vector_serch (did you mean vector_search?)"),
        ("vector_search:pp95<100ms", "unknown threshold metric pp95 (did you mean p95?)"),
        ("vector_search:p95<100kg", "is not `metric < value`"),
        ("all:qps>=471ms", "ms is not a unit of qps"),
        ("p95<100ms", "is not operation:condition"),
    ])
    func commandLineThresholdsAreCheckedAgainstTheRun(text: String, message: String) {
        switch Threshold.parse(qualified: text, operations: ["vector_search", "chat_history"]) {
        case .success(let threshold): Issue.record("accepted \(threshold)")
        case .failure(let error): #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func commandLineThresholdsParse() throws {
        let threshold = try Threshold.parse(qualified: "all:qps>=471", operations: ["vector_search"]).get()
        #expect(threshold.operation == "all" && threshold.metric == .qps && threshold.comparison == .greaterOrEqual && threshold.value == 471)
        let latency = try Threshold.parse(qualified: "vector_search: p95 < 0.1s", operations: ["vector_search"]).get()
        #expect(latency.value == 100_000)
    }
}

import Reporting
import Results
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
        // Two thresholds and two checks (completed, unreachable) per target.
        #expect(outcomes.count == 8)
        #expect(outcomes.filter { $0.target == "index" && $0.threshold.metric != .completed }.allSatisfy { $0.status == .notApplicable })
        #expect(outcomes.filter { $0.target == "postgres" }.allSatisfy { $0.status == .passed })
        #expect(ThresholdVerdict.passed(outcomes))
    }

    /// An open loop's requests that came due and were never sent count as failed in error_rate.
    @Test func unsentRequestsAreErrors() throws {
        var report = ReportFixture.report(thresholds: ["all": ["error_rate < 1%"], "vector_search": ["error_rate < 1%"]])
        report.operations[0].unsent = 3000
        report.totals[0].unsent = 3000
        let outcomes = ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)
        // vector_search: 3,000 unsent of 5,000 due; all: 3,004 of 7,000.
        let search = try #require(outcomes.first { $0.threshold.operation == "vector_search" })
        #expect(search.status == .failed && search.measured == 0.6)
        let all = try #require(outcomes.first { $0.threshold.operation == "all" && $0.threshold.metric == .errorRate })
        #expect(all.status == .failed && abs(all.measured! - 3004.0 / 7000) < 1e-12)
    }

    /// A server unreachable for more than 1 % of the measured time fails the run, unless a threshold on
    /// `unreachable` allows more; the in-process index has no server.
    @Test func anUnreachableServerFailsTheRunUnlessAllowed() throws {
        var report = ReportFixture.report(target: "both")
        report.totals[0].unreachableSeconds = 0.05
        var outcomes = ThresholdVerdict.evaluate([], in: report)
        #expect(ThresholdVerdict.passed(outcomes))
        report.totals[0].unreachableSeconds = 6.9
        outcomes = ThresholdVerdict.evaluate([], in: report)
        let failed = try #require(outcomes.first { $0.status == .failed })
        #expect(failed.target == "postgres" && failed.threshold.metric == .unreachable && failed.detail == "unreachable = 69.00%, limit <= 1.00%")
        #expect(outcomes.first { $0.target == "index" && $0.threshold.metric == .unreachable }?.status == .notApplicable)
        let allowed = try Threshold.parse("unreachable < 70%", operation: "all").get()
        #expect(ThresholdVerdict.passed(ThresholdVerdict.evaluate([allowed], in: report)))
    }

    /// Under row-level security one row of another user fails the run, and no threshold loosens that.
    @Test func aForeignRowFailsWhateverTheThresholds() throws {
        var report = ReportFixture.report()
        report.scenario.rowLevelSecurity = true
        report.operations[1].foreignRows = 0
        report.operations[1].rowLevelSecurityAudit = RowLevelSecurityCheck(requests: 50, crossUserRequests: 25, rows: 120, foreignRows: 0)
        #expect(ThresholdVerdict.passed(ThresholdVerdict.evaluate([], in: report)))
        report.operations[1].rowLevelSecurityAudit?.foreignRows = 2
        let loose = try Threshold.parse("foreign_rows < 1000", operation: "all").get()
        let outcomes = ThresholdVerdict.evaluate([loose], in: report)
        #expect(!ThresholdVerdict.passed(outcomes))
        #expect(outcomes.first { $0.status == .failed }?.detail == "foreign_rows = 2, limit < 1")
    }

    /// A partial run fails `completed` with the share that ran; a target that never ran fails every threshold.
    @Test func aPartialRunAndATargetThatNeverRanFail() throws {
        var report = ReportFixture.report(target: "both", thresholds: ["all": ["qps >= 1"]])
        report.partial = true
        report.totals[0].measuredSeconds = 4
        report.totals.removeLast()
        report.operations.removeAll { $0.target == "index" }
        let outcomes = ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)
        let completed = try #require(outcomes.first { $0.target == "postgres" && $0.threshold.metric == .completed })
        #expect(completed.status == .failed && completed.measured == 0.4)
        let index = outcomes.filter { $0.target == "index" }
        #expect(index.count == 3 && index.allSatisfy { $0.status == .failed && $0.detail == "index did not run: the run was stopped before it" })
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

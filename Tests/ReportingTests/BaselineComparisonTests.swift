import Foundation
import Reporting
import Results
import Testing

@Suite struct BaselineComparisonTests {
    @Test func aRunComparedWithARunOfTheSameBuildPasses() throws {
        // The same workload, drawn with another seed: sampling noise only.
        let comparison = try BaselineComparison.compare(
            baselines: [ReportFixture.report(seed: 1)], new: ReportFixture.report(seed: 2), maxRegression: 0.10, force: false)
        #expect(comparison.regressions.isEmpty, "\(comparison.regressions.map(ComparisonText.describe))")
        #expect(comparison.rows.count == 2 * 5 + 1)
    }

    /// A new run that lost the baseline's operations (renamed, removed, never served) regresses; it does not pass.
    @Test func operationsMissingFromTheNewRunAreRegressions() throws {
        var new = ReportFixture.report(seed: 2)
        new.operations.removeAll { $0.operation == "chat_history" }
        let one = try BaselineComparison.compare(baselines: [ReportFixture.report(seed: 1)], new: new, maxRegression: 0.10, force: false)
        #expect(one.regressions.map(\.operation) == ["chat_history"] && one.regressions.first?.new == 0)
        new.operations.removeAll()
        let none = try BaselineComparison.compare(baselines: [ReportFixture.report(seed: 1)], new: new, maxRegression: 0.10, force: false)
        #expect(Set(none.regressions.map(\.operation)) == ["vector_search", "chat_history"])
        #expect(none.warnings.contains("postgres vector_search is in the baseline but the new run did not measure it"))
    }

    @Test func anInjectedTwofoldSlowdownIsFlagged() throws {
        let comparison = try BaselineComparison.compare(
            baselines: [ReportFixture.report(seed: 1)], new: ReportFixture.report(scale: 2, seed: 2), maxRegression: 0.10, force: false)
        let flagged = Set(comparison.regressions.map { "\($0.operation) \($0.metric.rawValue)" })
        #expect(flagged == ["vector_search p50", "vector_search p95", "vector_search p99", "chat_history p50", "chat_history p95", "chat_history p99"])
        let p95 = try #require(comparison.regressions.first { $0.operation == "vector_search" && $0.metric == .p95 })
        #expect(p95.worse > 0.9 && p95.worse < 1.1)
        #expect(ComparisonText.describe(p95).hasPrefix("p95 "))
        #expect(ComparisonText.describe(p95).hasSuffix("worse; tolerance 10.0%, noise \(String(format: "%.1f", p95.noise * 100))%): regression"))
    }

    @Test func aSpeedUpIsAnImprovementNotARegression() throws {
        let comparison = try BaselineComparison.compare(
            baselines: [ReportFixture.report()], new: ReportFixture.report(scale: 0.5), maxRegression: 0.10, force: false)
        #expect(comparison.regressions.isEmpty)
        #expect(comparison.rows.filter { $0.status == .improvement }.count == 6)
    }

    @Test func aSlowdownWithinTheToleranceOrTheNoisePasses() throws {
        let within = try BaselineComparison.compare(
            baselines: [ReportFixture.report()], new: ReportFixture.report(scale: 1.05), maxRegression: 0.10, force: false)
        #expect(within.regressions.isEmpty)
        // Baselines that themselves differ by 30 % make a 20 % change noise.
        let noisy = try BaselineComparison.compare(
            baselines: [ReportFixture.report(scale: 0.85), ReportFixture.report(scale: 1.0), ReportFixture.report(scale: 1.15)],
            new: ReportFixture.report(scale: 1.2), maxRegression: 0.10, force: false)
        #expect(noisy.regressions.isEmpty, "\(noisy.regressions.map(ComparisonText.describe))")
        let beyond = try BaselineComparison.compare(
            baselines: [ReportFixture.report(scale: 0.85), ReportFixture.report(scale: 1.0), ReportFixture.report(scale: 1.15)],
            new: ReportFixture.report(scale: 1.6), maxRegression: 0.10, force: false)
        #expect(!beyond.regressions.isEmpty)
    }

    @Test func reportsOfDifferentScenariosAreRefusedUnlessForced() throws {
        let error = #expect(throws: ReportingError.self) {
            try BaselineComparison.compare(
                baselines: [ReportFixture.report(name: "a")], new: ReportFixture.report(name: "b"), maxRegression: 0.1, force: false)
        }
        #expect(error?.kind == .badInput)
        #expect(error?.message.contains("scenario a vs b") == true && error?.message.contains("--force") == true)
        let forced = try BaselineComparison.compare(
            baselines: [ReportFixture.report(name: "a")], new: ReportFixture.report(name: "b"), maxRegression: 0.1, force: true)
        #expect(forced.warnings.contains { $0.contains("not comparable") })
    }

    @Test func recallDropsAreMeasuredInPoints() throws {
        var lower = ReportFixture.mixed
        lower[0].recall = 0.90
        let comparison = try BaselineComparison.compare(
            baselines: [ReportFixture.report()], new: ReportFixture.report(operations: lower), maxRegression: 0.10, force: false)
        let recall = try #require(comparison.rows.first { $0.metric == .recall })
        #expect(abs(recall.worse - 0.07) < 1e-9 && recall.status == .regression)
    }
}

import Foundation
import Testing
@testable import Reporting
@testable import Results

/// The Pareto front, the recommendation and the prediction table on sweep results made in memory.
struct SweepAnalysisTests {
    static func point(_ target: TargetKind, m: Int, efc: Int = 64, ef: Int, recall: Double, qps: Double, p95: Double = 2000, plan: String? = nil) -> PointResult {
        PointResult(
            target: target, build: BuildKey(m: m, efConstruction: efc), efSearch: ef, recall: recall, qps1: qps / 2, qpsAll: qps,
            p50Us: p95 / 2, p95Us: p95, p99Us: p95 * 1.5, plan: plan, filtered: nil)
    }

    static func results(_ points: [PointResult], builds: [BuildResult] = []) -> SweepResults {
        let latency = Threshold(operation: "vector_search", metric: .p95, comparison: .less, value: 10_000, expression: "p95 < 10ms")
        return SweepResults(
            name: "unit", description: "", file: "unit.yaml",
            grid: .init(m: Array(Set(points.map(\.build.m))).sorted(), efConstruction: [64], efSearch: Array(Set(points.map(\.efSearch))).sorted()),
            targets: Array(Set(points.map(\.target))).sorted { $0.rawValue > $1.rawValue }, recallFloor: 0.95, latencyTarget: latency,
            conditions: SweepConditions(dataset: "tiny-1", datasetChecksum: "abc", k: 10, queries: 100, clients: 2, filtered: false, settings: [], database: nil),
            builds: builds, points: points, complete: true, environment: nil)
    }

    @Test func theFrontKeepsOnlyPointsNoOtherBeatsOnBoth() {
        let points = [
            Self.point(.index, m: 8, ef: 10, recall: 0.80, qps: 9000),
            Self.point(.index, m: 8, ef: 40, recall: 0.95, qps: 5000),
            Self.point(.index, m: 16, ef: 10, recall: 0.85, qps: 4000),  // beaten by m 8 ef 40
            Self.point(.index, m: 16, ef: 40, recall: 0.99, qps: 3000),
            Self.point(.index, m: 16, ef: 80, recall: 0.99, qps: 2000),  // same recall, slower
        ]
        let front = SweepAnalysis.paretoFront(points).map { "\($0.build.m)/\($0.efSearch)" }
        #expect(front == ["8/10", "8/40", "16/40"])
    }

    @Test func theRecommendationIsTheFastestQualifyingAndATieGoesToTheSmallerIndex() throws {
        let points = [
            Self.point(.index, m: 8, ef: 10, recall: 0.90, qps: 9000),  // below the floor
            Self.point(.index, m: 8, ef: 40, recall: 0.96, qps: 5000),
            Self.point(.index, m: 16, ef: 40, recall: 0.99, qps: 5100),  // 2 % faster: a tie, but a bigger index
            Self.point(.index, m: 16, ef: 80, recall: 0.995, qps: 4000),
            Self.point(.index, m: 32, ef: 20, recall: 0.99, qps: 8000, p95: 20_000),  // misses the latency target
        ]
        let builds = [8, 16, 32].map { BuildResult(target: .index, build: BuildKey(m: $0, efConstruction: 64), buildSeconds: Double($0), indexBytes: $0 << 20) }
        let recommendation = try #require(SweepAnalysis(Self.results(points, builds: builds)).recommendations.first)
        #expect(recommendation.eligible == 3)
        #expect(recommendation.choice?.build.m == 8 && recommendation.choice?.efSearch == 40)
        // The runner-up is another build.
        #expect(recommendation.runnerUp?.build.m == 16 && recommendation.runnerUp?.efSearch == 40)
    }

    @Test func pgvectorPointsAnsweredWithoutTheIndexAreNotRecommended() throws {
        let points = [
            Self.point(.postgres, m: 8, ef: 40, recall: 0.96, qps: 500, plan: "hnsw"),
            Self.point(.postgres, m: 8, ef: 200, recall: 1.0, qps: 900, plan: "seq_scan"),
        ]
        let analysis = SweepAnalysis(Self.results(points))
        #expect(analysis.recommendations.first?.choice?.efSearch == 40)
        #expect(analysis.fronts[.postgres]?.map(\.efSearch) == [40])
    }

    @Test func nothingQualifyingSaysSoAndNamesTheBestRecall() throws {
        let analysis = SweepAnalysis(Self.results([Self.point(.index, m: 8, ef: 10, recall: 0.80, qps: 9000)]))
        let recommendation = try #require(analysis.recommendations.first)
        #expect(recommendation.choice == nil)
        #expect(recommendation.reason.contains("no configuration meets recall@10 ≥ 0.95") && recommendation.reason.contains("0.8000"))
        #expect(SweepReport.markdown(analysis).contains("**❌ in-process: no configuration qualifies**"))
    }

    @Test func thePredictionPairsTheSameParametersOnBothTargets() throws {
        let points = [
            Self.point(.index, m: 8, ef: 10, recall: 0.80, qps: 9000), Self.point(.postgres, m: 8, ef: 10, recall: 0.85, qps: 900),
            Self.point(.index, m: 8, ef: 40, recall: 0.95, qps: 5000), Self.point(.postgres, m: 8, ef: 40, recall: 0.96, qps: 600),
            Self.point(.index, m: 8, ef: 80, recall: 0.99, qps: 3000), Self.point(.postgres, m: 8, ef: 80, recall: 0.99, qps: 400),
        ]
        let prediction = try #require(SweepAnalysis(Self.results(points)).prediction)
        #expect(prediction.rows.count == 3)
        #expect(abs(prediction.meanRecallGap - 0.02) < 1e-9 && abs(prediction.maxRecallGap - 0.05) < 1e-9)
        #expect(prediction.recallRankCorrelation == 1 && prediction.speedRankCorrelation == 1)
        #expect(abs(prediction.rows[0].speedRatio - 0.1) < 1e-9)
        #expect(SweepAnalysis.Prediction.spearman([1, 2, 3], [3, 2, 1]) == -1)
    }

    @Test func theHTMLHasOneChartPerTargetWithItsFront() {
        let points = [
            Self.point(.index, m: 8, ef: 10, recall: 0.80, qps: 9000), Self.point(.index, m: 8, ef: 40, recall: 0.96, qps: 5000),
            Self.point(.postgres, m: 8, ef: 10, recall: 0.85, qps: 900), Self.point(.postgres, m: 8, ef: 40, recall: 0.97, qps: 600),
        ]
        let html = SweepReport.html(SweepAnalysis(Self.results(points)))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.components(separatedBy: ">Pareto front<").count - 1 == 2)
        #expect(html.contains("How well the in-process index predicts pgvector") && html.contains("class=\"chosen\""))
    }
}

import Foundation
import Testing
@testable import Reporting
@testable import Results

/// What a scale study's report concludes, on the figures of the study measured on this machine (50k to 1M of
/// `large`, vector_search p95<100ms at 471/s): the one-sentence answer, where the index passed shared_buffers,
/// and whether the largest size's requests were slow on their own.
@Suite struct ScaleReportTests {
    static let objective = CapacityObjective(
        latency: Threshold(operation: "vector_search", metric: .p95, comparison: .less, value: 100_000, expression: "p95<100ms"), maxErrorRate: 0.001)

    /// A size: its index size and its search's steps as (offered/s, p95 ms, p50 ms, stopped early, passed).
    static func point(_ rows: Int, indexBytes: Int64, steps: [(Double, Double, Double, Bool, Bool)]) -> ScalePoint {
        let measured = steps.map { offered, p95, p50, stopped, passed in
            var step = CapacityStep(
                offeredRate: offered, achievedRate: offered, latencyUs: p95 * 1000, p50Us: p50 * 1000, errorRate: 0, seconds: stopped ? 3 : 15,
                stoppedEarly: stopped)
            step.passed = passed
            return step
        }
        let passing = measured.filter(\.passed).map(\.offeredRate).max()
        let outcome = CapacityOutcome(
            steps: measured, sustainableRate: passing, lowestFailingRate: measured.filter { !$0.passed }.map(\.offeredRate).min(), interrupted: false,
            objective: Self.objective)
        var point = ScalePoint(rows: rows, addedRows: rows, targets: [.init(target: .postgres, outcome: outcome, indexBuildSeconds: nil)])
        point.sizes = DatabaseHealth.DataSizes(
            embeddingsHeapBytes: 0, embeddingsToastBytes: indexBytes, hnswIndexBytes: indexBytes, otherIndexBytes: 0, databaseBytes: 2 * indexBytes,
            sharedBuffersBytes: 1 << 30, effectiveCacheSizeBytes: 4 << 30)
        return point
    }

    static func study(largest: ScalePoint) -> ScaleResults {
        var results = ScaleResults(
            scenario: "tripsage-mixed", scenarioFile: "scenarios/tripsage-mixed.yaml", dataset: "large-1", datasetChecksum: "fd5a49ea5a3463dc",
            dimension: 1536, sizes: [50_000, 100_000, 250_000, 1_000_000], hnsw: nil, objective: Self.objective, targetRate: 471, clients: 16,
            stepSeconds: 15, warmupSeconds: 3, rateGrowth: 2, precision: 0.1, memoryBytes: 24 << 30)
        results.points = [
            Self.point(50_000, indexBytes: 409_608_192, steps: [(471, 17.0, 0.6, false, true), (942, 359.9, 110.6, true, false), (883, 89.2, 3.4, false, true)]),
            Self.point(100_000, indexBytes: 819_208_192, steps: [(471, 31.9, 1.0, false, true), (942, 1870, 1700, true, false), (589, 51.9, 2.0, false, true)]),
            Self.point(250_000, indexBytes: 2_048_008_192, steps: [(471, 2680, 2150, true, false), (236, 81.0, 2.4, false, true), (250, 268.5, 17.1, true, false)]),
            largest,
        ]
        return results
    }

    /// 1M as measured: slow even at 4 and 7 requests/s, where nothing queues.
    static let slowAlone = Self.point(
        1_000_000, indexBytes: 8_192_008_192,
        steps: [(471, 13_580, 12_690, true, false), (15, 192.6, 4.3, true, false), (7, 181.6, 6.0, false, false), (4, 72.6, 12.2, false, true)])

    @Test func theAnswerNamesTheLastSizeThatHeldAndTheCrossingOfSharedBuffers() {
        let results = Self.study(largest: Self.slowAlone)
        let answer = ScaleReport.answer(results, target: .postgres)
        #expect(!answer.good)
        #expect(answer.text.contains("holds up to 100,000 embeddings") && answer.text.contains("at 250,000 it sustains 236 requests/s"), "\(answer.text)")
        // 1 GiB lies between 100k (0.82 GB) and 250k (2.05 GB): about 130k, interpolated.
        #expect(ScaleReport.crossings(results).first == "The HNSW index passed shared_buffers (1.0 GB) at about 130k embeddings.", "\(ScaleReport.crossings(results))")
    }

    @Test func aSizeWhoseRequestsAreSlowWithoutAQueueIsSaidToBe() {
        let lines = ScaleReport.latencyFloor(Self.study(largest: Self.slowAlone))
        #expect(lines.count == 1)
        let line = lines.first ?? ""
        #expect(line.hasPrefix("At 1,000,000 embeddings vector_search is slow on its own"), "\(line)")
        // The lowest full step and the worst quiet one; the stopped 15/s step is not a measurement of a whole step.
        #expect(line.contains("at 4 requests/s p95 72.6ms (P50 12.2ms), at 7 requests/s p95 181.6ms (P50 6.0ms) against the objective's 100.0ms"), "\(line)")
        #expect(ScaleReport.markdown(Self.study(largest: Self.slowAlone)).contains("is slow on its own"))
    }

    @Test func aSizeThatOnlyQueuesIsNotCalledSlowOnItsOwn() {
        // 1M fast at low rates (a queue at high ones): the largest failing size has no floor to report.
        let queued = Self.point(1_000_000, indexBytes: 8_192_008_192, steps: [(471, 900, 500, true, false), (40, 9.0, 2.0, false, true), (60, 12.0, 2.5, false, true)])
        #expect(ScaleReport.latencyFloor(Self.study(largest: queued)).isEmpty)
        // No step at a tenth of the target rate or below: nothing was measured without a queue.
        let busy = Self.point(1_000_000, indexBytes: 8_192_008_192, steps: [(471, 900, 500, true, false), (236, 150, 90, false, false)])
        #expect(ScaleReport.latencyFloor(Self.study(largest: busy)).isEmpty)
    }
}

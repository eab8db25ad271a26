import Foundation
@testable import LiveOutputs
import Results
import TestSupport
import Testing
import Workload

/// The exposition's figures from known seconds: counters add up, buckets are cumulative and end at the count,
/// gauges follow the run.
@Suite struct PrometheusExporterTests {
    static func second(_ index: Int, latencies: [[UInt64]], errors: [[String]] = [], sent: (Int, Int)? = nil) -> LiveSecond {
        var metrics = SecondMetrics()
        metrics.operations = latencies.enumerated().map { operation, values in
            var second = OperationSecond()
            for value in values { second.latency.record(micros: value) }
            second.count = values.count
            for kind in operation < errors.count ? errors[operation] : [] { second.errors[kind, default: 0] += 1 }
            return second
        }
        return LiveSecond(second: index, metrics: metrics, sent: sent)
    }

    @Test func countersBucketsAndGaugesFollowTheSeconds() {
        let exporter = PrometheusExporter()
        let run = LiveRun(
            scenario: "unit \"mix\"", target: .postgres, operations: ["vector_search", "chat_history"], offeredRate: 100,
            measureStart: 1_700_000_000, dueAfter: { Int($0 * 100) })
        exporter.begin(run)
        exporter.phase(.measuring, of: run)
        exporter.second(Self.second(0, latencies: [[900, 1_000, 120_000], [50]], errors: [["timeout"]], sent: (90, 85)), of: run)
        exporter.second(Self.second(1, latencies: [[2_000, 2_900_000], []], sent: (150, 140)), of: run)
        let text = exporter.render()
        let samples = PrometheusText.samples(text)
        let labels = #"scenario="unit \"mix\"",target="postgres""#
        #expect(samples["tripbench_requests_total{\(labels),operation=\"vector_search\"}"] == 5)
        #expect(samples["tripbench_requests_total{\(labels),operation=\"chat_history\"}"] == 1)
        #expect(samples["tripbench_request_errors_total{\(labels),operation=\"vector_search\",kind=\"timeout\"}"] == 1)
        let bucket = { (le: String) in samples["tripbench_request_duration_seconds_bucket{\(labels),operation=\"vector_search\",le=\"\(le)\"}"] }
        // 900 µs and 1 ms at or below 0.001 s; 2 ms at 0.002; 120 ms between 0.1 and 0.125; 2.9 s at 3.
        #expect(bucket("0.0009") == 1 && bucket("0.001") == 2 && bucket("0.002") == 3)
        #expect(bucket("0.1") == 3 && bucket("0.125") == 4 && bucket("2.5") == 4 && bucket("3") == 5 && bucket("+Inf") == 5)
        #expect(samples["tripbench_request_duration_seconds_count{\(labels),operation=\"vector_search\"}"] == 5)
        let sum = samples["tripbench_request_duration_seconds_sum{\(labels),operation=\"vector_search\"}"] ?? 0
        #expect(abs(sum - 3.0239) < 0.01, "sum \(sum)")
        #expect(samples["tripbench_requests_in_flight{\(labels)}"] == 10)
        #expect(samples["tripbench_requests_unsent{\(labels)}"] == 50)
        #expect(samples["tripbench_offered_rate_requests_per_second{\(labels)}"] == 100)
        #expect(samples["tripbench_run_phase{\(labels),phase=\"measuring\"}"] == 1)
        #expect(samples["tripbench_run_phase{\(labels),phase=\"warmup\"}"] == 0)
        #expect(!text.contains("tripbench_recall{"))
        // Every histogram's buckets never decrease.
        var previous = -1.0
        for bound in PrometheusExporter.bounds {
            let value = bucket(PrometheusExporter.format(bound)) ?? -1
            #expect(value >= previous, "le \(bound): \(value) after \(previous)")
            previous = value
        }
    }

    @Test func boundsAreFineNearTheTargets() {
        let bounds = PrometheusExporter.bounds
        #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $1 > $0 && $1 / $0 <= 1.34 })
        for target in [0.05, 0.075, 0.1, 0.2] { #expect(bounds.contains(target), "\(target) s is a bound") }
        #expect(PrometheusExporter.format(0.0000125) == "0.0000125" && PrometheusExporter.format(60) == "60")
    }
}

import Foundation
import Workload
@testable import Results

/// Reports built in memory, with latencies drawn deterministically: what the renderers and the verdicts are
/// tested on without running anything. `scale` multiplies every latency (an injected slowdown).
enum ReportFixture {
    struct Operation {
        var name: String
        var kind = "vector_search"
        /// The typical latency, µs.
        var micros: Double
        var count = 2000
        var errors = 0
        var recall: Double?
        var unsupported = false
    }

    static let mixed = [
        Operation(name: "vector_search", micros: 4000, recall: 0.97),
        Operation(name: "chat_history", kind: "chat_history", micros: 800, errors: 4),
    ]

    static func report(
        name: String = "fixture", target: String = "postgres", operations: [Operation] = Self.mixed, scale: Double = 1,
        seconds: Int = 10, seed: UInt64 = 1, thresholds: [String: [String]] = [:]
    ) -> RunReport {
        let targets = target == "both" ? ["postgres", "index"] : [target]
        var reports: [OperationReport] = [], totals: [TotalsReport] = [], series: [TimeseriesReport] = [], histograms: [HistogramReport] = []
        for current in targets {
            var all = LatencyHistogram()
            var count = 0, errors = 0
            for (number, operation) in operations.enumerated() {
                if operation.unsupported && current == "index" {
                    reports.append(OperationReport(
                        target: current, operation: operation.name, kind: operation.kind, count: 0, errors: 0, errorsByKind: [:], qps: 0, rows: 0,
                        rowsPerRequest: 0, latencyUs: LatencySummary(LatencyHistogram()), serviceUs: nil, recall: nil, foreignRows: nil, unsupported: 100))
                    continue
                }
                var histogram = LatencyHistogram()
                var random = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(number)
                for _ in 0..<operation.count {
                    random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let u = Double(random >> 11) / Double(1 << 53)
                    // A body around the typical latency and a tail to four times it.
                    let micros = operation.micros * scale * (u < 0.97 ? 0.8 + 0.4 * u : 1.5 + 2.5 * (u - 0.97) / 0.03)
                    histogram.record(micros: UInt64(micros))
                }
                all.add(histogram)
                count += operation.count
                errors += operation.errors
                reports.append(OperationReport(
                    target: current, operation: operation.name, kind: operation.kind, count: operation.count, errors: operation.errors,
                    errorsByKind: operation.errors > 0 ? ["timeout": operation.errors] : [:], qps: Double(operation.count) / Double(seconds),
                    rows: operation.count * 5, rowsPerRequest: 5, latencyUs: LatencySummary(histogram), serviceUs: nil,
                    recall: operation.recall.map { RecallSummary(mean: $0, min: $0 - 0.1, samples: 200, k: 10) }, foreignRows: nil, unsupported: nil))
                histograms.append(HistogramReport(target: current, operation: operation.name, measure: "latency", buckets: histogram.buckets))
            }
            totals.append(TotalsReport(
                target: current, count: count, errors: errors, qps: Double(count) / Double(seconds), measuredSeconds: Double(seconds),
                harnessCpuUsPerRequest: 12, driver: current == "postgres" ? "direct" : nil, scheduleLagUs: nil, unsent: nil, reconnects: 0,
                unreachableSeconds: current == "postgres" ? 0 : nil, indexBuildSeconds: nil, indexBytes: nil))
            series.append(TimeseriesReport(target: current, seconds: (0..<seconds).map { second in
                .init(second: second, count: count / seconds + (second % 2 == 0 ? 3 : -3), errors: second == 3 ? errors : 0,
                      p50Us: all.percentile(50), p95Us: UInt64(Double(all.percentile(95)) * (second % 2 == 0 ? 1.02 : 0.98)), p99Us: all.percentile(99))
            }))
        }
        let parsed = thresholds.flatMap { operation, expressions in
            expressions.map { try! Threshold.parse($0, operation: operation).get() }
        }.sorted { $0.description < $1.description }
        let scenario = ScenarioSummary(
            name: name, file: "scenarios/\(name).yaml", description: "A fixture.", dataset: "tiny-1", seed: seed, executor: "constant-vus",
            clients: 4, rate: nil, startRate: nil, stages: nil, thinkTimeSeconds: 0, arrivals: nil, warmupSeconds: 1, durationSeconds: Double(seconds), requests: nil,
            timeoutSeconds: 5, recallSample: 1, rowLevelSecurity: false, settings: ["hnsw.ef_search": "100"],
            index: .init(m: 16, efConstruction: 200, efSearch: 100),
            operations: operations.map { .init(name: $0.name, kind: $0.kind, weight: 1, limit: 10, filter: nil, sql: ["SELECT 1"]) },
            thresholds: parsed)
        let environment = RunEnvironment(
            cpuModel: "Test CPU", cores: 2, memoryBytes: 24 << 30, os: "Debian", hostname: "test", database: "tripbench@/tmp:5432/tripbench",
            serverVersion: "PostgreSQL 18.0 on x86_64", serverSettings: ["work_mem": "4MB"], dataset: "tiny-1", datasetChecksum: "abcdef0123456789abcdef",
            tripbenchVersion: "0.1.0", gitCommit: "0123456789ab", startTime: "2026-11-25T00:00:00Z", endTime: "2026-11-25T00:00:11Z")
        var health = DatabaseHealth(
            plans: [.init(
                operation: "vector_search", vectorAccess: "seq_scan", nodes: ["Limit", "  Seq Scan on memory_embeddings"], error: nil,
                shares: [.init(access: "seq_scan", requests: 1800, share: 0.9, latencyUs: LatencySummary(Self.histogram([900, 1200])), recall: 1, recallSamples: 90),
                         .init(access: "hnsw", requests: 200, share: 0.1, latencyUs: LatencySummary(Self.histogram([4000, 40_000])), recall: 0.41, recallSamples: 10)])],
            missing: ["top_statements: the pg_stat_statements extension is not installed in this database"])
        health.cacheHitRatio = 0.99
        health.indexScanRatio = 0.5
        health.sizes = .init(
            embeddingsHeapBytes: 40 << 20, embeddingsToastBytes: 300 << 20, hnswIndexBytes: 391 << 20, otherIndexBytes: 12 << 20,
            databaseBytes: 800 << 20, sharedBuffersBytes: 128 << 20, effectiveCacheSizeBytes: 4 << 30,
            hnswInSharedBuffersAtStart: 0.25, hnswInSharedBuffersAtEnd: 0.3)
        return RunReport(
            partial: false, scenario: scenario, target: target, environment: environment, operations: reports, totals: totals,
            timeseries: series, histograms: histograms, health: targets.contains("postgres") ? health : nil)
    }

    /// A histogram of `micros`, once each.
    static func histogram(_ micros: [UInt64]) -> LatencyHistogram {
        var histogram = LatencyHistogram()
        for value in micros { histogram.record(micros: value) }
        return histogram
    }
}

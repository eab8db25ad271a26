import Foundation
import Testing
import Workload

@testable import Results

/// Shards' reports merged: every percentile is that of the union of the shards' requests (the histograms are
/// rebuilt from report.json's buckets and added), counts and rates add up, recall is weighted by its samples, and
/// a missing or partial shard makes the merged report partial.
@Suite struct ReportMergeTests {
    static func shards() -> [RunReport] {
        let first = ReportFixture.report(name: "sharded", seed: 1)
        var second = ReportFixture.report(name: "sharded", operations: [
            .init(name: "vector_search", micros: 9000, count: 500, recall: 0.91),
            .init(name: "chat_history", kind: "chat_history", micros: 300, count: 3000, errors: 1),
        ], seed: 2)
        second.scenario.seed = 1
        return [first, second]
    }

    @Test func percentilesAreThoseOfTheUnionOfTheShardsRequests() throws {
        let shards = Self.shards()
        let merged = try RunReport.merged(shards, expected: 2)
        #expect(!merged.partial)
        for name in ["vector_search", "chat_history"] {
            // The union of the raw values: each shard's histogram holds its requests' values exactly (to 3 digits).
            var union = LatencyHistogram()
            for shard in shards { union.add(LatencyHistogram(buckets: shard.histograms.first { $0.operation == name }!.buckets)) }
            let operation = try #require(merged.operations.first { $0.operation == name })
            #expect(operation.latencyUs == LatencySummary(union), "\(name)")
            #expect(operation.count == shards.map { $0.operations.first { $0.operation == name }!.count }.reduce(0, +))
            // Not the mean of the shards' P95s, which the fixtures make differ by more than a bucket.
            let shardP95s = shards.map { $0.operations.first { $0.operation == name }!.latencyUs.p95 }
            #expect(shardP95s[0] != shardP95s[1])
        }
        let vector = try #require(merged.operations.first { $0.operation == "vector_search" })
        #expect(abs((vector.recall?.mean ?? 0) - (0.97 * 200 + 0.91 * 200) / 400) < 1e-12 && vector.recall?.samples == 400)
        #expect(merged.operations.first { $0.operation == "chat_history" }?.errorsByKind == ["timeout": 5])
        let totals = try #require(merged.totals.first)
        #expect(totals.count == 2000 + 2000 + 500 + 3000 && abs(totals.qps - (400 + 350)) < 1e-9)
        #expect(merged.timeseries.first?.seconds.count == 10)
        #expect(merged.timeseries.first?.seconds.first?.count == shards.map { $0.timeseries[0].seconds[0].count }.reduce(0, +))
    }

    /// A shard keeps each second's histogram: the merged second's percentiles are those of the union of the
    /// requests that finished in it, not the highest shard's; so is the merged schedule lag.
    @Test func eachSecondsPercentilesAreThoseOfTheUnion() throws {
        var shards = Self.described()
        // Second 0: shard 0 finished 90 fast requests, shard 1 ten slow ones. The union's P95 is slow, its P50
        // fast; the highest shard's P50 would be the slow one.
        let fast = ReportFixture.histogram(Array(repeating: 1000, count: 90))
        let slow = ReportFixture.histogram(Array(repeating: 50_000, count: 10))
        let lags = [ReportFixture.histogram([10, 20, 30]), ReportFixture.histogram([5000])]
        for (index, histogram) in [fast, slow].enumerated() {
            var point = shards[index].timeseries[0].seconds[0]
            (point.count, point.p50Us, point.p95Us, point.p99Us) = (Int(histogram.count), histogram.percentile(50), histogram.percentile(95), histogram.percentile(99))
            point.histogram = try HistogramEncoding.base64(histogram)
            shards[index].timeseries[0].seconds[0] = point
            shards[index].totals[0].scheduleLagUs = LatencySummary(lags[index])
            shards[index].histograms.append(HistogramReport(target: "postgres", operation: "all", measure: "schedule_lag", buckets: lags[index].buckets))
        }
        let merged = try RunReport.merged(shards)
        var union = fast
        union.add(slow)
        let second = try #require(merged.timeseries.first?.seconds.first)
        #expect(second.count == 100 && second.p50Us == union.percentile(50) && second.p95Us == union.percentile(95))
        #expect(second.p50Us < 2000 && second.p95Us >= 49_000, "\(second.p50Us) \(second.p95Us)")
        #expect(second.histogram == nil, "the merged report keeps numbers, not histograms")
        // Seconds without histograms (the fixture's others) fall back to the highest shard's.
        let later = shards.map { $0.timeseries[0].seconds[1].p95Us }
        #expect(merged.timeseries.first?.seconds[1].p95Us == later.max())
        var lag = lags[0]
        lag.add(lags[1])
        #expect(merged.totals.first?.scheduleLagUs == LatencySummary(lag))
        // A shard without the lag's histogram (an older report): no merged lag rather than a wrong one.
        shards[1].histograms.removeAll { $0.measure == "schedule_lag" }
        #expect(try RunReport.merged(shards).totals.first?.scheduleLagUs == nil)
        // A damaged histogram is refused with where it is, not merged as something else.
        shards[1].timeseries[0].seconds[0].histogram = "HISTFAAAAB"
        #expect(throws: ReportMergeError.self) { try RunReport.merged(shards) }
    }

    @Test func aMissingOrPartialShardMakesThePartialReport() throws {
        let shards = Self.shards()
        #expect(try RunReport.merged([shards[0]], expected: 2).partial)
        var stopped = shards[1]
        stopped.partial = true
        #expect(try RunReport.merged([shards[0], stopped], expected: 2).partial)
        var other = shards[1]
        other.scenario.seed = 9
        #expect(throws: ReportMergeError.self) { try RunReport.merged([shards[0], other]) }
    }

    /// The shards as `run --shard i/N` leaves them: each says which it is; shard 0 alone read the health.
    static func described(count: Int = 2) -> [RunReport] {
        Self.shards().enumerated().map { index, report in
            var report = report
            report.shard = ShardSummary(count: count, indexes: [index], startAt: 1_796_478_000)
            report.health = index == 0 ? DatabaseHealth() : nil
            return report
        }
    }

    @Test func shardsAreMergedInShardOrderWithShardZerosHealth() throws {
        let shards = Self.described()
        let merged = try RunReport.merged([shards[1], shards[0]])
        #expect(merged.shard == ShardSummary(count: 2, indexes: [0, 1], startAt: 1_796_478_000, merged: true))
        #expect(merged.health != nil && !merged.partial)
        #expect(merged.shard?.summary.hasPrefix("merged from 2 of 2 shards") == true)
    }

    @Test func theShardsSayWhichAreMissing() throws {
        let shards = Self.described(count: 3)
        let merged = try RunReport.merged([shards[1]])
        #expect(merged.partial && merged.shard?.missing == [0, 2] && merged.health == nil)
        #expect(merged.shard?.summary.contains("missing: 0/3, 2/3") == true)
    }

    /// Reports that cannot be one run's shards are refused, with what is wrong.
    @Test func reportsThatAreNotShardsOfOneRunAreRefused() throws {
        let shards = Self.described()
        func refusal(_ reports: [RunReport], expected: Int? = nil) -> String {
            do {
                _ = try RunReport.merged(reports, expected: expected)
                return "merged"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal([shards[0], shards[1], shards[1]]) == "shard 1/2 is given twice")
        var whole = shards[1]
        whole.shard = nil
        #expect(refusal([shards[0], whole]).hasPrefix("only shards' own reports"))
        var ofThree = shards[1]
        ofThree.shard?.count = 3
        #expect(refusal([shards[0], ofThree]) == "the reports are shards of runs of 2 and 3 shards, not of one run")
        var later = shards[1]
        later.shard?.startAt = 1_796_478_060
        #expect(refusal([shards[0], later]).contains("different --start-at"))
        #expect(refusal(shards, expected: 4) == "--expect-shards 4, but the reports are shards of a run of 2")
        var otherData = shards[1]
        otherData.environment.datasetChecksum = "0123456789abcdef"
        #expect(refusal([shards[0], otherData]).hasPrefix("the shards ran with different datasets"))
        var faster = shards[1]
        faster.scenario.clients += 1
        #expect(refusal([shards[0], faster]).hasPrefix("the shards ran with different loads"))
    }
}

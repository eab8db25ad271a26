import Testing
import VectorSearch
@testable import Workload

/// Histograms merge exactly; schedules put requests where the rate says.
@Suite struct MetricsTests {
    @Test func mergedHistogramsEqualOneHistogramOfEverything() {
        var random = SplitMix64(seed: 4)
        var parts = [LatencyHistogram](repeating: LatencyHistogram(), count: 3)
        var whole = LatencyHistogram()
        for index in 0..<30_000 {
            // A long tail: mostly ~1 ms, some 10–500 ms.
            let value = index % 50 == 0 ? 10_000 + random.next() % 490_000 : 500 + random.next() % 1_000
            parts[index % 3].record(micros: value)
            whole.record(micros: value)
        }
        var merged = LatencyHistogram()
        for part in parts { merged.add(part) }
        #expect(merged.count == whole.count)
        for percentile in [50.0, 90, 95, 99, 99.9] {
            #expect(merged.percentile(percentile) == whole.percentile(percentile), "p\(percentile)")
        }
        // The maximum survives to the histogram's resolution (3 significant digits).
        #expect(abs(Double(merged.max) - Double(whole.max)) <= Double(whole.max) * 0.001)
        // The stored form rebuilds the same histogram, which merges again.
        let rebuilt = LatencyHistogram(buckets: merged.buckets)
        #expect(rebuilt.count == whole.count && rebuilt.percentile(99) == whole.percentile(99))
        var twice = rebuilt
        twice.add(LatencyHistogram(buckets: whole.buckets))
        #expect(twice.count == 2 * whole.count && twice.percentile(95) == whole.percentile(95))
    }

    @Test func constantRateScheduleSpacesRequestsEvenly() {
        let schedule = LoadSchedule(rate: 200, warmup: .seconds(1), duration: .seconds(2))
        #expect(schedule.dueTime(ofSlot: 0) == 0)
        #expect(schedule.dueTime(ofSlot: 1) == 5_000_000)
        #expect(schedule.dueTime(ofSlot: 599) == 2_995_000_000)
        #expect(schedule.dueTime(ofSlot: 600) == nil)
    }

    @Test func rampScheduleFollowsTheIntegralOfTheRate() {
        // 1 s warm-up at 100/s (100 requests), then 100 → 200/s over 2 s (300), then 200/s for 1 s (200).
        let schedule = LoadSchedule(startRate: 100, stages: [.init(duration: .seconds(2), target: 200), .init(duration: .seconds(1), target: 200)], warmup: .seconds(1))
        #expect(schedule.dueTime(ofSlot: 100).map { abs($0 - 1_000_000_000) < 1000 } == true)
        // One second into the ramp the rate has gone 100 → 150/s: 125 more requests, 225 in all.
        #expect(schedule.dueTime(ofSlot: 225).map { abs($0 - 2_000_000_000) < 1000 } == true)
        #expect(schedule.dueTime(ofSlot: 400).map { abs($0 - 3_000_000_000) < 1000 } == true)
        #expect(schedule.dueTime(ofSlot: 599) != nil && schedule.dueTime(ofSlot: 600) == nil)
    }
}

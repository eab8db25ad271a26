import Results
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
        #expect(schedule.dueTime(atArrival: 0) == 0)
        #expect(schedule.dueTime(atArrival: 1) == 5_000_000)
        #expect(schedule.dueTime(atArrival: 599) == 2_995_000_000)
        #expect(schedule.dueTime(atArrival: 600) == nil)
    }

    @Test func rampScheduleFollowsTheIntegralOfTheRate() {
        // 1 s warm-up at 100/s (100 requests), then 100 → 200/s over 2 s (300), then 200/s for 1 s (200).
        let schedule = LoadSchedule(startRate: 100, stages: [.init(duration: .seconds(2), target: 200), .init(duration: .seconds(1), target: 200)], warmup: .seconds(1))
        #expect(schedule.dueTime(atArrival: 100).map { abs($0 - 1_000_000_000) < 1000 } == true)
        // One second into the ramp the rate has gone 100 → 150/s: 125 more requests, 225 in all.
        #expect(schedule.dueTime(atArrival: 225).map { abs($0 - 2_000_000_000) < 1000 } == true)
        #expect(schedule.dueTime(atArrival: 400).map { abs($0 - 3_000_000_000) < 1000 } == true)
        #expect(schedule.dueTime(atArrival: 599) != nil && schedule.dueTime(atArrival: 600) == nil)
    }

    @Test func uniformWorkerSchedulesShareTheRunsSlotsEvenly() {
        // 200/s for 3 s over 3 workers: worker w takes slots w, w + 3, …, each at slot / 200 s.
        let schedule = LoadSchedule(rate: 200, warmup: .seconds(1), duration: .seconds(2))
        var seen: [Int: Int64] = [:]
        for worker in 0..<3 {
            var share = WorkerSchedule(schedule: schedule, start: 1_000, worker: worker, workers: 3, arrivals: .uniform, seed: 7)
            while let due = share.due {
                #expect(share.slot % 3 == worker)
                seen[share.slot] = due
                share.advance()
            }
        }
        #expect(seen.count == 600)
        #expect((0..<600).allSatisfy { seen[$0] == 1_000 + Int64($0) * 5_000_000 })
    }

    @Test func poissonWorkerSchedulesAddUpToAPoissonProcessAtTheRate() {
        // 1,000/s for 20 s over 2 workers: about 20,000 arrivals with exponential gaps (mean 1 ms, sd 1 ms).
        let schedule = LoadSchedule(rate: 1_000, warmup: .zero, duration: .seconds(20))
        var dues: [Int64] = []
        var slots = Set<Int>()
        for worker in 0..<2 {
            var share = WorkerSchedule(schedule: schedule, start: 0, worker: worker, workers: 2, arrivals: .poisson, seed: 7)
            while let due = share.due {
                #expect(slots.insert(share.slot).inserted)
                dues.append(due)
                share.advance()
            }
        }
        // A count of a Poisson process has sd √20,000 ≈ 141: within 5 sd.
        #expect(abs(dues.count - 20_000) < 700)
        dues.sort()
        let gaps = zip(dues.dropFirst(), dues).map { Double($0 - $1) / 1e6 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
        #expect(abs(mean - 1) < 0.05 && abs(sd - 1) < 0.05, "gaps: mean \(mean) ms, sd \(sd) ms")
        // Same seed, same schedule; another seed, another.
        var again = WorkerSchedule(schedule: schedule, start: 0, worker: 1, workers: 2, arrivals: .poisson, seed: 7)
        var other = WorkerSchedule(schedule: schedule, start: 0, worker: 1, workers: 2, arrivals: .poisson, seed: 8)
        again.advance()
        other.advance()
        #expect(dues.contains(again.due!) && !dues.contains(other.due!))
    }

    /// The schedule is the seed's, not the workers': one process with 2 workers, or 4 shards of 3 workers each
    /// (``RunShard``), send each slot at the same due time.
    @Test(arguments: [ArrivalProcess.uniform, .poisson])
    func theScheduleIsTheSameWhateverTheWorkers(arrivals: ArrivalProcess) {
        let schedule = LoadSchedule(rate: 500, warmup: .zero, duration: .seconds(4))
        func dues(workers: Int) -> [Int: Int64] {
            var seen: [Int: Int64] = [:]
            for worker in 0..<workers {
                var share = WorkerSchedule(schedule: schedule, start: 0, worker: worker, workers: workers, arrivals: arrivals, seed: 11)
                while let due = share.due {
                    seen[share.slot] = due
                    share.advance()
                }
            }
            return seen
        }
        let one = dues(workers: 1)
        #expect(one.count > 1_500 && one.count < 2_500)
        #expect(dues(workers: 2) == one)
        #expect(dues(workers: 12) == one)
    }

    @Test func aScheduleCountsTheBacklogLeftInAWindow() {
        let schedule = LoadSchedule(rate: 100, warmup: .seconds(1), duration: .seconds(1))
        let share = WorkerSchedule(schedule: schedule, start: 0, worker: 0, workers: 1, arrivals: .uniform, seed: 1)
        // Due in [1 s, 1.5 s): slots 100 … 149.
        let backlog = share.backlog(from: 1_000_000_000, before: 1_500_000_000)
        #expect(backlog.first == 100 && backlog.count == 50)
    }

    /// The backlog is counted from the schedule, not request by request, so a rate of 10^11/s takes no longer
    /// than 100/s; Poisson arrivals walked one by one agree with the count of their due times.
    @Test(arguments: [ArrivalProcess.uniform, .poisson])
    func aBacklogOfAnySizeIsCountedAtOnce(arrivals: ArrivalProcess) {
        let small = LoadSchedule(rate: 1000, warmup: .seconds(1), duration: .seconds(2))
        for worker in 0..<3 {
            let share = WorkerSchedule(schedule: small, start: 0, worker: worker, workers: 3, arrivals: arrivals, seed: 5)
            var walk = share, expected = 0, firstSlot: Int?
            while let due = walk.due, due < 2_500_000_000 {
                if due >= 1_000_000_000 {
                    expected += 1
                    firstSlot = firstSlot ?? walk.slot
                }
                walk.advance()
            }
            let backlog = share.backlog(from: 1_000_000_000, before: 2_500_000_000)
            #expect(backlog.count == expected && backlog.first == firstSlot, "worker \(worker)")
        }
        let huge = LoadSchedule(rate: 1e11, warmup: .zero, duration: .seconds(1))
        let share = WorkerSchedule(schedule: huge, start: 0, worker: 1, workers: 2, arrivals: arrivals, seed: 5)
        let backlog = share.backlog(from: 0, before: 500_000_000)
        #expect(abs(backlog.count - 25_000_000_000) < 1_000_000)
    }
}

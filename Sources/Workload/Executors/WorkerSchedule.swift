import Foundation
import VectorSearch

/// One worker's share of an open-loop schedule, the way pgbench gives each thread its share of `--rate` and
/// k6 takes a free VU for each iteration: the worker's requests are the run's slots `worker`,
/// `worker + workers`, …, and whichever of its clients is idle takes the next one when it comes due. A request
/// waits only when every client of its worker is busy, and that wait counts in its latency.
///
/// Uniform arrivals put slot `s` where the schedule's arrival count reaches `s`. Poisson arrivals put slot `s`
/// where the sum of the run's first `s + 1` exponential gaps (a mean of one arrival each, drawn in order from one
/// stream of the seed) reaches: one Poisson process at the schedule's rate, and each worker walks all of its gaps
/// to find its own slots. The schedule is then a function of the seed alone, not of how many workers share it,
/// so the shards of a run (``RunShard``) and a single process with any number of threads send the same requests
/// at the same times. (pgbench gives each thread a Poisson process of its own, which changes with the threads.)
struct WorkerSchedule {
    private let schedule: LoadSchedule
    private let start: Int64
    private let workers: Int
    private let poisson: Bool
    private var random: SplitMix64
    /// Where the next request falls on the schedule's arrival count.
    private var position: Double
    /// The run-wide index of the worker's next request (its draw from the request stream).
    private(set) var slot: Int
    /// When the next request is due (monotonic ns), or nil when the schedule has ended.
    private(set) var due: Int64?

    init(schedule: LoadSchedule, start: Int64, worker: Int, workers: Int, arrivals: ArrivalProcess, seed: UInt64) {
        self.schedule = schedule
        self.start = start
        self.workers = workers
        self.poisson = arrivals == .poisson
        self.random = SplitMix64(seed: seed ^ 0x6172_7269_7661_6c73, stream: 0)
        self.slot = worker
        self.position = 0
        self.position = self.poisson ? self.gaps(worker + 1) : Double(worker)
        self.due = self.schedule.dueTime(atArrival: self.position).map { start + $0 }
    }

    /// Moves on to the worker's next request.
    mutating func advance() {
        self.slot += self.workers
        self.position += self.poisson ? self.gaps(self.workers) : Double(self.workers)
        self.due = self.schedule.dueTime(atArrival: self.position).map { self.start + $0 }
    }

    /// The requests still ahead that come due in `[from, before)` (monotonic ns): at the end of a run, the
    /// backlog that was never sent, as the run-wide slots `first`, `first + workers`, … (`count` of them).
    ///
    /// Uniform arrivals are counted from the schedule's arrival count, whatever their number. Poisson arrivals
    /// are walked one by one up to a million; beyond that their count is the schedule's expected one (the
    /// arrival count over the window divided among the workers), which differs from the walk by about its
    /// square root.
    func backlog(from: Int64, before: Int64) -> (first: Int, count: Int) {
        guard let due = self.due, due < before else { return (self.slot, 0) }
        let low = self.schedule.arrivals(before: Double(from - self.start))
        let high = self.schedule.arrivals(before: Double(before - self.start))
        let workers = Double(self.workers)
        if !self.poisson {
            // Positions position + k·workers, k ≥ 0, inside [low, high).
            let first = max(0, ((low - self.position) / workers).rounded(.up))
            let end = max(first, ((high - self.position) / workers).rounded(.up))
            return (self.slot + Int(first) * self.workers, Int(end - first))
        }
        var rest = self
        var skipped = 0, count = 0
        while let due = rest.due, due < before, count < 1_000_000 {
            if due >= from { count += 1 } else { skipped += 1 }
            rest.advance()
        }
        if count == 1_000_000, rest.due.map({ $0 < before }) ?? false {
            count = Int(((high - max(low, self.position)) / workers).rounded())
        }
        return (self.slot + skipped * self.workers, count)
    }

    /// The sum of the stream's next `count` exponential gaps of a mean of one arrival each.
    private mutating func gaps(_ count: Int) -> Double {
        var sum = 0.0
        for _ in 0..<count {
            let uniform = Double(self.random.next() >> 11) * 0x1p-53
            sum -= Foundation.log(1 - uniform)
        }
        return sum
    }
}

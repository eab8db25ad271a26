import Foundation
import VectorSearch

/// One worker's share of an open-loop schedule, the way pgbench gives each thread its share of `--rate` and
/// k6 takes a free VU for each iteration: the worker's requests are the run's slots `worker`,
/// `worker + workers`, …, and whichever of its clients is idle takes the next one when it comes due. A request
/// waits only when every client of its worker is busy, and that wait counts in its latency.
///
/// Uniform arrivals put slot `s` where the schedule's arrival count reaches `s`. Poisson arrivals put the
/// worker's next request an exponential gap (a mean of `workers` arrivals) after its last one, drawn from a
/// random stream of the seed and the worker: the workers' streams together are a Poisson process at the
/// schedule's rate, as pgbench's are.
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
        self.random = SplitMix64(seed: seed ^ 0x6172_7269_7661_6c73, stream: UInt64(worker))
        self.slot = worker
        self.position = 0
        self.position = self.poisson ? self.gap() : Double(worker)
        self.due = self.schedule.dueTime(atArrival: self.position).map { start + $0 }
    }

    /// Moves on to the worker's next request.
    mutating func advance() {
        self.slot += self.workers
        self.position += self.poisson ? self.gap() : Double(self.workers)
        self.due = self.schedule.dueTime(atArrival: self.position).map { self.start + $0 }
    }

    /// How many of the requests still ahead come due in `[from, before)` (monotonic ns): at the end of a run,
    /// the backlog that was never sent.
    func count(from: Int64, before: Int64) -> Int {
        var rest = self
        var count = 0
        while let due = rest.due, due < before {
            if due >= from { count += 1 }
            rest.advance()
        }
        return count
    }

    /// An exponential gap with a mean of `workers` arrivals.
    private mutating func gap() -> Double {
        let uniform = Double(self.random.next() >> 11) * 0x1p-53
        return -Foundation.log(1 - uniform) * Double(self.workers)
    }
}

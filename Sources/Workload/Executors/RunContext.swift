import Foundation
import Results
import Synchronization
import VectorSearch

/// What every worker of one run shares: the timeline, the load, the request stream, and the few things
/// workers touch together (the stop flag, the measured-request counter, the per-second board), none of them
/// on the per-request path except one relaxed atomic add in request-count mode.
final class RunContext: Sendable {
    let stream: RequestStream
    let executor: ExecutorConfiguration
    /// Monotonic ns when the warm-up starts, when measuring starts, and when sending stops.
    let start: Int64
    let measureStart: Int64
    let end: Int64
    /// Open loop only.
    let schedule: LoadSchedule?
    /// Whether requests follow the schedule (open loop). A plain flag for the per-request path: comparing
    /// the optional schedule with nil copies it.
    let openLoop: Bool
    /// The load-driver threads of this process.
    let workers: Int
    /// The part of the run this process sends; its workers are the global workers `shard.index · workers + w`
    /// of ``slotWorkers``.
    let shard: RunShard
    /// How many workers the whole run's open-loop slots are dealt to (every shard's together).
    var slotWorkers: Int { self.workers * self.shard.count }
    let seed: UInt64
    /// Closed loop with a request count: measured requests still to start.
    let remaining: Atomic<Int>
    let countMode: Bool
    let timeoutNanos: Int64
    /// Closed loop: a client's pause between requests, ns (0 for an open loop or no think time).
    let thinkNanos: Int64
    let recallSample: Double
    let stopSignal: StopSignal
    let board: SecondBoard
    /// The postgres target: the plan each request takes, by its parameters (``PlanClassifier``).
    let planClassifier: PlanClassifier?
    /// The operation this context's requests all are, on its own open-loop stream at its own rate (a write
    /// stream beside the mix); nil for the weighted mix.
    let lane: Int?
    /// An insert stream followed by a time-to-searchable probe: where its sampled rows go once committed.
    let followedBy: ProbeQueue?
    /// The time-to-searchable probe's context: its requests are the rows this queue hands out as they come due.
    let probes: ProbeQueue?
    /// The mix of a postgres run with an application pool (a scenario's `pool`): each request's wait for a
    /// free connection (due to send) is recorded as the run's `pool_wait`.
    let pooled: Bool
    /// An application pool's `timeout`: a request that waited this long for a connection fails unsent
    /// (`Int64.max` without one).
    let poolTimeoutNanos: Int64
    /// Connection churn: a client opens a new connection for every this many requests (0: never).
    let reconnectEvery: Int
    /// Whether live outputs read the run: workers then keep each second's figures per operation too.
    let live: Bool
    /// The share of requests a per-request log keeps (0: none).
    let requestSample: Double

    init(
        scenario: Scenario, stream: RequestStream, start: Int64, workers: Int, stopSignal: StopSignal, planClassifier: PlanClassifier? = nil,
        pooled: Bool = false, live: Bool = false, requestSample: Double = 0, shard: RunShard = .whole
    ) {
        self.shard = shard
        self.live = live
        self.requestSample = requestSample
        self.planClassifier = planClassifier
        self.pooled = pooled
        self.poolTimeoutNanos = pooled ? scenario.pool?.timeout.nanoseconds ?? .max : .max
        self.reconnectEvery = scenario.reconnectEvery ?? 0
        self.lane = nil
        self.followedBy = nil
        self.probes = nil
        self.stream = stream
        self.workers = workers
        self.seed = scenario.seed
        self.executor = scenario.executor
        self.start = start
        self.measureStart = start + scenario.warmup.nanoseconds
        self.timeoutNanos = scenario.timeout.nanoseconds
        self.recallSample = scenario.recallSample
        self.stopSignal = stopSignal
        self.board = SecondBoard(workers: workers, keepsHistograms: shard.count > 1)
        var measured = scenario.duration
        switch scenario.executor.type {
        case .constantVUs:
            self.schedule = nil
        case .constantArrivalRate:
            let rate = scenario.executor.rate ?? 1
            if let requests = scenario.requests { measured = .nanoseconds(Int64((Double(requests) / rate * 1e9).rounded(.up))) }
            self.schedule = LoadSchedule(rate: rate, warmup: scenario.warmup, duration: measured)
        case .rampingArrivalRate:
            measured = scenario.executor.stagesDuration
            self.schedule = LoadSchedule(startRate: scenario.executor.startRate, stages: scenario.executor.stages, warmup: scenario.warmup)
        }
        self.openLoop = self.schedule != nil
        self.thinkNanos = self.openLoop ? 0 : scenario.executor.thinkTime.nanoseconds
        self.countMode = scenario.requests != nil && scenario.executor.type == .constantVUs
        self.remaining = Atomic(shard.share(of: scenario.requests ?? 0))
        // A closed run with a request count ends when the count is reached; the end is only a safety net.
        self.end = self.countMode ? Int64.max / 4 : self.measureStart + measured.nanoseconds
    }

    /// The stream of operation `lane` (one with its own rate) in the same run: the same timeline as the mix's
    /// context, open loop at the operation's rate on one worker with the operation's clients, and no more
    /// than its `count` requests (all of which it sends, however late).
    convenience init(
        lane: Int, of scenario: Scenario, stream: RequestStream, start: Int64, stopSignal: StopSignal, followedBy: ProbeQueue? = nil, live: Bool = false,
        requestSample: Double = 0, shard: RunShard = .whole
    ) {
        let operation = scenario.operations[lane]
        let rate = operation.rate ?? 1
        let measureStart = start + scenario.warmup.nanoseconds
        let measured = scenario.plannedDuration
        let planned = Double((scenario.warmup + measured).nanoseconds) / 1e9
        let seconds = min(planned, operation.count.map { Double($0) / rate } ?? planned)
        // A stream with a count sends all of it: when it falls behind its rate it goes on past the run's end
        // until its backlog is sent (each request's latency still counted from when it was due), for at most
        // ten times its planned length and a minute more.
        let end = operation.count == nil ? measureStart + measured.nanoseconds : start + Int64((seconds * 10 + 60) * 1e9)
        self.init(
            operation: lane, of: scenario, stream: stream, start: start, stopSignal: stopSignal, rate: rate,
            seed: scenario.seed ^ UInt64(lane + 1) << 32, end: end,
            schedule: LoadSchedule(rate: rate, warmup: .zero, duration: .nanoseconds(Int64(seconds * 1e9))), followedBy: followedBy, probes: nil,
            live: live, requestSample: requestSample, shard: shard)
    }

    /// The time-to-searchable probe `probe` (an operation of the scenario) on the same timeline: its requests
    /// come from `queue` as the insert stream commits, each timed from its row's commit; it ends once the
    /// stream has ended and every row is found or given up.
    convenience init(
        probe: Int, of scenario: Scenario, stream: RequestStream, start: Int64, queue: ProbeQueue, stopSignal: StopSignal, live: Bool = false,
        requestSample: Double = 0
    ) {
        self.init(
            operation: probe, of: scenario, stream: stream, start: start, stopSignal: stopSignal, rate: 1, seed: scenario.seed,
            end: Int64.max / 4, schedule: nil, followedBy: nil, probes: queue, live: live, requestSample: requestSample)
    }

    /// A stream of one operation of its own beside the mix: one worker with the operation's clients, open loop
    /// (latency from each request's due time), on the mix's timeline.
    private init(
        operation: Int, of scenario: Scenario, stream: RequestStream, start: Int64, stopSignal: StopSignal, rate: Double, seed: UInt64,
        end: Int64, schedule: LoadSchedule?, followedBy: ProbeQueue?, probes: ProbeQueue?, live: Bool, requestSample: Double,
        shard: RunShard = .whole
    ) {
        // A probe follows its own shard's inserts: it is not dealt.
        self.shard = probes == nil ? shard : .whole
        self.live = live
        self.requestSample = requestSample
        self.lane = operation
        self.pooled = false
        self.poolTimeoutNanos = .max
        // A time-to-searchable probe is a measuring device: it keeps its connections.
        self.reconnectEvery = probes == nil ? scenario.reconnectEvery ?? 0 : 0
        self.followedBy = followedBy
        self.probes = probes
        self.planClassifier = nil
        self.stream = stream
        self.workers = 1
        self.seed = seed
        self.executor = ExecutorConfiguration(type: .constantArrivalRate, clients: scenario.operations[operation].clients, rate: rate)
        self.start = start
        self.measureStart = start + scenario.warmup.nanoseconds
        self.timeoutNanos = scenario.timeout.nanoseconds
        self.recallSample = 0
        self.stopSignal = stopSignal
        self.board = SecondBoard(workers: 1)
        self.end = end
        self.schedule = schedule
        self.openLoop = true
        self.thinkNanos = 0
        self.countMode = false
        self.remaining = Atomic(0)
    }

    /// Request `index` of this context's stream: drawn from the mix, or the lane operation's own.
    @inline(__always)
    func draw(_ index: Int, asUser user: Int?) -> RequestDraw {
        guard let lane = self.lane else { return self.stream.draw(index, asUser: user) }
        return self.stream.laneDraw(index, operation: lane)
    }

    /// Open loop: how long after the end a request that came due before it may still be sent (its latency
    /// counted from its due time), so a client busy at the very end does not drop its last request: the
    /// timeout, at most a second. Zero for a closed loop.
    var drainNanos: Int64 { self.openLoop ? min(self.timeoutNanos, 1_000_000_000) : 0 }

    /// Open loop: worker `worker`'s share of the schedule; nil for a closed loop.
    func schedule(ofWorker worker: Int) -> WorkerSchedule? {
        self.schedule.map {
            WorkerSchedule(
                schedule: $0, start: self.start, worker: self.shard.index * self.workers + worker, workers: self.slotWorkers,
                arrivals: self.executor.arrivals, seed: self.seed)
        }
    }

    /// Whether request `index` is one of those whose recall is measured (a pure function of the index).
    func samplesRecall(_ index: Int) -> Bool {
        guard self.recallSample > 0 else { return false }
        if self.recallSample >= 1 { return true }
        var random = SplitMix64(seed: 0x7265_6361_6c6c, stream: UInt64(index))
        return Double(random.next() >> 11) * 0x1p-53 < self.recallSample
    }

    /// A closed-loop client may start a measured request: takes one from the count in request-count mode.
    func claimMeasuredRequest() -> Bool {
        guard self.countMode else { return true }
        return self.remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }

    var shouldStop: Bool { self.stopSignal.isSet }
}

/// The per-second series, filled by workers once per second each: second `s` covers
/// `[measureStart + s, measureStart + s + 1)` by completion time. A second every worker has finished is handed
/// on whole once (``takeComplete(all:)``, for the progress line and live outputs) and kept as a
/// ``SecondSummary``: a long run keeps a few numbers a second, not its histograms — but a shard keeps them too,
/// compressed (a few hundred bytes a second), for the merge to compute each second's percentiles over every
/// shard's requests.
final class SecondBoard: Sendable {
    private struct State {
        var pending: [Int: SecondMetrics] = [:]
        var summaries: [Int: SecondSummary] = [:]
        /// Seconds handed on and given back (``recycle(_:)``): their histograms' memory serves the next seconds.
        var spare: [SecondMetrics] = []
        /// The highest second each worker has handed over.
        var finished: [Int]
    }
    private let state: Mutex<State>
    private let keepsHistograms: Bool

    init(workers: Int, keepsHistograms: Bool = false) {
        self.state = Mutex(State(finished: Array(repeating: -1, count: workers)))
        self.keepsHistograms = keepsHistograms
    }

    func add(_ metrics: SecondMetrics, second: Int, worker: Int) {
        self.state.withLock { state in
            if state.pending[second] == nil {
                var fresh = state.spare.popLast() ?? SecondMetrics()
                fresh.reset()
                state.pending[second] = fresh
            }
            state.pending[second]!.add(metrics)
            state.finished[worker] = max(state.finished[worker], second)
        }
    }

    /// The seconds not taken before that every worker has finished (`all`: every second handed over, once the
    /// workers are done), in order, with their metrics.
    func takeComplete(all: Bool = false) -> [(second: Int, metrics: SecondMetrics)] {
        self.state.withLock { state in
            let last = all ? Int.max : (state.finished.min() ?? -1)
            let seconds = state.pending.keys.filter { $0 <= last }.sorted()
            return seconds.map { second in
                let metrics = state.pending.removeValue(forKey: second)!
                state.summaries[second] = SecondSummary(metrics, keepsHistograms: self.keepsHistograms)
                return (second, metrics)
            }
        }
    }

    /// Gives a taken second back for its memory to be reused (a second's histograms are 190 KB each, and memory
    /// freed and allocated again every second is zeroed again, page by page, by the allocator).
    func recycle(_ metrics: SecondMetrics) {
        self.state.withLock { state in
            if state.spare.count < 2 { state.spare.append(metrics) }
        }
    }

    /// Every second taken so far.
    func summaries() -> [Int: SecondSummary] { self.state.withLock { $0.summaries } }
}

/// What the report keeps of a second.
struct SecondSummary: Sendable {
    var count: Int
    var errors: Int
    var p50Us: UInt64
    var p95Us: UInt64
    var p99Us: UInt64
    var waitP95Us: UInt64
    /// A shard's: the second's histograms in HdrHistogram's compressed form, for report.json (nil, should zlib
    /// fail, makes the merge take the highest shard's percentiles for the second).
    var latencyHistogram: String?
    var waitHistogram: String?

    init(_ metrics: SecondMetrics, keepsHistograms: Bool = false) {
        self.count = metrics.count
        self.errors = metrics.errors
        self.p50Us = metrics.latency.percentile(50)
        self.p95Us = metrics.latency.percentile(95)
        self.p99Us = metrics.latency.percentile(99)
        self.waitP95Us = metrics.wait.percentile(95)
        if keepsHistograms {
            self.latencyHistogram = try? HistogramEncoding.base64(metrics.latency)
            self.waitHistogram = try? HistogramEncoding.base64(metrics.wait)
        }
    }
}

/// Set once to end a run early (Ctrl-C, SIGTERM, a fatal setup error): workers stop sending and report.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func set() { self.flag.store(true, ordering: .relaxed) }
    public var isSet: Bool { self.flag.load(ordering: .relaxed) }
}

import Results
import VectorSearch


/// A worker's measurements: per-operation histograms and counters, the per-second series it hands to the
/// board once a second, and recall samples. Owned by one thread; nothing here is shared while measuring.
struct WorkerRecorder {
    let context: RunContext
    let worker: Int
    let catalog: DatasetCatalog
    var result: WorkerResult
    private var second = SecondMetrics()
    private var secondIndex = 0
    /// The thread's CPU time when the measured window opened, and when it closed (nil: not yet).
    private var cpuAtMeasureStart: Int64?
    private var cpuAtEnd: Int64?
    /// When ``roll(to:)`` next has something to do.
    private var nextRoll: Int64
    /// Which requests the per-request log keeps, when it samples.
    private var sampler: SplitMix64

    init(context: RunContext, worker: Int, catalog: DatasetCatalog, operations: Int) {
        self.context = context
        self.worker = worker
        self.catalog = catalog
        self.result = WorkerResult(operations: operations)
        if let classifier = context.planClassifier {
            self.result.planLatency = classifier.names.map { Array(repeating: LatencyHistogram(), count: $0.count + 1) }
        }
        self.nextRoll = context.measureStart
        self.sampler = SplitMix64(seed: context.seed ^ 0x7265_7175_6573_7473, stream: UInt64(worker))
    }

    /// The next time the series must be handed on.
    var nextSecondBoundary: Int64 { self.context.measureStart + Int64(self.secondIndex + 1) * 1_000_000_000 }

    /// Records one finished, measured request.
    /// - Parameters:
    ///   - intended: when it was due (open loop) or sent (closed loop), monotonic ns.
    ///   - memoryRows: the memory rows it returned, when they were decoded (recall sample or RLS check).
    mutating func record(
        _ operation: Int, intended: Int64, sent: Int64, now: Int64, error: String?, rows: Int, memoryRows: [Int32]?, actingUser: Int?,
        planClass: UInt8 = 0
    ) {
        self.roll(to: now)
        let latency = now - intended
        self.second.count += 1
        self.second.latency.record(nanos: latency)
        if error != nil { self.second.errors += 1 }
        if self.context.live {
            self.second.growOperations(to: operation)
            self.second.operations[operation].record(latency: latency, error: error)
            if self.context.requestSample > 0, self.context.requestSample >= 1 || Double(self.sampler.next() >> 11) * 0x1p-53 < self.context.requestSample {
                let origin = self.context.measureStart
                self.second.requests.append(RequestRecord(
                    due: intended - origin, sent: sent - origin, end: now - origin, operation: Int32(operation), rows: Int32(clamping: rows),
                    error: error))
            }
        }
        var foreign = 0
        if error == nil, let user = actingUser, let memoryRows {
            foreign = memoryRows.filter { $0 >= 0 && Int(self.catalog.memoryUsers[Int($0)]) != user }.count
        }
        if !self.result.planLatency.isEmpty {
            let plans = self.result.planLatency[operation].count
            self.result.planLatency[operation][min(Int(planClass), plans - 1)].record(nanos: latency)
        }
        // Closed loop: a request is sent when it is due, so its service time is its latency.
        self.result.operations[operation].count(
            latency: latency, service: self.context.openLoop ? now - sent : nil, error: error, rows: rows, foreignRows: foreign)
        if self.context.pooled {
            self.result.poolWait.record(nanos: sent - intended)
            self.second.wait.record(nanos: sent - intended)
        }
    }

    /// Counts a measured request sent (for live outputs' requests in flight).
    @inline(__always)
    mutating func noteSent() {
        if self.context.live { self.second.sent += 1 }
    }

    /// Counts the open-loop requests `first`, `first + stride`, … (`count` of them) that came due while
    /// measuring and were never sent, per operation: each one's operation is drawn from the request stream (a
    /// stream of one operation's own has only that one),
    /// from 100,000 evenly spaced ones when there are more (then the split is an estimate; the total is exact).
    mutating func countUnsent(first: Int, count: Int, stride: Int) {
        guard count > 0 else { return }
        self.result.unsent += count
        // A write stream's requests are all its own operation's (the mix's draws would name others).
        if let lane = self.context.lane {
            self.result.unsentByOperation[lane] += count
            return
        }
        let sampled = min(count, 100_000)
        var tally = [Int](repeating: 0, count: self.result.unsentByOperation.count)
        for sample in 0..<sampled {
            tally[self.context.stream.operation(of: first + sample * (count / sampled) * stride)] += 1
        }
        var shares = tally.map { $0 * count / sampled }
        if let largest = shares.indices.max(by: { shares[$0] < shares[$1] }) { shares[largest] += count - shares.reduce(0, +) }
        for operation in shares.indices { self.result.unsentByOperation[operation] += shares[operation] }
    }

    /// Keeps a measured request whose recall is measured (``RunContext/samplesRecall(_:)``) and the memory rows
    /// it returned, for the recall computed after the run.
    mutating func keepRecallSample(_ operation: Int, draw: RequestDraw, rows: [Int32]) {
        self.result.recallSamples.append(RecallSample(operation: operation, draw: draw, rows: rows))
    }

    /// Hands finished seconds to the board when `now` has moved past them, and notes the thread's CPU time
    /// as the measured window opens and closes (the harness's cost per request leaves out the warm-up).
    /// Called for every request and every pass of a worker: it returns at once until the next such moment.
    @inline(__always)
    mutating func roll(to now: Int64) {
        if now >= self.nextRoll { self.rollOn(to: now) }
    }

    private mutating func rollOn(to now: Int64) {
        guard now >= self.context.measureStart else { return }
        if self.cpuAtMeasureStart == nil { self.cpuAtMeasureStart = RunClock.threadCPU() }
        if now >= self.context.end, self.cpuAtEnd == nil { self.cpuAtEnd = RunClock.threadCPU() }
        let second = Int((now - self.context.measureStart) / 1_000_000_000)
        while second > self.secondIndex {
            self.flush()
            self.secondIndex += 1
        }
        self.nextRoll = self.cpuAtEnd == nil ? min(self.nextSecondBoundary, self.context.end) : self.nextSecondBoundary
    }

    /// Ends the worker's measurements: hands on the last second and sets the CPU time spent measuring.
    mutating func finish() {
        self.flush()
        if let start = self.cpuAtMeasureStart { self.result.cpuNanos = (self.cpuAtEnd ?? RunClock.threadCPU()) - start }
    }

    /// Hands the current (possibly partial) second to the board.
    /// The board merges the second into its own, so the worker's histograms are cleared and kept rather than
    /// allocated anew every second.
    private mutating func flush() {
        self.context.board.add(self.second, second: self.secondIndex, worker: self.worker)
        self.second.reset()
    }
}

/// A worker's measurements: per-operation histograms and counters, the per-second series it hands to the
/// board once a second, and recall samples. Owned by one thread; nothing here is shared while measuring.
struct WorkerRecorder {
    let context: RunContext
    let worker: Int
    let catalog: DatasetCatalog
    var result: WorkerResult
    private var second = SecondMetrics()
    private var secondIndex = 0

    init(context: RunContext, worker: Int, catalog: DatasetCatalog, operations: Int) {
        self.context = context
        self.worker = worker
        self.catalog = catalog
        self.result = WorkerResult(operations: operations)
    }

    /// The next time the series must be handed on.
    var nextSecondBoundary: Int64 { self.context.measureStart + Int64(self.secondIndex + 1) * 1_000_000_000 }

    /// Records one finished, measured request.
    /// - Parameters:
    ///   - intended: when it was due (open loop) or sent (closed loop), monotonic ns.
    ///   - memoryRows: the memory rows it returned, when they were decoded (recall sample or RLS check).
    ///   - sampled: whether its recall is measured (``RunContext/samplesRecall(_:)``, decided once per request).
    mutating func record(
        _ operation: Int, draw: RequestDraw, intended: Int64, sent: Int64, now: Int64, error: String?,
        rows: Int, memoryRows: [Int32]?, sampled: Bool, actingUser: Int?
    ) {
        self.roll(to: now)
        let latency = now - intended
        self.result.operations[operation].latency.record(nanos: latency)
        self.result.operations[operation].service.record(nanos: now - sent)
        self.result.operations[operation].count += 1
        self.second.count += 1
        self.second.latency.record(nanos: latency)
        if let error {
            self.result.operations[operation].errors[error, default: 0] += 1
            self.second.errors += 1
            return
        }
        self.result.operations[operation].rows += rows
        guard let memoryRows else { return }
        if let user = actingUser {
            self.result.operations[operation].foreignRows += memoryRows.filter {
                $0 >= 0 && Int(self.catalog.memoryUsers[Int($0)]) != user
            }.count
        }
        if sampled {
            self.result.recallSamples.append(RecallSample(operation: operation, draw: draw, rows: memoryRows))
        }
    }

    /// Hands finished seconds to the board when `now` has moved past them.
    mutating func roll(to now: Int64) {
        guard now >= self.context.measureStart else { return }
        let second = Int((now - self.context.measureStart) / 1_000_000_000)
        while second > self.secondIndex {
            self.flush()
            self.secondIndex += 1
        }
    }

    /// Hands the current (possibly partial) second to the board.
    mutating func flush() {
        self.context.board.add(self.second, second: self.secondIndex, worker: self.worker)
        self.second = SecondMetrics()
    }
}

import CPoll
import Results
import VectorSearch

/// One thread searching the in-process index for its clients. A search runs to completion on the thread, so
/// the clients of one worker take turns: in an open-loop run the next due request waits for the thread, and
/// that wait counts in its latency as it would behind a busy server.
final class IndexWorker {
    private let context: RunContext
    private let worker: Int
    private let clientIDs: [Int]
    private let index: InProcessIndex
    private let catalog: DatasetCatalog
    private let operations: [OperationSpec]
    private var recorder: WorkerRecorder
    private let searchContext: HNSWSearchContext
    private var allowSets: [DatasetCatalog.RowFilter: AllowSet] = [:]
    private var ids: [Int32]

    init(index: Int, clientIDs: [Int], context: RunContext, target: InProcessIndex, catalog: DatasetCatalog, operations: [OperationSpec]) {
        self.context = context
        self.worker = index
        self.clientIDs = clientIDs
        self.index = target
        self.catalog = catalog
        self.operations = operations
        self.recorder = WorkerRecorder(context: context, worker: index, catalog: catalog, operations: operations.count)
        self.searchContext = target.index.makeContext()
        self.ids = Array(repeating: -1, count: max(operations.map(\.limit).max() ?? 10, 1))
    }

    func run() -> WorkerResult {
        let context = self.context
        let clientCount = context.executor.clients
        var schedule = context.schedule(ofWorker: self.worker)
        var nextSlot = self.clientIDs
        // Closed loop: every client starts at the run's start (see PostgresWorker.run).
        var thinkUntil = [Int64](repeating: context.start, count: self.clientIDs.count)
        var finished = [Bool](repeating: false, count: self.clientIDs.count)
        var turn = 0
        while !context.shouldStop {
            var now = RunClock.now()
            self.recorder.roll(to: now)
            if now >= context.end + context.drainNanos { break }
            // The next request: the worker's next one when it is due (open loop), or the next ready client's in
            // turn (closed loop).
            var request = -1
            var intended = now
            var chosen = -1
            var wake = Int64.max
            var probe: ProbeQueue.Probe?
            if let probes = context.probes {
                guard let look = probes.nextLook(now: now) else { break }
                if let taken = probes.take(now: now) {
                    probe = taken
                    request = taken.number
                    intended = taken.committed
                } else {
                    wake = look
                }
            } else if schedule != nil {
                guard let due = schedule!.due else { break }
                if due <= now {
                    request = schedule!.slot
                    intended = due
                    schedule!.advance()
                } else {
                    wake = due
                }
            } else {
                for offset in self.clientIDs.indices {
                    let slot = (turn + offset) % self.clientIDs.count
                    if finished[slot] { continue }
                    if thinkUntil[slot] > now { wake = min(wake, thinkUntil[slot]); continue }
                    chosen = slot
                    break
                }
                if chosen < 0 && wake == .max { break }
                turn += 1
                if chosen >= 0 {
                    if now >= context.measureStart, !context.claimMeasuredRequest() {
                        finished[chosen] = true
                        continue
                    }
                    request = nextSlot[chosen]
                    nextSlot[chosen] += clientCount
                }
            }
            guard request >= 0 else {
                let until = min(wake, self.recorder.nextSecondBoundary, now + 100_000_000, context.end)
                _ = tripbench_poll_nanos(nil, 0, max(until - now, 0))
                continue
            }
            let measured = intended >= context.measureStart
            let draw = probe.map { context.stream.probeDraw($0.number, row: $0.row, operation: context.lane!) } ?? context.draw(request, asUser: nil)
            let operation = self.operations[draw.operation]
            guard InProcessIndex.serves(operation, precision: self.index.index.parameters.precision, growing: self.index.index.isGrowing) else {
                if measured { self.recorder.result.unsupported[draw.operation, default: 0] += 1 }
                continue
            }
            if measured, schedule != nil { self.recorder.result.scheduleLag.record(nanos: now - intended) }
            let sent = now
            if measured { self.recorder.noteSent() }
            let found = self.search(draw, limit: operation.limit)
            now = RunClock.now()
            if context.thinkNanos > 0 { thinkUntil[chosen] = now + context.thinkNanos }
            if now >= context.measureStart, now < context.end { self.recorder.result.completedInWindow += 1 }
            var error: String?
            if let probes = context.probes, let probe {
                if measured { self.recorder.result.operations[draw.operation].polls += 1 }
                guard let settled = probes.settle(probe, found: self.ids[0..<found].contains(Int32(probe.row)), sent: sent, now: now) else { continue }
                error = settled
            } else if let queue = context.followedBy, measured {
                queue.inserted(request, row: draw.row, committed: now)
            }
            guard measured else { continue }
            self.recorder.record(
                draw.operation, intended: intended, sent: sent, now: now, error: error, rows: found, memoryRows: nil, actingUser: nil)
            if probe == nil, context.samplesRecall(request) {
                self.recorder.keepRecallSample(draw.operation, draw: draw, rows: Array(self.ids[0..<found]))
            }
        }
        self.recorder.finish()
        context.followedBy?.close()
        return self.recorder.result
    }

    /// Runs the search a request asks for, or its insert or delete; returns how many ids it wrote into `ids`
    /// (1 for a row inserted or deleted).
    private func search(_ draw: RequestDraw, limit: Int) -> Int {
        let index = self.index.index
        switch self.operations[draw.operation].kind {
        case .insertMemory:
            index.insert(draw.row, context: self.searchContext)
            return 1
        case .deleteMemory:
            index.markDeleted(draw.row)
            return 1
        default: break
        }
        // A time-to-searchable probe searches for the row it follows.
        let query = draw.row >= 0 ? self.context.stream.rowVectors!.row(draw.row) : self.catalog.queries.row(draw.query)
        return self.ids.withUnsafeMutableBufferPointer { ids in
            let filter = self.catalog.filter(of: draw, operation: self.operations[draw.operation])
            guard let rows = self.catalog.rows(filter) else {
                return index.search(query, k: limit, ef: self.index.efSearch, context: self.searchContext, ids: ids.baseAddress!)
            }
            let allowed = self.allowSets[filter] ?? {
                let set = AllowSet(rows.map(Int.init), nodes: index.count)
                self.allowSets[filter] = set
                return set
            }()
            guard allowed.count > 0 else { return 0 }
            return index.search(query, k: limit, ef: self.index.efSearch, allowing: allowed, context: self.searchContext, ids: ids.baseAddress!).found
        }
    }
}

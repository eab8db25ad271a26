import Results


/// What one worker thread measured.
struct WorkerResult: Sendable {
    /// Per operation of the scenario.
    var operations: [OperationMetrics]
    /// The postgres target: latency per operation and plan class (``PlanClassifier``; the last is `unexplained`).
    var planLatency: [[LatencyHistogram]] = []
    var recallSamples: [RecallSample] = []
    /// Open loop: how late requests were sent after their due time, µs.
    var scheduleLag = LatencyHistogram()
    /// Pooled runs, the mix: each measured request's wait for a free connection (due to send), and the requests
    /// that waited the application pool's timeout and failed unsent.
    var poolWait = LatencyHistogram()
    var poolTimeouts = 0
    /// Connection churn: how long each measured request's new connection took to open (from the start of the
    /// attempt to the server's ready), and the attempts that failed.
    var connectTime = LatencyHistogram()
    var connectFailures = 0
    /// Open loop: requests due before the end that were never sent.
    var unsent = 0
    /// The same, per operation.
    var unsentByOperation: [Int]
    /// Open loop: requests of the worker's schedule due in the measured part (up to a stop).
    var scheduled = 0
    /// Requests that finished while measuring, whenever they were due (the warm-up's backlog included): what
    /// the target served in the window, even when it never got to a request due in it.
    var completedInWindow = 0
    /// Requests of operations the target cannot serve, per operation (skipped, not sent).
    var unsupported: [Int: Int] = [:]
    var reconnects = 0
    /// Times (monotonic ns, from and to) during which a client of the worker had lost its connection and not
    /// yet opened a new one: the target could not be reached.
    var outages: [Range<Int64>] = []
    /// CPU time the worker thread used while measuring, ns.
    var cpuNanos: Int64 = 0
    /// A fatal problem that ended the worker early.
    var failure: String?

    init(operations: Int) {
        self.operations = Array(repeating: OperationMetrics(), count: operations)
        self.unsentByOperation = Array(repeating: 0, count: operations)
    }
}

/// A vector request whose recall is computed after the run, off the measured path.
struct RecallSample: Sendable {
    var operation: Int
    var draw: RequestDraw
    /// The memory rows returned, in order (-1 for a row the dataset does not hold).
    var rows: [Int32]
}

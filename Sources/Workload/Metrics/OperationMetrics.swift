import Results

/// What one worker measured for one operation: the measured path writes here and nowhere else.
public struct OperationMetrics: Sendable {
    /// From the intended start (open loop) or the send (closed loop) to the last byte of the answer.
    public var latency = LatencyHistogram()
    /// From the send to the answer: the server's time plus the round trip, without queueing.
    public var service = LatencyHistogram()
    public var count = 0
    /// Errors by kind: `timeout`, `connection_lost`, `sqlstate_XXXXX`, `client`.
    public var errors: [String: Int] = [:]
    public var rows = 0
    /// Rows returned that belong to another user than the client's (row-level security checks).
    public var foreignRows = 0
    /// A time-to-searchable probe: the searches its requests made (a request is one row, searched until found).
    public var polls = 0

    public init() {}

    public var errorCount: Int { self.errors.values.reduce(0, +) }

    /// Counts one finished request (ns); `service` is nil when it equals the latency (closed loop), and rows
    /// count only without an error.
    mutating func count(latency: Int64, service: Int64?, error: String?, rows: Int, foreignRows: Int) {
        self.latency.record(nanos: latency)
        if let service { self.service.record(nanos: service) }
        self.count += 1
        if let error {
            self.errors[error, default: 0] += 1
        } else {
            self.rows += rows
            self.foreignRows += foreignRows
        }
    }

    public mutating func add(_ other: OperationMetrics) {
        self.latency.add(other.latency)
        self.service.add(other.service)
        self.count += other.count
        self.errors.merge(other.errors, uniquingKeysWith: +)
        self.rows += other.rows
        self.foreignRows += other.foreignRows
        self.polls += other.polls
    }
}

/// One second of a run, all operations together.
public struct SecondMetrics: Sendable {
    public var latency = LatencyHistogram()
    /// Pooled runs: the wait for a connection of the requests finished in the second.
    public var wait = LatencyHistogram()
    public var count = 0
    public var errors = 0
    /// Runs with live outputs: each operation's requests finished in the second, by operation index (operations
    /// beyond the last one seen are absent), and the measured requests sent in it.
    public var operations: [OperationSecond] = []
    public var sent = 0
    /// Runs with a per-request log: the (sampled) requests finished in the second.
    public var requests: [RequestRecord] = []

    public init() {}

    public mutating func add(_ other: SecondMetrics) {
        self.latency.add(other.latency)
        self.wait.add(other.wait)
        self.count += other.count
        self.errors += other.errors
        self.sent += other.sent
        self.requests += other.requests
        for (index, operation) in other.operations.enumerated() where operation.count > 0 {
            self.growOperations(to: index)
            self.operations[index].add(operation)
        }
    }

    /// Empties the second, keeping its histograms' memory.
    mutating func reset() {
        self.latency.reset()
        self.wait.reset()
        self.count = 0
        self.errors = 0
        self.sent = 0
        for index in self.operations.indices { self.operations[index].reset() }
        self.requests.removeAll(keepingCapacity: true)
    }

    /// Makes room for operation `index`.
    @inline(__always)
    mutating func growOperations(to index: Int) {
        if self.operations.count <= index { self.operations += Array(repeating: OperationSecond(), count: index + 1 - self.operations.count) }
    }
}

/// One request as the per-request log writes it: times in ns from the measured window's start (the due time of an
/// open loop's request, its send, its answer), negative for a request due in the warm-up.
public struct RequestRecord: Sendable {
    public var due: Int64
    public var sent: Int64
    public var end: Int64
    public var operation: Int32
    public var rows: Int32
    /// nil when it was answered.
    public var error: String?
}

/// One operation's requests finished in one second (live outputs).
public struct OperationSecond: Sendable {
    public var latency = LatencyHistogram()
    public var count = 0
    /// Errors by kind, as ``OperationMetrics/errors``.
    public var errors: [String: Int] = [:]

    public init() {}

    mutating func record(latency: Int64, error: String?) {
        self.latency.record(nanos: latency)
        self.count += 1
        if let error { self.errors[error, default: 0] += 1 }
    }

    mutating func reset() {
        self.latency.reset()
        self.count = 0
        self.errors.removeAll(keepingCapacity: true)
    }

    mutating func add(_ other: OperationSecond) {
        self.latency.add(other.latency)
        self.count += other.count
        self.errors.merge(other.errors, uniquingKeysWith: +)
    }
}

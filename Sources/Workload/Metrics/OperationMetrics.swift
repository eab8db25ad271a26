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

    public init() {}

    public mutating func add(_ other: SecondMetrics) {
        self.latency.add(other.latency)
        self.wait.add(other.wait)
        self.count += other.count
        self.errors += other.errors
    }
}

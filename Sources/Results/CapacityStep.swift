/// One step of a capacity search: an open-loop run at one offered rate.
public struct CapacityStep: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable {
        /// Raising the rate by a factor until a step fails (or lowering it until one passes).
        case ramp
        /// Halving the interval between the highest passing and lowest failing rate.
        case bisect
    }

    public var phase: Phase = .ramp
    public var offeredRate: Double
    /// Requests completed (answers and errors) per measured second.
    public var achievedRate: Double
    /// The objective's latency metric over the step, µs; nil when nothing completed.
    public var latencyUs: Double?
    public var p50Us: Double?
    public var p99Us: Double?
    /// Errors and requests due but never sent, over the requests due.
    public var errorRate: Double
    /// Seconds measured (shorter when the step was stopped early).
    public var seconds: Double
    /// The step was cut short because latency was clearly past the objective.
    public var stoppedEarly: Bool
    /// Mean recall@k of the step's sampled searches of the objective's operation (of every operation for
    /// `all`); nil when none was sampled.
    public var recall: Double?
    /// PostgreSQL's buffer cache hit ratio over the step, and the share of the HNSW index in `shared_buffers`
    /// at its end: why a step was slow when the data outgrew memory.
    public var cacheHitRatio: Double?
    public var hnswInSharedBuffers: Double?
    /// pgvector: the plans the objective's operations' requests took at this rate, by operation (absent in
    /// older results).
    public var plans: [String: [DatabaseHealth.PlanShare]]?
    public var passed = false
    public var reason: String?

    public init(
        offeredRate: Double, achievedRate: Double, latencyUs: Double?, p50Us: Double? = nil, p99Us: Double? = nil,
        errorRate: Double, seconds: Double, stoppedEarly: Bool = false
    ) {
        self.offeredRate = offeredRate
        self.achievedRate = achievedRate
        self.latencyUs = latencyUs
        self.p50Us = p50Us
        self.p99Us = p99Us
        self.errorRate = errorRate
        self.seconds = seconds
        self.stoppedEarly = stoppedEarly
    }
}

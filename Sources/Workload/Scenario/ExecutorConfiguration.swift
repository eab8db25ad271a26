/// How load is offered, named as in k6.
///
/// - `constant-vus` (closed loop): `clients` each send their next request when the last one finishes, after
///   an optional think time. Throughput is whatever the system gives.
/// - `constant-arrival-rate` (open loop): `rate` requests per second on a fixed schedule, spread over
///   `clients`; latency counts from each request's scheduled start, so time spent queued behind a slow
///   server is measured (no coordinated omission).
/// - `ramping-arrival-rate`: open loop through `stages`, each moving the rate linearly to its `target` over
///   its `duration`, starting from `startRate`.
///
/// Open-loop requests arrive evenly spaced (`arrivals: uniform`, as k6 and wrk2 send) or as a Poisson process
/// (`arrivals: poisson`, as pgbench `--rate` does and independent users do), whose bursts queue.
public struct ExecutorConfiguration: Sendable, Equatable {
    public var type: ExecutorType
    public var clients: Int
    /// Requests per second (`constant-arrival-rate`).
    public var rate: Double?
    /// The rate at the start of the first stage (`ramping-arrival-rate`).
    public var startRate: Double
    public var stages: [Stage]
    /// Pause between a response and the next request (`constant-vus`).
    public var thinkTime: Duration
    /// How open-loop requests are spaced.
    public var arrivals: ArrivalProcess

    public struct Stage: Sendable, Equatable {
        public var duration: Duration
        public var target: Double
    }

    public init(
        type: ExecutorType, clients: Int, rate: Double? = nil, startRate: Double = 0, stages: [Stage] = [], thinkTime: Duration = .zero,
        arrivals: ArrivalProcess = .uniform
    ) {
        self.type = type
        self.clients = clients
        self.rate = rate
        self.startRate = startRate
        self.stages = stages
        self.thinkTime = thinkTime
        self.arrivals = arrivals
    }

    /// Whether requests follow a schedule (open loop) rather than each other (closed loop).
    public var isOpen: Bool { self.type != .constantVUs }

    /// The stages' total length: the measured duration of a ramping run.
    public var stagesDuration: Duration { self.stages.reduce(.zero) { $0 + $1.duration } }
}

public enum ExecutorType: String, Sendable, Codable, CaseIterable {
    case constantVUs = "constant-vus"
    case constantArrivalRate = "constant-arrival-rate"
    case rampingArrivalRate = "ramping-arrival-rate"

    /// Short names accepted for each type.
    static let aliases: [String: ExecutorType] = [
        "closed": .constantVUs, "open": .constantArrivalRate, "ramp": .rampingArrivalRate,
    ]
}

/// How an open loop spaces its requests: evenly, or with exponential gaps (a Poisson process).
public enum ArrivalProcess: String, Sendable, Codable, CaseIterable {
    case uniform
    case poisson
}

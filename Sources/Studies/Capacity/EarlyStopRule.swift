import Workload

/// Decides, second by second, that a step is clearly failing, so it stops instead of holding the server in
/// overload: the latency metric of `seconds` consecutive seconds above `factor` times the limit. In an open
/// loop past capacity the backlog grows every second, so this rule fires within a few seconds of overload,
/// while a single slow second (a checkpoint, a GC) does not end a step.
public struct EarlyStopRule: Sendable, Codable, Equatable {
    public var factor = 2.0
    public var seconds = 2
    private var run = 0

    public init(factor: Double = 2.0, seconds: Int = 2) {
        self.factor = factor
        self.seconds = seconds
    }

    /// Feeds one second's latency (µs); returns true when the step should stop.
    public mutating func observe(latencyUs: Double, limitUs: Double) -> Bool {
        self.run = latencyUs > limitUs * self.factor ? self.run + 1 : 0
        return self.run >= self.seconds
    }
}

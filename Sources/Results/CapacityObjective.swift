import Foundation

/// The service-level objective a capacity search holds a rate to: a latency percentile below a limit (from
/// the request's scheduled start, so queueing counts), an error rate at most a share, and the offered rate
/// actually served.
public struct CapacityObjective: Sendable, Codable, Equatable {
    /// `p95 < 100ms` on an operation or `all`.
    public var latency: Threshold
    /// A fraction; requests that were due but never sent count as errors.
    public var maxErrorRate: Double
    /// A step must complete at least this share of the requests it offered.
    public var minServedShare = 0.95

    public init(latency: Threshold, maxErrorRate: Double) {
        self.latency = latency
        self.maxErrorRate = maxErrorRate
    }

    /// Whether a step met the objective, and if not, why.
    public func judge(_ step: CapacityStep) -> (passed: Bool, reason: String?) {
        if step.stoppedEarly {
            return (false, "stopped early: \(self.latency.metric.rawValue) was already past \(Self.millis(self.latency.value)) by a wide margin")
        }
        guard let measured = step.latencyUs else { return (false, "nothing was measured") }
        if !self.latency.comparison.holds(measured, self.latency.value) {
            return (false, "\(self.latency.metric.rawValue) \(Self.millis(measured)) breaks \(self.latency.expression)")
        }
        if step.errorRate > self.maxErrorRate {
            return (false, "error rate \(Self.percent(step.errorRate)) above \(Self.percent(self.maxErrorRate))")
        }
        if step.achievedRate < step.offeredRate * self.minServedShare {
            return (false, "served \(Int(step.achievedRate.rounded()))/s of the \(Int(step.offeredRate.rounded()))/s offered")
        }
        return (true, nil)
    }

    static func millis(_ micros: Double) -> String {
        micros >= 1000 ? String(format: "%.1f ms", micros / 1000) : String(format: "%.0f µs", micros)
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.2f %%", fraction * 100) }
}

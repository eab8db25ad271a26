import Foundation

/// A pass/fail condition on one operation's results (or `all` of them), such as `p95 < 100ms`,
/// `error_rate < 1%`, `qps >= 471` or `recall >= 0.95`.
public struct Threshold: Sendable, Equatable, Codable, CustomStringConvertible {
    /// An operation name, or `all` for the run's totals.
    public var operation: String
    public var metric: Metric
    public var comparison: Comparison
    /// In the metric's unit: microseconds for latencies, a fraction for rates and recall, requests per second.
    public var value: Double
    /// The condition as written, for reports.
    public var expression: String

    public init(operation: String, metric: Metric, comparison: Comparison, value: Double, expression: String) {
        self.operation = operation
        self.metric = metric
        self.comparison = comparison
        self.value = value
        self.expression = expression
    }

    public enum Metric: String, Sendable, Codable, CaseIterable {
        case p50, p90, p95, p99, p999, max, mean, qps, errorRate = "error_rate", recall
        /// Row-level security runs: rows returned that belong to another user than the acting one (a count).
        case foreignRows = "foreign_rows"
        /// The share of the measured time during which the target could not be reached (a fraction).
        case unreachable
        /// The share of the planned measured time that ran: 1 for a run that ran to its end, 0 for a target
        /// that never ran (a fraction).
        case completed
        /// A runbook's checkpoints (`tripbench stages`): the mean recall of a vector search (or, for `all`, the
        /// lowest of every search at the checkpoint) against the rows present, at every stage (a fraction).
        case recallAtStage = "recall_at_stage"
        /// Pooled runs: the share of the requests' time not spent waiting for a connection (``PoolReport``; a
        /// fraction, the same whichever operation a threshold names).
        case poolEfficiency = "pool_efficiency"

        package var isLatency: Bool { [.p50, .p90, .p95, .p99, .p999, .max, .mean].contains(self) }
        /// Metrics of a whole target, the same whichever operation a threshold names.
        public var isTargetWide: Bool { [.unreachable, .completed, .poolEfficiency].contains(self) }
        /// Metrics given as a fraction, written with `%` or as a fraction.
        package var isFraction: Bool { [.errorRate, .recall, .unreachable, .completed, .recallAtStage, .poolEfficiency].contains(self) }
    }

    public enum Comparison: String, Sendable, Codable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

        public func holds(_ actual: Double, _ limit: Double) -> Bool {
            switch self {
            case .less: actual < limit
            case .lessOrEqual: actual <= limit
            case .greater: actual > limit
            case .greaterOrEqual: actual >= limit
            }
        }
    }

    public var description: String { "\(self.operation): \(self.expression)" }

    /// A condition on whether the run itself can be trusted (it completed, reached its server, kept users'
    /// rows apart) rather than on how fast or accurate it was.
    public var isCheck: Bool { [.completed, .unreachable, .foreignRows].contains(self.metric) }
}

public struct ThresholdSyntaxError: Error, Sendable {
    public var message: String

    package init(message: String) {
        self.message = message
    }
}

import Datasets
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

        var isLatency: Bool { [.p50, .p90, .p95, .p99, .p999, .max, .mean].contains(self) }
        /// Metrics of a whole target, the same whichever operation a threshold names.
        public var isTargetWide: Bool { [.unreachable, .completed].contains(self) }
        /// Metrics given as a fraction, written with `%` or as a fraction.
        var isFraction: Bool { [.errorRate, .recall, .unreachable, .completed].contains(self) }
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

    /// Parses `metric op value[unit]`; latencies take `us`, `ms` or `s` (default ms), rates `%` or a fraction.
    /// - Returns: the threshold, or a message saying what is wrong.
    public static func parse(_ text: String, operation: String) -> Result<Threshold, ThresholdSyntaxError> {
        let pattern = /^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([0-9]*\.?[0-9]+)\s*(us|µs|ms|s|%)?\s*$/
        guard let match = text.wholeMatch(of: pattern) else {
            return .failure(.init(message: "threshold \"\(text)\" is not `metric < value` (e.g. p95 < 100ms)"))
        }
        let name = String(match.output.1)
        guard let metric = Metric(rawValue: name) else {
            let known = Metric.allCases.map(\.rawValue)
            return .failure(.init(message: "unknown threshold metric \(name)\(YAMLMapping.suggestion(for: name, among: known)); known: \(known.joined(separator: ", "))"))
        }
        let comparison = Comparison(rawValue: String(match.output.2))!
        var value = Double(match.output.3)!
        let unit = match.output.4.map(String.init)
        switch (metric.isLatency, unit) {
        case (true, nil), (true, "ms"): value *= 1000
        case (true, "s"): value *= 1_000_000
        case (true, "us"), (true, "µs"): break
        case (false, "%") where metric.isFraction: value /= 100
        case (false, nil): break
        default:
            return .failure(.init(message: "threshold \"\(text)\": \(unit ?? "") is not a unit of \(name)"))
        }
        return .success(Threshold(operation: operation, metric: metric, comparison: comparison, value: value, expression: text.trimmingCharacters(in: .whitespaces)))
    }
}

extension Threshold {
    /// Parses the command line's `operation:condition` (`vector_search:p95<100ms`, `all:qps>=471`), checking the
    /// operation against `operations` (plus `all`).
    public static func parse(qualified text: String, operations: [String]) -> Result<Threshold, ThresholdSyntaxError> {
        guard let colon = text.firstIndex(of: ":") else {
            return .failure(.init(message: "threshold \"\(text)\" is not operation:condition (e.g. vector_search:p95<100ms or all:qps>=471)"))
        }
        let operation = text[..<colon].trimmingCharacters(in: .whitespaces)
        let known = operations + ["all"]
        guard known.contains(operation) else {
            return .failure(.init(message: "threshold \"\(text)\": no operation \(operation)\(YAMLMapping.suggestion(for: operation, among: known)); the run has \(known.joined(separator: ", "))"))
        }
        return Self.parse(String(text[text.index(after: colon)...]), operation: operation)
    }
}

public struct ThresholdSyntaxError: Error, Sendable {
    public var message: String
}

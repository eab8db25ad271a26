import Datasets
import Foundation
import Results

extension Threshold {
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

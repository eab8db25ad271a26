import Workload

/// One threshold checked against one target's results.
public struct ThresholdOutcome: Sendable {
    public enum Status: String, Sendable {
        case passed, failed
        /// The target did not serve what the threshold is about (the in-process index and relational queries).
        case notApplicable = "not applicable"
    }

    public var target: String
    public var threshold: Threshold
    public var status: Status
    /// In the metric's unit (µs, requests/s, a fraction); nil when nothing was measured.
    public var measured: Double?
    /// `p95 = 12.3ms, limit < 100ms`, or why it failed or does not apply.
    public var detail: String

    /// `postgres vector_search p95 < 100ms`.
    public var name: String { "\(self.target) \(self.threshold.operation) \(self.threshold.expression)" }
}

/// Checks thresholds against a report, per target: latencies of one operation from its merged histogram,
/// of `all` from every operation's histograms merged; `qps` and `error_rate` from the counts; `recall` from
/// the sampled requests. A threshold on something not measured fails (it cannot be shown to hold), except
/// where the target does not serve it.
public enum ThresholdVerdict {
    public static func evaluate(_ thresholds: [Threshold], in report: RunReport) -> [ThresholdOutcome] {
        report.totals.map(\.target).flatMap { target in
            thresholds.map { self.evaluate($0, target: target, report: report) }
        }
    }

    /// One row's verdict: failed when one of its outcomes failed, passed when one passed and none failed,
    /// nil when none applies.
    public static func combined(_ outcomes: [ThresholdOutcome]) -> ThresholdOutcome.Status? {
        if outcomes.contains(where: { $0.status == .failed }) { return .failed }
        return outcomes.contains { $0.status == .passed } ? .passed : nil
    }

    /// True when no outcome failed.
    public static func passed(_ outcomes: [ThresholdOutcome]) -> Bool {
        !outcomes.contains { $0.status == .failed }
    }

    static func evaluate(_ threshold: Threshold, target: String, report: RunReport) -> ThresholdOutcome {
        var outcome = ThresholdOutcome(target: target, threshold: threshold, status: .failed, measured: nil, detail: "")
        let operations = report.operations.filter { $0.target == target }
        let served = operations.filter { $0.unsupported == nil }
        let selected: [OperationReport]
        if threshold.operation == "all" {
            if served.count < operations.count {
                outcome.status = .notApplicable
                outcome.detail = "\(target) served \(served.count) of the \(operations.count) operations, so the mix's totals do not apply"
                return outcome
            }
            selected = served
        } else {
            guard let operation = operations.first(where: { $0.operation == threshold.operation }) else {
                outcome.detail = "the run has no operation \(threshold.operation)"
                return outcome
            }
            if operation.unsupported != nil {
                outcome.status = .notApplicable
                outcome.detail = "\(target) does not serve \(threshold.operation)"
                return outcome
            }
            selected = [operation]
        }
        guard let measured = self.measure(threshold.metric, of: selected, target: target, report: report) else {
            outcome.detail = "\(threshold.metric.rawValue) was not measured"
            return outcome
        }
        outcome.measured = measured
        outcome.status = threshold.comparison.holds(measured, threshold.value) ? .passed : .failed
        outcome.detail = "\(threshold.metric.rawValue) = \(MetricText.format(measured, threshold.metric)), limit \(threshold.comparison.rawValue) \(MetricText.format(threshold.value, threshold.metric))"
        return outcome
    }

    /// The metric over `operations` of `target`, or nil when nothing was measured.
    static func measure(_ metric: Threshold.Metric, of operations: [OperationReport], target: String, report: RunReport) -> Double? {
        let count = operations.reduce(0) { $0 + $1.count }
        switch metric {
        case .qps:
            return operations.reduce(0) { $0 + $1.qps }
        case .errorRate:
            guard count > 0 else { return nil }
            return Double(operations.reduce(0) { $0 + $1.errors }) / Double(count)
        case .recall:
            let recalls = operations.compactMap(\.recall)
            let samples = recalls.reduce(0) { $0 + $1.samples }
            guard samples > 0 else { return nil }
            return recalls.reduce(0) { $0 + $1.mean * Double($1.samples) } / Double(samples)
        case .p50, .p90, .p95, .p99, .p999, .max, .mean:
            guard count > 0 else { return nil }
            if operations.count == 1 { return self.latency(metric, operations[0].latencyUs) }
            var merged = LatencyHistogram()
            for histogram in report.histograms where histogram.target == target && histogram.measure == "latency"
                && operations.contains(where: { $0.operation == histogram.operation }) {
                merged.add(LatencyHistogram(buckets: histogram.buckets))
            }
            return merged.count == 0 ? nil : self.latency(metric, LatencySummary(merged))
        }
    }

    private static func latency(_ metric: Threshold.Metric, _ summary: LatencySummary) -> Double {
        switch metric {
        case .p50: Double(summary.p50)
        case .p90: Double(summary.p90)
        case .p95: Double(summary.p95)
        case .p99: Double(summary.p99)
        case .p999: Double(summary.p999)
        case .max: Double(summary.max)
        default: summary.mean
        }
    }
}

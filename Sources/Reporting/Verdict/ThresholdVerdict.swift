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
/// of `all` from every operation's histograms merged; `qps` and `error_rate` from the counts (an open loop's
/// unsent requests count as failed); `recall` from the sampled requests. A threshold on something not
/// measured fails (it cannot be shown to hold), except where the target does not serve it; every threshold of
/// a target that never ran fails.
///
/// Besides the thresholds given, every run is held to ``checks(besides:report:)``: it ran to its end, the
/// server stayed reachable, and under row-level security no row of another user came back.
public enum ThresholdVerdict {
    /// The share of the measured time the server may be unreachable unless a threshold on `unreachable` for
    /// `all` says otherwise: 1 %, so a 60 s run tolerates 0.6 s (one reconnect after a dropped connection),
    /// not a restart of the server.
    public static let defaultMaxUnreachable = 0.01

    public static func evaluate(_ thresholds: [Threshold], in report: RunReport) -> [ThresholdOutcome] {
        let all = thresholds + self.checks(besides: thresholds, report: report)
        return self.targets(of: report).flatMap { target in
            all.map { self.evaluate($0, target: target, report: report) }
        }
    }

    /// The conditions every run must meet whatever its thresholds, as thresholds on `all`: `completed >= 100%`;
    /// `unreachable <= 1%` unless `thresholds` has its own on `all`; and under row-level security
    /// `foreign_rows < 1`, which no threshold can loosen.
    public static func checks(besides thresholds: [Threshold], report: RunReport) -> [Threshold] {
        func check(_ metric: Threshold.Metric, _ comparison: Threshold.Comparison, _ value: Double, _ text: String) -> Threshold {
            Threshold(operation: "all", metric: metric, comparison: comparison, value: value, expression: text)
        }
        var checks = [check(.completed, .greaterOrEqual, 1, "completed >= 100%")]
        if !thresholds.contains(where: { $0.operation == "all" && $0.metric == .unreachable }) {
            checks.append(check(.unreachable, .lessOrEqual, self.defaultMaxUnreachable, "unreachable <= 1%"))
        }
        if report.scenario.rowLevelSecurity { checks.append(check(.foreignRows, .less, 1, "foreign_rows < 1")) }
        return checks
    }

    /// The targets the run was to measure, in order, whether or not they ran.
    public static func targets(of report: RunReport) -> [String] {
        let planned = ["postgres", "index"].filter { report.target == "both" || report.target == $0 }
        let ran = report.totals.map(\.target)
        return planned + ran.filter { !planned.contains($0) }
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
        guard report.totals.contains(where: { $0.target == target }) else {
            if threshold.metric == .completed { outcome.measured = 0 }
            outcome.detail = "\(target) did not run: the run was stopped before it"
            return outcome
        }
        if let reason = self.notApplicable(threshold.metric, target: target, report: report) {
            outcome.status = .notApplicable
            outcome.detail = reason
            return outcome
        }
        if threshold.metric.isTargetWide { return self.judge(threshold, self.measure(threshold.metric, of: [], target: target, report: report), outcome) }
        let operations = report.operations.filter { $0.target == target }
        let served = operations.filter { $0.unsupported == nil }
        let selected: [OperationReport]
        if threshold.operation == "all" {
            // The mix's totals need every operation; the row-level security check counts whatever was served.
            if served.count < operations.count, threshold.metric != .foreignRows {
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
        return self.judge(threshold, self.measure(threshold.metric, of: selected, target: target, report: report), outcome)
    }

    /// The outcome for `measured`: failed when nothing was measured.
    private static func judge(_ threshold: Threshold, _ measured: Double?, _ start: ThresholdOutcome) -> ThresholdOutcome {
        var outcome = start
        guard let measured else {
            outcome.detail = "\(threshold.metric.rawValue) was not measured"
            return outcome
        }
        outcome.measured = measured
        outcome.status = threshold.comparison.holds(measured, threshold.value) ? .passed : .failed
        outcome.detail = "\(threshold.metric.rawValue) = \(MetricText.format(measured, threshold.metric)), limit \(threshold.comparison.rawValue) \(MetricText.format(threshold.value, threshold.metric))"
        return outcome
    }

    /// Why a target-wide check does not apply to `target`, or nil when it does.
    private static func notApplicable(_ metric: Threshold.Metric, target: String, report: RunReport) -> String? {
        guard target == "index" else {
            if metric == .unreachable, report.totals.first(where: { $0.target == target })?.unreachableSeconds == nil {
                return "unreachable time is not in this report (written by a tripbench before it was measured)"
            }
            return nil
        }
        switch metric {
        case .unreachable: return "the in-process index has no server to reach"
        case .foreignRows: return "the in-process index has no row-level security"
        default: return nil
        }
    }

    /// The metric over `operations` of `target`, or nil when nothing was measured.
    static func measure(_ metric: Threshold.Metric, of operations: [OperationReport], target: String, report: RunReport) -> Double? {
        let count = operations.reduce(0) { $0 + $1.count }
        let total = report.totals.first { $0.target == target }
        switch metric {
        case .qps:
            return operations.reduce(0) { $0 + $1.qps }
        case .errorRate:
            // An open loop's requests that came due and were never sent failed as surely as those that erred.
            let unsent = operations.reduce(0) { $0 + ($1.unsent ?? 0) }
            guard count + unsent > 0 else { return nil }
            return Double(operations.reduce(0) { $0 + $1.errors } + unsent) / Double(count + unsent)
        case .foreignRows:
            // Not measured when the audit after the run could not check an operation.
            guard !operations.contains(where: { $0.rowLevelSecurityAudit?.failure != nil }) else { return nil }
            return Double(operations.reduce(0) { $0 + $1.everyForeignRow })
        case .unreachable:
            guard let total, let unreachable = total.unreachableSeconds else { return nil }
            return unreachable / max(total.measuredSeconds, 1e-9)
        case .completed:
            guard let total else { return nil }
            guard report.partial else { return 1 }
            if let requests = report.scenario.requests, report.scenario.executor == "constant-vus" {
                return min(1, Double(total.count) / Double(max(requests, 1)))
            }
            return min(1, total.measuredSeconds / max(report.scenario.durationSeconds, 1e-9))
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

import Results


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
        if threshold.metric.isTargetWide { return self.judge(threshold, report.measure(threshold.metric, of: [], target: target), outcome) }
        let operations = report.operations.filter { $0.target == target }
        // Rows followed and transactions delivered are not requests of the mix: never in `all`.
        let served = operations.filter { $0.unsupported == nil && !$0.followsRequests }
        let selected: [OperationReport]
        if threshold.operation == "all" {
            // The mix's totals need every operation; the row-level security check counts whatever was served.
            if served.count < operations.filter({ !$0.followsRequests }).count, threshold.metric != .foreignRows {
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
        return self.judge(threshold, report.measure(threshold.metric, of: selected, target: target), outcome)
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
        if metric == .recallAtStage { return "recall_at_stage is measured at a runbook's checkpoints (tripbench stages)" }
        if metric == .poolEfficiency, target != "postgres" || report.pool == nil {
            return "pool_efficiency is measured where requests wait for pooled connections (a scenario's pool or pooler, postgres target)"
        }
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
}

import Results



/// Everything a run is judged by: its thresholds and, for `gate`, a baseline comparison. One test case per
/// threshold and target, and one per compared operation, for JUnit.
public struct GateVerdict: Sendable {
    public var thresholds: [ThresholdOutcome]
    public var comparison: BaselineComparison?

    public init(thresholds: [ThresholdOutcome], comparison: BaselineComparison? = nil) {
        self.thresholds = thresholds
        self.comparison = comparison
    }

    public var passed: Bool { ThresholdVerdict.passed(self.thresholds) && (self.comparison?.regressions.isEmpty ?? true) }

    /// A JUnit test case: a suite per target, a name, and a failure or skip message.
    public struct Case: Sendable {
        public var suite: String
        public var name: String
        public var failure: String?
        public var skipped: String?
        public var output: String
        /// What failed: `threshold`, `check` (a condition every run must meet) or `regression`.
        public var kind = "threshold"
    }

    public var cases: [Case] {
        var cases = self.thresholds.map { outcome in
            Case(
                suite: outcome.target, name: "\(outcome.threshold.operation): \(outcome.threshold.expression)",
                failure: outcome.status == .failed ? outcome.detail : nil, skipped: outcome.status == .notApplicable ? outcome.detail : nil,
                output: outcome.detail, kind: outcome.threshold.isCheck ? "check" : "threshold")
        }
        if let comparison = self.comparison {
            for rows in comparison.rowsByOperation {
                let row = rows[0]
                let regressions = rows.filter { $0.status == .regression }
                cases.append(Case(
                    suite: row.target, name: "\(row.operation): no regression against the baseline",
                    failure: regressions.isEmpty ? nil : regressions.map(ComparisonText.describe).joined(separator: "; "), skipped: nil,
                    output: rows.map(ComparisonText.describe).joined(separator: "\n"), kind: "regression"))
            }
        }
        return cases
    }
}

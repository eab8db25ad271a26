import Foundation
import Results

/// How a baseline comparison reads: one line per figure, and the table `tripbench compare` prints.
public enum ComparisonText {
    /// `p95 4.1ms → 8.3ms (+102.4% worse; tolerance 10.0%, noise 3.1%): regression`.
    public static func describe(_ row: BaselineComparison.Row) -> String {
        "\(row.metric.rawValue) \(MetricText.format(row.base, row.metric)) → \(MetricText.format(row.new, row.metric)) "
            + "(\(self.change(row)); tolerance \(self.amount(row.tolerance, row)), noise \(self.amount(row.noise, row))): \(row.status.rawValue)"
    }

    /// `postgres vector_search p95 …`: ``describe(_:)`` with the target and operation, for a list of regressions.
    public static func line(_ row: BaselineComparison.Row) -> String {
        "\(row.target) \(row.operation) \(self.describe(row))"
    }

    /// `+102.4% worse`, `-0.020 better` (points for rates and recall), `no change`.
    static func change(_ row: BaselineComparison.Row) -> String {
        if abs(row.worse) < 0.0005 { return "no change" }
        let sign = row.worse >= 0 ? "+" : "-"
        return "\(sign)\(self.amount(abs(row.worse), row)) \(row.worse > 0 ? "worse" : "better")"
    }

    static func amount(_ value: Double, _ row: BaselineComparison.Row) -> String {
        row.isRelative ? String(format: "%.1f%%", value * 100) : String(format: "%.3f", value)
    }

    /// A fixed-width table, one row per figure, regressions marked.
    public static func table(_ comparison: BaselineComparison) -> String {
        var rows = [["target", "operation", "metric", "base", "new", "change", "tolerance", "noise", "verdict"]]
        for row in comparison.rows {
            rows.append([
                row.target, row.operation, row.metric.rawValue, MetricText.format(row.base, row.metric), MetricText.format(row.new, row.metric),
                self.change(row), self.amount(row.tolerance, row), self.amount(row.noise, row),
                row.status == .regression ? "REGRESSION" : row.status.rawValue,
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        lines.insert(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)), at: 1)
        lines += comparison.warnings.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }
}

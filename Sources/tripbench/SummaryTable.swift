import Foundation
import Workload

/// The table `tripbench run` prints: one row per target and operation.
enum SummaryTable {
    static func render(_ report: RunReport) -> String {
        let open = report.operations.contains { $0.serviceUs != nil }
        var header = ["target", "operation", "requests", "errors", "qps", "p50", "p95", "p99", "max"]
        if open { header += ["service p95"] }
        header += ["rows/req", "recall"]
        var rows: [[String]] = [header]
        for operation in report.operations {
            if let skipped = operation.unsupported {
                rows.append([operation.target, operation.operation, "not served (\(skipped) skipped)"] + Array(repeating: "", count: header.count - 3))
                continue
            }
            var row = [
                operation.target, operation.operation, "\(operation.count)", "\(operation.errors)", String(format: "%.1f", operation.qps),
                self.micros(operation.latencyUs.p50), self.micros(operation.latencyUs.p95), self.micros(operation.latencyUs.p99),
                self.micros(operation.latencyUs.max),
            ]
            if open { row.append(operation.serviceUs.map { self.micros($0.p95) } ?? "") }
            row.append(String(format: "%.1f", operation.rowsPerRequest))
            row.append(operation.recall.map { String(format: "%.4f", $0.mean) } ?? "")
            rows.append(row)
        }
        for total in report.totals {
            var row = [total.target, "total", "\(total.count)", "\(total.errors)", String(format: "%.1f", total.qps), "", "", "", ""]
            if open { row.append("") }
            row += ["", ""]
            rows.append(row)
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { column, cell in
                column < 2 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: lines[0].count), at: 1)
        for total in report.totals {
            var notes = [String(format: "%@: %.1f s measured, driver CPU %.1f µs/request", total.target, total.measuredSeconds, total.harnessCpuUsPerRequest)]
            if let lag = total.scheduleLagUs { notes.append("schedule lag p95 \(self.micros(lag.p95))") }
            if let unsent = total.unsent, unsent > 0 { notes.append("\(unsent) due requests never sent (backlog)") }
            if total.reconnects > 0 { notes.append("\(total.reconnects) reconnects") }
            if let build = total.indexBuildSeconds { notes.append(String(format: "index built in %.1f s", build)) }
            lines.append(notes.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    /// `850µs`, `12.3ms`, `1.20s`.
    static func micros(_ value: UInt64) -> String {
        switch value {
        case ..<1000: "\(value)µs"
        case ..<1_000_000: String(format: "%.1fms", Double(value) / 1000)
        default: String(format: "%.2fs", Double(value) / 1_000_000)
        }
    }
}

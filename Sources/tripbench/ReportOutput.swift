import Foundation
import Reporting
import Workload

/// The end of `run`, `report` and `gate`: render the run directory, print the Markdown and where the files
/// are, and exit 1 when the verdict failed.
enum ReportOutput {
    /// - Parameter justRun: the report comes from the run that just ended: then a run stopped early exits 130
    ///   and a server unreachable for too long 3, as runtime failures, before a failed verdict's 1.
    static func publish(_ report: RunReport, verdict: GateVerdict, to directory: RunDirectory, justRun: Bool = false) throws {
        let markdown = try directory.render(report, verdict: verdict)
        Console.out(markdown)
        if let comparison = verdict.comparison {
            Console.out("Against the baseline:\n" + ComparisonText.table(comparison) + "\n")
        }
        Console.out("report: \(directory.file("report.html"))")
        Console.out("json:   \(directory.reportPath)")
        Console.out("junit:  \(directory.file("junit.xml"))")
        if !verdict.passed {
            let failed = verdict.thresholds.filter { $0.status == .failed }.map { "\($0.name) (\($0.detail))" }
                + (verdict.comparison?.regressions.map(ComparisonText.line) ?? [])
            Console.error("failed: " + failed.joined(separator: "; "))
            if justRun, report.partial { throw ExitStatus.interrupted }
            let unreachable = verdict.thresholds.contains { $0.status == .failed && $0.threshold.metric == .unreachable }
            if justRun, unreachable { throw ExitStatus.runtimeFailure }
            throw ExitStatus.thresholdFailed
        }
    }
}

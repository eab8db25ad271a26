import ArgumentParser
import Foundation
import Reporting
import Workload

/// `tripbench report RUN_DIR`: renders report.md, report.html and junit.xml again from a run's report.json.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a run's report.md, report.html and junit.xml again from its report.json.",
        discussion: "Thresholds are the scenario's as run, plus --threshold. Exits 1 when one fails."
    )

    @Argument(help: ArgumentHelp("A run directory (or its report.json).", valueName: "run-dir"))
    var run: String

    @OptionGroup var thresholdOptions: ThresholdOptions

    func run() async throws {
        let report = try ReportFile.read(self.run)
        let thresholds = try self.thresholdOptions.thresholds(of: report)
        try ReportOutput.publish(report, verdict: GateVerdict(thresholds: ThresholdVerdict.evaluate(thresholds, in: report)), to: RunDirectory(locating: self.run))
    }
}


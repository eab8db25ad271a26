import ArgumentParser
import Reporting
import Workload

/// `tripbench compare BASE.json [BASE2.json …] NEW.json`: per-operation differences; exit 1 on a regression.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a run with one or more baseline runs; exit 1 on a regression beyond tolerance and noise.",
        discussion: """
            The last report is the new run; the others are baselines (several let the noise between runs be \
            measured). A figure regressed when it is worse than the baseline by more than --max-regression \
            (latency percentiles, throughput) or one point (error rate, recall), and by more than the noise \
            estimated from the runs themselves (docs/ci.md). Reports of different scenarios or datasets are \
            refused unless --force.
            """
    )

    @Argument(help: ArgumentHelp("Baseline report(s), then the new report (report.json or run directories).", valueName: "report"))
    var reports: [String]

    @Option(help: "The relative regression tolerated in latency and throughput.")
    var maxRegression = RegressionTolerance(fraction: 0.10)

    @Flag(help: "Compare reports of different scenarios or datasets anyway.")
    var force = false

    func validate() throws {
        if self.reports.count < 2 { throw ValidationError("compare needs a baseline report and a new report") }
    }

    func run() async throws {
        let reports = try self.reports.map(ReportFile.read)
        let comparison = try BaselineComparison.compare(
            baselines: Array(reports.dropLast()), new: reports.last!, maxRegression: self.maxRegression.fraction, force: self.force)
        Console.out(ComparisonText.table(comparison))
        let regressions = comparison.regressions
        guard regressions.isEmpty else {
            Console.error("\(regressions.count) regression\(regressions.count == 1 ? "" : "s"): "
                + regressions.map(ComparisonText.line).joined(separator: "; "))
            throw ExitStatus.thresholdFailed
        }
        Console.out("no regression beyond \(self.maxRegression.defaultValueDescription) and the noise")
    }
}

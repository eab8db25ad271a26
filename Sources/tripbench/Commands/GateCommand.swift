import ArgumentParser
import Reporting
import Workload

/// `tripbench gate NEW.json [--baseline BASE.json …]`: the CI verdict, thresholds and baseline together.
struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Apply a run's thresholds, and a baseline comparison, and exit 1 if either fails.",
        discussion: """
            Checks the scenario's thresholds and every --threshold against the run, compares it with the \
            baseline(s) as `compare` does, writes report.md, report.html and junit.xml (one test case per \
            threshold and per compared operation) into the run's directory, and prints the verdict. \
            Exit codes: 0 pass, 1 a threshold or the baseline failed, 2 bad input.
            """
    )

    @Argument(help: ArgumentHelp("The run to judge (report.json or its directory).", valueName: "report"))
    var report: String

    @Option(help: ArgumentHelp("A baseline report (repeatable: several measure the run-to-run noise).", valueName: "report"))
    var baseline: [String] = []

    @Option(help: "The relative regression tolerated in latency and throughput.")
    var maxRegression = RegressionTolerance(fraction: 0.10)

    @Flag(help: "Compare with a baseline of a different scenario or dataset anyway.")
    var force = false

    @OptionGroup var thresholdOptions: ThresholdOptions

    func run() async throws {
        let report = try ReportFile.read(self.report)
        let thresholds = try self.thresholdOptions.thresholds(of: report)
        var verdict = GateVerdict(thresholds: ThresholdVerdict.evaluate(thresholds, in: report))
        if !self.baseline.isEmpty {
            verdict.comparison = try BaselineComparison.compare(
                baselines: try self.baseline.map(ReportFile.read), new: report, maxRegression: self.maxRegression.fraction, force: self.force)
        }
        if thresholds.isEmpty && self.baseline.isEmpty {
            throw CommandFailure(.badInput, "nothing to gate on: the scenario has no thresholds; pass --threshold or --baseline")
        }
        try ReportOutput.publish(report, verdict: verdict, to: RunDirectory(locating: self.report))
    }
}

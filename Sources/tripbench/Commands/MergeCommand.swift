import ArgumentParser
import Foundation
import LocalServer
import Reporting
import Results

/// `tripbench merge SHARD…`: the shards' report.json files of one run as one report.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shards' reports of one run (run --shard i/N) into one report.",
        discussion: """
            Rebuilds each operation's HdrHistograms from the reports and adds them (the merged percentiles are those \
            of all the shards' requests), adds counts, errors and rates, evaluates the scenario's thresholds on the \
            merged figures and writes report.json/md/html and junit.xml. With --shards N, fewer reports (or a partial \
            one) make the merged report partial, and the command exits 3 after writing it.
            """
    )

    @Argument(help: ArgumentHelp("The shards' run directories (or their report.json files).", valueName: "shard"))
    var shards: [String]

    @Option(help: "How many shards the run had.")
    var expectShards: Int?

    @Option(help: ArgumentHelp("Directory for the merged report (default: reports/<scenario>-merged-<time>).", valueName: "dir"))
    var out: String?

    @OptionGroup var thresholdOptions: ThresholdOptions

    func validate() throws {
        guard !self.shards.isEmpty else { throw ValidationError("name the shards' reports") }
        try OptionBounds.check("--expect-shards", self.expectShards, in: 1...10_000)
    }

    func run() async throws {
        let reports = try self.shards.map { try ReportFile.read($0) }
        let merged: RunReport
        do {
            merged = try RunReport.merged(reports, expected: self.expectShards)
        } catch let error as ReportMergeError {
            throw CommandFailure(.badInput, error.description)
        }
        let root = ProjectLocator.projectRoot()
        let directory = try ReportOutput.prepare(RunDirectory(
            path: self.out ?? root.appendingPathComponent("reports/\(merged.scenario.name)-merged-\(RunCommand.timestamp())").path))
        let written = try ReportOutput.write(merged, to: directory)
        let thresholds = try self.thresholdOptions.thresholds(of: merged)
        let verdict = GateVerdict(thresholds: ThresholdVerdict.evaluate(thresholds, in: merged))
        if merged.partial {
            try? ReportOutput.publish(merged, verdict: verdict, to: written)
            throw CommandFailure(.runtimeFailure, "the merged report is partial: \(reports.count) of \(self.expectShards ?? reports.count) shards, \(reports.filter(\.partial).count) of them stopped early")
        }
        try ReportOutput.publish(merged, verdict: verdict, to: written)
    }
}

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
            merged figures and writes report.json/md/html and junit.xml. Fewer reports than the run's shards (as the \
            shards' reports or --expect-shards say), or a partial one, make the merged report partial, and the \
            command exits 3 after writing it; a shard's directory without report.json counts as missing.
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
        // A shard killed before its report leaves its directory empty (`/reports/shard-*` still names it): it
        // counts as missing, which makes the merge partial; a path that is not there at all is a mistake.
        var reports: [RunReport] = []
        for path in self.shards {
            let directory = RunDirectory(locating: path)
            if directory.path == path, FileManager.default.fileExists(atPath: path), !FileManager.default.fileExists(atPath: directory.reportPath) {
                Console.info("warning: \(path) holds no report.json (a shard that ended before writing it): counted as missing")
                continue
            }
            reports.append(try ReportFile.read(path))
        }
        guard !reports.isEmpty else { throw CommandFailure(.runtimeFailure, "none of the \(self.shards.count) shards left a report.json") }
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
            let missing = merged.shard.map { $0.missing.isEmpty ? "" : " (missing: \($0.missing.map { "\($0)/\(merged.shard!.count)" }.joined(separator: ", ")))" } ?? ""
            throw CommandFailure(.runtimeFailure, "the merged report is partial: \(reports.count) of \(self.expectShards ?? merged.shard?.count ?? reports.count) shards\(missing), \(reports.filter(\.partial).count) of them stopped early")
        }
        try ReportOutput.publish(merged, verdict: verdict, to: written)
    }
}

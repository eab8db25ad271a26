import ArgumentParser
import Foundation
import LocalServer
import Reporting
import Results
import Workload

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

            With --wait (a merge started beside the shards, as the Kubernetes merge Job), the shards' reports need \
            not exist yet: the command waits until each is there, or until --grace has passed since the first one \
            appeared (the shards of one run end together), or --wait has passed; a shard still without its report \
            then counts as missing.
            """
    )

    @Argument(help: ArgumentHelp("The shards' run directories (or their report.json files).", valueName: "shard"))
    var shards: [String]

    @Option(help: "How many shards the run had.")
    var expectShards: Int?

    @Option(help: ArgumentHelp("Wait up to this long for the shards' reports to appear, e.g. 30m (default: no wait).", valueName: "duration"))
    var wait: String?

    @Option(help: ArgumentHelp("With --wait: how long the others have once one shard has reported.", valueName: "duration"))
    var grace = "2m"

    @Option(help: ArgumentHelp("Directory for the merged report (default: reports/<scenario>-merged-<time>).", valueName: "dir"))
    var out: String?

    @OptionGroup var thresholdOptions: ThresholdOptions

    func validate() throws {
        guard !self.shards.isEmpty else { throw ValidationError("name the shards' reports") }
        try OptionBounds.check("--expect-shards", self.expectShards, in: 1...10_000)
        for (name, value) in [("--wait", self.wait), ("--grace", self.grace)] {
            guard let value, DurationText.parse(value) == nil else { continue }
            throw ValidationError("\(name) must be \(DurationText.expected), not \(value)")
        }
    }

    func run() async throws {
        let waiting = self.wait.flatMap(DurationText.parse)
        if let waiting { try await self.awaitReports(atMost: waiting, grace: DurationText.parse(self.grace)!) }
        // A shard killed before its report leaves its directory empty (`/reports/shard-*` still names it): it
        // counts as missing, which makes the merge partial; a path that is not there at all is a mistake, unless
        // the merge waited for it.
        var reports: [RunReport] = []
        for path in self.shards {
            let isDirectory = RunDirectory(locating: path).path == path
            if waiting != nil || isDirectory, !FileManager.default.fileExists(atPath: Self.reportPath(path)) {
                let why = waiting == nil ? "a shard that ended before writing it" : "a shard that ended before writing it, or never started"
                Console.info("warning: \(path) holds no report.json (\(why)): counted as missing")
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

    /// Where `path`'s report is or will be: the path itself when it names a .json file, else report.json in the
    /// directory it names (which may not exist yet).
    static func reportPath(_ path: String) -> String { path.hasSuffix(".json") ? path : RunDirectory(path: path).reportPath }

    /// Polls once a second until every shard's report is there, `grace` has passed since the first one appeared,
    /// or `limit` has passed.
    private func awaitReports(atMost limit: Duration, grace: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var graceEnds: ContinuousClock.Instant?
        while true {
            let present = self.shards.filter { FileManager.default.fileExists(atPath: Self.reportPath($0)) }.count
            if present == self.shards.count { return }
            if present > 0, graceEnds == nil { graceEnds = clock.now + grace }
            let now = clock.now
            if now >= deadline || graceEnds.map({ now >= $0 }) == true {
                let why = now >= deadline ? "after --wait \(self.wait!)" : "\(self.grace) after the first shard's report"
                Console.info("\(self.shards.count - present) of \(self.shards.count) shards have no report \(why): merging the others")
                return
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

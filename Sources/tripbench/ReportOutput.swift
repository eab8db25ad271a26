import Foundation
import Reporting
import Results
import Workload

/// The end of `run`, `report` and `gate`: render the run directory, print the Markdown and where the files
/// are, and exit 1 when the verdict failed.
enum ReportOutput {
    /// Checks, before a run measures anything, that its reports can be written to `directory`: not an existing
    /// file, creatable and writable. Creates it.
    /// - Throws: ``CommandFailure`` (bad input) saying what is wrong with the path.
    static func prepare(_ directory: RunDirectory) throws -> RunDirectory {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CommandFailure(.badInput, "--out \(directory.path) is an existing file, not a directory")
        }
        let nameBytes = URL(fileURLWithPath: directory.path).lastPathComponent.utf8.count
        guard nameBytes <= 255 else {
            throw CommandFailure(.badInput, "--out \(directory.path): the directory name is \(nameBytes) bytes, more than a file name may have (255)")
        }
        do {
            try manager.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(.badInput, "cannot create the report directory \(directory.path): \(Self.reason(error))")
        }
        guard access(directory.path, W_OK) == 0 else {
            throw CommandFailure(.badInput, "the report directory \(directory.path) is not writable")
        }
        return directory
    }

    /// Writes report.json into `directory`, or when that fails after all (a full disk, a directory removed
    /// meanwhile) into a fresh directory under the system's temporary directory, saying where: a measured run
    /// is never lost.
    /// - Returns: the directory that holds the report.
    static func write(_ report: RunReport, to directory: RunDirectory) throws -> RunDirectory {
        do {
            try directory.write(report)
            return directory
        } catch {
            let fallback = RunDirectory(path: FileManager.default.temporaryDirectory
                .appendingPathComponent("tripbench-\(report.scenario.name)-\(UUID().uuidString.prefix(8))").path)
            try fallback.write(report)
            Console.error("cannot write \(directory.reportPath) (\(error)); the report is in \(fallback.path) instead")
            return fallback
        }
    }

    private static func reason(_ error: any Error) -> String {
        ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription
    }

    /// - Parameter justRun: the report comes from the run that just ended: then a run stopped early exits 130
    ///   and a server unreachable for too long 3, as runtime failures, before a failed verdict's 1.
    /// - Parameter gates: whether a failed threshold ends the command with exit 1; a shard's do not (its
    ///   figures are its share of the run's: `tripbench merge` judges the whole), though a stopped or
    ///   unreachable run still ends with its own code.
    static func publish(_ report: RunReport, verdict: GateVerdict, to directory: RunDirectory, justRun: Bool = false, gates: Bool = true) throws {
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
            guard gates else {
                Console.info("a shard's thresholds are its share's: tripbench merge judges the run")
                return
            }
            throw ExitStatus.thresholdFailed
        }
    }
}

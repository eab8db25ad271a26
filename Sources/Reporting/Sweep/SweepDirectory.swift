import Foundation
import Workload

/// A sweep's directory: `sweep.json` (the results so far, rewritten after every point) and what is rendered
/// from it (`sweep.md`, `sweep.html`), each written under a temporary name and renamed.
public struct SweepDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var resultsPath: String { self.file("sweep.json") }
    public func file(_ name: String) -> String { URL(fileURLWithPath: self.path).appendingPathComponent(name).path }

    /// The saved results, or nil when there are none yet.
    public func readIfPresent() throws -> SweepResults? {
        guard FileManager.default.fileExists(atPath: self.resultsPath) else { return nil }
        return try ReportFile.decode(SweepResults.self, from: self.resultsPath, what: "sweep.json", schemaVersion: SweepResults.currentSchemaVersion)
    }

    public func save(_ results: SweepResults) throws {
        try ReportFile.writeJSON(results, to: self.resultsPath)
    }

    /// Writes sweep.md and sweep.html; returns the Markdown.
    @discardableResult
    public func render(_ results: SweepResults) throws -> String {
        let analysis = SweepAnalysis(results)
        let markdown = SweepReport.markdown(analysis)
        try ReportFile.write(Data(markdown.utf8), to: self.file("sweep.md"))
        try ReportFile.write(Data(SweepReport.html(analysis).utf8), to: self.file("sweep.html"))
        return markdown
    }
}

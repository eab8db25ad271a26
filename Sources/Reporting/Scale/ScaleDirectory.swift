import Foundation
import Workload

/// A scale study's directory: `scale.json` (rewritten after every size), `scale.md` and `scale.html`
/// rendered from it, and the exact ground truth of each prefix (`truth-<checksum>-<rows>.ibin`) kept for a
/// resumed or repeated study. Every file is written under a temporary name and renamed.
public struct ScaleDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var resultsPath: String { self.file("scale.json") }
    public func file(_ name: String) -> String { URL(fileURLWithPath: self.path).appendingPathComponent(name).path }

    /// Where the ground truth over the first `rows` rows of the dataset with `checksum` is kept.
    public func truthPath(checksum: String, rows: Int) -> String { self.file("truth-\(checksum.prefix(16))-\(rows).ibin") }

    /// The saved results, or nil when there are none yet.
    public func readIfPresent() throws -> ScaleResults? {
        guard FileManager.default.fileExists(atPath: self.resultsPath) else { return nil }
        return try ReportFile.decode(ScaleResults.self, from: self.resultsPath, what: "scale.json", schemaVersion: ScaleResults.currentSchemaVersion)
    }

    public func save(_ results: ScaleResults) throws {
        try ReportFile.writeJSON(results, to: self.resultsPath)
    }

    /// Writes scale.md and scale.html; returns the Markdown.
    @discardableResult
    public func render(_ results: ScaleResults) throws -> String {
        let markdown = ScaleReport.markdown(results)
        try ReportFile.write(Data(markdown.utf8), to: self.file("scale.md"))
        try ReportFile.write(Data(ScaleReport.html(results).utf8), to: self.file("scale.html"))
        return markdown
    }
}

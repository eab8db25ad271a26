import Foundation
import Results

/// A capacity search's directory: `capacity.json`, `capacity.md` and `capacity.html`, each written under a
/// temporary name and renamed.
public struct CapacityDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func file(_ name: String) -> String { URL(fileURLWithPath: self.path).appendingPathComponent(name).path }

    /// Writes the three files; returns the Markdown.
    @discardableResult
    public func write(_ results: CapacityResults) throws -> String {
        try ReportFile.writeJSON(results, to: self.file("capacity.json"))
        let markdown = CapacityReport.markdown(results)
        try ReportFile.write(Data(markdown.utf8), to: self.file("capacity.md"))
        try ReportFile.write(Data(CapacityReport.html(results).utf8), to: self.file("capacity.html"))
        return markdown
    }
}

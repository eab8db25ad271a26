import Foundation
import Results

/// A run's directory: `report.json` and what is rendered from it (`report.md`, `report.html`, `junit.xml`),
/// each written under a temporary name and renamed.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The run directory of `path`, which names either the directory or a report.json inside it.
    public init(locating path: String) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        self.init(path: exists && isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent)
    }

    public var reportPath: String { self.file("report.json") }
    public func file(_ name: String) -> String { URL(fileURLWithPath: self.path).appendingPathComponent(name).path }

    /// Writes report.json.
    public func write(_ report: RunReport) throws {
        try ReportFile.writeJSON(report, to: self.reportPath)
    }

    /// Renders and writes report.md, report.html and junit.xml; returns the Markdown.
    @discardableResult
    public func render(_ report: RunReport, verdict: GateVerdict) throws -> String {
        let markdown = MarkdownReport.render(report, outcomes: verdict.thresholds)
        try ReportFile.write(Data(markdown.utf8), to: self.file("report.md"))
        try ReportFile.write(Data(HTMLReport.render(report, verdict: verdict).utf8), to: self.file("report.html"))
        try ReportFile.write(Data(JUnitReport.render(report, verdict: verdict).utf8), to: self.file("junit.xml"))
        return markdown
    }
}

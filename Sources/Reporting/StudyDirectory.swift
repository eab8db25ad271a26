import Foundation
import Results

/// A resumable study's directory (a sweep's or a scale study's): `<name>.json`, the results so far rewritten
/// after every point, and `<name>.md` and `<name>.html` rendered from it. Every file is written under a
/// temporary name and renamed.
public struct StudyDirectory<Results: Codable & Sendable>: Sendable {
    public let path: String
    private let name: String
    private let schemaVersion: Int
    private let reports: @Sendable (Results) -> (markdown: String, html: String)

    init(path: String, name: String, schemaVersion: Int, reports: @escaping @Sendable (Results) -> (markdown: String, html: String)) {
        self.path = path
        self.name = name
        self.schemaVersion = schemaVersion
        self.reports = reports
    }

    public var resultsPath: String { self.file("\(self.name).json") }
    public var htmlPath: String { self.file("\(self.name).html") }
    public func file(_ name: String) -> String { URL(fileURLWithPath: self.path).appendingPathComponent(name).path }

    /// The saved results, or nil when there are none yet.
    public func readIfPresent() throws -> Results? {
        guard FileManager.default.fileExists(atPath: self.resultsPath) else { return nil }
        return try ReportFile.decode(Results.self, from: self.resultsPath, what: "\(self.name).json", schemaVersion: self.schemaVersion)
    }

    public func save(_ results: Results) throws {
        try ReportFile.writeJSON(results, to: self.resultsPath)
    }

    /// Writes the Markdown and HTML reports; returns the Markdown.
    @discardableResult
    public func render(_ results: Results) throws -> String {
        let (markdown, html) = self.reports(results)
        try ReportFile.write(Data(markdown.utf8), to: self.file("\(self.name).md"))
        try ReportFile.write(Data(html.utf8), to: self.htmlPath)
        return markdown
    }
}

public typealias SweepDirectory = StudyDirectory<SweepResults>

extension StudyDirectory where Results == SweepResults {
    public init(path: String) {
        self.init(path: path, name: "sweep", schemaVersion: SweepResults.currentSchemaVersion) { results in
            let analysis = SweepAnalysis(results)
            return (SweepReport.markdown(analysis), SweepReport.html(analysis))
        }
    }
}

/// A scale study's directory also keeps the exact ground truth of each prefix (`truth-<checksum>-<rows>.ibin`)
/// for a resumed or repeated study.
public typealias ScaleDirectory = StudyDirectory<ScaleResults>

extension StudyDirectory where Results == ScaleResults {
    public init(path: String) {
        self.init(path: path, name: "scale", schemaVersion: ScaleResults.currentSchemaVersion) { results in
            (ScaleReport.markdown(results), ScaleReport.html(results))
        }
    }

    /// Where the ground truth over the first `rows` rows of the dataset with `checksum` is kept.
    public func truthPath(checksum: String, rows: Int) -> String { self.file("truth-\(checksum.prefix(16))-\(rows).ibin") }
}

/// A runbook's directory: `stages.json`, `stages.md`, `stages.html`, and `junit.xml` (its thresholds per target).
public typealias StageDirectory = StudyDirectory<StageResults>

extension StudyDirectory where Results == StageResults {
    public init(path: String) {
        self.init(path: path, name: "stages", schemaVersion: StageResults.currentSchemaVersion) { results in
            (StageReport.markdown(results), StageReport.html(results))
        }
    }

    public var junitPath: String { self.file("junit.xml") }

    /// Writes junit.xml: one suite per target, a case per threshold held at every stage; returns the outcomes.
    @discardableResult
    public func writeJUnit(_ results: StageResults) throws -> [ThresholdOutcome] {
        let outcomes = StageVerdict.evaluate(results)
        let cases = GateVerdict(thresholds: outcomes).cases
        let targets = (results.targets ?? []).map(\.rawValue)
        let xml = JUnitReport.render(scenario: results.scenario, cases: cases, targets: targets, timestamp: results.environment?.startTime ?? "") { target in
            results.stages.filter { $0.target.rawValue == target }.compactMap(\.seconds).reduce(0, +)
        }
        try ReportFile.write(Data(xml.utf8), to: self.junitPath)
        return outcomes
    }
}

/// A pooling study's directory also holds each run's report directory.
public typealias PoolingDirectory = StudyDirectory<PoolingResults>

extension StudyDirectory where Results == PoolingResults {
    public init(path: String) {
        self.init(path: path, name: "pooling", schemaVersion: PoolingResults.currentSchemaVersion) { results in
            (PoolingReport.markdown(results), PoolingReport.html(results))
        }
    }
}

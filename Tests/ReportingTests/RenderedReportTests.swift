import Foundation
import FoundationXML
import LocalServer
import Reporting
import Results
import Testing

/// report.md, junit.xml and report.html as their readers see them.
@Suite struct RenderedReportTests {
    static let thresholds = ["vector_search": ["p95 < 100ms", "recall >= 0.99"], "all": ["qps >= 100"]]

    @Test func markdownHasTheVerdictATablePerTargetAndTheHealth() {
        var operations = ReportFixture.mixed
        operations[1].unsupported = true
        let report = ReportFixture.report(target: "both", operations: operations, thresholds: Self.thresholds)
        let markdown = MarkdownReport.render(report, outcomes: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report))
        #expect(markdown.hasPrefix("# tripbench: fixture on both\n"))
        #expect(markdown.contains("**Verdict: ❌ 2 of 10 thresholds and checks failed.**"))
        #expect(markdown.contains("## PostgreSQL") && markdown.contains("## In-process HNSW index") && markdown.contains("## Side by side"))
        let row = markdown.split(separator: "\n").first { $0.hasPrefix("| vector_search | 2000 | 200.0 |") }
        #expect(row?.hasSuffix("| 0.9700 | p95 < 100ms, recall >= 0.99 | ❌ |") == true, "\(row ?? "")")
        #expect(markdown.contains("| chat_history | not served (100 skipped) |"))
        #expect(markdown.contains("- ❌ `postgres` `vector_search: recall >= 0.99`: recall = 0.9700, limit >= 0.9900"))
        #expect(markdown.contains("- ➖ `index` `all: qps >= 100`"))
        #expect(markdown.contains("| scans using an index | 50.00% (0 index, 0 sequential) | > 98% | ❌ |"))
        #expect(markdown.contains("| HNSW index | 391 MB = 3.05× shared_buffers (128 MB) |"))
        #expect(markdown.contains("| HNSW index in shared_buffers (start → end) | 25.00% → 30.00% |"))
        #expect(markdown.contains("| memory_embeddings (heap + TOAST) | 340 MB (TOAST 300 MB) |"))
        #expect(markdown.contains("| vector_search | seq_scan | seq_scan 90 %: P95 1.2ms, recall 1.0000; hnsw 10 %: P95 40.0ms, recall 0.4100 | Limit → Seq Scan on memory_embeddings |"), "\(markdown)")
        #expect(markdown.contains("- not collected: top_statements: the pg_stat_statements extension is not installed"))
        // The driver's cost, and for PostgreSQL which code ran the statements.
        #expect(markdown.contains("driver CPU 12.0 µs/request (direct)") && markdown.contains("driver CPU 12.0 µs/request\n"))
    }

    @Test func junitHasACasePerThresholdAndTargetWithTheFailure() throws {
        var operations = ReportFixture.mixed
        operations[1].unsupported = true
        let report = ReportFixture.report(target: "both", operations: operations, thresholds: Self.thresholds)
        let xml = JUnitReport.render(report, verdict: GateVerdict(thresholds: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)))
        let document = try XMLDocument(xmlString: xml)
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        // Three thresholds and two checks per target; the index has no server to reach.
        #expect(root.attribute(forName: "tests")?.stringValue == "10")
        #expect(root.attribute(forName: "failures")?.stringValue == "2")
        #expect(root.attribute(forName: "skipped")?.stringValue == "2")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.compactMap { $0.attribute(forName: "name")?.stringValue } == ["tripbench.fixture.postgres", "tripbench.fixture.index"])
        let cases = suites[0].elements(forName: "testcase")
        let recall = try #require(cases.first { $0.attribute(forName: "name")?.stringValue == "vector_search: recall >= 0.99" })
        let failure = try #require(recall.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == "recall = 0.9700, limit >= 0.9900")
        let passed = try #require(cases.first { $0.attribute(forName: "name")?.stringValue == "vector_search: p95 < 100ms" })
        #expect(passed.elements(forName: "failure").isEmpty && passed.elements(forName: "skipped").isEmpty)
        #expect(suites[1].elements(forName: "testcase").contains { !$0.elements(forName: "skipped").isEmpty })
    }

    @Test func junitCarriesBaselineRegressions() throws {
        let report = ReportFixture.report(scale: 2, seed: 2)
        let comparison = try BaselineComparison.compare(baselines: [ReportFixture.report()], new: report, maxRegression: 0.1, force: false)
        let xml = JUnitReport.render(report, verdict: GateVerdict(thresholds: [], comparison: comparison))
        let root = try #require(try XMLDocument(xmlString: xml).rootElement())
        #expect(root.attribute(forName: "tests")?.stringValue == "2" && root.attribute(forName: "failures")?.stringValue == "2")
        #expect(xml.contains("vector_search: no regression against the baseline") && xml.contains("worse; tolerance 10.0%"))
    }

    @Test func htmlIsSelfContained() {
        let report = ReportFixture.report(target: "both", thresholds: Self.thresholds)
        let html = HTMLReport.render(report, verdict: GateVerdict(thresholds: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // Nothing fetched: no external script, stylesheet, image or font; the only URL is SVG's namespace.
        for pattern in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(pattern), "\(pattern)") }
        #expect(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").range(of: "https?://", options: .regularExpression) == nil)
        // Per target: the latency distribution, throughput, latency and errors over time; then recall.
        #expect(html.components(separatedBy: "<svg").count - 1 == 2 * 4 + 1)
        #expect(html.contains("Latency by percentile") && html.contains("99.9%") && html.contains("Recall@k"))
        #expect(html.contains("✗ 2 checks failed"))
        #expect(html.contains("driver CPU 12.0 µs/request (direct)"))
    }

    /// Renders report.html in headless Chromium, as a user's browser would, and checks the page drew: a
    /// blank or broken page compresses to a few kilobytes, a page of tables and charts does not.
    @Test func htmlRendersInHeadlessChromium() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("html-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = ReportFixture.report(target: "both", thresholds: Self.thresholds)
        try RunDirectory(path: directory.path).render(report, verdict: GateVerdict(thresholds: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report)))
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "chromium is not installed: make setup installs it")
        let screenshot = directory.appendingPathComponent("report.png")
        let output = try CommandRunner().run(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2400",
            "--screenshot=\(screenshot.path)", directory.appendingPathComponent("report.html").absoluteString,
        ])
        #expect(output.succeeded, "\(output.standardError)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 60_000, "\(png.count) bytes")
        let dom = try CommandRunner().run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", directory.appendingPathComponent("report.html").absoluteString])
        #expect(dom.standardOutput.contains("In-process HNSW index") && dom.standardOutput.contains("<polyline"))
    }

    @Test func aRunDirectoryRoundTripsThroughJSON() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("json-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = ReportFixture.report(target: "both", thresholds: Self.thresholds)
        try RunDirectory(path: directory.path).write(report)
        let read = try ReportFile.read(directory.path)
        #expect(read.scenario.thresholds == report.scenario.thresholds)
        #expect(read.histograms.map(\.buckets) == report.histograms.map(\.buckets))
        #expect(read.health?.plans.first?.vectorAccess == "seq_scan")
        #expect(MarkdownReport.render(read, outcomes: []) == MarkdownReport.render(report, outcomes: []))
    }

    /// docs/ci.md points teams at it: it must stay readable by this tripbench and comparable with itself.
    @Test func theCommittedExampleBaselineReadsAndCompares() throws {
        let path = ProjectLocator.projectRoot().appendingPathComponent("reports/baselines/ci-smoke.json").path
        let baseline = try ReportFile.read(path)
        #expect(baseline.scenario.name == "ci-smoke" && baseline.totals.map(\.target) == ["postgres", "index"])
        let comparison = try BaselineComparison.compare(baselines: [baseline], new: baseline, maxRegression: 0.1, force: false)
        #expect(!comparison.rows.isEmpty && comparison.regressions.isEmpty)
    }

    @Test func unreadableReportsAreRefusedWithTheReason() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try ReportFile.encode(ReportFixture.report())
        let cases: [(String, Data, String)] = [
            ("truncated.json", good.prefix(good.count / 2), "not a JSON object (truncated"),
            ("newer.json", Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"schema_version\" : 1", with: "\"schema_version\" : 2").utf8),
             "schema_version 2 is newer than this tripbench reads (1)"),
            ("other.json", Data("{\"hello\": 1}".utf8), "no schema_version"),
            ("missing.json", Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"totals\"", with: "\"totalz\"").utf8), "missing totals"),
        ]
        for (name, data, message) in cases {
            let path = directory.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: ReportingError.self) { try ReportFile.read(path) }
            #expect(error?.kind == .badInput)
            #expect(error?.message == "\(path): \(message)" || error?.message.hasPrefix("\(path): \(message)") == true, "\(error?.message ?? "")")
        }
    }
}

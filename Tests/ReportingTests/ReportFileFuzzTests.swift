import Foundation
import Testing
import VectorSearch
@testable import Reporting
@testable import Results

/// report.json damaged at random: truncated, values swapped for hostile ones, keys dropped. `tripbench report`
/// and `gate` read it, judge it and render it; each step either works or refuses the file as bad input.
@Suite struct ReportFileFuzzTests {
    static var hostile: [Any] {
        [-1, 0, Int64.max, Int64.min, UInt64.max, 1e308, -1e308, "x", NSNull(), [Any](), [String: Any](), true, [[UInt64.max, UInt64.max]],
         [[1, 2, 3]], [[-5, 2]]]
    }

    @Test func damagedReportsAreReadJudgedAndRenderedOrRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-report-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var base = ReportFixture.report(target: "both", thresholds: ["vector_search": ["p95 < 100ms"], "all": ["error_rate < 1%"]])
        base.scenario.rowLevelSecurity = true
        let original = try #require(try JSONSerialization.jsonObject(with: try ReportFile.encode(base)) as? [String: Any])
        var random = SplitMix64(seed: 7)
        for round in 0..<100 {
            var data: Data
            if round % 5 == 0 {
                let whole = try ReportFile.encode(base)
                data = whole.prefix(Int(random.next() % UInt64(whole.count)))
            } else {
                var object: Any = original
                for _ in 0...(Int(random.next() % 3)) { object = Self.damage(object, random: &random) }
                data = try JSONSerialization.data(withJSONObject: object)
            }
            let file = directory.appendingPathComponent("report\(round).json")
            try data.write(to: file)
            do {
                let report = try ReportFile.read(file.path)
                let verdict = GateVerdict(thresholds: ThresholdVerdict.evaluate(report.scenario.thresholds, in: report))
                _ = MarkdownReport.render(report, outcomes: verdict.thresholds)
                _ = HTMLReport.render(report, verdict: verdict)
                _ = JUnitReport.render(report, verdict: verdict)
                _ = try? BaselineComparison.compare(baselines: [base], new: report, maxRegression: 0.1, force: true)
            } catch let error as ReportingError {
                #expect(error.kind == .badInput, "round \(round): \(error)")
            }
        }
    }

    /// One random change somewhere in the JSON tree: a value replaced, a key removed, an array emptied.
    static func damage(_ value: Any, random: inout SplitMix64) -> Any {
        let stop = random.next() % 4 == 0
        if var object = value as? [String: Any], !object.isEmpty {
            let key = object.keys.sorted()[Int(random.next() % UInt64(object.count))]
            switch (stop, random.next() % 3) {
            case (true, 0): object.removeValue(forKey: key)
            case (true, _): object[key] = Self.hostile[Int(random.next() % UInt64(Self.hostile.count))]
            default: object[key] = Self.damage(object[key]!, random: &random)
            }
            return object
        }
        if var array = value as? [Any], !array.isEmpty {
            let index = Int(random.next() % UInt64(array.count))
            if stop { array[index] = Self.hostile[Int(random.next() % UInt64(Self.hostile.count))] } else {
                array[index] = Self.damage(array[index], random: &random)
            }
            return array
        }
        return Self.hostile[Int(random.next() % UInt64(Self.hostile.count))]
    }
}

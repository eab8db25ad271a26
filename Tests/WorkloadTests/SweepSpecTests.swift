import Foundation
import LocalServer
import Results
import Testing
import Workload

/// Sweep files: the shipped one parses, and each mistake the issue names is one message with its position.
@Suite struct SweepSpecTests {
    static let root = ProjectLocator.projectRoot()

    static func problem(_ text: String, validate: Bool = false) -> String {
        badInputMessage {
            let spec = try SweepSpec.parse(text, file: "sweep.yaml", datasetsDirectory: self.root.appendingPathComponent("datasets"))
            if validate { try spec.validate() }
        }
    }

    @Test func theShippedSweepParses() throws {
        let spec = try SweepSpec.load(
            "hnsw-sweep", directory: Self.root.appendingPathComponent("scenarios"), datasetsDirectory: Self.root.appendingPathComponent("datasets"))
        try spec.validate()
        #expect(spec.grid.builds.count == spec.grid.m.count * spec.grid.efConstruction.count)
        #expect(spec.target == .both && spec.k == 10 && spec.latencyTarget.metric == .p95 && spec.latencyTarget.value == 100_000)
    }

    @Test(arguments: [
        ("name: s\ngrid: {m: [], efConstruction: [64], efSearch: [40]}", "sweep.yaml:2:11: m is an empty list: the grid would have no points"),
        ("name: s\ngrid: {m: [16], efConstruction: [64]}", "sweep.yaml:2:7: missing key efSearch"),
        ("name: s\ngrid: {m: [1, 16], efConstruction: [64], efSearch: [40]}", "sweep.yaml:2:12: m 1 is below 2: an HNSW node needs at least 2 links"),
        ("name: s\nk: 10\ngrid: {m: [16], efConstruction: [64], efSearch: [5, 40]}", "sweep.yaml:3:50: efSearch 5 is below 10: ef_search below k 10 cannot return k neighbours"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}\nlatencyTarget: p95 under 1ms", "sweep.yaml:3:16: threshold \"p95 under 1ms\" is not `metric < value`"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}\nlatencyTarget: qps > 10", "sweep.yaml:3:16: latencyTarget must bound p50, p95 or p99 from above"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSerch: [40]}", "unknown key efSerch (did you mean efSearch?)"),
        ("name: s\ntarget: pgvector\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}", "sweep.yaml:2:9: target must be one of postgres, index, both"),
        ("name: s", "sweep.yaml:1:1: missing key grid"),
    ])
    func aMistakeIsOneLineWithItsPosition(text: String, message: String) {
        let problem = Self.problem(text)
        #expect(problem.contains(message), "\(problem)")
    }

    @Test func pgvectorsLimitsApplyOnlyWhenItIsSwept() {
        let grid = "grid: {m: [16], efConstruction: [20], efSearch: [40]}"
        #expect(Self.problem("name: s\ntarget: index\n" + grid, validate: true) == "no error")
        #expect(Self.problem("name: s\ntarget: both\n" + grid, validate: true).contains("pgvector cannot build m 16, ef_construction 20"))
    }

    @Test func theEstimateGrowsWithTheGridAndSkipsSavedPoints() throws {
        let spec = try SweepSpec.parse("name: s\ntarget: index\ngrid: {m: [16], efConstruction: [64, 200], efSearch: [10, 100]}", file: "s.yaml")
        let full = SweepEstimate(spec: spec, rows: 50_000, dimension: 1536, queries: 500, threads: 2, results: nil)
        #expect(full.builds == 2 && full.points == 4 && full.totalSeconds > 0)
        // The in-process build of the small dataset at m 16, ef_construction 200 measured 28.8 s on 2 threads.
        let one = try SweepSpec.parse("name: s\ntarget: index\ngrid: {m: [16], efConstruction: [200], efSearch: [100]}", file: "s.yaml")
        #expect(abs(SweepEstimate(spec: one, rows: 50_000, dimension: 1536, queries: 500, threads: 2, results: nil).buildSeconds - 28.8) < 0.01)
        let bigger = SweepEstimate(spec: spec, rows: 500_000, dimension: 1536, queries: 500, threads: 2, results: nil)
        // Builds grow with the rows; a point's passes are mostly fixed (2 s on all clients, warm-ups).
        #expect(bigger.buildSeconds > 9 * full.buildSeconds && bigger.totalSeconds > full.totalSeconds)
    }
}

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

    @Test func theShippedVariantSweepParses() throws {
        let spec = try SweepSpec.load(
            "index-variants", directory: Self.root.appendingPathComponent("scenarios"), datasetsDirectory: Self.root.appendingPathComponent("datasets"))
        try spec.validate()
        #expect(spec.grid.variants == [.vector, .halfvec, .bit, .ivfflat] && spec.shares == [0.01, 0.1] && spec.iterativeScan.count == 3)
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
        ("name: s\nvariants: [vector, halfvect]\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}", "sweep.yaml:2:20: unknown variant halfvect (did you mean halfvec?)"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSearch: [40], lists: [100]}", "lists is for ivfflat, which variants does not list"),
        ("name: s\nvariants: [ivfflat]\ngrid: {lists: [100]}", "missing key probes"),
        ("name: s\nvariants: [bit]\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}", "missing key rerank"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}\nshares: [0.01, 2]", "sweep.yaml:3:16: shares are fractions of the rows from 0.0001 to 1"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}\niterativeScan: [off]", "iterativeScan applies to the share filters: give shares too"),
        ("name: s\ngrid: {m: [16], efConstruction: [64], efSearch: [40]}\nshares: [0.01]\niterativeScan: [relaxed]", "iterativeScan modes are off, strict_order, relaxed_order, not relaxed"),
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

    /// Variants multiply builds and searches by their own parameters; share filters by the iterative settings.
    @Test func variantsAndSharesSpanTheirOwnAxes() throws {
        let spec = try SweepSpec.parse("""
            name: s
            variants: [vector, halfvec, bit, ivfflat]
            grid: {m: [8, 16], efConstruction: [64], efSearch: [40, 100], rerank: [2, 4], lists: [50, 100], probes: [1, 5, 10]}
            shares: [0.01, 0.1]
            iterativeScan: [off, relaxed_order]
            maxScanTuples: [20000, 50000]
            """, file: "s.yaml")
        #expect(spec.grid.builds.count == 2 + 2 + 2 + 2)
        let bit = try #require(spec.grid.builds.first { $0.variant == .bit })
        #expect(spec.grid.searches(of: bit) == [40, 100].flatMap { ef in [2, 4].map { SearchKey(efSearch: ef, rerank: $0) } })
        #expect(spec.grid.searches(of: BuildKey(variant: .ivfflat, m: 0, efConstruction: 0, lists: 50)).map(\.efSearch) == [1, 5, 10])
        // Off once per share; each scanning mode once per max_scan_tuples.
        #expect(spec.filterPasses.count == 2 * (1 + 2))
        // The in-process index builds HNSW on vector and halfvec: 4 builds × 2 ef_search; pgvector all 4 variants.
        let missing = spec.missing(in: nil)
        #expect(Set(missing.filter { $0.target == .index }.map(\.build.variant)) == [.vector, .halfvec])
        #expect(missing.filter { $0.target == .index }.flatMap(\.searches).count == 8)
        #expect(missing.filter { $0.target == .postgres }.flatMap(\.searches).count == 2 * 2 + 2 * 2 + 2 * 4 + 2 * 3)
    }
}

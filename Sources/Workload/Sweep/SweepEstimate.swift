import Foundation
import Results

/// A rough forecast of a sweep's length, made before it starts so a grid too large to finish is refused with
/// its estimate. The rates are this project's measurements on its 2-core reference machine (docs/benchmarks.md:
/// the in-process build of 50,000 × 1536 at m 16, ef_construction 200 in 28.8 s on 2 threads, pgvector's in
/// 55.8 s; a query at ef_search 100 ≈ 0.5 ms in-process, ≈ 2 ms on pgvector), scaled linearly in rows,
/// dimensions, ef_construction and ef_search, and by √(m/16). Expect it within a factor of two.
public struct SweepEstimate: Sendable {
    public var buildSeconds = 0.0
    public var searchSeconds = 0.0
    public var builds = 0
    public var points = 0

    public var totalSeconds: Double { self.buildSeconds + self.searchSeconds }

    /// The work left in `spec` on `rows × dimension` vectors, given the points already in `results`.
    public init(spec: SweepSpec, rows: Int, dimension: Int, queries: Int, threads: Int, results: SweepResults?) {
        let scale = Double(rows) / 50_000 * Double(dimension) / 1536
        // One-client passes of `queries` requests: unfiltered and content type, then each share filter as planned
        // and with the index forced. pgvector's exact path for a share reads and sorts the rows it keeps: ~5.5 µs a
        // row at 1536 dimensions here (small: 28 ms a query at 10 %), measured once per share and taken by the
        // planner where it is cheaper than the index.
        let oneClientPasses = 1.0 + (spec.filtered ? 1 : 0)
        let exactSeconds = { (share: Double) in 5.5e-6 * share * Double(rows) * Double(dimension) / 1536 }
        if spec.target != .index, !spec.shares.isEmpty, results?.exactPaths == nil {
            self.searchSeconds += spec.shares.reduce(0) { $0 + exactSeconds($1) * Double(queries) + 0.8 }
        }
        for (target, build, missing) in spec.missing(in: results) {
            let linkFactor = (Double(max(build.m, 2)) / 16).squareRoot()
            let hnswBuild = 28.8 * scale * Double(build.efConstruction) / 200 * linkFactor * 2 / Double(max(threads, 1))
            let buildSeconds: Double = switch build.variant {
            case .vector: target == .postgres ? hnswBuild * 1.94 : hnswBuild
            // Half the bytes to compare, the same graph: small at ef_construction 64 built in 16.8 s on pgvector
            // (0.8× vector's), and in-process at 200 in 13.8 s (0.61×).
            case .halfvec: target == .postgres ? hnswBuild * 1.94 * 0.8 : hnswBuild * 0.61
            // 192 bytes a vector at 1536 dimensions: the build is dominated by the graph, not the distances.
            case .bit: hnswBuild * 0.4
            // k-means over a sample, then one pass assigning every row.
            case .ivfflat: 10 * scale * Double(build.lists ?? 100) / 100
            }
            self.buildSeconds += buildSeconds
            self.builds += 1
            self.points += missing.count
            for search in missing {
                let perQuery = (target == .postgres ? 2e-3 : 0.5e-3) * Double(search.efSearch) / 100 * Double(dimension) / 1536 * linkFactor
                // Each pass is a run of the workload engine: 0.3 s of warm-up and, on pgvector, ~0.5 s of EXPLAIN
                // and statistics around it; the concurrent pass lasts 2 s.
                let perRun = 0.3 + (target == .postgres ? 0.5 : 0)
                self.searchSeconds += oneClientPasses * (perQuery * Double(queries) + perRun) + 2 + perRun
                for (share, _, _) in spec.filterPasses {
                    let planned = target == .postgres ? min(perQuery, exactSeconds(share)) : perQuery
                    self.searchSeconds += (planned + (target == .postgres ? perQuery : 0)) * Double(queries) + perRun * 2
                }
            }
        }
    }

    /// `about 12 min (4 builds ≈ 9 min, 48 points ≈ 3 min)`.
    public var description: String {
        "about \(Self.minutes(self.totalSeconds)) (\(self.builds) build\(self.builds == 1 ? "" : "s") ≈ \(Self.minutes(self.buildSeconds)), "
            + "\(self.points) point\(self.points == 1 ? "" : "s") ≈ \(Self.minutes(self.searchSeconds)))"
    }

    static func minutes(_ seconds: Double) -> String {
        seconds < 90 ? "\(Int(seconds.rounded(.up))) s" : seconds < 5400 ? "\(Int((seconds / 60).rounded())) min" : String(format: "%.1f h", seconds / 3600)
    }
}

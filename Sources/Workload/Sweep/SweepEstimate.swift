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
        for (target, build, missing) in spec.missing(in: results) {
            let linkFactor = (Double(build.m) / 16).squareRoot()
            let perBuild = 28.8 * scale * Double(build.efConstruction) / 200 * linkFactor * 2 / Double(max(threads, 1))
            self.buildSeconds += target == .postgres ? perBuild * 1.94 : perBuild
            self.builds += 1
            self.points += missing.count
            for ef in missing {
                let perQuery = (target == .postgres ? 2e-3 : 0.5e-3) * Double(ef) / 100 * Double(dimension) / 1536 * linkFactor
                // Runs of the workload engine (SweepMeasurement): `queries` requests on one client, 2 s on all
                // clients, `queries` filtered requests; each with 0.3 s of warm-up and, on pgvector, ~0.5 s of
                // EXPLAIN and statistics around it.
                let runs = spec.filtered ? 3.0 : 2.0
                let perRun = 0.3 + (target == .postgres ? 0.5 : 0)
                self.searchSeconds += (runs - 1) * perQuery * Double(queries) + 2 + runs * perRun
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

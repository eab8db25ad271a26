import Foundation
import Results

/// The sweep's filter-selectivity section: per share of the rows and iterative scan mode, what the planner
/// chose, what the vector index returns when it answers, and the exact path beside them; where recall collapses
/// and where the plan flips.
enum SweepFilterReport {
    static func section(_ analysis: SweepAnalysis) -> ReportDocument.Section {
        let results = analysis.results
        let k = results.conditions.k
        var section = ReportDocument.Section(title: "Filter selectivity")
        section.paragraphs = [
            "Each share filter keeps that share of the rows by a bucket of the row's id, uncorrelated with its vector (b-tree on the bucket). "
                + "planner: as PostgreSQL chose; index: sequential scans, bitmap scans and sorts disabled, so the vector index answers; "
                + "exact: index scans disabled, so the b-tree's bitmap (or a scan) feeds a sort. Recall is against the exact answer among the rows the filter keeps."
        ]
        section.paragraphs += self.findings(results)
        var table = ReportDocument.Table(
            headers: ["target", "index", "search", "share", "iterative scan", "path", "recall@\(k)", "rows", "QPS 1 client", "P95", "plan"], rows: [])
        for exact in (results.exactPaths ?? []).sorted(by: { $0.share < $1.share }) {
            table.rows.append(["pgvector", "—", "—"] + self.cells(exact))
        }
        for point in results.points.sorted(by: { ($0.target.rawValue, $0.build, $0.search) < ($1.target.rawValue, $1.build, $1.search) }) {
            for filter in (point.filters ?? []).sorted(by: { ($0.share, $0.iterativeScan ?? "", $0.path) < ($1.share, $1.iterativeScan ?? "", $1.path) }) {
                table.rows.append([SweepReport.targetName(point.target), SweepReport.index(point.build), point.searchLabel] + self.cells(filter))
            }
        }
        section.tables = [table]
        section.notes = ["rows: rows returned per request, below \(k) when the index ran out of candidates that pass the filter (pgvector's HNSW scan visits ef_search candidates, or max_scan_tuples with an iterative scan). The in-process index admits only the allowed rows as it walks its graph; it has no iterative modes."]
        return section
    }

    private static func cells(_ filter: FilterResult) -> [String] {
        [self.share(filter.share), filter.iterativeScan.map { $0 + (filter.maxScanTuples.map { ", max \($0)" } ?? "") } ?? "—", filter.path,
         MetricText.recall(filter.recall), String(format: "%.1f", filter.rowsPerRequest), MetricText.number(filter.qps1),
         MetricText.micros(filter.p95Us), filter.plan ?? "—"]
    }

    private static func share(_ share: Double) -> String { String(format: "%g %%", share * 100) }

    /// Sentences on pgvector's HNSW-on-vector points: per share, the index's recall with iterative scan off
    /// against the exact path's, and the plans the planner chose as the share grows.
    static func findings(_ results: SweepResults) -> [String] {
        let points = results.points.filter { $0.target == .postgres && $0.build.variant == .vector && $0.filters != nil }
        guard !points.isEmpty else { return [] }
        var lines: [String] = []
        let shares = Set(points.flatMap { $0.filters!.map(\.share) }).sorted()
        var plans: [(share: Double, plans: [String])] = []
        for share in shares {
            let off = points.flatMap { $0.filters!.filter { $0.share == share && $0.iterativeScan == "off" } }
            // The index's own answer: forced, or the planner's when it took the index.
            let index = off.filter { $0.path == "index" || ($0.path == "planner" && $0.plan == "hnsw") }
            let planned = off.filter { $0.path == "planner" }
            plans.append((share, Array(Set(planned.compactMap(\.plan))).sorted()))
            guard let low = index.map(\.recall).min(), let high = index.map(\.recall).max() else { continue }
            let range = low == high ? MetricText.recall(low) : "\(MetricText.recall(low))–\(MetricText.recall(high))"
            var line = "At \(self.share(share)) of the rows with iterative scan off, HNSW returns recall@\(results.conditions.k) \(range)"
            if let exact = results.exactPaths?.first(where: { $0.share == share }) {
                line += ", the exact path \(MetricText.recall(exact.recall)) (P95 \(MetricText.micros(exact.p95Us)), \(exact.plan ?? "?"))"
                if exact.recall - high > 0.2 { line += ": the index is far below the exact answer here" }
            }
            let better = points.flatMap { $0.filters!.filter { $0.share == share && $0.iterativeScan != "off" && ($0.path == "index" || $0.plan == "hnsw") } }
            if let best = better.max(by: { $0.recall < $1.recall }) {
                line += "; with \(best.iterativeScan ?? "?") it reaches \(MetricText.recall(best.recall)) at P95 \(MetricText.micros(best.p95Us))"
            }
            lines.append(line + ".")
        }
        let described = plans.map { "\(self.share($0.share)): \($0.plans.isEmpty ? "?" : $0.plans.joined(separator: " or "))" }
        var flip = "The planner's path with iterative scan off, by share: " + described.joined(separator: "; ")
        if let first = plans.first(where: { $0.plans.contains("hnsw") }), plans.first?.plans.contains("hnsw") == false {
            flip += ". It flips to the HNSW index at \(self.share(first.share))"
        }
        lines.append(flip + ".")
        return lines
    }
}

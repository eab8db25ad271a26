import Foundation
import Results

/// `sweep.md` and `sweep.html`: the recommendation, the recall-versus-throughput chart per target with its
/// Pareto front, the builds' time and size, every point, and how the in-process index predicts pgvector.
public enum SweepReport {
    public static func markdown(_ analysis: SweepAnalysis) -> String { self.document(analysis).markdown() }
    public static func html(_ analysis: SweepAnalysis) -> String { self.document(analysis, charts: true).html() }

    static func document(_ analysis: SweepAnalysis, charts: Bool = false) -> ReportDocument {
        let results = analysis.results
        let conditions = results.conditions
        let measured = results.points.count
        var document = ReportDocument(title: "\(results.name) (HNSW sweep)", description: results.description)
        let picks = analysis.recommendations.map { recommendation in
            "\(self.targetName(recommendation.target)): " + (recommendation.choice.map(self.configuration) ?? "no configuration qualifies")
        }
        document.headline = (picks.joined(separator: "; "), analysis.recommendations.allSatisfy { $0.choice != nil })
        document.facts = [
            ("dataset", "\(conditions.dataset) (\(conditions.datasetChecksum.prefix(16)))"),
            ("queries", "\(conditions.queries), recall@\(conditions.k)" + (conditions.filtered ? ", unfiltered and filtered by the query's content type" : "")),
            ("clients", "QPS on 1 client and on \(conditions.clients); latency on 1 client"),
            ("recommendation", String(format: "recall@%d ≥ %.3g, one-client %@", conditions.k, results.recallFloor, results.latencyTarget.expression)),
            ("grid", "m \(self.list(results.grid.m)) × ef_construction \(self.list(results.grid.efConstruction)) × ef_search \(self.list(results.grid.efSearch)) on \(results.targets.map(\.rawValue).joined(separator: " and "))"),
            ("measured", "\(measured) of \(results.expectedPoints) points" + (results.complete ? "" : " (incomplete: run the same command again to resume)")),
        ]
        if !conditions.settings.isEmpty { document.facts.append(("pgvector settings", conditions.settings.joined(separator: ", "))) }
        document.addEnvironment(results.environment)
        document.sections.append(self.recommendation(analysis))
        var front = ReportDocument.Section(title: "Recall versus throughput")
        front.paragraphs = ["One line per index build, one point per ef_search; the dashed line is the Pareto front (no other point has both higher recall and higher throughput)."]
        if charts { front.charts = results.targets.map { self.chart(analysis, target: $0) } }
        document.sections.append(front)
        document.sections.append(self.builds(results))
        for target in results.targets { document.sections.append(self.points(analysis, target: target)) }
        if let prediction = analysis.prediction { document.sections.append(self.prediction(prediction)) }
        return document
    }

    static func targetName(_ target: TargetKind) -> String { target == .postgres ? "pgvector" : "in-process" }

    static func configuration(_ point: PointResult) -> String {
        String(format: "m %d, ef_construction %d, ef_search %d (recall %.4f, %@ QPS, P95 %@)", point.build.m, point.build.efConstruction,
               point.efSearch, point.recall, MetricText.number(point.qpsAll), MetricText.micros(point.p95Us))
    }

    private static func list(_ values: [Int]) -> String { "{" + values.map(String.init).joined(separator: ", ") + "}" }

    private static func recommendation(_ analysis: SweepAnalysis) -> ReportDocument.Section {
        let results = analysis.results
        var section = ReportDocument.Section(title: "Recommendation")
        var table = ReportDocument.Table(
            headers: ["target", "pick", "m", "ef_construction", "ef_search", "recall", "filtered recall", "QPS 1 client",
                      "QPS \(results.conditions.clients) clients", "P95", "index size", "build"],
            rows: [])
        for recommendation in analysis.recommendations {
            section.paragraphs.append("\(self.targetName(recommendation.target)): \(recommendation.reason).")
            for (label, point) in [("choice", recommendation.choice), ("runner-up", recommendation.runnerUp)] {
                guard let point else { continue }
                if label == "choice" { table.emphasised.insert(table.rows.count) }
                let build = results.build(point.target, point.build)
                table.rows.append([
                    self.targetName(point.target), label, "\(point.build.m)", "\(point.build.efConstruction)", "\(point.efSearch)",
                    MetricText.recall(point.recall), point.filtered.map { MetricText.recall($0.recall) } ?? "—",
                    MetricText.number(point.qps1), MetricText.number(point.qpsAll), MetricText.micros(point.p95Us),
                    build.map { self.mebibytes($0.indexBytes) } ?? "—", build.map { String(format: "%.1f s", $0.buildSeconds) } ?? "—",
                ])
            }
        }
        if !table.rows.isEmpty { section.tables = [table] }
        return section
    }

    private static func chart(_ analysis: SweepAnalysis, target: TargetKind) -> String {
        let results = analysis.results
        let builds = results.grid.builds
        var series = builds.enumerated().compactMap { number, build -> LineChart.Series? in
            let points = results.points.filter { $0.target == target && $0.build == build }.sorted { $0.efSearch < $1.efSearch }
            guard !points.isEmpty else { return nil }
            return LineChart.Series(
                name: "m \(build.m), efc \(build.efConstruction)", color: LineChart.palette[number % LineChart.palette.count],
                points: points.map { ($0.recall, $0.qpsAll) }, markers: true)
        }
        if let front = analysis.fronts[target], front.count > 1 {
            series.append(LineChart.Series(name: "Pareto front", color: "#0f172a", dashed: true, points: front.map { ($0.recall, $0.qpsAll) }, strokeWidth: 1.5))
        }
        return LineChart(
            title: "\(self.targetName(target)): recall@\(results.conditions.k) vs QPS on \(results.conditions.clients) clients",
            xLabel: "recall@\(results.conditions.k)", yLabel: "queries per second", series: series, xTicks: nil, logY: true
        ).svg()
    }

    private static func builds(_ results: SweepResults) -> ReportDocument.Section {
        var section = ReportDocument.Section(title: "Builds")
        let headers = ["target", "m", "ef_construction", "build time", "index size"]
        let rows = results.builds.sorted { ($0.target.rawValue, $0.build) < ($1.target.rawValue, $1.build) }.map { build in
            [self.targetName(build.target), "\(build.build.m)", "\(build.build.efConstruction)",
             String(format: "%.1f s", build.buildSeconds), self.mebibytes(build.indexBytes)]
        }
        section.tables = [ReportDocument.Table(headers: headers, rows: rows)]
        section.notes = ["In-process size: the vectors and the graph in memory. pgvector: pg_relation_size of the index, built with one parallel worker per core and maintenance_work_mem 2GB."]
        return section
    }

    private static func points(_ analysis: SweepAnalysis, target: TargetKind) -> ReportDocument.Section {
        let results = analysis.results
        let plans = target == .postgres
        var table = ReportDocument.Table(
            headers: ["m", "ef_construction", "ef_search", "recall", "filtered recall", "filtered P95", "QPS 1 client",
                      "QPS \(results.conditions.clients) clients", "P50", "P95", "P99", "P95 \(results.conditions.clients) clients", "Pareto"]
                + (plans ? ["plan", "filtered plan"] : []),
            rows: [])
        let points = results.points.filter { $0.target == target }.sorted { ($0.build, $0.efSearch) < ($1.build, $1.efSearch) }
        let chosen = analysis.recommendations.first { $0.target == target }?.choice
        for point in points {
            if let chosen, chosen.build == point.build, chosen.efSearch == point.efSearch { table.emphasised.insert(table.rows.count) }
            table.rows.append([
                "\(point.build.m)", "\(point.build.efConstruction)", "\(point.efSearch)", MetricText.recall(point.recall),
                point.filtered.map { MetricText.recall($0.recall) } ?? "—", point.filtered.map { MetricText.micros($0.p95Us) } ?? "—",
                MetricText.number(point.qps1), MetricText.number(point.qpsAll), MetricText.micros(point.p50Us),
                MetricText.micros(point.p95Us), MetricText.micros(point.p99Us), point.concurrent.map { MetricText.micros($0.p95Us) } ?? "—",
                analysis.isOnFront(point) ? "✓" : "",
            ] + (plans ? [point.plan ?? "—", point.filtered?.plan ?? "—"] : []))
        }
        var section = ReportDocument.Section(title: "All points: \(self.targetName(target))", tables: [table])
        if plans {
            section.notes = ["plan: how PostgreSQL read memory_embeddings at that ef_search (EXPLAIN in the measuring session). Anything but hnsw is an exact search that ef_search does not change: its recall is 1 and its speed is not the index's."]
        }
        return section
    }

    private static func prediction(_ prediction: SweepAnalysis.Prediction) -> ReportDocument.Section {
        var section = ReportDocument.Section(title: "How well the in-process index predicts pgvector")
        section.paragraphs = [
            String(format: "Recall: pgvector differs from the in-process index by %.4f on average (at most %.4f) at the same m, ef_construction and ef_search; rank correlation %.2f.",
                   prediction.meanRecallGap, prediction.maxRecallGap, prediction.recallRankCorrelation),
            String(format: "Speed: pgvector runs at %.2f× to %.2f× the in-process index's one-client QPS; the rank correlation of their speeds over the points is %.2f (1 = the in-process index orders the configurations exactly as pgvector does).",
                   prediction.rows.map(\.speedRatio).min()!, prediction.rows.map(\.speedRatio).max()!, prediction.speedRankCorrelation),
        ]
        let filtered = prediction.rows.contains { $0.indexFilteredRecall != nil }
        var headers = ["m", "ef_construction", "ef_search", "recall in-process", "recall pgvector", "difference"]
        if filtered { headers += ["filtered in-process", "filtered pgvector"] }
        headers += ["QPS in-process", "QPS pgvector", "pgvector / in-process"]
        let rows = prediction.rows.map { row -> [String] in
            var cells = ["\(row.build.m)", "\(row.build.efConstruction)", "\(row.efSearch)", MetricText.recall(row.indexRecall),
                         MetricText.recall(row.postgresRecall), String(format: "%+.4f", row.postgresRecall - row.indexRecall)]
            if filtered {
                cells += [row.indexFilteredRecall.map(MetricText.recall) ?? "—", row.postgresFilteredRecall.map(MetricText.recall) ?? "—"]
            }
            return cells + [MetricText.number(row.indexQPS), MetricText.number(row.postgresQPS), String(format: "%.2f×", row.speedRatio)]
        }
        section.tables = [ReportDocument.Table(headers: headers, rows: rows)]
        section.notes = ["QPS on one client. The filtered search differs by design: the in-process index walks the graph admitting only the allowed rows (or searches them exactly when few), pgvector filters what its HNSW scan returns."]
        return section
    }

    private static func mebibytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}

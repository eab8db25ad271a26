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
        var document = ReportDocument(title: "\(results.name) (index sweep)", description: results.description)
        let picks = analysis.recommendations.map { recommendation in
            "\(self.targetName(recommendation.target)): " + (recommendation.choice.map(self.configuration) ?? "no configuration qualifies")
        }
        document.headline = (picks.joined(separator: "; "), analysis.recommendations.allSatisfy { $0.choice != nil })
        document.facts = [
            ("dataset", "\(conditions.dataset) (\(conditions.datasetChecksum.prefix(16)))"),
            ("queries", "\(conditions.queries), recall@\(conditions.k)" + (conditions.filtered ? ", unfiltered and filtered by the query's content type" : "")),
            ("clients", "QPS on 1 client and on \(conditions.clients); latency on 1 client"),
            ("recommendation", String(format: "recall@%d ≥ %.3g, one-client %@", conditions.k, results.recallFloor, results.latencyTarget.expression)),
            ("grid", self.grid(results.grid) + " on \(results.targets.map(\.rawValue).joined(separator: " and "))"),
            ("measured", "\(measured) of \(results.expectedPoints) points" + (results.complete ? "" : " (incomplete: run the same command again to resume)")),
        ]
        if let shares = conditions.shares {
            document.facts.append(("share filters", shares.map { String(format: "%g %%", $0 * 100) }.joined(separator: ", ")
                + " of the rows, under iterative scan " + (conditions.iterativeScan ?? ["off"]).joined(separator: ", ")
                + (conditions.maxScanTuples.map { "; max_scan_tuples " + $0.map(String.init).joined(separator: ", ") } ?? "")))
        }
        if !conditions.settings.isEmpty { document.facts.append(("pgvector settings", conditions.settings.joined(separator: ", "))) }
        document.addEnvironment(results.environment)
        document.sections.append(self.recommendation(analysis))
        var front = ReportDocument.Section(title: "Recall versus throughput")
        front.paragraphs = ["One line per index build, one point per ef_search; the dashed line is the Pareto front (no other point has both higher recall and higher throughput)."]
        if charts { front.charts = results.targets.map { self.chart(analysis, target: $0) } }
        document.sections.append(front)
        if results.grid.variants.count > 1 { document.sections.append(self.variants(analysis)) }
        document.sections.append(self.builds(results))
        for target in results.targets { document.sections.append(self.points(analysis, target: target)) }
        if results.points.contains(where: { $0.filters != nil }) { document.sections.append(SweepFilterReport.section(analysis)) }
        if let prediction = analysis.prediction { document.sections.append(self.prediction(prediction, variants: results.grid.variants)) }
        return document
    }

    static func targetName(_ target: TargetKind) -> String { target == .postgres ? "pgvector" : "in-process" }

    static func configuration(_ point: PointResult) -> String {
        String(format: "%@, %@ (recall %.4f, %@ QPS, P95 %@)", self.index(point.build), point.searchLabel, point.recall,
               MetricText.number(point.qpsAll), MetricText.micros(point.p95Us))
    }

    /// `HNSW vector m 16, ef_construction 64`, `IVFFlat lists 100`.
    static func index(_ build: BuildKey) -> String {
        build.variant == .ivfflat ? build.description : "\(build.variant.title) m \(build.m), ef_construction \(build.efConstruction)"
    }

    private static func list(_ values: [Int]) -> String { "{" + values.map(String.init).joined(separator: ", ") + "}" }

    private static func grid(_ grid: SweepGrid) -> String {
        grid.variants.map { variant in
            switch variant {
            case .ivfflat: "IVFFlat lists \(self.list(grid.lists)) × probes \(self.list(grid.probes))"
            case .bit: "\(variant.title): m \(self.list(grid.m)) × ef_construction \(self.list(grid.efConstruction)) × ef_search \(self.list(grid.efSearch)) × re-rank \(self.list(grid.rerank))"
            case .vector, .halfvec: "\(variant.title): m \(self.list(grid.m)) × ef_construction \(self.list(grid.efConstruction)) × ef_search \(self.list(grid.efSearch))"
            }
        }.joined(separator: "; ")
    }

    /// Per variant and target, its best point meeting the recall floor, with its index bytes beside HNSW on
    /// `vector`'s: what each storage choice costs and saves.
    private static func variants(_ analysis: SweepAnalysis) -> ReportDocument.Section {
        let results = analysis.results
        var section = ReportDocument.Section(title: "Index variants")
        section.paragraphs = [String(format: "Each variant's highest-throughput point at recall@%d ≥ %.3g (its best recall when none reaches it), its index beside HNSW on vector at the same m and ef_construction.", results.conditions.k, results.recallFloor)]
        var table = ReportDocument.Table(
            headers: ["target", "variant", "index", "search", "recall", "QPS \(results.conditions.clients) clients", "P95", "index size",
                      "× vector's size", "build", "Pareto (4)"],
            rows: [])
        for target in results.targets {
            for variant in results.grid.variants where target.builds(variant) {
                let points = results.points.filter { $0.target == target && $0.build.variant == variant && $0.usesIndex }
                let meeting = points.filter { $0.recall >= results.recallFloor }
                guard let best = meeting.max(by: { $0.qpsAll < $1.qpsAll }) ?? points.max(by: { $0.recall < $1.recall }) else { continue }
                let build = results.build(target, best.build)
                let reference = results.builds.first {
                    $0.target == target && $0.build.variant == .vector && $0.build.m == best.build.m && $0.build.efConstruction == best.build.efConstruction
                }
                let ratio = build.flatMap { b in reference.map { String(format: "%.2f×", Double(b.indexBytes) / Double(max($0.indexBytes, 1))) } } ?? "—"
                table.rows.append([
                    self.targetName(target), variant.title, self.index(best.build), best.searchLabel, MetricText.recall(best.recall),
                    MetricText.number(best.qpsAll), MetricText.micros(best.p95Us), build.map { self.mebibytes($0.indexBytes) } ?? "—", ratio,
                    build.map { String(format: "%.1f s", $0.buildSeconds) } ?? "—", analysis.isOnFullFront(best) ? "✓" : "",
                ])
            }
        }
        section.tables = [table]
        section.notes = ["Pareto (4): no other point of the target has higher recall, higher throughput, a smaller index and a faster build all at once. bit + re-rank reads the full vectors of k × re-rank candidates from the table: its index is small, the table is not."]
        return section
    }

    private static func recommendation(_ analysis: SweepAnalysis) -> ReportDocument.Section {
        let results = analysis.results
        var section = ReportDocument.Section(title: "Recommendation")
        var table = ReportDocument.Table(
            headers: ["target", "pick", "index", "search", "recall", "filtered recall", "QPS 1 client",
                      "QPS \(results.conditions.clients) clients", "P95", "index size", "build"],
            rows: [])
        for recommendation in analysis.recommendations {
            section.paragraphs.append("\(self.targetName(recommendation.target)): \(recommendation.reason).")
            for (label, point) in [("choice", recommendation.choice), ("runner-up", recommendation.runnerUp)] {
                guard let point else { continue }
                if label == "choice" { table.emphasised.insert(table.rows.count) }
                let build = results.build(point.target, point.build)
                table.rows.append([
                    self.targetName(point.target), label, self.index(point.build), point.searchLabel, MetricText.recall(point.recall), point.filtered.map { MetricText.recall($0.recall) } ?? "—",
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
            let points = results.points.filter { $0.target == target && $0.build == build }.sorted { $0.search < $1.search }
            guard !points.isEmpty else { return nil }
            return LineChart.Series(
                name: build.variant == .ivfflat ? "IVFFlat lists \(build.lists ?? 0)" : "\(build.variant.rawValue) m \(build.m), efc \(build.efConstruction)", color: LineChart.palette[number % LineChart.palette.count],
                points: points.map { ($0.recall, $0.qpsAll) }, markers: true)
        }
        // A front of one point (it beats every other on both axes) is drawn as that point.
        if let front = analysis.fronts[target], !front.isEmpty {
            series.append(LineChart.Series(
                name: "Pareto front", color: "#0f172a", dashed: true, points: front.map { ($0.recall, $0.qpsAll) }, markers: front.count == 1,
                strokeWidth: 1.5))
        }
        return LineChart(
            title: "\(self.targetName(target)): recall@\(results.conditions.k) vs QPS on \(results.conditions.clients) clients",
            xLabel: "recall@\(results.conditions.k)", yLabel: "queries per second", series: series, xTicks: nil, logY: true
        ).svg()
    }

    private static func builds(_ results: SweepResults) -> ReportDocument.Section {
        var section = ReportDocument.Section(title: "Builds")
        let headers = ["target", "index", "build time", "index size"]
        let rows = results.builds.sorted { ($0.target.rawValue, $0.build) < ($1.target.rawValue, $1.build) }.map { build in
            [self.targetName(build.target), self.index(build.build), String(format: "%.1f s", build.buildSeconds), self.mebibytes(build.indexBytes)]
        }
        section.tables = [ReportDocument.Table(headers: headers, rows: rows)]
        section.notes = ["In-process size: the vectors and the graph in memory. pgvector: pg_relation_size of the index, built with one parallel worker per core and maintenance_work_mem sized to its graph, as tripbench load builds it."]
        return section
    }

    private static func points(_ analysis: SweepAnalysis, target: TargetKind) -> ReportDocument.Section {
        let results = analysis.results
        let plans = target == .postgres
        var table = ReportDocument.Table(
            headers: ["index", "search", "recall", "filtered recall", "filtered P95", "QPS 1 client",
                      "QPS \(results.conditions.clients) clients", "P50", "P95", "P99", "P95 \(results.conditions.clients) clients", "Pareto"]
                + (plans ? ["plan", "filtered plan"] : []),
            rows: [])
        let points = results.points.filter { $0.target == target }.sorted { ($0.build, $0.search) < ($1.build, $1.search) }
        let chosen = analysis.recommendations.first { $0.target == target }?.choice
        for point in points {
            if let chosen, chosen.build == point.build, chosen.search == point.search { table.emphasised.insert(table.rows.count) }
            table.rows.append([
                self.index(point.build), point.searchLabel, MetricText.recall(point.recall),
                point.filtered.map { MetricText.recall($0.recall) } ?? "—", point.filtered.map { MetricText.micros($0.p95Us) } ?? "—",
                MetricText.number(point.qps1), MetricText.number(point.qpsAll), MetricText.micros(point.p50Us),
                MetricText.micros(point.p95Us), MetricText.micros(point.p99Us), point.concurrent.map { MetricText.micros($0.p95Us) } ?? "—",
                analysis.isOnFront(point) ? "✓" : "",
            ] + (plans ? [point.plan ?? "—", self.filteredPlan(point.filtered)] : []))
        }
        var section = ReportDocument.Section(title: "All points: \(self.targetName(target))", tables: [table])
        if plans {
            section.notes = ["plan: how PostgreSQL read memory_embeddings at that ef_search (EXPLAIN in the measuring session). Anything but hnsw is an exact search that ef_search does not change: its recall is 1 and its speed is not the index's."]
        }
        return section
    }

    private static func prediction(_ prediction: SweepAnalysis.Prediction, variants: [IndexVariant]) -> ReportDocument.Section {
        var section = ReportDocument.Section(title: "How well the in-process index predicts pgvector")
        section.paragraphs = [
            String(format: "Recall: pgvector differs from the in-process index by %.4f on average (at most %.4f) at the same m, ef_construction and ef_search; rank correlation %.2f.",
                   prediction.meanRecallGap, prediction.maxRecallGap, prediction.recallRankCorrelation),
            String(format: "Speed: pgvector runs at %.2f× to %.2f× the in-process index's one-client QPS; the rank correlation of their speeds over the points is %.2f (1 = the in-process index orders the configurations exactly as pgvector does).",
                   prediction.rows.map(\.speedRatio).min()!, prediction.rows.map(\.speedRatio).max()!, prediction.speedRankCorrelation),
        ]
        let filtered = prediction.rows.contains { $0.indexFilteredRecall != nil }
        let storages = Set(prediction.rows.map(\.build.variant)).count > 1
        var headers = (storages ? ["storage"] : []) + ["m", "ef_construction", "ef_search", "recall in-process", "recall pgvector", "difference"]
        if filtered { headers += ["filtered in-process", "filtered pgvector"] }
        headers += ["QPS in-process", "QPS pgvector", "pgvector / in-process"]
        let rows = prediction.rows.map { row -> [String] in
            var cells = (storages ? [row.build.variant == .halfvec ? "halfvec / float16" : "vector / float32"] : [])
                + ["\(row.build.m)", "\(row.build.efConstruction)", "\(row.efSearch)", MetricText.recall(row.indexRecall),
                         MetricText.recall(row.postgresRecall), String(format: "%+.4f", row.postgresRecall - row.indexRecall)]
            if filtered {
                cells += [row.indexFilteredRecall.map(MetricText.recall) ?? "—", row.postgresFilteredRecall.map(MetricText.recall) ?? "—"]
            }
            return cells + [MetricText.number(row.indexQPS), MetricText.number(row.postgresQPS), String(format: "%.2f×", row.speedRatio)]
        }
        section.tables = [ReportDocument.Table(headers: headers, rows: rows)]
        section.notes = ["QPS on one client. The filtered search differs by design: the in-process index walks the graph admitting only the allowed rows (or searches them exactly when few), pgvector filters what its HNSW scan returns."]
        if storages {
            section.notes.append("Storage: pgvector's column type beside the in-process index's precision. The half-precision index rounds rows and queries to half precision and sums in single precision, as pgvector does for halfvec.")
        }
        let unpredicted = variants.filter { !TargetKind.index.builds($0) }
        if !unpredicted.isEmpty {
            section.paragraphs.append("Not predicted: \(unpredicted.map(\.title).joined(separator: ", ")). The in-process index stores vectors in single or half precision; it has no binary quantization and no IVFFlat, so these rows cover HNSW on vector and halfvec alone.")
        }
        return section
    }

    /// The content-type pass's plan; each plan's share when its requests took more than one.
    private static func filteredPlan(_ filtered: PointResult.FilteredResult?) -> String {
        guard let filtered else { return "—" }
        if let shares = filtered.plans, shares.count > 1 { return MetricText.planShares(shares) }
        return filtered.plan ?? "—"
    }

    private static func mebibytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}

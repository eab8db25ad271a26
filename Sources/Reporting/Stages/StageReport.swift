import Foundation
import Results

/// `stages.md` and `stages.html`: per target, one row per runbook stage — the rows present, the read mix's and
/// the write streams' figures while the rows moved, recall at the checkpoint against exactly the rows present,
/// and what the table and its index carried.
public enum StageReport {
    public static func markdown(_ results: StageResults) -> String { self.document(results).markdown() }
    public static func html(_ results: StageResults) -> String { self.document(results).html() }

    static func document(_ results: StageResults) -> ReportDocument {
        var document = ReportDocument(
            title: "Stages: \(results.scenario)", description: "A runbook on \(results.dataset): inserts of the dataset's next rows and deletes of its oldest, stage by stage, beside the read mix; recall after each stage against the rows present then.")
        let recalls = results.stages.compactMap(\.recall)
        if let lowest = recalls.min(), let first = results.stages.first?.recall {
            document.headline = (String(format: "recall %.4f at the start, %.4f at its lowest stage%@", first, lowest, results.complete ? "" : " (incomplete)"), results.complete)
        }
        document.facts = [
            ("dataset", "\(results.dataset) (\(results.datasetRows.formatted()) memory embeddings)"),
            ("scenario", results.scenarioFile),
        ]
        if let reason = results.stoppedBecause { document.facts.append(("stopped", reason)) }
        let outcomes = StageVerdict.evaluate(results)
        if let thresholds = results.thresholds, !thresholds.isEmpty {
            let failed = outcomes.filter { $0.status == .failed }.count
            document.headline = (failed == 0 ? "all \(outcomes.filter { $0.status == .passed }.count) thresholds and checks met at every stage"
                : "\(failed) of \(outcomes.count) thresholds and checks failed", failed == 0)
        }
        document.addEnvironment(results.environment)
        for target in [TargetKind.postgres, .index] {
            let stages = results.stages.filter { $0.target == target }
            guard !stages.isEmpty else { continue }
            document.sections.append(self.section(stages, target: target))
        }
        if !(results.thresholds ?? []).isEmpty {
            var section = ReportDocument.Section(title: "Thresholds, held at every stage")
            var table = ReportDocument.Table(headers: ["target", "threshold", "verdict", "worst stage"], rows: outcomes.map { outcome in
                [outcome.target, "\(outcome.threshold.operation): \(outcome.threshold.expression)", MarkdownReport.mark(outcome.status), outcome.detail]
            })
            table.failed = Set(outcomes.indices.filter { outcomes[$0].status == .failed })
            section.tables = [table]
            document.sections.append(section)
        }
        return document
    }

    /// The write streams' kinds: a stage's read QPS leaves them out.
    static let writeKinds: Set<String> = ["insert_memory", "delete_memory", "update_memory", "insert_message", "update_trip"]

    private static func section(_ stages: [StageResult], target: TargetKind) -> ReportDocument.Section {
        var section = ReportDocument.Section(title: target == .postgres ? "pgvector" : "In-process index")
        let reads = Set(stages.flatMap { $0.operations ?? [] }.filter { !Self.writeKinds.contains($0.kind) && !$0.followsRequests }.map(\.operation))
        let headers = ["stage", "rows present", "+ / −", "seconds", "read QPS", "vector_search P95", "insert P95", "time to searchable P95", "delete P95", "recall (scenario's searches)", "recall unfiltered", "checkpoint P95", "index", "dead tuples", "autovacuum"]
        let rows = stages.map { stage -> [String] in
            let operations = stage.operations ?? []
            let readQPS = operations.filter { reads.contains($0.operation) }.reduce(0) { $0 + $1.qps }
            func p95(_ kind: String) -> String {
                operations.first { $0.kind == kind && $0.count > 0 && $0.polls == nil }.map { MetricText.micros($0.latencyUs.p95) } ?? "—"
            }
            let searchable = operations.first { $0.polls != nil && $0.count > 0 }.map { probe in
                MetricText.micros(probe.latencyUs.p95) + (probe.errors > 0 ? " (\(probe.errors) of \(probe.count) not found)" : "")
            } ?? "—"
            let checkpointP95 = stage.checkpoint.map(\.latencyUs.p95).max().map(MetricText.micros) ?? "—"
            return [
                "\(stage.stage)", "\(stage.firstRow.formatted())..<\(stage.endRow.formatted()) (\(stage.presentRows.formatted()))",
                stage.stage == 0 ? "—" : "+\(stage.inserted.formatted()) / −\(stage.deleted.formatted())",
                stage.seconds.map { String(format: "%.1f", $0) } ?? "—", stage.operations == nil ? "—" : MetricText.number(readQPS),
                p95("vector_search"), p95("insert_memory"), searchable, p95("delete_memory"), stage.scenarioRecall.map(MetricText.recall) ?? "—",
                stage.unfilteredRecall.map(MetricText.recall) ?? "—", checkpointP95,
                stage.indexBytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "—",
                stage.deadTuples.map { $0.formatted() } ?? "—", stage.autovacuums.map(String.init) ?? "—",
            ]
        }
        var table = ReportDocument.Table(headers: headers, rows: rows)
        if let first = stages.first?.recall {
            table.failed = Set(stages.indices.filter { (stages[$0].recall ?? first) < first - 0.02 })
        }
        section.tables = [table]
        section.notes = [
            "Stage 0 is the table as it started. A stage's reads and writes ran together; recall@k is its checkpoint's: every query once on one client against the exact answers over the rows present at the stage's end, for the scenario's vector searches (with their filters) and for an unfiltered search (the index's own recall); rows flagged fell more than 0.02 below stage 0.",
            target == .postgres
                ? "index: pg_relation_size of the HNSW index; dead tuples and autovacuum runs from pg_stat_user_tables for memory_embeddings (autovacuum: runs during the stage)."
                : "index: the growing in-process index's bytes (records for every row of the dataset from the start); deleted rows stay in its graph, never returned.",
        ]
        return section
    }
}

import Foundation
import Results

/// `report.md`: the run in GitHub-flavoured Markdown, for a terminal or a CI job summary.
public enum MarkdownReport {
    public static func render(_ report: RunReport, outcomes: [ThresholdOutcome]) -> String {
        var lines: [String] = []
        let scenario = report.scenario
        let environment = report.environment
        let passed = ThresholdVerdict.passed(outcomes)
        lines.append("# tripbench: \(scenario.name) on \(report.target)\(report.partial ? " (partial: stopped early)" : "")")
        lines.append("")
        if !outcomes.isEmpty {
            let failed = outcomes.filter { $0.status == .failed }.count
            lines.append(passed ? "**Verdict: ✅ all \(outcomes.filter { $0.status == .passed }.count) thresholds and checks met.**"
                : "**Verdict: ❌ \(failed) of \(outcomes.count) thresholds and checks failed.**")
            lines.append("")
        }
        lines.append("| | |")
        lines.append("|---|---|")
        lines.append("| scenario | \(scenario.name): \(self.escape(scenario.description)) |")
        lines.append("| dataset | \(scenario.dataset) (\(environment.datasetChecksum.prefix(16))) |")
        lines.append("| load | \(self.load(scenario)) |")
        lines.append("| measured | \(report.totals.map { String(format: "%@ %.1f s", $0.target, $0.measuredSeconds) }.joined(separator: ", ")) after \(self.seconds(scenario.warmupSeconds)) warm-up |")
        if let cache = report.cache { lines.append("| caches | \(self.escape(cache.summary)) |") }
        if let shard = report.shard { lines.append("| shards | \(self.escape(shard.summary)) |") }
        lines.append("| machine | \(environment.cpuModel), \(environment.cores) cores, \(environment.memoryBytes >> 30) GiB, \(environment.os) |")
        if let server = environment.serverVersion { lines.append("| server | \(self.escape(server.components(separatedBy: " on ").first ?? server)) |") }
        lines.append("| tripbench | \(environment.tripbenchVersion) (\(environment.gitCommit)), \(environment.startTime) to \(environment.endTime) |")
        lines.append("")
        for target in ThresholdVerdict.targets(of: report) {
            guard report.totals.contains(where: { $0.target == target }) else {
                lines += ["## \(self.title(of: target))", "", "**Not run**: the run was stopped before it.", ""]
                continue
            }
            lines += self.operationTable(report, target: target, outcomes: outcomes)
        }
        if report.totals.count > 1 { lines += self.sideBySide(report) }
        if !outcomes.isEmpty { lines += self.thresholdList(outcomes) }
        if let health = report.health { lines += self.health(health) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func load(_ scenario: ScenarioSummary) -> String {
        switch scenario.executor {
        case "constant-vus": return "\(scenario.clients) closed-loop clients (constant-vus)"
        case "constant-arrival-rate":
            return "\(scenario.rate.map { $0.formatted() } ?? "?") requests/s open loop (\(scenario.arrivals ?? "uniform") arrivals) over \(scenario.clients) clients"
        default: return "ramping arrival rate (\(scenario.arrivals ?? "uniform") arrivals) over \(scenario.clients) clients (\(scenario.stages?.count ?? 0) stages)"
        }
    }

    private static func seconds(_ value: Double) -> String { value.formatted() + " s" }

    private static func operationTable(_ report: RunReport, target: String, outcomes: [ThresholdOutcome]) -> [String] {
        var lines = ["## \(self.title(of: target))", "", "| operation | count | QPS | P50 | P95 | P99 | max | errors | recall | target | verdict |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|:-:|"]
        for operation in report.operations where operation.target == target {
            let mine = outcomes.filter { $0.target == target && $0.threshold.operation == operation.operation }
            let targets = mine.map { $0.threshold.expression }.joined(separator: ", ")
            if let skipped = operation.unsupported {
                lines.append("| \(operation.operation) | not served (\(skipped) skipped) | | | | | | | | \(targets) | — |")
                continue
            }
            let latency = operation.latencyUs
            lines.append("| \(operation.operation) | \(operation.count) | \(String(format: "%.1f", operation.qps)) | \(MetricText.micros(latency.p50)) | "
                + "\(MetricText.micros(latency.p95)) | \(MetricText.micros(latency.p99)) | \(MetricText.micros(latency.max)) | "
                + "\(self.errors(operation)) | \(operation.recall.map { MetricText.recall($0.mean) } ?? "") | \(targets) | \(self.mark(mine)) |")
        }
        if let total = report.totals.first(where: { $0.target == target }) {
            let mine = outcomes.filter { $0.target == target && $0.threshold.operation == "all" }
            lines.append("| **total** | \(total.count) | \(String(format: "%.1f", total.qps)) | | | | | \(total.errors) | | \(mine.map(\.threshold.expression).joined(separator: ", ")) | \(self.mark(mine)) |")
            var notes = [MetricText.driverCost(total)]
            if let lag = total.scheduleLagUs { notes.append("schedule lag P95 \(MetricText.micros(lag.p95))") }
            if let unsent = total.unsent, unsent > 0 { notes.append("\(unsent) due requests never sent (the server fell behind)" + MetricText.servedNote(total)) }
            if total.reconnects > 0 { notes.append("\(total.reconnects) reconnects") }
            if let probe = MetricText.probeNote(report, target: target) { notes.append(probe) }
            if let feed = MetricText.changeFeedNote(report, target: target) { notes.append(feed) }
            if let pool = MetricText.poolNote(report, target: target) { notes.append(pool) }
            notes += MetricText.problems(of: report, target: target).map { "**\($0)**" }
            let audits = report.operations.filter { $0.target == target }.compactMap(\.rowLevelSecurityAudit)
            if !audits.isEmpty {
                let requests = audits.reduce(0) { $0 + $1.requests }, crossing = audits.reduce(0) { $0 + $1.crossUserRequests }
                notes.append("row-level security audit: \(requests) requests (\(crossing) naming another user's data), "
                    + "\(audits.reduce(0) { $0 + $1.rows }) rows, \(audits.reduce(0) { $0 + $1.foreignRows }) of another user")
            }
            if let build = total.indexBuildSeconds { notes.append(String(format: "index built in %.1f s", build)) }
            if let bytes = total.indexBytes { notes.append(String(format: "%.1f MiB", Double(bytes) / 1_048_576)) }
            lines += ["", notes.joined(separator: " · ")]
        }
        return lines + [""]
    }

    static func title(of target: String) -> String { target == "postgres" ? "PostgreSQL" : "In-process HNSW index" }

    private static func errors(_ operation: OperationReport) -> String {
        guard operation.errors > 0 else { return "0" }
        return "\(operation.errors) (" + operation.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }

    /// ✅ when every threshold on the row holds, ❌ when one fails, blank when none applies.
    static func mark(_ outcomes: [ThresholdOutcome]) -> String {
        self.mark(ThresholdVerdict.combined(outcomes))
    }

    static func mark(_ status: ThresholdOutcome.Status?) -> String {
        switch status {
        case .passed: "✅"
        case .failed: "❌"
        case .notApplicable: "➖"
        case nil: ""
        }
    }

    private static func sideBySide(_ report: RunReport) -> [String] {
        let targets = report.totals.map(\.target)
        var lines = ["## Side by side", "", "| operation | " + targets.flatMap { ["\($0) P95", "\($0) QPS", "\($0) recall"] }.joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "--:|", count: targets.count * 3)]
        for name in report.scenario.operations.map(\.name) {
            let cells = targets.flatMap { target -> [String] in
                guard let operation = report.operations.first(where: { $0.target == target && $0.operation == name }), operation.unsupported == nil else {
                    return ["—", "—", "—"]
                }
                return [MetricText.micros(operation.latencyUs.p95), String(format: "%.1f", operation.qps), operation.recall.map { MetricText.recall($0.mean) } ?? ""]
            }
            lines.append("| \(name) | " + cells.joined(separator: " | ") + " |")
        }
        return lines + [""]
    }

    private static func thresholdList(_ outcomes: [ThresholdOutcome]) -> [String] {
        var lines = ["## Thresholds", ""]
        for outcome in outcomes {
            lines.append("- \(self.mark(outcome.status)) `\(outcome.target)` `\(outcome.threshold.operation): \(outcome.threshold.expression)`: \(outcome.detail)")
        }
        return lines + [""]
    }

    private static func health(_ health: DatabaseHealth) -> [String] {
        var lines = ["## Database health (PostgreSQL)", "", "| figure | value | target | verdict |", "|---|--:|--:|:-:|"]
        for figure in HealthFigure.figures(health) {
            lines.append("| \(figure.name) | \(figure.value) | \(figure.target) | \(self.mark(figure.status)) |")
        }
        lines.append("")
        if !health.plans.isEmpty {
            lines += ["| operation | memory_embeddings read by | plans of the run's draws | plan |", "|---|---|---|---|"]
            for plan in health.plans {
                let nodes = plan.error.map { "EXPLAIN failed: \(self.escape($0))" }
                    ?? plan.nodes.map { self.escape($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: " → ")
                lines.append("| \(plan.operation) | \(plan.vectorAccess ?? "") | \(MetricText.planShares(plan.shares)) | \(nodes) |")
            }
            lines.append("")
        }
        if let statements = health.topStatements, !statements.isEmpty {
            lines += ["Top statements (pg_stat_statements, measured window):", "", "| calls | mean | max | total | statement |", "|--:|--:|--:|--:|---|"]
            for statement in statements.prefix(5) {
                let query = statement.query.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                lines.append(String(format: "| %lld | %.2f ms | %.2f ms | %.0f ms | ", statement.calls, statement.meanMs, statement.maxMs, statement.totalMs)
                    + "`\(self.escape(String(query.prefix(100))))\(query.count > 100 ? "…" : "")` |")
            }
            lines.append("")
        }
        for missing in health.missing { lines.append("- not collected: \(self.escape(missing))") }
        if !health.missing.isEmpty { lines.append("") }
        return lines
    }

    /// Keeps a value inside its table cell.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

import Foundation
import Mustache
import Results

/// `report.html`: one self-contained page (inline CSS and SVG, nothing fetched, no script) with the verdict,
/// the summary tables, throughput, latency and errors over time, each operation's latency distribution on
/// HdrHistogram's log percentile axis, recall per operation, database health and the environment.
public enum HTMLReport {
    public static func render(_ report: RunReport, verdict: GateVerdict) -> String {
        HTMLTemplate.page.render(self.context(report, verdict: verdict))
    }

    static func context(_ report: RunReport, verdict: GateVerdict) -> [String: Any] {
        let outcomes = verdict.thresholds
        let targets = report.totals.map(\.target)
        var context: [String: Any] = [
            "title": "\(report.scenario.name) on \(report.target)",
            "description": report.scenario.description,
            "partial": report.partial,
            "facts": self.facts(report),
            "environment": self.environment(report),
            "targets": targets.map { self.targetSection(report, target: $0, outcomes: outcomes) },
        ]
        if let recall = self.recallChart(report) { context["recall"] = recall }
        if !outcomes.isEmpty || verdict.comparison != nil {
            let failed = outcomes.filter { $0.status == .failed }.count + (verdict.comparison?.regressions.count ?? 0)
            context["verdict"] = [
                "passed": verdict.passed,
                "text": verdict.passed ? "All \(outcomes.filter { $0.status == .passed }.count) thresholds and checks met"
                    : "\(failed) check\(failed == 1 ? "" : "s") failed",
            ] as [String: Any]
            context["hasThresholds"] = !outcomes.isEmpty
            context["thresholds"] = outcomes.map { outcome -> [String: Any] in
                ["status": outcome.status.rawValue, "mark": self.mark(outcome.status),
                 "target": outcome.target, "operation": outcome.threshold.operation, "expression": outcome.threshold.expression, "detail": outcome.detail]
            }
        }
        if let comparison = verdict.comparison {
            context["hasComparison"] = !comparison.rows.isEmpty
            context["comparison"] = comparison.rows.map { row -> [String: Any] in
                ["target": row.target, "operation": row.operation, "metric": row.metric.rawValue,
                 "base": MetricText.format(row.base, row.metric), "new": MetricText.format(row.new, row.metric),
                 "change": ComparisonText.change(row), "noise": ComparisonText.amount(row.noise, row),
                 "status": row.status.rawValue, "regression": row.status == .regression]
            }
        }
        if let health = report.health { context["health"] = self.health(health) }
        return context
    }

    private static func facts(_ report: RunReport) -> [[String: String]] {
        let scenario = report.scenario
        return [
            ["name": "dataset", "value": "\(scenario.dataset) (\(report.environment.datasetChecksum.prefix(16)))"],
            ["name": "load", "value": MarkdownReport.load(scenario)],
            ["name": "measured", "value": report.totals.map { String(format: "%@ %.1f s", $0.target, $0.measuredSeconds) }.joined(separator: ", ")
                + " after \(scenario.warmupSeconds.formatted()) s warm-up"],
            ["name": "seed", "value": "\(scenario.seed)"],
        ] + (report.cache.map { [["name": "caches", "value": $0.summary]] } ?? []) + (report.shard.map { [["name": "shards", "value": $0.summary]] } ?? []) + ThresholdVerdict.targets(of: report).compactMap { target -> [String: String]? in
            guard report.totals.contains(where: { $0.target == target }) else {
                return ["name": target, "value": "not run: the run was stopped before it"]
            }
            let problems = MetricText.problems(of: report, target: target)
            return problems.isEmpty ? nil : ["name": target, "value": problems.joined(separator: "; ")]
        }
    }

    private static func environment(_ report: RunReport) -> [[String: String]] {
        let environment = report.environment
        var rows = [
            ["name": "CPU", "value": "\(environment.cpuModel), \(environment.cores) cores"],
            ["name": "memory", "value": "\(environment.memoryBytes >> 30) GiB"],
            ["name": "OS", "value": environment.os],
            ["name": "host", "value": environment.hostname],
        ]
        if let database = environment.database { rows.append(["name": "database", "value": database]) }
        if let server = environment.serverVersion { rows.append(["name": "server", "value": server]) }
        for (name, value) in environment.serverSettings.sorted(by: { $0.key < $1.key }) { rows.append(["name": name, "value": value]) }
        rows.append(["name": "tripbench", "value": "\(environment.tripbenchVersion) (\(environment.gitCommit))"])
        rows.append(["name": "time", "value": "\(environment.startTime) to \(environment.endTime)"])
        return rows
    }

    private static func targetSection(_ report: RunReport, target: String, outcomes: [ThresholdOutcome]) -> [String: Any] {
        let rows = report.operations.filter { $0.target == target }.map { operation -> [String: Any] in
            let mine = outcomes.filter { $0.target == target && $0.threshold.operation == operation.operation }
            var row: [String: Any] = ["operation": operation.operation, "targets": mine.map(\.threshold.expression).joined(separator: ", "),
                                      "mark": self.mark(ThresholdVerdict.combined(mine)), "failed": mine.contains { $0.status == .failed }]
            if let skipped = operation.unsupported {
                row["skipped"] = "not served (\(skipped) skipped)"
            } else {
                row["figures"] = [
                    "\(operation.count)", String(format: "%.1f", operation.qps), MetricText.micros(operation.latencyUs.p50),
                    MetricText.micros(operation.latencyUs.p95), MetricText.micros(operation.latencyUs.p99), MetricText.micros(operation.latencyUs.max),
                    "\(operation.errors)", operation.recall.map { MetricText.recall($0.mean) } ?? "",
                ]
            }
            return row
        }
        let total = report.totals.first { $0.target == target }
        let totalOutcomes = outcomes.filter { $0.target == target && $0.threshold.operation == "all" }
        return [
            "name": target == "postgres" ? "PostgreSQL" : "In-process HNSW index",
            "rows": rows,
            "total": [
                "count": total?.count ?? 0, "qps": String(format: "%.1f", total?.qps ?? 0), "errors": total?.errors ?? 0,
                "targets": totalOutcomes.map(\.threshold.expression).joined(separator: ", "), "mark": self.mark(ThresholdVerdict.combined(totalOutcomes)),
            ] as [String: Any],
            "note": total.map { total in
                MetricText.driverCost(total) + (total.unsent.map { $0 > 0 ? ", \($0) due requests never sent" + MetricText.servedNote(total) : "" } ?? "")
                    + (MetricText.probeNote(report, target: target).map { "; " + $0 } ?? "")
                    + (MetricText.changeFeedNote(report, target: target).map { "; " + $0 } ?? "")
                    + (MetricText.poolNote(report, target: target).map { "; " + $0 } ?? "")
            } ?? "",
            "charts": [self.distributionChart(report, target: target)] + self.timeCharts(report, target: target),
        ]
    }

    /// Throughput, percentiles and errors per second of one target. The last, partial second (requests in
    /// flight at the end) is left out of the charts; report.json keeps it.
    private static func timeCharts(_ report: RunReport, target: String) -> [String] {
        guard let series = report.timeseries.first(where: { $0.target == target }),
            let measured = report.totals.first(where: { $0.target == target })?.measuredSeconds
        else { return [] }
        let seconds = series.seconds.filter { Double($0.second) < max(measured.rounded(.down), 1) }
        let colors = LineChart.palette
        let point = { (second: TimeseriesReport.Second, value: Double) in (x: Double(second.second + 1), y: value) }
        let latency = [("P50", \TimeseriesReport.Second.p50Us, colors[2]), ("P95", \.p95Us, colors[0]), ("P99", \.p99Us, colors[1])].map { name, value, color in
            LineChart.Series(name: name, color: color, points: seconds.filter { $0.count > 0 }.map { point($0, Double($0[keyPath: value])) })
        }
        return [
            LineChart(title: "Throughput", xLabel: "second", yLabel: "requests/s",
                      series: [.init(name: "requests/s", color: colors[0], points: seconds.map { point($0, Double($0.count)) })]).svg(),
            LineChart(title: "Latency over time (all operations)", xLabel: "second", yLabel: "latency", series: latency, logY: true,
                      formatY: { MetricText.micros($0) }).svg(),
            LineChart(title: "Errors", xLabel: "second", yLabel: "errors/s",
                      series: [.init(name: "errors/s", color: colors[1], points: seconds.map { point($0, Double($0.errors)) })]).svg(),
        ]
    }

    /// Each operation's latency by percentile, x = log10(1 / (1 − p)) as HdrHistogram plots it.
    private static func distributionChart(_ report: RunReport, target: String) -> String {
        var series: [LineChart.Series] = []
        var maxX = 2.0
        for (number, entry) in report.histograms.filter({ $0.target == target && $0.measure == "latency" }).enumerated() {
            let histogram = LatencyHistogram(buckets: entry.buckets)
            guard histogram.count > 0 else { continue }
            let reach = min(max(log10(Double(histogram.count)), 1), 5)
            maxX = max(maxX, ceil(reach))
            let points = stride(from: 0.0, through: reach, by: 0.05).map { x -> (x: Double, y: Double) in
                (x, Double(histogram.percentile((1 - pow(10, -x)) * 100)))
            }
            series.append(.init(name: entry.operation, color: LineChart.palette[number % LineChart.palette.count], points: points))
        }
        let labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        return LineChart(
            title: "Latency by percentile", xLabel: "percentile", yLabel: "latency", series: series,
            xTicks: (0...Int(maxX)).map { (Double($0), labels[$0]) }, logY: true, formatY: { MetricText.micros($0) }
        ).svg()
    }

    private static func recallChart(_ report: RunReport) -> String? {
        let measured = report.operations.filter { $0.recall != nil }
        guard !measured.isEmpty else { return nil }
        let targets = report.totals.map(\.target)
        return BarChart(
            title: "Recall@k against exact search (same filter)",
            bars: measured.map { operation in
                let color = LineChart.palette[(targets.firstIndex(of: operation.target) ?? 0) % LineChart.palette.count]
                return ("\(operation.target) \(operation.operation)", operation.recall!.mean, color)
            },
            maximum: 1, format: { MetricText.recall($0) }
        ).svg()
    }

    /// Text marks, not emoji: they render with any font.
    private static func mark(_ status: ThresholdOutcome.Status?) -> String {
        switch status {
        case .passed: "✓ pass"
        case .failed: "✗ fail"
        case .notApplicable: "– n/a"
        case nil: ""
        }
    }

    private static func health(_ health: DatabaseHealth) -> [String: Any] {
        [
            "figures": HealthFigure.figures(health).map { ["name": $0.name, "value": $0.value, "target": $0.target, "mark": self.mark($0.status)] },
            "plans": health.plans.map { plan -> [String: Any] in
                ["operation": plan.operation, "access": plan.vectorAccess ?? "", "shares": MetricText.planShares(plan.shares), "plan": plan.error.map { "EXPLAIN failed: \($0)" } ?? plan.nodes.joined(separator: "\n"),
                 "seqScan": plan.vectorAccess == "seq_scan"]
            },
            "statements": (health.topStatements ?? []).prefix(8).map { statement -> [String: String] in
                ["calls": "\(statement.calls)", "mean": String(format: "%.2f ms", statement.meanMs), "max": String(format: "%.2f ms", statement.maxMs),
                 "total": String(format: "%.0f ms", statement.totalMs), "query": statement.query]
            },
            "hasStatements": !(health.topStatements ?? []).isEmpty,
            "missing": health.missing,
        ]
    }
}

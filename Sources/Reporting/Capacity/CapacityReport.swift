import Foundation
import Results

/// `capacity.md` and `capacity.html`: per target, the highest sustainable rate, the latency-versus-rate curve
/// with the objective, the knee and the saturation marked, throughput served against offered, and every step.
public enum CapacityReport {
    public static func markdown(_ results: CapacityResults) -> String { self.document(results).markdown() }
    public static func html(_ results: CapacityResults) -> String { self.document(results, charts: true).html() }

    /// `postgres sustains 1,240 requests/s with p95 < 100ms`.
    public static func summary(_ capacity: CapacityResults.TargetCapacity, objective: CapacityObjective) -> String {
        let outcome = capacity.outcome
        guard let rate = outcome.sustainableRate else {
            return "\(capacity.target.rawValue): no rate met \(objective.latency.expression)" + (outcome.steps.isEmpty ? "" : " (lowest tried \(self.rate(outcome.steps.map(\.offeredRate).min()!)))")
        }
        var text = "\(capacity.target.rawValue) sustains \(self.rate(rate)) with \(objective.latency.expression)"
        if let failing = outcome.lowestFailingRate {
            text += " (\(self.rate(failing)) did not)"
        } else {
            text += " (the highest rate tried; the limit was not reached)"
        }
        return text
    }

    static func document(_ results: CapacityResults, charts: Bool = false) -> ReportDocument {
        let objective = results.objective
        var document = ReportDocument(title: "\(results.scenario) (capacity)", description: "The highest open-loop arrival rate that meets the objective.")
        let found = results.targets.allSatisfy { $0.outcome.sustainableRate != nil }
        document.headline = (results.targets.map { self.summary($0, objective: objective) }.joined(separator: "; "), found)
        document.facts = [
            ("objective", "\(objective.latency.operation) \(objective.latency.expression) from each request's scheduled start, error rate ≤ \(MetricText.percent(objective.maxErrorRate)), at least \(Int(objective.minServedShare * 100)) % of the offered rate served"),
            ("dataset", "\(results.dataset) (\(results.datasetChecksum.prefix(16)))"),
            ("steps", String(format: "%.0f s each after %.0f s warm-up, over %d clients; rate × %.3g until a step fails, then bisection to within %.0f %%", results.stepSeconds, results.warmupSeconds, results.clients, results.growth, results.precision * 100)),
            ("scenario", results.scenarioFile),
        ]
        document.addEnvironment(results.environment)
        for capacity in results.targets { document.sections.append(self.section(capacity, objective: objective, charts: charts)) }
        return document
    }

    private static func section(_ capacity: CapacityResults.TargetCapacity, objective: CapacityObjective, charts: Bool) -> ReportDocument.Section {
        let outcome = capacity.outcome
        var section = ReportDocument.Section(title: capacity.target.rawValue)
        var lines = [self.summary(capacity, objective: objective) + "."]
        if let knee = outcome.kneeRate { lines.append("The latency curve bends at about \(self.rate(knee)) (the knee): past it, each added request per second costs more latency.") }
        if let saturation = outcome.saturationRate { lines.append("The most it completed in any step was \(self.rate(saturation)): where it saturated.") }
        if outcome.interrupted { lines.append("The search was stopped before it finished: the rate above is the best passing step so far.") }
        if let build = capacity.indexBuildSeconds { lines.append(String(format: "The in-process index was built once (%.1f s) and searched by every step.", build)) }
        section.paragraphs = [lines.joined(separator: " ")]
        if charts { section.charts = [self.latencyChart(outcome, target: capacity.target), self.throughputChart(outcome, target: capacity.target)] }
        let ordered = outcome.steps.enumerated().map { ($0.offset + 1, $0.element) }
        var table = ReportDocument.Table(
            headers: ["step", "phase", "offered", "served", objective.latency.metric.rawValue, "P50", "P99", "errors", "seconds", "verdict"]
                + (capacity.outcome.steps.contains { $0.plans != nil } ? ["plans"] : []), rows: [])
        for (number, step) in ordered {
            if step.passed, step.offeredRate == outcome.sustainableRate { table.emphasised.insert(table.rows.count) }
            if !step.passed { table.failed.insert(table.rows.count) }
            table.rows.append([
                "\(number)", step.phase.rawValue, self.perSecond(step.offeredRate), self.perSecond(step.achievedRate),
                step.latencyUs.map(MetricText.micros) ?? "—", step.p50Us.map(MetricText.micros) ?? "—", step.p99Us.map(MetricText.micros) ?? "—",
                MetricText.percent(step.errorRate), String(format: "%.1f", step.seconds) + (step.stoppedEarly ? " (stopped)" : ""),
                step.passed ? "✓ met" : "✗ " + (step.reason ?? "failed"),
            ] + (table.headers.last == "plans" ? [self.plans(step)] : []))
        }
        section.tables = [table]
        return section
    }

    /// `vector_search: btree 92 %: P95 1.2ms, recall 1.0000; hnsw 8 %: …` for the step's operations.
    private static func plans(_ step: CapacityStep) -> String {
        (step.plans ?? [:]).sorted { $0.key < $1.key }.map { operation, shares in
            (step.plans?.count ?? 0) > 1 ? "\(operation): " + MetricText.planShares(shares) : MetricText.planShares(shares)
        }.joined(separator: " · ")
    }

    private static func latencyChart(_ outcome: CapacityOutcome, target: TargetKind) -> String {
        let steps = outcome.steps.sorted { $0.offeredRate < $1.offeredRate }
        let metric = outcome.objective.latency.metric.rawValue
        var series = [LineChart.Series(name: metric, color: LineChart.palette[0], points: steps.compactMap { step in step.latencyUs.map { (step.offeredRate, $0 / 1000) } }, markers: true)]
        if metric != "p99" {
            series.append(LineChart.Series(name: "p99", color: LineChart.palette[3], dashed: true, points: steps.compactMap { step in step.p99Us.map { (step.offeredRate, $0 / 1000) } }))
        }
        series.append(LineChart.Series(name: "p50", color: LineChart.palette[2], dashed: true, points: steps.compactMap { step in step.p50Us.map { (step.offeredRate, $0 / 1000) } }))
        var chart = LineChart(
            title: "\(target.rawValue): latency vs offered rate", xLabel: "offered requests per second", yLabel: "latency (ms)",
            series: series, xTicks: nil, logY: true)
        chart.yMarks = [(outcome.objective.latency.value / 1000, outcome.objective.latency.expression, "#dc2626")]
        if let rate = outcome.sustainableRate { chart.xMarks.append((rate, outcome.kneeRate == rate ? "sustainable = knee" : "sustainable", "#059669")) }
        if let knee = outcome.kneeRate, knee != outcome.sustainableRate { chart.xMarks.append((knee, "knee", "#7c3aed")) }
        return chart.svg()
    }

    private static func throughputChart(_ outcome: CapacityOutcome, target: TargetKind) -> String {
        let steps = outcome.steps.sorted { $0.offeredRate < $1.offeredRate }
        let offered = steps.map { ($0.offeredRate, $0.offeredRate) }
        var chart = LineChart(
            title: "\(target.rawValue): served vs offered", xLabel: "offered requests per second", yLabel: "served per second",
            series: [
                LineChart.Series(name: "served", color: LineChart.palette[0], points: steps.map { ($0.offeredRate, $0.achievedRate) }, markers: true),
                LineChart.Series(name: "offered", color: "#94a3b8", dashed: true, points: offered),
            ], xTicks: nil)
        if let saturation = outcome.saturationRate { chart.yMarks = [(saturation, "saturation " + self.rate(saturation), "#d97706")] }
        return chart.svg()
    }

    static func rate(_ value: Double) -> String { "\(Int(value.rounded()).formatted()) requests/s" }
    static func perSecond(_ value: Double) -> String { "\(Int(value.rounded()).formatted())/s" }
}

import Foundation
import Results

/// `scale.md` and `scale.html`: the one-sentence answer (up to how many embeddings the scenario's rate holds
/// under its objective on this machine), capacity, P95 and sizes against data size with the points where
/// the HNSW index passed `shared_buffers` and RAM, why the slow sizes were slow, and every size's figures.
public enum ScaleReport {
    public static func markdown(_ results: ScaleResults) -> String { self.document(results).markdown() }
    public static func html(_ results: ScaleResults) -> String { self.document(results, charts: true).html() }

    /// The largest size up to which every measured size sustained the target rate, and the first that did not.
    static func holds(_ results: ScaleResults, target: TargetKind) -> (upTo: ScalePoint?, brokeAt: ScalePoint?) {
        var upTo: ScalePoint?
        for point in results.points {
            guard let outcome = point.capacity(target) else { continue }
            guard self.sustains(outcome, rate: results.targetRate) else { return (upTo, point) }
            upTo = point
        }
        return (upTo, nil)
    }

    /// Whether a search found the rate (within its precision) sustainable.
    static func sustains(_ outcome: CapacityOutcome, rate: Double) -> Bool {
        outcome.steps.contains { $0.passed && $0.offeredRate >= rate * 0.999 }
    }

    /// "471 requests/s with p95 < 100ms holds up to 250,000 embeddings on this machine; at 500,000 it sustains 71".
    public static func answer(_ results: ScaleResults, target: TargetKind) -> (text: String, good: Bool) {
        let promise = "\(CapacityReport.rate(results.targetRate)) with \(results.objective.latency.operation) \(results.objective.latency.expression)"
        let where_ = target == .postgres ? "on this machine" : "on this machine (in-process index)"
        let (upTo, brokeAt) = self.holds(results, target: target)
        let sustained = { (point: ScalePoint) in
            point.capacity(target)?.sustainableRate.map { "it sustains \(CapacityReport.rate($0))" } ?? "no rate tried met the objective"
        }
        guard let brokeAt else {
            guard let upTo else { return ("nothing measured yet", false) }
            let all = results.complete ? "at every size measured, up to" : "at every size measured so far, up to"
            return ("\(promise) holds \(all) \(upTo.rows.formatted()) embeddings \(where_)", true)
        }
        guard let upTo else {
            return ("\(promise) does not hold even at \(brokeAt.rows.formatted()) embeddings \(where_): \(sustained(brokeAt))", false)
        }
        var text = "\(promise) holds up to \(upTo.rows.formatted()) embeddings \(where_); at \(brokeAt.rows.formatted()) \(sustained(brokeAt))"
        let later = results.points.drop { $0.rows <= brokeAt.rows }.filter { $0.capacity(target).map { self.sustains($0, rate: results.targetRate) } ?? false }
        if let again = later.first {
            text += " (yet \(again.rows.formatted()) held it again: the boundary is within this machine's noise)"
        }
        return (text, false)
    }

    static func document(_ results: ScaleResults, charts: Bool = false) -> ReportDocument {
        var document = ReportDocument(
            title: "\(results.scenario) (scale)",
            description: "Capacity under the objective as the memory embeddings grow: one database grown through prefixes of one dataset.")
        let targets = self.targets(results)
        if let first = targets.first { document.headline = self.answer(results, target: first) }
        let sizes = results.sizes.map(ScaleSizes.label).joined(separator: ", ")
        document.facts = [
            ("objective", "\(results.objective.latency.operation) \(results.objective.latency.expression) from each request's scheduled start, error rate ≤ \(MetricText.percent(results.objective.maxErrorRate)); the answer is about \(CapacityReport.rate(results.targetRate))"),
            ("dataset", "\(results.dataset) (\(results.datasetChecksum.prefix(16))), \(results.dimension) dimensions; sizes \(sizes) (\(results.points.count) of \(results.sizes.count) measured)"),
            ("growth", results.hnsw.map { "rows appended at each size; HNSW (m \($0.m), ef_construction \($0.efConstruction)) grown by pgvector's inserts or rebuilt, as the table says" } ?? "in-process index built at each size"),
            ("caches", results.cache == "prewarm" ? "prewarmed before each size's search: pg_prewarm read the HNSW index into shared_buffers (as much as fits) and memory_embeddings into the page cache" : "warm: as growing the table left them (the first step of each search the coldest)"),
            ("capacity search", String(format: "%.3g s steps after %.3g s warm-up over %d clients; rate × %.3g until a step fails, then bisection to within %.0f %%", results.stepSeconds, results.warmupSeconds, results.clients, results.rateGrowth, results.precision * 100)),
            ("scenario", results.scenarioFile),
        ]
        document.addEnvironment(results.environment)
        var section = ReportDocument.Section(title: "Capacity against data size")
        section.paragraphs = targets.map { self.answer(results, target: $0).text + "." } + self.crossings(results) + self.why(results)
            + self.latencyFloor(results)
        if charts {
            section.charts = [self.capacityChart(results, targets: targets), self.latencyChart(results, targets: targets)]
            if results.points.contains(where: { $0.sizes != nil }) { section.charts.append(self.sizeChart(results)) }
        }
        section.tables = targets.map { self.table(results, target: $0) }
        section.notes = [
            "P95 at \(CapacityReport.rate(results.targetRate)) is the search's step at that rate (stopped early when clearly past the objective, so a lower bound then). Recall is the mean recall@k of the SLO operation's sampled searches (every operation's, for all) at the sustainable rate, against the exact answer over the rows present."
                + (results.cache == "prewarm" ? "" : " The search's first step runs right after the rows were added (and the index rebuilt): its caches are the coldest of the search."),
        ]
        document.sections = [section]
        for point in results.points {
            for capacity in point.targets {
                var steps = CapacityReport.document(
                    CapacityResults.single(results, capacity: capacity), charts: false).sections.first!
                steps.title = "\(ScaleSizes.label(point.rows)) embeddings: \(capacity.target.rawValue) steps"
                steps.paragraphs = []
                document.sections.append(steps)
            }
        }
        return document
    }

    private static func targets(_ results: ScaleResults) -> [TargetKind] {
        var seen: [TargetKind] = []
        for point in results.points { for capacity in point.targets where !seen.contains(capacity.target) { seen.append(capacity.target) } }
        return seen
    }

    // MARK: - What crossed what, and why

    /// Where the HNSW index grew past `shared_buffers` and past RAM: between two measured sizes, or
    /// extrapolated from the largest (the index grows about linearly with the rows).
    static func crossings(_ results: ScaleResults) -> [String] {
        let measured = results.points.compactMap { point in point.sizes.flatMap { sizes in sizes.hnswIndexBytes.map { (point.rows, $0, sizes) } } }
        guard let last = measured.last else { return [] }
        var lines: [String] = []
        for (name, limit) in [("shared_buffers (\(MetricText.bytes(last.2.sharedBuffersBytes)))", last.2.sharedBuffersBytes), ("this machine's RAM (\(MetricText.bytes(results.memoryBytes)))", results.memoryBytes)] {
            if let crossing = self.crossing(measured.map { ($0.0, $0.1) }, limit: limit) {
                lines.append("The HNSW index passed \(name) at about \(ScaleSizes.label(self.round(crossing))) embeddings.")
            } else if measured[0].1 > limit {
                lines.append("The HNSW index was larger than \(name) at every size measured.")
            } else {
                let rows = Double(last.0) * Double(limit) / Double(max(last.1, 1))
                lines.append("The HNSW index stays within \(name) at every size measured; growing as it did, it would pass it at about \(ScaleSizes.label(self.round(rows))) embeddings.")
            }
        }
        return lines
    }

    /// The rows where `bytes` first passes `limit`, interpolated between the two sizes around it.
    static func crossing(_ points: [(rows: Int, bytes: Int64)], limit: Int64) -> Double? {
        for (below, above) in zip(points, points.dropFirst()) where below.bytes <= limit && above.bytes > limit {
            return Double(below.rows) + Double(limit - below.bytes) / Double(above.bytes - below.bytes) * Double(above.rows - below.rows)
        }
        return nil
    }

    /// Rounded to two significant figures, for a sentence.
    private static func round(_ rows: Double) -> Int {
        guard rows >= 100 else { return Int(rows.rounded()) }
        let unit = pow(10, floor(log10(rows)) - 1)
        return Int((rows / unit).rounded() * unit)
    }

    /// At the first size that broke the promise on PostgreSQL: how its reads were served, beside the last
    /// size that held.
    static func why(_ results: ScaleResults) -> [String] {
        let (upTo, brokeAt) = self.holds(results, target: .postgres)
        guard let brokeAt, let step = self.rateStep(brokeAt, target: .postgres, rate: results.targetRate) else { return [] }
        var parts: [String] = []
        if let hit = step.cacheHitRatio { parts.append("buffer cache hit \(MetricText.percent(hit))") }
        if let share = step.hnswInSharedBuffers { parts.append("\(MetricText.percent(share)) of the HNSW index in shared_buffers") }
        if let sizes = brokeAt.sizes, let index = sizes.hnswIndexBytes {
            parts.append("index \(MetricText.ratio(Double(index) / Double(max(sizes.sharedBuffersBytes, 1))))× shared_buffers")
        }
        guard !parts.isEmpty else { return [] }
        var line = "At \(brokeAt.rows.formatted()) embeddings and \(CapacityReport.rate(results.targetRate)): " + parts.joined(separator: ", ")
        if let upTo, let held = self.rateStep(upTo, target: .postgres, rate: results.targetRate) {
            var before: [String] = []
            if let hit = held.cacheHitRatio { before.append("cache hit \(MetricText.percent(hit))") }
            if let share = held.hnswInSharedBuffers { before.append("\(MetricText.percent(share)) of the index in shared_buffers") }
            if !before.isEmpty { line += "; at \(upTo.rows.formatted()), " + before.joined(separator: ", ") }
        }
        let fromMemory = (step.cacheHitRatio ?? 1) >= 0.99 && (step.hnswInSharedBuffers ?? 1) >= 0.99
        return [line + (fromMemory
            ? ". Everything was read from shared_buffers: the limit there is the work per search (more rows, more distances on the way down the graph), not memory."
            : ". Reads that miss shared_buffers go to the page cache or the disk: the index no longer answers from memory.")]
    }

    /// At the largest size that misses the target rate, whether requests were slow on their own: the search's
    /// full-length steps at a tenth of the target rate or less (served without a queue to speak of) had their
    /// latency at half the objective's limit or more. Then a lower rate does not buy the objective back: the
    /// time is spent inside single requests, in the operation's plan at that size.
    static func latencyFloor(_ results: ScaleResults) -> [String] {
        let limit = results.objective.latency.value
        guard let point = results.points.last(where: { $0.capacity(.postgres).map { !self.sustains($0, rate: results.targetRate) } ?? false }),
            let outcome = point.capacity(.postgres)
        else { return [] }
        let quiet = outcome.steps.filter { !$0.stoppedEarly && $0.offeredRate <= results.targetRate * 0.1 && $0.latencyUs != nil }
            .sorted { $0.offeredRate < $1.offeredRate }
        guard let lowest = quiet.first, let worst = quiet.max(by: { $0.latencyUs! < $1.latencyUs! }), worst.latencyUs! >= limit * 0.5 else { return [] }
        let objective = results.objective.latency
        func figure(_ step: CapacityStep) -> String {
            "at \(CapacityReport.rate(step.offeredRate)) \(objective.metric.rawValue) \(MetricText.micros(step.latencyUs!))"
                + (step.p50Us.map { " (P50 \(MetricText.micros($0)))" } ?? "")
        }
        var line = "At \(point.rows.formatted()) embeddings \(objective.operation) is slow on its own, with no queue to speak of: " + figure(lowest)
        if worst.offeredRate != lowest.offeredRate { line += ", " + figure(worst) }
        line += " against the objective's \(MetricText.micros(limit)). A lower rate does not buy it back: the time is spent inside single "
            + "requests, in the operation's plan at this size (the run report shows the plans; EXPLAIN (ANALYZE, BUFFERS) its slowest requests)."
        return [line]
    }

    /// The step of a size's search offered the target rate (its first, when the search started there).
    static func rateStep(_ point: ScalePoint, target: TargetKind, rate: Double) -> CapacityStep? {
        point.capacity(target)?.steps.first { abs($0.offeredRate - rate) < rate * 0.001 }
    }

    /// The step at the sustainable rate.
    static func sustainedStep(_ point: ScalePoint, target: TargetKind) -> CapacityStep? {
        guard let outcome = point.capacity(target), let rate = outcome.sustainableRate else { return nil }
        return outcome.steps.first { $0.passed && $0.offeredRate == rate }
    }

    // MARK: - Table and charts

    private static func table(_ results: ScaleResults, target: TargetKind) -> ReportDocument.Table {
        var table = ReportDocument.Table(
            headers: [
                "embeddings", "target", "HNSW index", "heap + TOAST", "index ÷ shared_buffers", "add rows", "index build", "capacity",
                "P95 at \(CapacityReport.perSecond(results.targetRate))", "recall", "cache hit", "index in shared_buffers",
            ], rows: [])
        for point in results.points {
            guard let outcome = point.capacity(target) else { continue }
            let atRate = self.rateStep(point, target: target, rate: results.targetRate)
            let sustained = self.sustainedStep(point, target: target)
            let sizes = point.sizes
            if !self.sustains(outcome, rate: results.targetRate) { table.failed.insert(table.rows.count) }
            table.rows.append([
                point.rows.formatted(), target.rawValue,
                sizes?.hnswIndexBytes.map(MetricText.bytes) ?? "—",
                sizes.map { MetricText.bytes($0.embeddingsHeapBytes + $0.embeddingsToastBytes) } ?? "—",
                sizes.flatMap { s in s.hnswIndexBytes.map { MetricText.ratio(Double($0) / Double(max(s.sharedBuffersBytes, 1))) } } ?? "—",
                point.addSeconds.map { String(format: "%@ %@ in %.0f s", point.growth == .insert ? "inserted" : "copied", point.addedRows.formatted(), $0) } ?? "—",
                (point.indexBuildSeconds ?? point.targets.first { $0.target == target }?.indexBuildSeconds).map { String(format: "%.0f s", $0) } ?? "—",
                outcome.sustainableRate.map(CapacityReport.perSecond) ?? "none",
                atRate?.latencyUs.map(MetricText.micros) ?? "—",
                (sustained ?? atRate)?.recall.map(MetricText.recall) ?? "—",
                (sustained ?? atRate)?.cacheHitRatio.map(MetricText.percent) ?? "—",
                (sustained ?? atRate)?.hnswInSharedBuffers.map(MetricText.percent) ?? "—",
            ])
        }
        return table
    }

    /// Sizes on a log axis, each labelled.
    private static func ticks(_ results: ScaleResults) -> [(Double, String)] {
        results.sizes.map { (log10(Double($0)), ScaleSizes.label($0)) }
    }

    /// Vertical marks where the index passed shared_buffers and RAM, when within the sizes measured.
    private static func crossingMarks(_ results: ScaleResults) -> [(x: Double, label: String, color: String)] {
        let measured = results.points.compactMap { point in point.sizes.flatMap { s in s.hnswIndexBytes.map { (rows: point.rows, bytes: $0) } } }
        guard let sharedBuffers = results.points.last?.sizes?.sharedBuffersBytes else { return [] }
        var marks: [(x: Double, label: String, color: String)] = []
        if let rows = self.crossing(measured, limit: sharedBuffers) { marks.append((log10(rows), "index > shared_buffers", "#d97706")) }
        if let rows = self.crossing(measured, limit: results.memoryBytes) { marks.append((log10(rows), "index > RAM", "#dc2626")) }
        return marks
    }

    private static func capacityChart(_ results: ScaleResults, targets: [TargetKind]) -> String {
        let series = targets.enumerated().map { number, target in
            LineChart.Series(
                name: target.rawValue, color: LineChart.palette[number], points: results.points.compactMap { point in
                    point.capacity(target)?.sustainableRate.map { (log10(Double(point.rows)), $0) }
                }, markers: true)
        }
        var chart = LineChart(
            title: "sustainable rate vs embeddings", xLabel: "memory embeddings (log)", yLabel: "requests/s", series: series,
            xTicks: self.ticks(results), logY: true)
        chart.yMarks = [(results.targetRate, CapacityReport.perSecond(results.targetRate), "#059669")]
        chart.xMarks = self.crossingMarks(results)
        return chart.svg()
    }

    private static func latencyChart(_ results: ScaleResults, targets: [TargetKind]) -> String {
        let metric = results.objective.latency.metric.rawValue
        let series = targets.enumerated().map { number, target in
            LineChart.Series(
                name: target.rawValue, color: LineChart.palette[number],
                points: results.points.compactMap { point in
                    self.rateStep(point, target: target, rate: results.targetRate)?.latencyUs.map { (log10(Double(point.rows)), $0 / 1000) }
                }, markers: true)
        }
        var chart = LineChart(
            title: "\(metric) at \(CapacityReport.rate(results.targetRate)) vs embeddings", xLabel: "memory embeddings (log)", yLabel: "latency (ms)",
            series: series, xTicks: self.ticks(results), logY: true)
        chart.yMarks = [(results.objective.latency.value / 1000, results.objective.latency.expression, "#dc2626")]
        chart.xMarks = self.crossingMarks(results)
        return chart.svg()
    }

    private static func sizeChart(_ results: ScaleResults) -> String {
        let points = results.points.compactMap { point in point.sizes.map { (x: log10(Double(point.rows)), sizes: $0) } }
        var chart = LineChart(
            title: "data size vs embeddings", xLabel: "memory embeddings (log)", yLabel: "GiB",
            series: [
                LineChart.Series(name: "HNSW index", color: LineChart.palette[0], points: points.compactMap { p in p.sizes.hnswIndexBytes.map { (p.x, Double($0) / 1_073_741_824) } }, markers: true),
                LineChart.Series(name: "heap + TOAST", color: LineChart.palette[4], dashed: true, points: points.map { ($0.x, Double($0.sizes.embeddingsHeapBytes + $0.sizes.embeddingsToastBytes) / 1_073_741_824) }),
            ], xTicks: self.ticks(results), logY: true)
        if let sharedBuffers = points.last?.sizes.sharedBuffersBytes {
            chart.yMarks = [(Double(sharedBuffers) / 1_073_741_824, "shared_buffers", "#d97706"), (Double(results.memoryBytes) / 1_073_741_824, "RAM", "#dc2626")]
        }
        chart.formatY = { String(format: $0 < 1 ? "%.2g" : "%.0f", $0) }
        return chart.svg()
    }
}

extension CapacityResults {
    /// One size's search on one target as a capacity result of its own, to render its steps.
    static func single(_ results: ScaleResults, capacity: TargetCapacity) -> CapacityResults {
        var single = CapacityResults(
            scenario: results.scenario, scenarioFile: results.scenarioFile, dataset: results.dataset, datasetChecksum: results.datasetChecksum,
            clients: results.clients, stepSeconds: results.stepSeconds, warmupSeconds: results.warmupSeconds, growth: results.rateGrowth,
            precision: results.precision, objective: results.objective)
        single.targets = [capacity]
        return single
    }
}

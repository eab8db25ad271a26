/// Why shards' reports cannot be merged.
public struct ReportMergeError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension RunReport {
    /// The shards' reports of one run as one report (`tripbench merge`): each operation's HdrHistograms rebuilt
    /// from the reports' buckets and added, so its percentiles are those of the union of the shards' requests;
    /// counts, errors, rows, unsent and scheduled requests added; rates added (the shards ran at once); recall
    /// weighted by its samples. What only the setup shard measures (health, pool, change feed, cache) comes from
    /// shard 0's report (the first one given, for reports that do not say which shard they are). Per-second
    /// series add counts and errors; a second's percentiles are those of the union of the shards' requests
    /// finished in it, from the histograms a shard keeps per second (reports without them, as a whole run's: the
    /// highest of the shards', an upper bound). Open loops' schedule lag merges from its histogram too.
    ///
    /// Shards' reports say which shard they are (``ShardSummary``): they are merged in shard order (shard 0's
    /// health first), and a shard given twice, shards of runs with another shard count or start, or a report
    /// of a whole run among them are refused.
    ///
    /// - Parameter expected: how many shards the run had (by default, what the shards' reports say); fewer
    ///   reports (or any partial one) make the merged report partial.
    /// - Throws: ``ReportMergeError`` when the reports are not of one run (scenario, seed, target, dataset, load,
    ///   shards), or a shard's per-second histogram cannot be read.
    public static func merged(_ reports: [RunReport], expected: Int? = nil) throws -> RunReport {
        guard let first = reports.first else { throw ReportMergeError(description: "no reports to merge") }
        for shard in reports.dropFirst() {
            if let (what, one, other) = Self.difference(first, shard) {
                throw ReportMergeError(description: "the shards ran with different \(what) (\(one) and \(other)): they are not of one run")
            }
        }
        let summary = try Self.shardSummary(of: reports, expected: expected)
        let shards = reports.enumerated().sorted { ($0.element.shard?.indexes.first ?? 0, $0.offset) < ($1.element.shard?.indexes.first ?? 0, $1.offset) }.map(\.element)
        var merged = shards[0]
        merged.shard = summary
        merged.partial = shards.contains(where: \.partial) || shards.count < (expected ?? summary?.count ?? shards.count)
        if let summary, !summary.indexes.contains(0) { merged.health = nil }
        merged.environment.endTime = shards.map(\.environment.endTime).max() ?? merged.environment.endTime
        var histograms: [String: LatencyHistogram] = [:]
        var order: [HistogramReport] = []
        for shard in shards {
            for entry in shard.histograms {
                if histograms[entry.key] == nil { order.append(entry) }
                histograms[entry.key, default: LatencyHistogram()].add(LatencyHistogram(buckets: entry.buckets))
            }
        }
        merged.histograms = order.map { entry in
            var sum = entry
            sum.buckets = histograms[entry.key]!.buckets
            return sum
        }
        merged.operations = merged.operations.map { first in
            let all = shards.flatMap { $0.operations.filter { $0.target == first.target && $0.operation == first.operation } }
            var operation = first
            operation.count = all.map(\.count).reduce(0, +)
            operation.errors = all.map(\.errors).reduce(0, +)
            operation.errorsByKind = all.reduce(into: [:]) { $0.merge($1.errorsByKind, uniquingKeysWith: +) }
            operation.qps = all.map(\.qps).reduce(0, +)
            operation.rows = all.map(\.rows).reduce(0, +)
            let answered = operation.count - operation.errors
            operation.rowsPerRequest = answered > 0 ? Double(operation.rows) / Double(answered) : 0
            operation.unsent = Self.sum(all.map(\.unsent))
            operation.unsupported = Self.sum(all.map(\.unsupported))
            operation.polls = Self.sum(all.map(\.polls))
            operation.foreignRows = Self.sum(all.map(\.foreignRows))
            if let latency = histograms[HistogramReport.key(target: first.target, operation: first.operation, measure: "latency")] {
                operation.latencyUs = LatencySummary(latency)
            }
            if let service = histograms[HistogramReport.key(target: first.target, operation: first.operation, measure: "service")] {
                operation.serviceUs = LatencySummary(service)
            }
            let recalls = all.compactMap(\.recall)
            let samples = recalls.map(\.samples).reduce(0, +)
            if let k = recalls.first?.k, samples > 0 {
                let mean = recalls.map { $0.mean * Double($0.samples) }.reduce(0, +) / Double(samples)
                operation.recall = RecallSummary(mean: mean, min: recalls.map(\.min).min()!, samples: samples, k: k)
            }
            return operation
        }
        merged.totals = merged.totals.map { first in
            let all = shards.compactMap { $0.totals.first { $0.target == first.target } }
            var totals = first
            totals.count = all.map(\.count).reduce(0, +)
            totals.errors = all.map(\.errors).reduce(0, +)
            totals.qps = all.map(\.qps).reduce(0, +)
            totals.measuredSeconds = all.map(\.measuredSeconds).max() ?? first.measuredSeconds
            let requests = max(totals.count, 1)
            totals.harnessCpuUsPerRequest = all.map { $0.harnessCpuUsPerRequest * Double($0.count) }.reduce(0, +) / Double(requests)
            // From the schedule-lag histograms merged above, when every shard had one (older reports: percentiles only).
            let lagKey = HistogramReport.scheduleLag(target: first.target, buckets: []).key
            if first.scheduleLagUs != nil, shards.allSatisfy({ $0.histograms.contains { $0.key == lagKey } }), let lag = histograms[lagKey] {
                totals.scheduleLagUs = LatencySummary(lag)
            } else {
                totals.scheduleLagUs = all.count == 1 ? first.scheduleLagUs : nil
            }
            totals.unsent = Self.sum(all.map(\.unsent))
            totals.scheduled = Self.sum(all.map(\.scheduled))
            totals.servedPerSecond = all.allSatisfy { $0.servedPerSecond != nil } ? all.compactMap(\.servedPerSecond).reduce(0, +) : nil
            totals.reconnects = all.map(\.reconnects).reduce(0, +)
            totals.unreachableSeconds = all.compactMap(\.unreachableSeconds).max()
            return totals
        }
        merged.timeseries = try merged.timeseries.map { first in
            let series = shards.compactMap { $0.timeseries.first { $0.target == first.target } }
            return TimeseriesReport(target: first.target, seconds: try Self.mergedSeconds(series.map(\.seconds)))
        }
        return merged
    }

    /// The shards' per-second series as one: each second's counts added, its percentiles those of the union of
    /// the shards' histograms of the second when every shard kept them, else the highest of the shards'.
    private static func mergedSeconds(_ series: [[TimeseriesReport.Second]]) throws -> [TimeseriesReport.Second] {
        var bySecond: [Int: [TimeseriesReport.Second]] = [:]
        for point in series.joined() { bySecond[point.second, default: []].append(point) }
        func union(_ encoded: [String?], of second: Int) throws -> LatencyHistogram? {
            guard encoded.allSatisfy({ $0 != nil }) else { return nil }
            var union = LatencyHistogram()
            for text in encoded {
                do {
                    union.add(try HistogramEncoding.histogram(base64: text!))
                } catch {
                    throw ReportMergeError(description: "second \(second) of a shard's series: \(error)")
                }
            }
            return union
        }
        return try bySecond.keys.sorted().map { second in
            let points = bySecond[second]!
            var sum = points[0]
            sum.count = points.map(\.count).reduce(0, +)
            sum.errors = points.map(\.errors).reduce(0, +)
            // A second in which a shard finished no request is absent from its series or has an empty histogram.
            if let latency = try union(points.map(\.histogram), of: second) {
                (sum.p50Us, sum.p95Us, sum.p99Us) = (latency.percentile(50), latency.percentile(95), latency.percentile(99))
            } else {
                (sum.p50Us, sum.p95Us, sum.p99Us) = (points.map(\.p50Us).max()!, points.map(\.p95Us).max()!, points.map(\.p99Us).max()!)
            }
            let waits = points.compactMap(\.waitP95Us)
            if !waits.isEmpty { sum.waitP95Us = try union(points.map(\.waitHistogram), of: second)?.percentile(95) ?? waits.max() }
            // The merged report is not merged again: it keeps the numbers, not the histograms.
            sum.histogram = nil
            sum.waitHistogram = nil
            return sum
        }
    }

    /// The first of what must be the same in every shard of one run (the scenario, seed and target, the dataset's
    /// bytes, the load) that is not.
    private static func difference(_ one: RunReport, _ other: RunReport) -> (String, String, String)? {
        func scenario(_ report: RunReport) -> String { "\(report.scenario.name), seed \(report.scenario.seed), target \(report.target)" }
        func load(_ scenario: ScenarioSummary) -> String {
            let rate = scenario.rate.map { " at \($0)/s" } ?? ""
            let length = scenario.requests.map { "\($0) requests" } ?? "\(scenario.durationSeconds) s"
            return "\(scenario.executor) over \(scenario.clients) clients\(rate) (\(scenario.arrivals ?? "uniform")), \(scenario.warmupSeconds) s warm-up, \(length)"
        }
        let fields = [
            ("scenarios", scenario(one), scenario(other)),
            ("datasets", one.environment.datasetChecksum, other.environment.datasetChecksum),
            ("loads", load(one.scenario), load(other.scenario)),
        ]
        return fields.first { $0.1 != $0.2 }
    }

    /// What the merged report covers, from the shards' own summaries; nil when no report says it is a shard.
    private static func shardSummary(of reports: [RunReport], expected: Int?) throws -> ShardSummary? {
        let described = reports.compactMap(\.shard)
        guard !described.isEmpty else { return nil }
        guard described.count == reports.count, !described.contains(where: \.merged) else {
            throw ReportMergeError(description: "only shards' own reports (run --shard i/N) merge with shards' reports: \(reports.count - described.count) of them are whole runs or merges")
        }
        let count = described[0].count
        guard described.allSatisfy({ $0.count == count }) else {
            throw ReportMergeError(description: "the reports are shards of runs of \(Set(described.map(\.count)).sorted().map(String.init).joined(separator: " and ")) shards, not of one run")
        }
        guard described.allSatisfy({ $0.startAt == described[0].startAt }) else {
            throw ReportMergeError(description: "the shards were given different --start-at times: they are not of one run")
        }
        if let expected, expected != count {
            throw ReportMergeError(description: "--expect-shards \(expected), but the reports are shards of a run of \(count)")
        }
        var seen = Set<Int>()
        for index in described.flatMap(\.indexes) where !seen.insert(index).inserted {
            throw ReportMergeError(description: "shard \(index)/\(count) is given twice")
        }
        return ShardSummary(count: count, indexes: seen.sorted(), startAt: described[0].startAt, merged: true)
    }

    /// The sum of the values present; nil when none is.
    private static func sum(_ values: [Int?]) -> Int? {
        let present = values.compactMap { $0 }
        return present.isEmpty ? nil : present.reduce(0, +)
    }
}

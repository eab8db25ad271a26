import Foundation
import Results

/// A new run against one or more baseline runs of the same scenario and dataset, operation by operation.
///
/// A figure regressed when it got worse by more than the tolerance *and* by more than the noise (the method
/// is in docs/ci.md):
/// - latency percentiles (p50, p95, p99) and throughput, relatively: `--max-regression` (10 %) is the tolerance;
/// - error rate and recall, in absolute points: one point (0.01) is the tolerance.
///
/// The noise is the largest of three estimates, each a 95 % band:
/// 1. sampling: for a percentile, the order-statistic confidence interval read from each run's merged
///    histogram (ranks n·q ± 1.96·√(n·q(1−q))); for recall and error rate, the binomial interval;
/// 2. within the run: the spread of the target's per-second P95 (latencies) or request counts (throughput),
///    1.96 × their relative standard deviation / √seconds, for the base and the new run together;
/// 3. between runs, when several baselines are given: the baselines' own range relative to their median.
public struct BaselineComparison: Sendable {
    public var rows: [Row]
    /// What differs between the runs besides the code (load, seed, settings), for the reader to judge.
    public var warnings: [String]

    public struct Row: Sendable {
        public enum Status: String, Sendable { case ok, regression, improvement }
        public var target: String
        public var operation: String
        public var metric: Threshold.Metric
        /// The baseline's value (the median over several baselines) and the new one, in the metric's unit.
        public var base: Double
        public var new: Double
        /// How much worse the new run is: relative for latencies and throughput, absolute for rates and recall.
        public var worse: Double
        public var tolerance: Double
        public var noise: Double
        public var status: Status
        public var isRelative: Bool { BaselineComparison.isRelative(self.metric) }
    }

    public var regressions: [Row] { self.rows.filter { $0.status == .regression } }

    /// The rows of each compared target and operation, in order (``compare`` adds them operation by operation).
    public var rowsByOperation: [[Row]] {
        self.rows.reduce(into: []) { groups, row in
            if let last = groups.last?.last, last.target == row.target, last.operation == row.operation {
                groups[groups.count - 1].append(row)
            } else {
                groups.append([row])
            }
        }
    }

    static let comparedLatencies: [Threshold.Metric] = [.p50, .p95, .p99]

    /// Latencies and throughput compare relatively; error rate and recall in absolute points.
    static func isRelative(_ metric: Threshold.Metric) -> Bool { ![.errorRate, .recall].contains(metric) }

    /// - Throws: ``ReportingError`` (bad input) when the runs are of different scenarios or datasets, unless `force`.
    public static func compare(baselines: [RunReport], new: RunReport, maxRegression: Double, force: Bool) throws -> BaselineComparison {
        var warnings: [String] = []
        for base in baselines {
            var differences: [String] = []
            if base.scenario.name != new.scenario.name { differences.append("scenario \(base.scenario.name) vs \(new.scenario.name)") }
            if base.scenario.dataset != new.scenario.dataset { differences.append("dataset \(base.scenario.dataset) vs \(new.scenario.dataset)") }
            if base.environment.datasetChecksum != new.environment.datasetChecksum, base.scenario.dataset == new.scenario.dataset {
                differences.append("dataset checksum \(base.environment.datasetChecksum.prefix(12)) vs \(new.environment.datasetChecksum.prefix(12))")
            }
            if !differences.isEmpty {
                let message = "the reports are of different runs (\(differences.joined(separator: ", "))): their figures are not comparable"
                if !force { throw ReportingError(.badInput, message + "; pass --force to compare anyway") }
                warnings.append(message)
            }
            if base.scenario.executor != new.scenario.executor || base.scenario.rate != new.scenario.rate || base.scenario.clients != new.scenario.clients
                || (base.scenario.arrivals ?? "uniform") != (new.scenario.arrivals ?? "uniform")
            {
                warnings.append("the load differs: \(Self.load(base)) vs \(Self.load(new))")
            }
            if base.scenario.settings != new.scenario.settings { warnings.append("the scenario's server settings differ") }
            if base.partial || new.partial { warnings.append("a partial report is compared") }
        }
        var rows: [Row] = []
        for operation in new.operations where operation.unsupported == nil && operation.count > 0 {
            let bases = baselines.compactMap { report in
                report.operations.first { $0.target == operation.target && $0.operation == operation.operation && $0.unsupported == nil && $0.count > 0 }
                    .map { (report, $0) }
            }
            guard !bases.isEmpty else {
                warnings.append("\(operation.target) \(operation.operation) is not in the baseline")
                continue
            }
            let metrics: [Threshold.Metric] = Self.comparedLatencies + [.qps, .errorRate] + (operation.recall != nil ? [.recall] : [])
            for metric in metrics {
                guard let row = Self.row(metric, new: (new, operation), bases: bases, maxRegression: maxRegression) else { continue }
                rows.append(row)
            }
        }
        // An operation the baseline measured and the new run did not serve is a regression of its throughput
        // to nothing, not a pass: a run that lost every operation must not compare as "no regression".
        let measured = { (operation: OperationReport) in operation.unsupported == nil && operation.count > 0 }
        var missing: Set<String> = []
        for base in baselines {
            for operation in base.operations where measured(operation) {
                let key = "\(operation.target) \(operation.operation)"
                guard !new.operations.contains(where: { $0.target == operation.target && $0.operation == operation.operation && measured($0) }),
                    missing.insert(key).inserted
                else { continue }
                warnings.append("\(key) is in the baseline but the new run did not measure it")
                rows.append(Row(
                    target: operation.target, operation: operation.operation, metric: .qps, base: operation.qps, new: 0, worse: 1,
                    tolerance: maxRegression, noise: 0, status: .regression))
            }
        }
        return BaselineComparison(rows: rows, warnings: warnings)
    }

    private static func load(_ report: RunReport) -> String {
        let scenario = report.scenario
        let arrivals = scenario.arrivals.map { " \($0)" } ?? ""
        return scenario.rate.map { "\(scenario.executor) \($0.formatted())/s\(arrivals), \(scenario.clients) clients" } ?? "\(scenario.executor), \(scenario.clients) clients"
    }

    private static func row(
        _ metric: Threshold.Metric, new: (RunReport, OperationReport), bases: [(RunReport, OperationReport)], maxRegression: Double
    ) -> Row? {
        let value = { (pair: (RunReport, OperationReport)) in pair.0.measure(metric, of: [pair.1], target: pair.1.target) }
        guard let newValue = value(new) else { return nil }
        // The baselines by value: the median one is the base, and its run is the one whose noise counts.
        let measured = bases.compactMap { pair in value(pair).map { (value: $0, run: pair) } }.sorted { $0.value < $1.value }
        guard !measured.isEmpty else { return nil }
        let (base, baseRun) = measured[measured.count / 2]
        let relative = Self.isRelative(metric)
        let higherIsWorse = metric != .qps && metric != .recall
        let difference = relative ? (base > 0 ? (newValue - base) / base : 0) : newValue - base
        let worse = higherIsWorse ? difference : -difference
        let tolerance = relative ? maxRegression : 0.01

        var noise = [new, baseRun].map { Self.samplingNoise(metric, $0) }.quadratureSum
        noise = max(noise, [new, baseRun].map { Self.perSecondNoise(metric, $0.0, target: $0.1.target) }.quadratureSum)
        if measured.count > 1 {
            let range = measured.last!.value - measured.first!.value
            noise = max(noise, relative ? (base > 0 ? range / base : 0) : range)
        }
        let status: Row.Status = worse > tolerance && worse > noise ? .regression : (-worse > tolerance && -worse > noise ? .improvement : .ok)
        return Row(
            target: new.1.target, operation: new.1.operation, metric: metric, base: base, new: newValue, worse: worse,
            tolerance: tolerance, noise: noise, status: status)
    }

    /// The 95 % sampling half-width of one run's figure: relative for percentiles, absolute for proportions.
    static func samplingNoise(_ metric: Threshold.Metric, _ run: (RunReport, OperationReport)) -> Double {
        let operation = run.1
        switch metric {
        case .p50, .p95, .p99:
            guard let buckets = run.0.histograms.first(where: { $0.target == operation.target && $0.operation == operation.operation && $0.measure == "latency" })?.buckets
            else { return 0 }
            let histogram = LatencyHistogram(buckets: buckets)
            let n = Double(histogram.count)
            let q = metric == .p50 ? 0.5 : (metric == .p95 ? 0.95 : 0.99)
            guard n > 0 else { return 0 }
            let spread = 1.96 * (q * (1 - q) / n).squareRoot()
            let low = Double(histogram.percentile(max(q - spread, 0) * 100)), high = Double(histogram.percentile(min(q + spread, 1) * 100))
            let middle = Double(histogram.percentile(q * 100))
            return middle > 0 ? (high - low) / 2 / middle : 0
        case .errorRate:
            let n = Double(max(operation.count, 1)), p = Double(operation.errors) / n
            return 1.96 * (max(p, 1 / n) * (1 - p) / n).squareRoot()
        case .recall:
            guard let recall = operation.recall, recall.samples > 0 else { return 0 }
            return 1.96 * (recall.mean * (1 - recall.mean) / Double(recall.samples)).squareRoot()
        default:
            return 0
        }
    }

    /// The 95 % half-width of the run's mean from its per-second series, relative: P95 for latencies, request
    /// counts for throughput. Zero for error rate and recall, which the sampling term covers.
    static func perSecondNoise(_ metric: Threshold.Metric, _ report: RunReport, target: String) -> Double {
        guard let seconds = report.timeseries.first(where: { $0.target == target })?.seconds, seconds.count >= 3 else { return 0 }
        let values: [Double]
        switch metric {
        case .p50, .p95, .p99: values = seconds.filter { $0.count > 0 }.map { Double($0.p95Us) }
        case .qps: values = seconds.map { Double($0.count) }
        default: return 0
        }
        guard values.count >= 3 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        guard mean > 0 else { return 0 }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return 1.96 * variance.squareRoot() / mean / Double(values.count).squareRoot()
    }
}

extension [Double] {
    /// √(Σ x²): two independent half-widths combined.
    var quadratureSum: Double { self.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}

extension RunReport {
    /// The metric over `operations` of `target` (one operation, several, or all of a target's for `all`), or
    /// nil when nothing was measured: what thresholds judge and capacity steps record.
    public func measure(_ metric: Threshold.Metric, of operations: [OperationReport], target: String) -> Double? {
        let count = operations.reduce(0) { $0 + $1.count }
        let total = self.totals.first { $0.target == target }
        switch metric {
        case .qps, .errorRate:
            return Self.counted(metric, of: operations)
        case .foreignRows:
            // Not measured when the audit after the run could not check an operation.
            guard !operations.contains(where: { $0.rowLevelSecurityAudit?.failure != nil }) else { return nil }
            return Double(operations.reduce(0) { $0 + $1.everyForeignRow })
        case .unreachable:
            guard let total, let unreachable = total.unreachableSeconds else { return nil }
            return unreachable / max(total.measuredSeconds, 1e-9)
        case .completed:
            guard let total else { return nil }
            guard self.partial else { return 1 }
            if let requests = self.scenario.requests, self.scenario.executor == "constant-vus" {
                return min(1, Double(total.count) / Double(max(requests, 1)))
            }
            return min(1, total.measuredSeconds / max(self.scenario.durationSeconds, 1e-9))
        case .recallAtStage:
            return nil
        case .poolEfficiency:
            return target == TargetKind.postgres.rawValue ? self.pool?.efficiency : nil
        case .recall:
            let recalls = operations.compactMap(\.recall)
            let samples = recalls.reduce(0) { $0 + $1.samples }
            guard samples > 0 else { return nil }
            return recalls.reduce(0) { $0 + $1.mean * Double($1.samples) } / Double(samples)
        case .p50, .p90, .p95, .p99, .p999, .max, .mean:
            guard count > 0 else { return nil }
            if operations.count == 1 { return Self.latency(metric, operations[0].latencyUs) }
            var merged = LatencyHistogram()
            for histogram in self.histograms where histogram.target == target && histogram.measure == "latency"
                && operations.contains(where: { $0.operation == histogram.operation }) {
                merged.add(LatencyHistogram(buckets: histogram.buckets))
            }
            return merged.count == 0 ? nil : Self.latency(metric, LatencySummary(merged))
        }
    }

    /// `qps` or `error_rate` of `operations`, from their counts alone (nil for another metric, or no request):
    /// what a report's operations and a runbook stage's both give.
    package static func counted(_ metric: Threshold.Metric, of operations: [OperationReport]) -> Double? {
        switch metric {
        case .qps:
            return operations.reduce(0) { $0 + $1.qps }
        case .errorRate:
            // An open loop's requests that came due and were never sent failed as surely as those that erred.
            let count = operations.reduce(0) { $0 + $1.count }
            let unsent = operations.reduce(0) { $0 + ($1.unsent ?? 0) }
            guard count + unsent > 0 else { return nil }
            return Double(operations.reduce(0) { $0 + $1.errors } + unsent) / Double(count + unsent)
        default:
            return nil
        }
    }

    package static func latency(_ metric: Threshold.Metric, _ summary: LatencySummary) -> Double {
        switch metric {
        case .p50: Double(summary.p50)
        case .p90: Double(summary.p90)
        case .p95: Double(summary.p95)
        case .p99: Double(summary.p99)
        case .p999: Double(summary.p999)
        case .max: Double(summary.max)
        default: summary.mean
        }
    }
}

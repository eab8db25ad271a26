import Results

/// Holds a runbook to its scenario's thresholds at every stage, per target: an operation's latency, rate and
/// error rate in each stage's run (stage 1 on), and recall (`recall` or `recall_at_stage`) at each checkpoint
/// (stage 0 on) against the rows present then. A threshold fails when one stage fails it; the outcome shows the
/// worst stage. Besides them, `completed >= 100%`: every stage of every target ran.
///
/// A stage keeps each operation's percentiles, not its histogram, so latencies of `all` do not apply; name an
/// operation (the write streams and `time_to_searchable` are operations like the reads).
public enum StageVerdict {
    public static func evaluate(_ results: StageResults) -> [ThresholdOutcome] {
        let targets = (results.targets ?? Array(Set(results.stages.map(\.target)))).map(\.rawValue)
        let completed = Threshold(operation: "all", metric: .completed, comparison: .greaterOrEqual, value: 1, expression: "completed >= 100%")
        return targets.flatMap { target in
            let stages = results.stages.filter { $0.target.rawValue == target }
            return (results.thresholds ?? []).map { self.evaluate($0, target: target, stages: stages) }
                + [self.completion(completed, target: target, stages: stages, results: results)]
        }
    }

    private static func completion(_ threshold: Threshold, target: String, stages: [StageResult], results: StageResults) -> ThresholdOutcome {
        let ran = stages.filter { $0.stage > 0 }.count
        let planned = max(results.plannedStages ?? ran, 1)
        let share = results.complete ? 1 : Double(ran) / Double(planned)
        let passed = threshold.comparison.holds(share, threshold.value)
        let detail = passed ? "every stage ran" : "\(ran) of \(planned) stages ran" + (results.stoppedBecause.map { ": \($0)" } ?? ": the runbook was stopped")
        return ThresholdOutcome(target: target, threshold: threshold, status: passed ? .passed : .failed, measured: share, detail: detail)
    }

    static func evaluate(_ threshold: Threshold, target: String, stages: [StageResult]) -> ThresholdOutcome {
        var outcome = ThresholdOutcome(target: target, threshold: threshold, status: .failed, measured: nil, detail: "")
        var measured: [(stage: Int, value: Double)] = []
        for stage in stages {
            switch self.measure(threshold, stage) {
            case .value(let value): measured.append((stage.stage, value))
            case .notApplicable(let reason):
                outcome.status = .notApplicable
                outcome.detail = reason
                return outcome
            case .none: continue
            }
        }
        guard !measured.isEmpty else {
            outcome.detail = "\(threshold.metric.rawValue) was not measured at any stage"
            return outcome
        }
        let failing = measured.filter { !threshold.comparison.holds($0.value, threshold.value) }
        // The worst stage: the highest value against an upper limit, the lowest against a lower one.
        let upper = threshold.comparison == .less || threshold.comparison == .lessOrEqual
        let worst = measured.max { upper ? $0.value < $1.value : $0.value > $1.value }!
        outcome.measured = worst.value
        outcome.status = failing.isEmpty ? .passed : .failed
        outcome.detail = "\(threshold.metric.rawValue) = \(MetricText.format(worst.value, threshold.metric)) at stage \(worst.stage), the worst of \(measured.count), limit \(threshold.comparison.rawValue) \(MetricText.format(threshold.value, threshold.metric))"
            + (failing.isEmpty ? "" : "; fails at stage\(failing.count == 1 ? "" : "s") \(failing.map { String($0.stage) }.joined(separator: ", "))")
        return outcome
    }

    enum Measure {
        case value(Double)
        case notApplicable(String)
    }

    /// What `threshold` measures at `stage`; nil when the stage has nothing for it (stage 0 has no run).
    static func measure(_ threshold: Threshold, _ stage: StageResult) -> Measure? {
        let metric = threshold.metric
        if metric == .recall || metric == .recallAtStage {
            guard threshold.operation != "all" else { return stage.recall.map(Measure.value) }
            guard let search = stage.checkpoint.first(where: { $0.operation == threshold.operation }) else {
                return .notApplicable("\(threshold.operation) is not a vector search of the checkpoints")
            }
            return search.recall.map { .value($0.mean) }
        }
        switch metric {
        case .unreachable, .completed, .foreignRows:
            return .notApplicable("\(metric.rawValue) is not kept per stage")
        default: break
        }
        guard let run = stage.operations else { return nil }
        let operations = threshold.operation == "all" ? run.filter { !$0.followsRequests } : run.filter { $0.operation == threshold.operation }
        guard !operations.isEmpty else { return .notApplicable("the stages have no operation \(threshold.operation)") }
        if operations.allSatisfy({ $0.unsupported != nil }) { return .notApplicable("\(stage.target.rawValue) does not serve \(threshold.operation)") }
        let served = operations.filter { $0.unsupported == nil }
        if metric.isLatency {
            guard served.count == 1 else { return .notApplicable("a stage keeps percentiles per operation, not for all: name an operation") }
            return served[0].count > 0 ? .value(RunReport.latency(metric, served[0].latencyUs)) : nil
        }
        return RunReport.counted(metric, of: served).map(Measure.value)
    }
}

import Datasets
import Foundation
import Logging
import Postgres
import Results
import Synchronization
import Workload

/// A capacity step as a real run: the scenario on one target at a constant arrival rate for one step, its
/// latency judged like a threshold (one operation's histogram, or `all` merged), stopped early by an
/// ``EarlyStopRule`` when latency is clearly past the objective.
public struct ScenarioProbe: Sendable {
    public let scenario: Scenario
    public let scenarioFile: String
    public let target: TargetKind
    public let catalog: DatasetCatalog
    public let database: PostgresConnectionString?
    /// Built once for every step on the in-process target.
    public let index: InProcessIndex?
    public let objective: CapacityObjective
    public let step: Duration
    public let warmup: Duration
    /// Ctrl-C: ends the step in progress, which is then discarded.
    public let userStop: StopSignal
    public var progress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?
    /// Live outputs every step's run feeds.
    public var sinks: [any RunSink] = []

    public init(
        scenario: Scenario, scenarioFile: String, target: TargetKind, catalog: DatasetCatalog, database: PostgresConnectionString?,
        index: InProcessIndex?, objective: CapacityObjective, step: Duration, warmup: Duration, userStop: StopSignal
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.target = target
        self.catalog = catalog
        self.database = database
        self.index = index
        self.objective = objective
        self.step = step
        self.warmup = warmup
        self.userStop = userStop
    }

    /// Runs one step at `rate`; nil when the user stopped it.
    public func measure(rate: Double, logger: Logger) throws -> CapacityStep? {
        guard !self.userStop.isSet else { return nil }
        var scenario = self.scenario
        scenario.target = self.target == .postgres ? .postgres : .index
        scenario.executor = ExecutorConfiguration(
            type: .constantArrivalRate, clients: scenario.executor.clients, rate: rate, arrivals: scenario.executor.arrivals)
        scenario.duration = self.step
        scenario.warmup = self.warmup
        scenario.requests = nil
        let stepStop = StopSignal()
        let rule = Mutex(EarlyStopRule())
        let stoppedEarly = Atomic<Bool>(false)
        // The per-second figure the progress line carries is P95: it can speak for P95 and above only.
        let watches = [.p95, .p99, .p999, .max].contains(self.objective.latency.metric)
        let limit = self.objective.latency.value
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: self.scenarioFile, catalog: self.catalog, database: self.database, stopSignal: stepStop)
        runner.inProcessIndex = self.index
        runner.sinks = self.sinks
        let forward = self.progress, userStop = self.userStop
        runner.progress = { line in
            forward?(line)
            if userStop.isSet { stepStop.set() }
            if watches, line.count > 0, rule.withLock({ $0.observe(latencyUs: Double(line.p95Micros), limitUs: limit) }) {
                stoppedEarly.store(true, ordering: .relaxed)
                stepStop.set()
            }
        }
        let report = try runner.run(logger: logger)
        guard !self.userStop.isSet else { return nil }
        return self.step(from: report, rate: rate, stoppedEarly: stoppedEarly.load(ordering: .relaxed))
    }

    /// The step's figures from its report.
    func step(from report: RunReport, rate: Double, stoppedEarly: Bool) -> CapacityStep {
        let target = self.target.rawValue
        let operations = report.operations.filter { $0.target == target && $0.unsupported == nil }
        let selected = self.objective.latency.operation == "all" ? operations : operations.filter { $0.operation == self.objective.latency.operation }
        func latency(_ metric: Threshold.Metric) -> Double? { report.measure(metric, of: selected, target: target) }
        let totals = report.totals.first { $0.target == target }
        let count = selected.reduce(0) { $0 + $1.count }, errors = selected.reduce(0) { $0 + $1.errors }
        let unsent = selected.reduce(0) { $0 + ($1.unsent ?? 0) }
        let seconds = totals?.measuredSeconds ?? self.step.inSeconds
        // Served is the whole mix's, as the offered rate is: every request the target finished in the window.
        let served = totals.map { $0.servedPerSecond ?? Double($0.count) / max(seconds, 1e-9) } ?? 0
        var step = CapacityStep(
            offeredRate: rate, achievedRate: served, latencyUs: latency(self.objective.latency.metric),
            p50Us: latency(.p50), p99Us: latency(.p99), errorRate: Double(errors + unsent) / Double(max(count + unsent, 1)),
            seconds: seconds, stoppedEarly: stoppedEarly)
        // The objective's operation's recall (for `all`, every sampled operation's, weighted by samples).
        let recalls = selected.compactMap(\.recall).filter { $0.samples > 0 }
        let samples = recalls.reduce(0) { $0 + $1.samples }
        if samples > 0 { step.recall = recalls.reduce(0) { $0 + $1.mean * Double($1.samples) } / Double(samples) }
        if self.target == .postgres {
            step.cacheHitRatio = report.health?.cacheHitRatio
            step.hnswInSharedBuffers = report.health?.sizes?.hnswInSharedBuffersAtEnd
            let names = Set(selected.map(\.operation))
            let plans = (report.health?.plans ?? []).filter { names.contains($0.operation) && $0.shares != nil }
            if !plans.isEmpty { step.plans = Dictionary(plans.map { ($0.operation, $0.shares!) }, uniquingKeysWith: { first, _ in first }) }
        }
        return step
    }
}

import Datasets
import Postgres
import Results
import VectorSearch

/// Turns the workers' measurements into report sections: merges histograms across workers, computes QPS
/// over the measured time, and recall against exact answers for each sampled request's filter.
struct ReportAssembler {
    let scenario: Scenario
    let scenarioFile: String
    let catalog: DatasetCatalog
    let sql: [OperationSQL]

    /// - Parameter pooler: the pooler's figures for the window, when the postgres target's clients went through one.
    func report(runs: [TargetRun], environment: RunEnvironment, health: DatabaseHealth?, partial: Bool, pooler: PoolReport.Pooler? = nil) -> RunReport {
        var operations: [OperationReport] = []
        var totals: [TotalsReport] = []
        var series: [TimeseriesReport] = []
        var histograms: [HistogramReport] = []
        var pool: PoolReport?
        let open = self.scenario.executor.isOpen
        for run in runs {
            let target = run.kind.rawValue
            let seconds = run.measuredSeconds
            var merged = [OperationMetrics](repeating: OperationMetrics(), count: self.scenario.operations.count)
            var lag = LatencyHistogram()
            var unsent = 0, reconnects = 0, scheduled = 0, completed = 0
            var unsentByOperation = [Int](repeating: 0, count: self.scenario.operations.count)
            var cpu: Int64 = 0
            var unsupported: [Int: Int] = [:]
            var samples: [RecallSample] = []
            for result in run.results {
                for index in merged.indices { merged[index].add(result.operations[index]) }
                lag.add(result.scheduleLag)
                unsent += result.unsent
                scheduled += result.scheduled
                completed += result.completedInWindow
                for index in unsentByOperation.indices { unsentByOperation[index] += result.unsentByOperation[index] }
                reconnects += result.reconnects
                cpu += result.cpuNanos
                unsupported.merge(result.unsupported, uniquingKeysWith: +)
                samples += result.recallSamples
            }
            for (index, spec) in self.scenario.operations.enumerated() {
                let metrics = merged[index]
                let skipped = unsupported[index]
                if run.kind == .index, skipped != nil || !InProcessIndex.serves(spec, precision: self.scenario.index.precision, growing: run.index?.index.isGrowing ?? false) {
                    operations.append(OperationReport(
                        target: target, operation: spec.name, kind: spec.kind.rawValue, count: 0, errors: 0, errorsByKind: [:],
                        qps: 0, rows: 0, rowsPerRequest: 0, latencyUs: LatencySummary(LatencyHistogram()), serviceUs: nil,
                        recall: nil, foreignRows: nil, unsupported: skipped ?? 0))
                    continue
                }
                operations.append(OperationReport(
                    target: target, operation: spec.name, kind: spec.kind.rawValue, count: metrics.count,
                    errors: metrics.errorCount, errorsByKind: metrics.errors, qps: Double(metrics.count) / seconds,
                    rows: metrics.rows, rowsPerRequest: metrics.count > metrics.errorCount ? Double(metrics.rows) / Double(metrics.count - metrics.errorCount) : 0,
                    latencyUs: LatencySummary(metrics.latency), serviceUs: open ? LatencySummary(metrics.service) : nil,
                    recall: self.recall(samples.filter { $0.operation == index }, spec: spec),
                    foreignRows: self.scenario.rowLevelSecurity && run.kind == .postgres ? metrics.foreignRows : nil,
                    rowLevelSecurityAudit: run.rowLevelSecurity?[index], unsupported: nil,
                    unsent: open ? unsentByOperation[index] : nil))
                if spec.isProbe { operations[operations.count - 1].polls = metrics.polls }
                histograms.append(HistogramReport(target: target, operation: spec.name, measure: "latency", buckets: metrics.latency.buckets))
                if open {
                    histograms.append(HistogramReport(target: target, operation: spec.name, measure: "service", buckets: metrics.service.buckets))
                }
            }
            // A time-to-searchable probe's requests are rows followed, not requests served: left out of the totals.
            let requests = merged.indices.filter { !self.scenario.operations[$0].isProbe }.map { merged[$0] }
            let count = requests.reduce(0) { $0 + $1.count }
            let errors = requests.reduce(0) { $0 + $1.errorCount }
            totals.append(TotalsReport(
                target: target, count: count, errors: errors, qps: Double(count) / seconds, measuredSeconds: seconds,
                harnessCpuUsPerRequest: count > 0 ? Double(cpu) / 1000 / Double(count) : 0, driver: run.driver?.rawValue,
                scheduleLagUs: open ? LatencySummary(lag) : nil, unsent: open ? unsent : nil,
                scheduled: open && run.kind == .postgres ? scheduled : nil, servedPerSecond: Double(completed) / seconds, reconnects: reconnects,
                unreachableSeconds: run.kind == .postgres ? run.unreachableSeconds : nil,
                indexBuildSeconds: run.index?.buildSeconds, indexBytes: run.index?.index.bytes))
            if open {
                histograms.append(.scheduleLag(target: target, buckets: lag.buckets))
            }
            let pooled = run.context.pooled
            if run.kind == .postgres, pooled || pooler != nil {
                let (report, wait) = self.pool(of: run, merged: merged, pooler: pooler)
                pool = report
                if let wait {
                    operations.append(wait)
                    histograms.append(HistogramReport(
                        target: target, operation: PoolSpec.waitOperationName, measure: "latency",
                        buckets: run.results.reduce(into: LatencyHistogram()) { $0.add($1.poolWait) }.buckets))
                }
            }
            if run.kind == .postgres, self.scenario.reconnectEvery != nil {
                var connect = LatencyHistogram()
                var failures = 0
                for result in run.results {
                    connect.add(result.connectTime)
                    failures += result.connectFailures
                }
                let count = Int(connect.count) + failures
                operations.append(OperationReport(
                    target: target, operation: Scenario.connectOperationName, kind: Scenario.connectOperationName, count: count,
                    errors: failures, errorsByKind: failures > 0 ? ["connect_failed": failures] : [:], qps: Double(count) / seconds,
                    rows: 0, rowsPerRequest: 0, latencyUs: LatencySummary(connect)))
                histograms.append(HistogramReport(target: target, operation: Scenario.connectOperationName, measure: "latency", buckets: connect.buckets))
            }
            let board = run.context.board.summaries()
            let last = Int(seconds.rounded(.up))
            series.append(TimeseriesReport(target: target, seconds: board.keys.sorted().filter { $0 < max(last, 1) || board[$0]!.count > 0 }.map { second in
                let metrics = board[second]!
                var point = TimeseriesReport.Second(
                    second: second, count: metrics.count, errors: metrics.errors, p50Us: metrics.p50Us, p95Us: metrics.p95Us,
                    p99Us: metrics.p99Us)
                point.histogram = metrics.latencyHistogram
                if pooled {
                    point.waitP95Us = metrics.waitP95Us
                    point.waitHistogram = metrics.waitHistogram
                }
                return point
            }))
        }
        var health = health
        if let run = runs.first(where: { $0.kind == .postgres }), let classifier = run.context.planClassifier, health != nil {
            self.addPlanShares(to: &health!, run: run, classifier: classifier)
        }
        var report = RunReport(
            partial: partial, scenario: self.summary(), target: self.scenario.target.rawValue, environment: environment,
            operations: operations, totals: totals, timeseries: series, histograms: histograms, health: health)
        report.pool = pool
        return report
    }

    /// A pooled run's ``PoolReport`` and, with an application pool, its `pool_wait` operation: each measured
    /// request's wait for a free connection of the pool (the run's clients), the timeouts, and the pooler's
    /// wait, against the summed latency of the target's requests.
    private func pool(
        of run: TargetRun, merged: [OperationMetrics], pooler: PoolReport.Pooler?
    ) -> (PoolReport, OperationReport?) {
        var wait = LatencyHistogram()
        var timeouts = 0
        for result in run.results {
            wait.add(result.poolWait)
            timeouts += result.poolTimeouts
        }
        let requests = merged.indices.filter { !self.scenario.operations[$0].isProbe }
        let latencyTotal = requests.reduce(0.0) { $0 + merged[$1].latency.mean * Double(merged[$1].latency.count) }
        let application = self.scenario.pool.map {
            PoolReport.ApplicationPool(
                size: $0.size, maxOverflow: $0.maxOverflow, timeoutSeconds: Double($0.timeout.nanoseconds) / 1e9, timeouts: timeouts,
                waitUs: LatencySummary(wait))
        }
        let report = PoolReport(application: application, applicationWaitUs: wait.mean * Double(wait.count), pooler: pooler, latencyTotalUs: latencyTotal)
        guard application != nil else { return (report, nil) }
        let count = Int(wait.count)
        let operation = OperationReport(
            target: run.kind.rawValue, operation: PoolSpec.waitOperationName, kind: PoolSpec.waitOperationName, count: count, errors: timeouts,
            errorsByKind: timeouts > 0 ? [PoolSpec.timeoutError: timeouts] : [:], qps: Double(count) / run.measuredSeconds, rows: 0,
            rowsPerRequest: 0, latencyUs: LatencySummary(wait))
        return (report, operation)
    }

    /// Each operation's plans as its measured requests took them: count, share, latency, and the recall of the
    /// recall samples classed the same way.
    private func addPlanShares(to health: inout DatabaseHealth, run: TargetRun, classifier: PlanClassifier) {
        let samples = run.results.flatMap(\.recallSamples)
        for operation in health.plans.indices where operation < self.scenario.operations.count {
            let classes = classifier.names[operation].count + 1
            var merged = [LatencyHistogram](repeating: LatencyHistogram(), count: classes)
            for result in run.results where result.planLatency.count > operation {
                for plan in 0..<min(classes, result.planLatency[operation].count) { merged[plan].add(result.planLatency[operation][plan]) }
            }
            let total = merged.reduce(0) { $0 + Int($1.count) }
            guard total > 0 else { continue }
            let spec = self.scenario.operations[operation]
            let sampled = Dictionary(grouping: samples.filter { $0.operation == operation }) { min(Int(classifier.classify($0.draw)), classes - 1) }
            health.plans[operation].shares = merged.indices.filter { merged[$0].count > 0 }.map { plan in
                let recall = sampled[plan].flatMap { self.recall($0, spec: spec) }
                return DatabaseHealth.PlanShare(
                    access: classifier.name(operation: operation, class: UInt8(plan)), requests: Int(merged[plan].count),
                    share: Double(merged[plan].count) / Double(total), latencyUs: LatencySummary(merged[plan]), recall: recall?.mean,
                    recallSamples: recall?.samples)
            }.sorted { $0.requests > $1.requests }
        }
    }

    /// Mean recall@k of the samples: |returned ∩ exact| / |exact| for the same filter (the acting user's rows
    /// under row-level security), against the exact answers computed from the dataset's own vectors.
    func recall(_ samples: [RecallSample], spec: OperationSpec) -> RecallSummary? {
        guard spec.kind.isVectorSearch, !samples.isEmpty else { return nil }
        var values: [Double] = []
        for sample in samples {
            let draw = sample.draw
            // Rows inserted during the run (create_trip) are not in the ground truth; each one returned takes a
            // place of the k, so recall is over the dataset rows returned against that many exact neighbours.
            let inserted = sample.rows.filter { $0 < 0 }.count
            let exact = self.catalog.exactNeighbours(query: draw.query, k: spec.limit - inserted, filter: self.catalog.filter(of: draw, operation: spec))
            guard !exact.isEmpty else { continue }
            let returned = Set(sample.rows)
            values.append(Double(exact.filter(returned.contains).count) / Double(exact.count))
        }
        guard !values.isEmpty else { return nil }
        return RecallSummary(mean: values.reduce(0, +) / Double(values.count), min: values.min()!, samples: values.count, k: spec.limit)
    }

    private func summary() -> ScenarioSummary {
        let executor = self.scenario.executor
        return ScenarioSummary(
            name: self.scenario.name, file: self.scenarioFile, description: self.scenario.description, dataset: self.catalog.manifest.spec.directoryName,
            seed: self.scenario.seed, executor: executor.type.rawValue, clients: executor.clients, rate: executor.rate,
            startRate: executor.type == .rampingArrivalRate ? executor.startRate : nil,
            stages: executor.stages.isEmpty ? nil : executor.stages.map { .init(durationSeconds: $0.duration.inSeconds, target: $0.target) },
            thinkTimeSeconds: executor.type == .constantVUs ? executor.thinkTime.inSeconds : nil,
            arrivals: executor.isOpen ? executor.arrivals.rawValue : nil,
            warmupSeconds: self.scenario.warmup.inSeconds, durationSeconds: self.scenario.plannedDuration.inSeconds,
            requests: self.scenario.requests, timeoutSeconds: self.scenario.timeout.inSeconds, recallSample: self.scenario.recallSample,
            rowLevelSecurity: self.scenario.rowLevelSecurity,
            settings: Dictionary(self.scenario.settings.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
            index: .init(m: self.scenario.index.m, efConstruction: self.scenario.index.efConstruction, efSearch: self.scenario.index.efSearch),
            operations: zip(self.scenario.operations, self.sql).map { spec, sql in
                .init(name: spec.name, kind: spec.kind.rawValue, weight: spec.weight, limit: spec.limit,
                      filter: spec.kind == .vectorSearch ? spec.filter.rawValue : nil, sql: sql.statements)
            },
            thresholds: self.scenario.thresholds)
    }
}

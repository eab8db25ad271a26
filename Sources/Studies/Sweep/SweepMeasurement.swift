import Datasets
import Logging
import Postgres
import Results
import Workload

/// Measures one sweep point as runs of the workload engine, so a sweep times requests exactly as `run` does
/// (the same sessions, schedules, HdrHistograms, error accounting and recall against exact answers):
///
/// 1. one client sends `requests` unfiltered searches, one at a time: recall, QPS on one client, P50/P95/P99;
/// 2. `clients` clients, each with its own session and one request in flight, for ``concurrentSeconds``: QPS
///    and latency at that concurrency;
/// 3. when the sweep is filtered, one client sends `requests` searches restricted to the query's content type.
///
/// pgvector's sessions plan every execution for its own parameters (`plan_cache_mode = force_custom_plan`, so
/// the plan is the one EXPLAIN shows), then take the sweep's settings, then `hnsw.ef_search`.
struct SweepMeasurement {
    let spec: SweepSpec
    let catalog: DatasetCatalog
    let database: PostgresConnectionString?
    let requests: Int
    let stopSignal: StopSignal
    var threads: Int
    /// The concurrent pass's length (closed loop: as many requests as the clients complete).
    var concurrentSeconds = 2.0
    /// Each pass starts with this much unmeasured load (connections warmed, the index's pages touched).
    var warmup = Duration.milliseconds(300)

    /// The point at `efSearch` on `target`; `index` is the in-process build to search.
    func measure(target: TargetKind, build: BuildKey, efSearch: Int, index: InProcessIndex?, logger: Logger) throws -> PointResult? {
        let plain = try self.pass(target, filter: .none, clients: 1, efSearch: efSearch, index: index, logger: logger)
        let concurrent = try self.pass(target, filter: .none, clients: self.spec.clients, efSearch: efSearch, index: index, logger: logger)
        guard let plain, let concurrent else { return nil }
        var point = PointResult(
            target: target, build: build, efSearch: efSearch, recall: plain.operation.recall?.mean ?? 0, qps1: plain.totals.qps,
            qpsAll: concurrent.totals.qps, p50Us: Double(plain.operation.latencyUs.p50), p95Us: Double(plain.operation.latencyUs.p95),
            p99Us: Double(plain.operation.latencyUs.p99), plan: plain.plan, filtered: nil)
        point.concurrent = PointResult.Latency(concurrent.operation.latencyUs)
        if self.spec.filtered {
            guard let filtered = try self.pass(target, filter: .contentType, clients: 1, efSearch: efSearch, index: index, logger: logger) else {
                return nil
            }
            point.filtered = .init(
                recall: filtered.operation.recall?.mean ?? 0, qps1: filtered.totals.qps, p95Us: Double(filtered.operation.latencyUs.p95),
                plan: filtered.plan)
        }
        return point
    }

    /// The scenario of one pass: `vector_search` with `filter`, closed loop, `clients` sessions.
    func scenario(_ target: TargetKind, filter: VectorFilter, clients: Int, efSearch: Int) -> Scenario {
        let concurrent = clients > 1
        return Scenario(
            name: self.spec.name, dataset: self.spec.dataset, target: target == .postgres ? .postgres : .index,
            executor: ExecutorConfiguration(type: .constantVUs, clients: clients), warmup: self.warmup,
            duration: .milliseconds(Int64(self.concurrentSeconds * 1000)), requests: concurrent ? nil : self.requests,
            settings: [Scenario.Setting(name: "plan_cache_mode", value: "force_custom_plan")] + self.spec.settings
                + [Scenario.Setting(name: "hnsw.ef_search", value: String(efSearch))],
            index: .init(efSearch: efSearch), recallSample: concurrent ? 0 : 1,
            operations: [OperationSpec(name: "vector_search", kind: .vectorSearch, limit: self.spec.k, filter: filter)])
    }

    private struct Pass {
        var operation: OperationReport
        var totals: TotalsReport
        var plan: String?
    }

    /// One run of the engine; nil when the sweep was stopped meanwhile.
    private func pass(
        _ target: TargetKind, filter: VectorFilter, clients: Int, efSearch: Int, index: InProcessIndex?, logger: Logger
    ) throws -> Pass? {
        guard !self.stopSignal.isSet else { return nil }
        let scenario = self.scenario(target, filter: filter, clients: clients, efSearch: efSearch)
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: self.spec.name, catalog: self.catalog, database: self.database, stopSignal: self.stopSignal)
        runner.threads = self.threads
        runner.inProcessIndex = index.map { InProcessIndex(index: $0.index, efSearch: efSearch, buildSeconds: $0.buildSeconds) }
        // The engine's own lines (clients connected, …) once per pass would drown the sweep's.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let report = try runner.run(logger: quiet)
        guard !report.partial, let operation = report.operations.first, let totals = report.totals.first else { return nil }
        if operation.errors > 0 {
            let kinds = operation.errorsByKind.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            throw WorkloadError(
                .runtime, "\(target.rawValue) at ef_search \(efSearch), \(clients) client\(clients == 1 ? "" : "s"): \(operation.errors) of \(operation.count) requests failed (\(kinds))")
        }
        return Pass(operation: operation, totals: totals, plan: report.health?.plans.first?.vectorAccess)
    }
}

import Datasets
import Logging
import Postgres
import Results
import VectorSearch
import Workload

/// Measures one sweep point as runs of the workload engine, so a sweep times requests exactly as `run` does
/// (the same sessions, schedules, HdrHistograms, error accounting and recall against exact answers):
///
/// 1. one client sends `requests` unfiltered searches, one at a time: recall, QPS on one client, P50/P95/P99;
/// 2. `clients` clients, each with its own session and one request in flight, for ``concurrentSeconds``: QPS
///    and latency at that concurrency;
/// 3. when the sweep is filtered, one client sends `requests` searches restricted to the query's content type;
/// 4. for each share filter and iterative scan setting, one client as the planner chooses, and again with the
///    vector index forced when the planner chose another path.
///
/// pgvector's sessions plan every execution for its own parameters (`plan_cache_mode = force_custom_plan`, so
/// the plan is the one EXPLAIN shows), then take the sweep's settings, then the search breadth.
struct SweepMeasurement {
    let spec: SweepSpec
    let catalog: DatasetCatalog
    let database: PostgresConnectionString?
    let requests: Int
    let stopSignal: StopSignal
    var threads: Int
    /// Live outputs every engine run of the sweep feeds.
    var sinks: [any RunSink] = []
    /// The concurrent pass's length (closed loop: as many requests as the clients complete).
    var concurrentSeconds = 2.0
    /// Each pass starts with this much unmeasured load (connections warmed, the index's pages touched).
    var warmup = Duration.milliseconds(300)

    /// Settings that leave the vector index as the only way to order the rows without a disabled step: no
    /// sequential or bitmap scan, and no sort (which the b-tree path needs for `ORDER BY` distance).
    static let forceIndex = [("enable_seqscan", "off"), ("enable_bitmapscan", "off"), ("enable_sort", "off")]
    /// Settings that leave only the exact paths: no index scan (HNSW and IVFFlat scan only by index scans).
    static let forceExact = [("enable_indexscan", "off")]

    /// The point at `search` on `build`; `index` is the in-process build to search. Nil when stopped.
    func measure(target: TargetKind, build: BuildKey, search: SearchKey, index: InProcessIndex?, logger: Logger) throws -> PointResult? {
        let pass = { (filter: VectorFilter, clients: Int) in
            try self.pass(self.scenario(target, build: build, search: search, filter: filter, clients: clients), index: index, logger: logger)
        }
        guard let plain = try pass(.none, 1), let concurrent = try pass(.none, self.spec.clients) else { return nil }
        var point = PointResult(
            target: target, build: build, efSearch: search.efSearch, rerank: search.rerank, recall: plain.operation.recall?.mean ?? 0,
            qps1: plain.totals.qps, qpsAll: concurrent.totals.qps, p50Us: Double(plain.operation.latencyUs.p50),
            p95Us: Double(plain.operation.latencyUs.p95), p99Us: Double(plain.operation.latencyUs.p99), plan: plain.plan)
        point.concurrent = PointResult.Latency(concurrent.operation.latencyUs)
        if self.spec.filtered {
            guard let filtered = try pass(.contentType, 1) else { return nil }
            point.filtered = .init(
                recall: filtered.operation.recall?.mean ?? 0, qps1: filtered.totals.qps, p95Us: Double(filtered.operation.latencyUs.p95),
                plan: filtered.plan, plans: filtered.plans)
        }
        if !self.spec.shares.isEmpty {
            guard let filters = try self.shareFilters(target, build: build, search: search, index: index, logger: logger) else { return nil }
            point.filters = filters
        }
        return point
    }

    /// The share filters at one point: in-process, one pass per share; pgvector, per share and iterative
    /// setting, the planner's path and (when it did not take it) the vector index's.
    private func shareFilters(
        _ target: TargetKind, build: BuildKey, search: SearchKey, index: InProcessIndex?, logger: Logger
    ) throws -> [FilterResult]? {
        var results: [FilterResult] = []
        guard target == .postgres else {
            for share in self.spec.shares {
                let scenario = self.scenario(target, build: build, search: search, filter: .share, share: share, clients: 1)
                guard let pass = try self.pass(scenario, index: index, logger: logger) else { return nil }
                results.append(pass.filterResult(share: share, iterativeScan: nil, maxScanTuples: nil, path: "index"))
            }
            return results
        }
        let method = build.variant == .ivfflat ? "ivfflat" : "hnsw"
        for (share, mode, tuples) in self.spec.filterPasses {
            // IVFFlat scans iteratively only in relaxed order, and has no tuple limit.
            if build.variant == .ivfflat, mode == "strict_order" || tuples != nil { continue }
            var settings = [("\(method).iterative_scan", mode)]
            if let tuples { settings.append(("hnsw.max_scan_tuples", String(tuples))) }
            let planned = self.scenario(target, build: build, search: search, filter: .share, share: share, clients: 1, settings: settings)
            guard let planner = try self.pass(planned, index: index, logger: logger) else { return nil }
            results.append(planner.filterResult(share: share, iterativeScan: mode, maxScanTuples: tuples, path: "planner"))
            guard planner.plan != method else { continue }
            let forced = self.scenario(
                target, build: build, search: search, filter: .share, share: share, clients: 1, settings: settings + Self.forceIndex)
            guard let index = try self.pass(forced, index: index, logger: logger) else { return nil }
            results.append(index.filterResult(share: share, iterativeScan: mode, maxScanTuples: tuples, path: "index"))
        }
        return results
    }

    /// pgvector's exact answer to the share filter `share`: index scans off, so the b-tree's bitmap or a scan
    /// feeds a sort. It does not depend on the vector index, so a sweep measures it once per share.
    func exactPath(share: Double, logger: Logger) throws -> FilterResult? {
        let build = BuildKey(variant: .vector, m: 16, efConstruction: 64)
        let scenario = self.scenario(
            .postgres, build: build, search: SearchKey(efSearch: 40), filter: .share, share: share, clients: 1, settings: Self.forceExact)
        return try self.pass(scenario, index: nil, logger: logger)?.filterResult(share: share, iterativeScan: nil, maxScanTuples: nil, path: "exact")
    }

    /// The scenario of one pass: `vector_search` with `filter`, as `build` is searched, closed loop, `clients`
    /// sessions; `settings` come last.
    func scenario(
        _ target: TargetKind, build: BuildKey, search: SearchKey, filter: VectorFilter, share: Double = 0.01, clients: Int,
        settings: [(String, String)] = []
    ) -> Scenario {
        let concurrent = clients > 1
        let breadth = build.variant == .ivfflat ? "ivfflat.probes" : "hnsw.ef_search"
        let vectorType: VectorType = switch build.variant {
        case .halfvec: .halfvec
        case .bit: .bit
        case .vector, .ivfflat: .vector
        }
        let sessionSettings = [Scenario.Setting(name: "plan_cache_mode", value: "force_custom_plan")] + self.spec.settings
            + [Scenario.Setting(name: breadth, value: String(search.efSearch))] + settings.map { Scenario.Setting(name: $0.0, value: $0.1) }
        return Scenario(
            name: self.spec.name, dataset: self.spec.dataset, target: target == .postgres ? .postgres : .index,
            executor: ExecutorConfiguration(type: .constantVUs, clients: clients), warmup: self.warmup,
            duration: .milliseconds(Int64(self.concurrentSeconds * 1000)), requests: concurrent ? nil : self.requests,
            settings: sessionSettings, index: .init(efSearch: search.efSearch, precision: build.variant == .halfvec ? .float16 : .float32),
            recallSample: concurrent ? 0 : 1,
            operations: [OperationSpec(
                name: "vector_search", kind: .vectorSearch, limit: self.spec.k, filter: filter, share: share, vectorType: vectorType,
                rerank: search.rerank ?? 1)])
    }

    private struct Pass {
        var operation: OperationReport
        var totals: TotalsReport
        var plan: String?
        /// The plans the pass's requests took (pgvector).
        var plans: [DatabaseHealth.PlanShare]?

        func filterResult(share: Double, iterativeScan: String?, maxScanTuples: Int?, path: String) -> FilterResult {
            FilterResult(
                share: share, iterativeScan: iterativeScan, maxScanTuples: maxScanTuples, path: path, recall: self.operation.recall?.mean ?? 0,
                qps1: self.totals.qps, p95Us: Double(self.operation.latencyUs.p95), rowsPerRequest: self.operation.rowsPerRequest,
                plan: self.plan)
        }
    }

    /// One run of the engine; nil when the sweep was stopped meanwhile.
    private func pass(_ scenario: Scenario, index: InProcessIndex?, logger: Logger) throws -> Pass? {
        guard !self.stopSignal.isSet else { return nil }
        let efSearch = scenario.index.efSearch
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: self.spec.name, catalog: self.catalog, database: self.database, stopSignal: self.stopSignal)
        runner.threads = self.threads
        runner.sinks = self.sinks
        runner.inProcessIndex = index.map { InProcessIndex(index: $0.index, efSearch: efSearch, buildSeconds: $0.buildSeconds) }
        let report = try runner.run(logger: logger.forEngineRuns)
        guard !report.partial, let operation = report.operations.first, let totals = report.totals.first else { return nil }
        if operation.errors > 0 {
            let kinds = operation.errorsByKind.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let clients = scenario.executor.clients
            throw WorkloadError(
                .runtime, "\(totals.target) at \(scenario.settings.map { "\($0.name)=\($0.value)" }.joined(separator: " ")), \(clients) client\(clients == 1 ? "" : "s"): \(operation.errors) of \(operation.count) requests failed (\(kinds))")
        }
        return Pass(operation: operation, totals: totals, plan: report.health?.plans.first?.vectorAccess, plans: report.health?.plans.first?.shares)
    }
}

import Datasets
import Logging
import Results
import VectorSearch
import Workload

/// `tripbench index bench`: an in-process index searched at each `ef_search` by the workload engine, as
/// hnswlib's and ann-benchmarks' own loops measure an index — every query once, in order, one at a time on one
/// client (recall@k, QPS, latency percentiles), then spread over `threads` clients (QPS) — but timed by the
/// engine that times every other request (HdrHistograms, error accounting, recall against the exact answers).
public struct IndexBenchmark: Sendable {
    public let catalog: DatasetCatalog
    public let index: HNSWIndex
    public let k: Int
    public let threads: Int
    /// Passes per measurement; the one with the median throughput is reported.
    public var repeats = 1
    public let stop = StopSignal()

    public init(catalog: DatasetCatalog, index: HNSWIndex, k: Int, threads: Int) {
        self.catalog = catalog
        self.index = index
        self.k = k
        self.threads = threads
    }

    /// One line of the report (`--json`'s `results`).
    public struct Result: Sendable, Codable, Equatable {
        public var efSearch: Int
        /// Mean over queries of |found ∩ exact top k| / k.
        public var recall: Double
        public var qps1t: Double
        public var qpsNt: Double
        public var p50Us: Double
        public var p95Us: Double
        public var p99Us: Double
        /// Distances computed per query: the work behind the time.
        public var distancesPerQuery: Double

        enum CodingKeys: String, CodingKey {
            case efSearch = "ef_search", recall, qps1t = "qps_1t", qpsNt = "qps_nt", p50Us = "p50_us", p95Us = "p95_us"
            case p99Us = "p99_us", distancesPerQuery = "distances_per_query"
        }
    }

    /// Measures every `ef` (raised to `k` when smaller, as hnswlib does).
    public func run(efSearch: [Int], logger: Logger) throws -> [Result] {
        try efSearch.map { requested in
            let ef = max(requested, self.k)
            let one = try self.median(clients: 1, ef: ef, logger: logger)
            let all = try self.median(clients: self.threads, ef: ef, logger: logger)
            let latency = one.operation.latencyUs
            return Result(
                efSearch: ef, recall: one.operation.recall?.mean ?? 0, qps1t: one.totals.qps, qpsNt: all.totals.qps,
                p50Us: Double(latency.p50), p95Us: Double(latency.p95), p99Us: Double(latency.p99),
                distancesPerQuery: self.index.distancesPerQuery(self.catalog.queries, k: self.k, ef: ef))
        }
    }

    /// The scenario of one pass: every query once in order, closed loop, on `clients` clients, after a short
    /// unmeasured warm-up; recall on the one-client pass.
    func scenario(clients: Int, ef: Int) -> Scenario {
        Scenario(
            name: "index-bench", dataset: self.catalog.manifest.spec.name, target: .index,
            executor: ExecutorConfiguration(type: .constantVUs, clients: clients), warmup: .milliseconds(200),
            requests: self.catalog.queryCount, index: .init(efSearch: ef, precision: self.index.parameters.precision),
            recallSample: clients == 1 ? 1 : 0,
            operations: [OperationSpec(
                name: "search", kind: .vectorSearch, limit: self.k, filter: .none,
                vectorType: InProcessIndex.vectorType(of: self.index.parameters.precision), queryOrder: .sequential)])
    }

    /// `repeats` passes; the one with the median throughput.
    private func median(clients: Int, ef: Int, logger: Logger) throws -> (operation: OperationReport, totals: TotalsReport) {
        var passes: [(operation: OperationReport, totals: TotalsReport)] = []
        for _ in 0..<max(self.repeats, 1) {
            var runner = WorkloadRunner(
                scenario: self.scenario(clients: clients, ef: ef), scenarioFile: "index bench", catalog: self.catalog, database: nil,
                stopSignal: self.stop)
            runner.threads = self.threads
            runner.inProcessIndex = InProcessIndex(index: self.index, efSearch: ef, buildSeconds: 0)
            let report = try runner.run(logger: logger.forEngineRuns)
            guard let operation = report.operations.first, let totals = report.totals.first else {
                throw WorkloadError(.runtime, "the index bench at ef_search \(ef) measured nothing")
            }
            passes.append((operation, totals))
        }
        return passes.sorted { $0.totals.qps < $1.totals.qps }[passes.count / 2]
    }
}

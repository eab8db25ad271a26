import Datasets
import Dispatch
import Foundation
import Logging
import Postgres
import Synchronization
import VectorSearch

/// The pgvector side of a sweep: one HNSW index per (m, ef_construction), built by ``DatasetLoader`` (parallel
/// workers, the same settings as `tripbench load`), then every ef_search set per session on fresh connections.
///
/// The sweep replaces `idx_memory_embeddings_vector`; ``restore()`` puts back the index the database had
/// before (or drops the sweep's when there was none), so no index the sweep created is left behind.
final class PostgresSweep: Sendable {
    let loader: DatasetLoader
    let catalog: DatasetCatalog
    let queries: SweepQueries
    let clients: Int
    let filtered: Bool
    let settings: [Scenario.Setting]
    /// The index before the sweep, nil when there was none (or no data).
    private let original: PostgresHNSWIndex?
    /// One pass with all clients lasts at least this long (it repeats the queries).
    let minimumSeconds = 1.0

    init(loader: DatasetLoader, catalog: DatasetCatalog, queries: SweepQueries, clients: Int, filtered: Bool, settings: [Scenario.Setting]) throws {
        self.loader = loader
        self.catalog = catalog
        self.queries = queries
        self.clients = clients
        self.filtered = filtered
        self.settings = settings
        let admin = try PostgresConnection(loader.target)
        self.original = try Self.tableExists(admin) ? PostgresHNSWIndex.current(admin) : nil
    }

    private var unfilteredSQL: String { "SELECT id FROM memory_embeddings ORDER BY embedding <=> $1 LIMIT \(self.queries.k)" }
    private var filteredSQL: String {
        "SELECT id FROM memory_embeddings WHERE content_type = $2 ORDER BY embedding <=> $1 LIMIT \(self.queries.k)"
    }

    /// Builds the index for `key`, loading the dataset first if the database does not hold it.
    func build(_ key: BuildKey, logger: Logger, progress: @escaping @Sendable (LoadProgress) -> Void) throws -> BuildResult {
        var loader = self.loader
        loader.index = PostgresHNSWIndex(m: key.m, efConstruction: key.efConstruction, operatorClass: self.loader.index?.operatorClass ?? "vector_cosine_ops")
        let admin = try PostgresConnection(loader.target)
        // An index already there with these parameters is rebuilt, so the build is timed.
        if try Self.tableExists(admin), try PostgresHNSWIndex.current(admin) == loader.index {
            try admin.execute(script: "DROP INDEX \(PostgresHNSWIndex.name)")
        }
        let report = try loader.load(logger: logger, progress: progress)
        guard let hnsw = report.hnsw, let seconds = hnsw.buildSeconds else {
            throw WorkloadError(.runtime, "the HNSW index \(key) was not built")
        }
        return BuildResult(target: .postgres, build: key, buildSeconds: seconds, indexBytes: hnsw.indexBytes)
    }

    /// Measures the current index at `efSearch`.
    func measure(build: BuildKey, efSearch: Int) throws -> PointResult {
        let sessions = try (0..<self.clients).map { _ in try Session(self, efSearch: efSearch) }
        let first = sessions[0]
        let plain = try self.sequential(first, filtered: false)
        var point = PointResult(
            target: .postgres, build: build, efSearch: efSearch, recall: self.queries.recall(plain.found, truth: self.queries.groundTruth),
            qps1: Double(self.queries.count) / plain.seconds, qpsAll: try self.parallel(sessions),
            p50Us: HNSWBenchmark.percentile(plain.latencies, 0.50), p95Us: HNSWBenchmark.percentile(plain.latencies, 0.95),
            p99Us: HNSWBenchmark.percentile(plain.latencies, 0.99), plan: try self.plan(first.connection, sql: self.unfilteredSQL, filtered: false),
            filtered: nil)
        if self.filtered {
            let filtered = try self.sequential(first, filtered: true)
            point.filtered = .init(
                recall: self.queries.recall(filtered.found, truth: self.queries.filteredGroundTruth),
                qps1: Double(self.queries.count) / filtered.seconds, p95Us: HNSWBenchmark.percentile(filtered.latencies, 0.95),
                plan: try self.plan(first.connection, sql: self.filteredSQL, filtered: true))
        }
        return point
    }

    /// Puts back the index the database had before the sweep, or drops the sweep's when it had none.
    func restore(logger: Logger) throws {
        let admin = try PostgresConnection(self.loader.target)
        guard try Self.tableExists(admin) else { return }
        guard let original = self.original else {
            try admin.execute(script: "DROP INDEX IF EXISTS \(PostgresHNSWIndex.name)")
            return
        }
        guard try PostgresHNSWIndex.current(admin) != original else { return }
        logger.info("restoring the HNSW index the database had before the sweep (m \(original.m), ef_construction \(original.efConstruction))")
        var loader = self.loader
        loader.index = original
        _ = try loader.load(logger: logger) { _ in }
    }

    /// The (m, ef_construction) of the index before the sweep, so the sweep can build it last and save a rebuild.
    var originalBuild: BuildKey? { self.original.map { BuildKey(m: $0.m, efConstruction: $0.efConstruction) } }

    /// One connection with the sweep's settings, `hnsw.ef_search` and both statements prepared.
    private final class Session: @unchecked Sendable {
        let connection: PostgresConnection
        let unfiltered: PostgresPreparedStatement
        let filtered: PostgresPreparedStatement?

        init(_ sweep: PostgresSweep, efSearch: Int) throws {
            self.connection = try PostgresConnection(sweep.loader.target)
            try sweep.apply(self.connection, efSearch: efSearch)
            self.unfiltered = try self.connection.prepare(sweep.unfilteredSQL)
            self.filtered = sweep.filtered ? try self.connection.prepare(sweep.filteredSQL) : nil
        }
    }

    /// The sweep's session: every execution planned for its own vector (`force_custom_plan`, so a prepared
    /// statement is planned as the query EXPLAIN shows, not once generically), then the sweep's settings, then
    /// `hnsw.ef_search`.
    private func apply(_ connection: PostgresConnection, efSearch: Int) throws {
        try connection.execute(script: "SET plan_cache_mode = force_custom_plan")
        for setting in self.settings { try connection.query("SELECT set_config($1, $2, false)", [setting.name, setting.value]) }
        try connection.query("SELECT set_config('hnsw.ef_search', $1, false)", [String(efSearch)])
    }

    /// Sends query `query` and returns the rows of the answer (-1 for ids the dataset does not hold).
    private func send(_ session: Session, query: Int, filtered: Bool) throws -> [Int32] {
        let vector = self.catalog.queryVectors[query]
        let result = filtered
            ? try session.connection.execute(session.filtered!, [vector, DatasetSpec.contentTypeNames[self.queries.types[query]]])
            : try session.connection.execute(session.unfiltered, [vector])
        return try (0..<result.rowCount).map { try self.catalog.row(ofMemory: result.decode(UUID.self, row: $0, column: 0)) ?? -1 }
    }

    /// Every query once on one connection, after a short warm-up: the answers, the time and each latency (µs).
    private func sequential(_ session: Session, filtered: Bool) throws -> (found: [Int32], seconds: Double, latencies: [Double]) {
        let k = self.queries.k
        for query in 0..<min(20, self.queries.count) { _ = try self.send(session, query: query, filtered: filtered) }
        var found = [Int32](repeating: -1, count: self.queries.count * k)
        var latencies = [Double](repeating: 0, count: self.queries.count)
        let start = MonotonicClock.nanoseconds()
        var previous = start
        for query in 0..<self.queries.count {
            let rows = try self.send(session, query: query, filtered: filtered)
            for (slot, row) in rows.prefix(k).enumerated() { found[query * k + slot] = row }
            let now = MonotonicClock.nanoseconds()
            latencies[query] = Double(now - previous) / 1_000
            previous = now
        }
        return (found, Double(previous - start) / 1e9, latencies.sorted())
    }

    /// Unfiltered queries over all sessions at once, each taking the next query, for at least
    /// ``minimumSeconds`` and at least one round of the queries: queries per second.
    private func parallel(_ sessions: [Session]) throws -> Double {
        let next = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)
        let count = self.queries.count, minimum = UInt64(self.minimumSeconds * 1e9)
        let start = MonotonicClock.nanoseconds()
        let done = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: sessions.count) { client in
            while failure.withLock({ $0 == nil }) {
                let number = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if number >= count, MonotonicClock.nanoseconds() - start >= minimum { break }
                do {
                    _ = try self.send(sessions[client], query: number % count, filtered: false)
                    done.wrappingAdd(1, ordering: .relaxed)
                } catch {
                    failure.withLock { $0 = error }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return Double(done.load(ordering: .relaxed)) / (Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }

    /// How the query reads memory_embeddings in this session (`hnsw`, `btree`, `seq_scan`, …), from its plan.
    private func plan(_ connection: PostgresConnection, sql: String, filtered: Bool) throws -> String {
        var parameters: [(any PostgresEncodable)?] = [self.catalog.queryVectors[0]]
        if filtered { parameters.append(DatasetSpec.contentTypeNames[self.queries.types[0]]) }
        let text = try connection.query("EXPLAIN (FORMAT JSON) " + sql, parameters).decode(String.self, row: 0, column: 0)
        return try PlanSummary(json: Data(text.utf8), indexMethods: PlanSummary.indexMethods(connection)).vectorAccess ?? "unknown"
    }

    private static func tableExists(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT to_regclass('public.memory_embeddings') IS NOT NULL").decode(Bool.self, row: 0, column: 0)
    }
}

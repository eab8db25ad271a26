import Foundation
import Postgres
import Results

/// Collects ``DatabaseHealth`` over an admin connection of its own: plans before the run, counters at the
/// start and the end of the measured window. Nothing here stops a run: what the server refuses becomes a
/// line in `missing`.
///
/// A connection lost meanwhile (the server restarted) is opened again before a figure is given up. A server
/// that restarted during the window has counters that do not cover it (a crash resets them): those figures
/// are then missing, with the reason, rather than differences of unrelated counts.
final class HealthCollector {
    private let target: PostgresConnectionString
    private var connection: PostgresConnection
    private var health = DatabaseHealth()
    private var start: Counters?
    /// `pg_postmaster_start_time()` when the window began.
    private var serverStart: String?
    private var statementsBefore: [Int64: StatementCounters]?
    private var maximaReset = false

    init(target: PostgresConnectionString, connection: PostgresConnection) {
        self.target = target
        self.connection = connection
    }

    private struct Counters {
        var blocksHit: Int64
        var blocksRead: Int64
        var indexScans: Int64
        var sequentialScans: Int64
    }

    private struct StatementCounters {
        var query: String
        var calls: Int64
        var totalMs: Double
        var maxMs: Double
        var rows: Int64
    }

    /// What ``explain(operations:sql:stream:expected:)`` keeps to EXPLAIN more draws after the run.
    private var explaining: (operations: [OperationSpec], sql: [OperationSQL], stream: RequestStream, methods: [String: String])?
    /// The plan of each (operation, user, content type) EXPLAINed so far, and how many per operation.
    private var planOfGroup: [PlanGroup: String] = [:]
    private var explainedGroups: [Int: Int] = [:]
    /// Draws EXPLAINed per operation before the run, and at most this many more groups after it.
    static let planSample = 50
    static let recallGroupLimit = 300

    private struct PlanGroup: Hashable {
        var operation: Int
        var user: Int
        var type: Int
    }

    /// EXPLAINs each operation's main statement with the first request the stream draws for it (the plan the
    /// report shows node by node), then a sample of its draws spread over the run's first `expected` requests:
    /// the share of each plan. A plan follows the parameters — with Zipf-skewed users, the planner takes the
    /// b-tree for most users and HNSW for the busiest — so one draw can misreport what the run did. Under the
    /// scenario's session settings (already set on the connection).
    func explain(operations: [OperationSpec], sql: [OperationSQL], stream: RequestStream, expected: Int) {
        let methods = PlanSummary.indexMethods(self.connection)
        self.explaining = (operations, sql, stream, methods)
        var draws = [[RequestDraw]](repeating: [], count: operations.count)
        let step = max(1, expected / max(Self.planSample * operations.count, 1))
        var index = 0
        while draws.contains(where: { $0.count < Self.planSample }), index < max(expected, Self.planSample * operations.count) * 4 {
            let draw = stream.draw(index, asUser: nil)
            if draws[draw.operation].count < Self.planSample { draws[draw.operation].append(draw) }
            index += draws[draw.operation].isEmpty ? 1 : step
        }
        self.health.plans = operations.indices.map { operation in
            let spec = operations[operation]
            guard let first = draws[operation].first else {
                return .init(operation: spec.name, vectorAccess: nil, nodes: [], error: "no request drawn for it")
            }
            do {
                let plan = try self.plan(of: first)
                var counts: [String: Int] = [:]
                for draw in draws[operation] {
                    let access = try self.plan(of: draw).vectorAccess ?? "none"
                    counts[access, default: 0] += 1
                }
                let shares = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                    DatabaseHealth.PlanShare(access: $0.key, draws: $0.value, sampled: draws[operation].count)
                }
                return .init(operation: spec.name, vectorAccess: plan.vectorAccess, nodes: plan.nodes, error: nil, shares: shares)
            } catch {
                return .init(operation: spec.name, vectorAccess: nil, nodes: [], error: "\(error)")
            }
        }
    }

    /// The plan of one draw's main statement.
    private func plan(of draw: RequestDraw) throws -> PlanSummary {
        guard let (operations, sql, stream, methods) = self.explaining else { throw WorkloadError(.runtime, "nothing to explain") }
        let spec = operations[draw.operation]
        let statement = sql[draw.operation].resultStatement
        let parameters = OperationSQL.bind(draw, kind: spec.kind, statement: statement, previous: UUID(), stream: stream, runTag: "explain")
        let result = try self.connection.query("EXPLAIN (FORMAT JSON) " + sql[draw.operation].statements[statement], parameters)
        let plan = try PlanSummary(json: Data(try result.decode(String.self, row: 0, column: 0).utf8), indexMethods: methods)
        self.planOfGroup[PlanGroup(operation: draw.operation, user: draw.user, type: draw.type)] = plan.vectorAccess ?? "none"
        return plan
    }

    /// How a request like `draw` read memory_embeddings: its (operation, user, content type) EXPLAINed once,
    /// after the run (at most ``recallGroupLimit`` groups per operation; nil beyond, or when EXPLAIN fails).
    func access(of draw: RequestDraw) -> String? {
        let group = PlanGroup(operation: draw.operation, user: draw.user, type: draw.type)
        if let known = self.planOfGroup[group] { return known }
        guard self.explainedGroups[draw.operation, default: 0] < Self.recallGroupLimit else { return nil }
        self.explainedGroups[draw.operation, default: 0] += 1
        return (try? self.plan(of: draw)).map { $0.vectorAccess ?? "none" }
    }

    /// Adds to each operation's plan shares the recall of the run's recall samples that took each plan. Call it
    /// after ``endWindow()``: its EXPLAINs must not count in the window's statement statistics.
    func attributeRecall(
        to health: inout DatabaseHealth, samples: [RecallSample], recall: (_ operation: Int, _ samples: [RecallSample]) -> RecallSummary?
    ) {
        var plans = health.plans
        for (operation, plan) in plans.enumerated() where plan.shares != nil {
            let grouped = Dictionary(grouping: samples.filter { $0.operation == operation }) { self.access(of: $0.draw) ?? "unexplained" }
            var shares = plan.shares!
            for (access, group) in grouped {
                guard let summary = recall(operation, group) else { continue }
                if let at = shares.firstIndex(where: { $0.access == access }) {
                    shares[at].recall = summary.mean
                    shares[at].recallSamples = summary.samples
                } else {
                    shares.append(.init(access: access, draws: 0, sampled: plan.shares?.first?.sampled ?? 0, recall: summary.mean, recallSamples: summary.samples))
                }
            }
            plans[operation].shares = shares
        }
        health.plans = plans
    }

    /// Reads the counters when measuring begins.
    func beginWindow() {
        self.serverStart = self.note("server start time") { try self.serverStartTime() }
        self.start = self.counters()
        self.health.connections = self.note("connections") {
            let row = try self.connection.query("""
                SELECT count(*), count(*) FILTER (WHERE state = 'active'), current_setting('max_connections')::int8
                FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
                """).rows[0]
            return DatabaseHealth.Connections(
                total: Int(try row.decode(0, as: Int64.self)), active: Int(try row.decode(1, as: Int64.self)), maxConnections: Int(try row.decode(2, as: Int64.self)))
        }
        self.health.sizes = self.note("data sizes") { try DatabaseHealth.DataSizes.read(self.connection) }
        let resident = self.hnswInSharedBuffers()
        self.health.sizes?.hnswInSharedBuffersAtStart = resident
        self.statementsBefore = self.statements()
        if self.statementsBefore != nil {
            // PostgreSQL 17+: reset only the minima and maxima, so max_ms is the window's own.
            self.maximaReset = (try? self.connection.query("SELECT pg_stat_statements_reset(0, 0, 0, true)")) != nil
        }
    }

    /// Reads the counters again and returns the window's figures. Call it after the run's clients have
    /// disconnected: a backend flushes its statistics when it exits.
    func endWindow() -> DatabaseHealth {
        Thread.sleep(forTimeInterval: 0.3)
        _ = try? self.connection.query("SELECT pg_stat_clear_snapshot()")
        let restarted = self.note("server start time") { try self.serverStartTime() }.map { $0 != self.serverStart } ?? false
        if restarted {
            self.health.missing.append("cache_hit_ratio and index_scan_ratio: the server restarted during the measured window, so its counters do not cover it")
            self.health.missing.append("top_statements: the server restarted during the measured window, so its counters do not cover it")
            return self.health
        }
        let resident = self.hnswInSharedBuffers()
        self.health.sizes?.hnswInSharedBuffersAtEnd = resident
        if let start = self.start, let end = self.counters() {
            let hit = end.blocksHit - start.blocksHit, read = end.blocksRead - start.blocksRead
            let index = end.indexScans - start.indexScans, sequential = end.sequentialScans - start.sequentialScans
            self.health.blocksHit = hit
            self.health.blocksRead = read
            self.health.cacheHitRatio = hit + read > 0 ? Double(hit) / Double(hit + read) : nil
            self.health.indexScans = index
            self.health.sequentialScans = sequential
            self.health.indexScanRatio = index + sequential > 0 ? Double(index) / Double(index + sequential) : nil
        } else if self.start == nil, !self.health.missing.contains(where: { $0.hasPrefix("cache_hit_ratio") }) {
            self.health.missing.append("cache_hit_ratio and index_scan_ratio: the run ended before its measured window began")
        }
        if let before = self.statementsBefore, let after = self.statements() {
            if !self.maximaReset { self.health.missing.append("top_statements.max_ms: since the statistics were last reset (the maxima could not be reset at the start: needs PostgreSQL 17+ and the right to call pg_stat_statements_reset)") }
            self.health.topStatements = after.compactMap { id, now -> DatabaseHealth.StatementStats? in
                let earlier = before[id]
                let calls = now.calls - (earlier?.calls ?? 0)
                guard calls > 0 else { return nil }
                let total = now.totalMs - (earlier?.totalMs ?? 0)
                return .init(query: now.query, calls: calls, meanMs: total / Double(calls), maxMs: now.maxMs, totalMs: total, rows: now.rows - (earlier?.rows ?? 0))
            }.sorted { $0.totalMs > $1.totalMs }.prefix(10).map { $0 }
        }
        return self.health
    }

    /// The share of the HNSW index's pages in `shared_buffers`, from pg_buffercache; nil (with a line in
    /// `missing`) without the extension or an index.
    private func hnswInSharedBuffers() -> Double? {
        guard let bytes = self.health.sizes?.hnswIndexBytes, bytes > 0 else { return nil }
        return self.note("hnsw_in_shared_buffers") { () throws -> Double? in
            guard try self.connection.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_buffercache'").rowCount == 1 else {
                throw WorkloadError(.runtime, "the pg_buffercache extension is not installed in this database (CREATE EXTENSION pg_buffercache)")
            }
            let pages = try self.connection.query("""
                SELECT count(*) FROM pg_buffercache b
                WHERE b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND b.relfilenode IN (SELECT pg_relation_filenode(i.indexrelid) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                                        JOIN pg_am a ON a.oid = ic.relam WHERE i.indrelid = 'memory_embeddings'::regclass AND a.amname = 'hnsw')
                """).decode(Int64.self, row: 0, column: 0)
            return min(1, Double(pages * 8192) / Double(bytes))
        } ?? nil
    }

    private func serverStartTime() throws -> String {
        try self.connection.query("SELECT pg_postmaster_start_time()::text").decode(String.self, row: 0, column: 0)
    }

    private func counters() -> Counters? {
        self.note("cache_hit_ratio and index_scan_ratio") {
            let blocks = try self.connection.query("SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()").rows[0]
            let scans = try self.connection.query("""
                SELECT coalesce(sum(idx_scan), 0)::int8, coalesce(sum(seq_scan), 0)::int8 FROM pg_stat_user_tables
                """).rows[0]
            return Counters(
                blocksHit: try blocks.decode(0), blocksRead: try blocks.decode(1), indexScans: try scans.decode(0), sequentialScans: try scans.decode(1))
        }
    }

    /// pg_stat_statements of this database by query id, or nil (with the reason in `missing`).
    private func statements() -> [Int64: StatementCounters]? {
        guard let installed = self.note("top_statements", {
            try self.connection.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'").rowCount
        }) else { return nil }
        guard installed == 1 else {
            if !self.health.missing.contains(where: { $0.hasPrefix("top_statements") }) {
                self.health.missing.append("top_statements: the pg_stat_statements extension is not installed in this database (CREATE EXTENSION pg_stat_statements; it must also be in shared_preload_libraries)")
            }
            return nil
        }
        return self.note("top_statements") {
            let result = try self.connection.query("""
                SELECT queryid, calls, total_exec_time, max_exec_time, rows, query FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
                """)
            var statements: [Int64: StatementCounters] = [:]
            for row in result.rows {
                let query = (try? row.decode(5, as: String.self)) ?? "<insufficient privilege>"
                statements[try row.decode(0)] = StatementCounters(
                    query: query, calls: try row.decode(1), totalMs: try row.decode(2), maxMs: try row.decode(3), rows: try row.decode(4))
            }
            return statements
        }
    }

    /// Runs `body`, once more on a new connection when the connection was lost; a failure becomes a line in
    /// `missing` naming `figure` and the reason.
    private func note<T>(_ figure: String, _ body: () throws -> T) -> T? {
        do {
            do {
                return try body()
            } catch let error as PostgresError where !self.connection.isHealthy {
                guard let fresh = try? PostgresConnection(self.target) else { throw error }
                self.connection = fresh
                return try body()
            }
        } catch {
            let line = "\(figure): \(error)"
            if !self.health.missing.contains(line) { self.health.missing.append(line) }
            return nil
        }
    }
}

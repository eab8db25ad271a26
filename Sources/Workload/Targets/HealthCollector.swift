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

    /// Groups EXPLAINed per operation before the run, the most drawn first.
    static let groupLimit = 2000

    /// EXPLAINs each operation's main statement with the first request the stream draws for it (the plan the
    /// report shows node by node), then every (user, content type) group among the run's first `expected` draws,
    /// the most drawn first and at most ``groupLimit`` per operation: the classifier the workers class each
    /// request's plan by. A plan follows the parameters — with Zipf-skewed users the planner takes the b-tree for
    /// most users and HNSW for the busiest — so one draw can misreport what the run did. A statement that does not
    /// name memory_embeddings reads it under no parameters: its groups are `none` without an EXPLAIN each. Under
    /// the scenario's session settings (already set on the connection).
    func explain(operations: [OperationSpec], sql: [OperationSQL], stream: RequestStream, expected: Int, typeCount: Int) -> PlanClassifier {
        let methods = PlanSummary.indexMethods(self.connection)
        /// The plan of one draw's main statement.
        func explainDraw(_ draw: RequestDraw) throws -> PlanSummary {
            let statement = sql[draw.operation].resultStatement
            let parameters = OperationSQL.bind(
                draw, kind: operations[draw.operation].kind, statement: statement, previous: UUID(), stream: stream, runTag: "explain")
            let result = try self.connection.query("EXPLAIN (FORMAT JSON) " + sql[draw.operation].statements[statement], parameters)
            return try PlanSummary(json: Data(try result.decode(String.self, row: 0, column: 0).utf8), indexMethods: methods)
        }
        var first: [Int: RequestDraw] = [:]
        var drawsOfGroup = [[Int: (count: Int, draw: RequestDraw)]](repeating: [:], count: operations.count)
        for index in 0..<min(max(expected, 1), 2_000_000) {
            let draw = stream.draw(index, asUser: nil)
            if first[draw.operation] == nil { first[draw.operation] = draw }
            let group = PlanClassifier.group(user: draw.user, type: draw.type, typeCount: typeCount)
            drawsOfGroup[draw.operation][group, default: (0, draw)].count += 1
        }
        // An operation with its own rate is not drawn in the mix: its stream's first request.
        for operation in operations.indices where operations[operation].hasOwnRate && operations[operation].count != 0 {
            let draw = stream.laneDraw(0, operation: operation)
            first[operation] = draw
            drawsOfGroup[operation][PlanClassifier.group(user: draw.user, type: draw.type, typeCount: typeCount)] = (1, draw)
        }
        // A time-to-searchable probe searches for a row's own vector: the first row present stands for them.
        for operation in operations.indices where operations[operation].isProbe && stream.rowVectors != nil {
            let draw = stream.probeDraw(0, row: stream.catalog.presentRows.lowerBound, operation: operation)
            first[operation] = draw
            drawsOfGroup[operation][PlanClassifier.group(user: draw.user, type: draw.type, typeCount: typeCount)] = (1, draw)
        }
        var names = [[String]](repeating: [], count: operations.count)
        var classes = [[UInt8]](repeating: [], count: operations.count)
        self.health.plans = operations.indices.map { operation in
            let spec = operations[operation]
            guard let draw = first[operation] else {
                return .init(operation: spec.name, vectorAccess: nil, nodes: [], error: "no request drawn for it")
            }
            do {
                let plan = try explainDraw(draw)
                let firstGroup = PlanClassifier.group(user: draw.user, type: draw.type, typeCount: typeCount)
                let readsEmbeddings = sql[operation].statements[sql[operation].resultStatement].contains("memory_embeddings")
                let groups = drawsOfGroup[operation].sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }.prefix(Self.groupLimit)
                var table = [UInt8](repeating: PlanClassifier.unexplained, count: (groups.map(\.key).max() ?? 0) + 1)
                for (group, entry) in groups {
                    let access = group == firstGroup || !readsEmbeddings ? plan.vectorAccess ?? "none" : try explainDraw(entry.draw).vectorAccess ?? "none"
                    if !names[operation].contains(access), names[operation].count < Int(PlanClassifier.unexplained) { names[operation].append(access) }
                    if let position = names[operation].firstIndex(of: access) { table[group] = UInt8(position) }
                }
                classes[operation] = table
                return .init(operation: spec.name, vectorAccess: plan.vectorAccess, nodes: plan.nodes, error: nil)
            } catch {
                return .init(operation: spec.name, vectorAccess: nil, nodes: [], error: "\(error)")
            }
        }
        return PlanClassifier(names: names, classes: classes, typeCount: typeCount)
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

import Dispatch
import Foundation
import Logging
import Postgres
import Synchronization
import VectorSearch

/// Loads a generated dataset into PostgreSQL: schema if missing, every table by binary COPY (independent
/// tables on parallel connections), secondary indexes built after the data, then pgvector's HNSW index with
/// the asked parameters, then ANALYZE.
///
/// A table `tripbench_dataset` remembers what was loaded (dataset checksum, HNSW parameters), so loading the
/// same thing again is skipped, and asking for other HNSW parameters only rebuilds the index.
public struct DatasetLoader: Sendable {
    public let directory: URL
    public let manifest: DatasetManifest
    public let target: PostgresConnectionString
    public var index = PostgresHNSWIndex()
    public var force = false
    /// Connections that COPY at once.
    public var copyConnections = ExactSearch.defaultThreads
    /// `max_parallel_maintenance_workers` for the HNSW build (pgvector halves the build time with 2 on 2 cores).
    public var buildWorkers = ExactSearch.defaultThreads
    public var maintenanceWorkMem = "2GB"

    public init(directory: URL, manifest: DatasetManifest, target: PostgresConnectionString) {
        self.directory = directory
        self.manifest = manifest
        self.target = target
    }

    /// Tables in load order: each group depends only on groups before it, so a group's tables load at once.
    static let groups = [["users"], ["trips", "chat_sessions", "memory_embeddings"], ["flights", "accommodations", "chat_messages"]]

    public func load(logger: Logger, progress: @escaping @Sendable (LoadProgress) -> Void) throws -> LoadReport {
        try self.index.validate()
        guard self.manifest.dimension <= DatasetSpec.maximumIndexedDimension else {
            throw DatasetError(.badInput, "\(self.directory.path): \(self.manifest.dimension)-dimensional vectors cannot have pgvector's HNSW index (vector: at most \(DatasetSpec.maximumIndexedDimension) dimensions); nothing was loaded")
        }
        let clock = ContinuousClock()
        let started = clock.now
        var steps: [LoadReport.Step] = []
        func timed<T>(_ name: String, rows: Int? = nil, _ body: () throws -> T) throws -> T {
            let start = clock.now
            let value = try body()
            let seconds = (clock.now - start).inSeconds
            steps.append(.init(name: name, seconds: seconds, rows: rows, rowsPerSecond: rows.map { Double($0) / max(seconds, 1e-9) }))
            logger.info("\(name): \(String(format: "%.2f", seconds)) s\(rows.map { String(format: ", %.0f rows/s", Double($0) / max(seconds, 1e-9)) } ?? "")")
            return value
        }
        let connection = try PostgresConnection(self.target)
        // A load stopped by Ctrl-C or SIGTERM drops this connection: the server then ends the index build it is
        // running within a second (it checks the client every second) instead of finishing a build for nobody.
        // PostgreSQL 14 and later; older servers build on.
        _ = try? connection.query("SELECT set_config('client_connection_check_interval', '1s', false)")
        _ = try timed("schema") { try SchemaMigrator(dimension: self.manifest.dimension).migrate(connection) }
        let loaded = try self.loadedFingerprint(connection)
        let dataCurrent = !self.force && loaded?.checksum == self.manifest.checksum
        let existingIndex = try PostgresHNSWIndex.current(connection)
        let indexCurrent = dataCurrent && loaded?.index == self.index && existingIndex == self.index
        if indexCurrent {
            logger.info("\(self.manifest.spec.directoryName) is already loaded with this HNSW index; nothing to do (use --force to reload)")
            return LoadReport(
                dataset: self.manifest.spec.directoryName, checksum: self.manifest.checksum, server: self.target.summary,
                skipped: true, steps: [], hnsw: nil, tableBytes: try self.tableBytes(connection),
                totalSeconds: (clock.now - started).inSeconds
            )
        }
        if !dataCurrent {
            try connection.execute(script: "DELETE FROM tripbench_dataset")
            try connection.execute(script: "TRUNCATE \(TripSageSchema.tables.joined(separator: ", ")) CASCADE")
            try connection.execute(script: (TripSageSchema.indexNames + [PostgresHNSWIndex.name]).map { "DROP INDEX IF EXISTS \($0);" }.joined())
            for group in Self.groups {
                let rows = group.reduce(0) { $0 + (self.manifest.counts[$1] ?? 0) }
                // Each table's own stream time, then the group's wall time (its tables run at once).
                let perTable = try timed("copy \(group.joined(separator: " + "))", rows: rows) { try self.copy(group, progress: progress) }
                steps.insert(contentsOf: perTable, at: steps.count - 1)
            }
            _ = try timed("secondary indexes") { try connection.execute(script: TripSageSchema.indexes) }
        }
        let build = try timed("hnsw index") { try self.buildIndex(connection, progress: progress) }
        _ = try timed("analyze") { try connection.execute(script: "ANALYZE") }
        try connection.execute(script: "DELETE FROM tripbench_dataset")
        try connection.query(
            "INSERT INTO tripbench_dataset (name, checksum, hnsw_m, hnsw_ef_construction, hnsw_opclass) VALUES ($1, $2, $3, $4, $5)",
            [self.manifest.spec.directoryName, self.manifest.checksum, self.index.m, self.index.efConstruction, self.index.operatorClass]
        )
        return LoadReport(
            dataset: self.manifest.spec.directoryName, checksum: self.manifest.checksum, server: self.target.summary,
            skipped: false, steps: steps, hnsw: build, tableBytes: try self.tableBytes(connection),
            totalSeconds: (clock.now - started).inSeconds
        )
    }

    /// COPYs `tables`, at most ``copyConnections`` at once, each on its own connection; returns each table's
    /// own timing.
    private func copy(_ tables: [String], progress: @escaping @Sendable (LoadProgress) -> Void) throws -> [LoadReport.Step] {
        let width = max(1, self.copyConnections)
        return try stride(from: 0, to: tables.count, by: width).flatMap { start in
            try self.copyAtOnce(Array(tables[start..<min(start + width, tables.count)]), progress: progress)
        }
    }

    private func copyAtOnce(_ tables: [String], progress: @escaping @Sendable (LoadProgress) -> Void) throws -> [LoadReport.Step] {
        let failures = FirstError()
        let timings = Mutex<[LoadReport.Step]>([])
        DispatchQueue.concurrentPerform(iterations: tables.count) { index in
            let table = tables[index]
            do {
                let path = self.directory.appendingPathComponent(TripSageTables.fileName(table)).path
                let bytes = max(self.manifest.files[TripSageTables.fileName(table)]?.bytes ?? 1, 1)
                let rows = self.manifest.counts[table] ?? 0
                let connection = try PostgresConnection(self.target)
                let start = ContinuousClock.now
                let loaded = try connection.copyIn(table: table, columns: TripSageTables.columns(of: table), file: path) { sent in
                    progress(LoadProgress(step: "copy \(table)", done: rows * sent / bytes, total: rows, unit: "rows"))
                }
                guard loaded == rows else {
                    throw DatasetError(.runtime, "\(table): the server loaded \(loaded) rows, the manifest has \(rows)")
                }
                let seconds = (ContinuousClock.now - start).inSeconds
                timings.withLock {
                    $0.append(.init(name: "copy \(table)", seconds: seconds, rows: rows, rowsPerSecond: Double(rows) / max(seconds, 1e-9)))
                }
            } catch {
                failures.record(error)
            }
        }
        try failures.rethrow()
        return timings.withLock { steps in tables.compactMap { table in steps.first { $0.name == "copy \(table)" } } }
    }

    /// Builds the HNSW index with parallel workers, reporting `pg_stat_progress_create_index` every second.
    private func buildIndex(_ connection: PostgresConnection, progress: @escaping @Sendable (LoadProgress) -> Void) throws -> LoadReport.HNSWBuild {
        try connection.execute(script: """
            SET maintenance_work_mem = \(PostgresConnection.quoteLiteral(self.maintenanceWorkMem));
            SET max_parallel_maintenance_workers = \(max(0, self.buildWorkers))
            """)
        let watcher = IndexBuildWatcher(target: self.target, progress: progress)
        watcher.start()
        let elapsed: Duration?
        do {
            elapsed = try self.index.build(connection)
            watcher.stop()
        } catch {
            watcher.stop()
            throw error
        }
        let size = try connection.query("SELECT pg_relation_size($1::regclass)", [PostgresHNSWIndex.name]).decode(Int.self, row: 0, column: 0)
        return LoadReport.HNSWBuild(
            m: self.index.m, efConstruction: self.index.efConstruction, operatorClass: self.index.operatorClass,
            buildSeconds: elapsed?.inSeconds, indexBytes: size, maintenanceWorkMem: self.maintenanceWorkMem,
            parallelWorkers: self.buildWorkers
        )
    }

    private struct Fingerprint {
        var checksum: String
        var index: PostgresHNSWIndex
    }

    private func loadedFingerprint(_ connection: PostgresConnection) throws -> Fingerprint? {
        try connection.execute(script: """
            CREATE TABLE IF NOT EXISTS tripbench_dataset (
                name TEXT NOT NULL, checksum TEXT NOT NULL, hnsw_m INT, hnsw_ef_construction INT, hnsw_opclass TEXT,
                loaded_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
            )
            """)
        let rows = try connection.query("SELECT checksum, hnsw_m, hnsw_ef_construction, hnsw_opclass FROM tripbench_dataset").rows
        guard let row = rows.first else { return nil }
        return Fingerprint(
            checksum: try row.decode(0),
            index: PostgresHNSWIndex(m: try row.decode(1), efConstruction: try row.decode(2), operatorClass: try row.decode(3))
        )
    }

    private func tableBytes(_ connection: PostgresConnection) throws -> [String: Int] {
        var sizes: [String: Int] = [:]
        for table in TripSageSchema.tables {
            sizes[table] = try connection.query("SELECT pg_total_relation_size($1::regclass)", [table]).decode(Int.self, row: 0, column: 0)
        }
        return sizes
    }
}

/// Polls `pg_stat_progress_create_index` on a connection of its own while an index builds.
final class IndexBuildWatcher: Sendable {
    private let target: PostgresConnectionString
    private let progress: @Sendable (LoadProgress) -> Void
    private let done = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(target: PostgresConnectionString, progress: @escaping @Sendable (LoadProgress) -> Void) {
        self.target = target
        self.progress = progress
    }

    func start() {
        let thread = Thread { [self] in
            defer { self.finished.signal() }
            guard let connection = try? PostgresConnection(self.target) else { return }
            while self.done.wait(timeout: .now() + 1) == .timedOut {
                guard let row = try? connection.query("""
                    SELECT phase, tuples_done, tuples_total, blocks_done, blocks_total
                    FROM pg_stat_progress_create_index WHERE relid = 'memory_embeddings'::regclass
                    """).rows.first,
                    let phase = try? row.decode(0, as: String.self)
                else { continue }
                let tuples = ((try? row.decode(1, as: Int.self)) ?? 0, (try? row.decode(2, as: Int.self)) ?? 0)
                let blocks = ((try? row.decode(3, as: Int.self)) ?? 0, (try? row.decode(4, as: Int.self)) ?? 0)
                let (done, total, unit) = tuples.1 > 0 ? (tuples.0, tuples.1, "tuples") : (blocks.0, blocks.1, "blocks")
                self.progress(LoadProgress(step: "hnsw index: \(phase)", done: done, total: total, unit: unit))
            }
        }
        thread.name = "tripbench-index-progress"
        thread.start()
    }

    func stop() {
        self.done.signal()
        self.finished.wait()
    }
}

/// The first error thrown by any of several workers.
final class FirstError: Sendable {
    private let error = Mutex<(any Error)?>(nil)

    func record(_ error: any Error) {
        self.error.withLock { if $0 == nil { $0 = error } }
    }

    func rethrow() throws {
        if let error = self.error.withLock({ $0 }) { throw error }
    }
}

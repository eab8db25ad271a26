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
/// A table `tripbench_dataset` remembers what was loaded (dataset checksum, embedding rows, HNSW parameters),
/// so loading the same thing again is skipped, asking for other HNSW parameters only rebuilds the index, and
/// asking for more of the embeddings (``embeddingRows``) appends only the rows that are missing.
public struct DatasetLoader: Sendable {
    public let directory: URL
    public let manifest: DatasetManifest
    public let target: PostgresConnectionString
    /// The HNSW index to build; nil to load the data only (`load --no-hnsw-index`: time the COPY alone, or
    /// build the index later with `db index hnsw`).
    public var index: PostgresHNSWIndex? = PostgresHNSWIndex()
    public var force = false
    /// Connections that COPY at once.
    public var copyConnections = ExactSearch.defaultThreads
    /// A table's COPY file above this size loads in parts, one per connection.
    public var splitBytes = 64 << 20
    /// `max_parallel_maintenance_workers` for the HNSW build (pgvector halves the build time with 2 on 2 cores).
    public var buildWorkers = ExactSearch.defaultThreads
    /// `maintenance_work_mem` for the HNSW build; nil to size it to the graph (``PostgresHNSWIndex/estimatedGraphBytes(rows:dimension:)``)
    /// within the memory this machine has available.
    public var maintenanceWorkMem: String?
    /// Load only the first this many memory embeddings (all when nil): `tripbench scale` grows one database
    /// through prefixes of one dataset.
    public var embeddingRows: Int?
    /// How the HNSW index follows when rows are appended to a loaded prefix.
    public var growth = IndexGrowth.insert

    public enum IndexGrowth: String, Sendable, Codable, CaseIterable {
        /// Keep the index and let pgvector insert each new row into it.
        case insert
        /// Drop the index, append the rows, build it again over all of them (with parallel workers).
        case rebuild
    }

    public init(directory: URL, manifest: DatasetManifest, target: PostgresConnectionString) {
        self.directory = directory
        self.manifest = manifest
        self.target = target
    }

    /// Tables in load order: each group depends only on groups before it, so a group's tables load at once.
    static let groups = [["users"], ["trips", "chat_sessions", "memory_embeddings"], ["flights", "accommodations", "chat_messages"]]

    /// The memory embeddings this load puts in the table.
    public var embeddingCount: Int {
        let all = self.manifest.counts["memory_embeddings"] ?? 0
        return min(self.embeddingRows ?? all, all)
    }

    public func load(logger: Logger, progress: @escaping @Sendable (LoadProgress) -> Void) throws -> LoadReport {
        try self.index?.validate()
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
        try self.waitForOtherLoads(connection, logger: logger)
        // Let go before returning: the lock would otherwise outlive the call until the server has seen the
        // connection close, and a command that loads and then checks (or a test) could find it still held.
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.loadLock))") }
        _ = try timed("schema") { try SchemaMigrator(dimension: self.manifest.dimension).migrate(connection) }
        let loaded = try self.loadedFingerprint(connection)
        let sameDataset = !self.force && loaded?.checksum == self.manifest.checksum
        let loadedRows = sameDataset ? loaded?.embeddingRows ?? (self.manifest.counts["memory_embeddings"] ?? 0) : 0
        let dataCurrent = sameDataset && loadedRows == self.embeddingCount
        let existingIndex = try PostgresHNSWIndex.current(connection)
        let indexCurrent = dataCurrent && (self.index == nil || (loaded?.index == self.index && existingIndex == self.index))
        if indexCurrent {
            logger.info("\(self.manifest.spec.directoryName) is already loaded with this HNSW index; nothing to do (use --force to reload)")
            return LoadReport(
                dataset: self.manifest.spec.directoryName, checksum: self.manifest.checksum, server: self.target.summary,
                skipped: true, steps: [], hnsw: nil, tableBytes: try self.tableBytes(connection),
                totalSeconds: (clock.now - started).inSeconds
            )
        }
        var grownBy: IndexGrowth?
        if sameDataset, loadedRows < self.embeddingCount {
            let keep = self.growth == .insert && existingIndex != nil && existingIndex == self.index
            grownBy = keep ? .insert : .rebuild
            if !keep { try connection.execute(script: "DROP INDEX IF EXISTS \(PostgresHNSWIndex.name)") }
            logger.info("growing memory_embeddings from \(loadedRows) to \(self.embeddingCount) rows\(keep ? ", each inserted into the HNSW index" : "")")
            let added = self.embeddingCount - loadedRows
            _ = try timed(keep ? "insert memory_embeddings" : "copy memory_embeddings", rows: added) {
                try self.copy(["memory_embeddings"], embeddings: loadedRows..<self.embeddingCount, progress: progress)
            }
        } else if !dataCurrent {
            self.logEstimate(logger: logger)
            try self.checkWALRoom(connection, logger: logger)
            try connection.execute(script: "DELETE FROM tripbench_dataset")
            try connection.execute(script: "TRUNCATE \(TripSageSchema.tables.joined(separator: ", ")) CASCADE")
            try connection.execute(script: (TripSageSchema.indexNames + [PostgresHNSWIndex.name]).map { "DROP INDEX IF EXISTS \($0);" }.joined())
            for group in Self.groups {
                let rows = group.reduce(0) { $0 + self.rows(of: $1) }
                // Each table's own stream time, then the group's wall time (its tables run at once).
                let perTable = try timed("copy \(group.joined(separator: " + "))", rows: rows) {
                    try self.copy(group, embeddings: 0..<self.embeddingCount, progress: progress)
                }
                steps.insert(contentsOf: perTable, at: steps.count - 1)
            }
            _ = try timed("secondary indexes") { try connection.execute(script: TripSageSchema.indexes) }
        }
        let build = try self.index.map { index in try timed("hnsw index") { try self.buildIndex(index, connection, logger: logger, progress: progress) } }
        _ = try timed("analyze") { try connection.execute(script: "ANALYZE") }
        try connection.execute(script: "DELETE FROM tripbench_dataset")
        try connection.query(
            "INSERT INTO tripbench_dataset (name, checksum, hnsw_m, hnsw_ef_construction, hnsw_opclass, embedding_rows) VALUES ($1, $2, $3, $4, $5, $6)",
            [self.manifest.spec.directoryName, self.manifest.checksum, build?.m, build?.efConstruction, build?.operatorClass, self.embeddingCount]
        )
        return LoadReport(
            dataset: self.manifest.spec.directoryName, checksum: self.manifest.checksum, server: self.target.summary,
            skipped: false, steps: steps, hnsw: build, tableBytes: try self.tableBytes(connection),
            totalSeconds: (clock.now - started).inSeconds, grownBy: grownBy
        )
    }

    /// The session advisory lock a load holds on its database while it runs, released when `load` returns (or,
    /// if it is killed, when the server sees its connection close); "load" in ASCII. Migrations take "trip",
    /// ``SchemaMigrator``, inside it.
    static let loadLock: Int64 = 0x6C6F_6164

    /// One load at a time per database. A second one (another `load`, or a `run` or `scale` that loads) used to
    /// queue behind the first's table locks without a word, part-way into its own work; now it says it waits,
    /// takes its turn before reading what is loaded, and then finds the first one's work done.
    private func waitForOtherLoads(_ connection: PostgresConnection, logger: Logger) throws {
        if try connection.query("SELECT pg_try_advisory_lock(\(Self.loadLock))").decode(Bool.self, row: 0, column: 0) { return }
        let holder = try? connection.query("""
            SELECT pid::int8 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = \(Self.loadLock) AND objsubid = 1 AND granted
            """).decode(Int64.self, row: 0, column: 0)
        logger.info("another tripbench load is running on this database\(holder.map { " (server process \($0))" } ?? ""); waiting for it to finish")
        _ = try connection.query("SELECT pg_advisory_lock(\(Self.loadLock))")
    }

    /// The rows of `table` this load puts in it.
    private func rows(of table: String) -> Int {
        table == "memory_embeddings" ? self.embeddingCount : self.manifest.counts[table] ?? 0
    }

    /// COPYs `tables` on ``copyConnections`` connections at once: a table's file above
    /// ``splitBytes`` is split at row boundaries into one part per connection, so one big table (the
    /// embeddings) loads on every connection instead of one; of the embeddings, only the rows `embeddings`.
    /// Returns each table's own timing: from its first part's start to its last part's end.
    private func copy(
        _ tables: [String], embeddings: Range<Int>, progress: @escaping @Sendable (LoadProgress) -> Void
    ) throws -> [LoadReport.Step] {
        let width = max(1, self.copyConnections)
        var parts: [(table: String, rows: Range<Int>?, bytes: Int)] = []
        var expected: [String: Int] = [:], spans: [String: Int] = [:]
        for table in tables {
            let path = self.directory.appendingPathComponent(TripSageTables.fileName(table)).path
            let bytes = self.manifest.files[TripSageTables.fileName(table)]?.bytes ?? 0
            let all = self.manifest.counts[table] ?? 0
            let selected = table == "memory_embeddings" && embeddings != 0..<all ? embeddings : nil
            expected[table] = selected?.count ?? all
            if selected != nil || (width > 1 && bytes > self.splitBytes) {
                let split = try PostgresCopyFile.parts(of: path, count: bytes > self.splitBytes ? width : 1, rows: selected)
                parts += split.map { (table, $0, $0.count) }
                spans[table] = split.reduce(0) { $0 + $1.count }
            } else {
                parts.append((table, nil, bytes))
                spans[table] = bytes
            }
        }
        // Largest first, so the small tables fill in around the big parts rather than trail them.
        let queue = parts.sorted { $0.bytes > $1.bytes }
        let (rowsOf, bytesOf) = (expected, spans)
        let failures = FirstError()
        let state = Mutex(CopyState())
        let next = Atomic<Int>(0)
        DedicatedThread.runAll(count: min(width, queue.count)) { _ in
            do {
                let connection = try PostgresConnection(self.target)
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < queue.count, !failures.happened else { return }
                    let (table, range, _) = queue[index]
                    let path = self.directory.appendingPathComponent(TripSageTables.fileName(table)).path
                    let fileBytes = max(bytesOf[table] ?? 1, 1)
                    let rows = rowsOf[table] ?? 0
                    state.withLock { $0.started(table) }
                    let report: (Int) -> Void = { sent in
                        let total = state.withLock { $0.sent(table, part: index, bytes: sent) }
                        progress(LoadProgress(step: "copy \(table)", done: rows * total / fileBytes, total: rows, unit: "rows"))
                    }
                    let loaded = try connection.copyIn(
                        table: table, columns: TripSageTables.columns(of: table), file: path, rows: range ?? PostgresCopyFile.rowBytes(of: path), progress: report)
                    state.withLock { $0.finished(table, rows: loaded) }
                }
            } catch {
                failures.record(error)
            }
        }
        try failures.rethrow()
        return try state.withLock { state in
            try tables.map { table in
                let rows = expected[table] ?? 0
                guard state.loaded[table, default: 0] == rows else {
                    throw DatasetError(.runtime, "\(table): the server loaded \(state.loaded[table, default: 0]) rows, the manifest has \(rows)")
                }
                let seconds = (state.ended[table]! - state.began[table]!).inSeconds
                return LoadReport.Step(name: "copy \(table)", seconds: seconds, rows: rows, rowsPerSecond: Double(rows) / max(seconds, 1e-9))
            }
        }
    }


    /// What the COPY workers share: when each table started and ended, its rows loaded, and the bytes each
    /// part has sent.
    private struct CopyState {
        var began: [String: ContinuousClock.Instant] = [:]
        var ended: [String: ContinuousClock.Instant] = [:]
        var loaded: [String: Int] = [:]
        var bytes: [String: [Int: Int]] = [:]

        mutating func started(_ table: String) {
            if self.began[table] == nil { self.began[table] = .now }
        }

        /// Records a part's progress; returns the table's bytes sent over all its parts.
        mutating func sent(_ table: String, part: Int, bytes: Int) -> Int {
            self.bytes[table, default: [:]][part] = bytes
            return self.bytes[table]!.values.reduce(0, +)
        }

        mutating func finished(_ table: String, rows: Int) {
            self.loaded[table, default: 0] += rows
            self.ended[table] = .now
        }
    }

    /// What the load will put on the server, said before it starts: the rows (about their COPY files' size,
    /// and as much again of WAL) and the HNSW index and the memory its build wants.
    private func logEstimate(logger: Logger) {
        let rows = TripSageTables.columns.reduce(0) { $0 + (self.manifest.files[TripSageTables.fileName($1.table)]?.bytes ?? 0) }
        var line = "loading \(self.manifest.spec.directoryName): about \(SystemMemory.gigabytes(rows)) of rows (and as much WAL)"
        if let index = self.index {
            let embeddings = self.embeddingCount
            line += ", an HNSW index of about \(SystemMemory.gigabytes(index.estimatedIndexBytes(rows: embeddings, dimension: self.manifest.dimension)))"
            line += " built in about \(SystemMemory.gigabytes(index.estimatedGraphBytes(rows: embeddings, dimension: self.manifest.dimension))) of memory"
        }
        logger.info("\(line)")
    }

    /// Says so when the server will checkpoint during the load: every table goes through the WAL (about its
    /// COPY file's size), and past `max_wal_size` of WAL the server checkpoints, writing and syncing every dirty
    /// buffer; with PostgreSQL's default 1 GB, loading `medium` took 11 checkpoints and ran at 0.6× the rate of
    /// `small`. The setting needs a reload, not a session `SET`, so tripbench does not change a server it did
    /// not start; `db up` sets 16 GB.
    private func checkWALRoom(_ connection: PostgresConnection, logger: Logger) throws {
        let setting = try connection.query("SELECT setting::bigint * 1048576 FROM pg_settings WHERE name = 'max_wal_size'")
        guard setting.rowCount == 1, let room = try setting.decode(Int?.self, row: 0, column: 0) else { return }
        let wal = TripSageTables.columns.reduce(0) { $0 + (self.manifest.files[TripSageTables.fileName($1.table)]?.bytes ?? 0) }
        guard wal > room else { return }
        logger.warning("max_wal_size is \(SystemMemory.gigabytes(room)) and this load writes about \(SystemMemory.gigabytes(wal)) of WAL: the server will checkpoint \(wal / room) times during it; for a faster load: ALTER SYSTEM SET max_wal_size = '\((wal >> 30) + 2)GB'; SELECT pg_reload_conf()")
    }

    /// The `maintenance_work_mem` the build gets, and a warning when the graph will not fit in it.
    ///
    /// Without a value of the user's, the graph's estimate, capped at three quarters of the memory this machine
    /// has available (the server may be elsewhere; then this is only a guess, and pgvector's notice says the rest).
    public func buildMemory(for index: PostgresHNSWIndex) -> (setting: String, graphBytes: Int, warning: String?) {
        let graph = index.estimatedGraphBytes(rows: self.embeddingCount, dimension: self.manifest.dimension)
        if let chosen = self.maintenanceWorkMem { return (chosen, graph, nil) }
        let cap = SystemMemory.availableBytes().map { $0 / 4 * 3 } ?? Int.max
        guard graph > cap else { return (PostgresHNSWIndex.memorySetting(bytes: graph), graph, nil) }
        let setting = PostgresHNSWIndex.memorySetting(bytes: cap - (64 << 20))
        return (setting, graph, "the HNSW graph needs about \(SystemMemory.gigabytes(graph)) and this machine can give \(setting): pgvector will finish the build on disk, many times slower")
    }

    /// Sets `connection` up to build an index as `load` builds its HNSW: `maintenance_work_mem` from
    /// ``buildMemory(for:)`` (warning when the graph will not fit) and ``buildWorkers`` parallel workers; clears
    /// the notices before the build.
    public func prepareIndexBuild(
        _ connection: PostgresConnection, for index: PostgresHNSWIndex, logger: Logger
    ) throws -> (setting: String, graphBytes: Int) {
        let memory = self.buildMemory(for: index)
        if let warning = memory.warning { logger.warning("\(warning)") }
        try connection.execute(script: """
            SET maintenance_work_mem = \(PostgresConnection.quoteLiteral(memory.setting));
            SET max_parallel_maintenance_workers = \(max(0, self.buildWorkers))
            """)
        _ = connection.takeNotices()
        return (memory.setting, memory.graphBytes)
    }

    /// Builds the HNSW index with parallel workers, reporting `pg_stat_progress_create_index` every second.
    private func buildIndex(
        _ index: PostgresHNSWIndex, _ connection: PostgresConnection, logger: Logger,
        progress: @escaping @Sendable (LoadProgress) -> Void
    ) throws -> LoadReport.HNSWBuild {
        let memory = try self.prepareIndexBuild(connection, for: index, logger: logger)
        logger.info("building the HNSW index: graph about \(SystemMemory.gigabytes(memory.graphBytes)), maintenance_work_mem \(memory.setting), \(self.buildWorkers) parallel workers")
        let watcher = IndexBuildWatcher(target: self.target, progress: progress)
        watcher.start()
        let elapsed: Duration?
        do {
            elapsed = try index.build(connection)
            watcher.stop()
        } catch {
            watcher.stop()
            throw error
        }
        let notices = connection.takeNotices()
        for notice in notices { logger.warning("PostgreSQL: \(notice.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let size = try connection.query("SELECT pg_relation_size($1::regclass)", [PostgresHNSWIndex.name]).decode(Int.self, row: 0, column: 0)
        return LoadReport.HNSWBuild(
            m: index.m, efConstruction: index.efConstruction, operatorClass: index.operatorClass,
            buildSeconds: elapsed?.inSeconds, indexBytes: size, maintenanceWorkMem: memory.setting,
            parallelWorkers: self.buildWorkers, notices: notices
        )
    }

    private struct Fingerprint {
        var checksum: String
        var index: PostgresHNSWIndex?
        /// Nil when loaded by a version that always loaded them all.
        var embeddingRows: Int?
    }

    private func loadedFingerprint(_ connection: PostgresConnection) throws -> Fingerprint? {
        try connection.execute(script: """
            CREATE TABLE IF NOT EXISTS tripbench_dataset (
                name TEXT NOT NULL, checksum TEXT NOT NULL, hnsw_m INT, hnsw_ef_construction INT, hnsw_opclass TEXT,
                loaded_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
            );
            ALTER TABLE tripbench_dataset ADD COLUMN IF NOT EXISTS embedding_rows BIGINT
            """)
        let rows = try connection.query("SELECT checksum, hnsw_m, hnsw_ef_construction, hnsw_opclass, embedding_rows FROM tripbench_dataset").rows
        guard let row = rows.first else { return nil }
        let index: PostgresHNSWIndex?
        if let m = try row.decode(1, as: Int?.self), let ef = try row.decode(2, as: Int?.self), let opclass = try row.decode(3, as: String?.self) {
            index = PostgresHNSWIndex(m: m, efConstruction: ef, operatorClass: opclass)
        } else {
            index = nil
        }
        return Fingerprint(checksum: try row.decode(0), index: index, embeddingRows: try row.decode(4, as: Int64?.self).map(Int.init))
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

    /// Whether any worker has failed (the others stop taking work).
    var happened: Bool { self.error.withLock { $0 != nil } }
}

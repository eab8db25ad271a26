import Foundation
import Postgres

/// Applies ``SchemaMigration``s in version order, each in its own transaction, and records them in
/// `schema_migrations(version, applied_at, description)` as the architecture document describes.
///
/// Safe to run again (applied versions are skipped) and from several processes at once (an advisory lock
/// serialises them). Refuses a database whose schema is newer than the migrations it knows.
public struct SchemaMigrator: Sendable {
    public let migrations: [SchemaMigration]
    /// Dimension of `memory_embeddings.embedding`.
    public let dimension: Int

    /// Key of the advisory lock migrations hold ("trip" in ASCII).
    static let lockKey = 0x7472_6970

    public init(dimension: Int = 1536, migrations: [SchemaMigration] = TripSageSchema.migrations) {
        self.dimension = dimension
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// What ``migrate(_:)`` did.
    public struct Report: Sendable {
        /// Versions applied by this call, in order.
        public var applied: [String]
        /// Versions that were already there.
        public var alreadyApplied: [String]
    }

    /// Applies every migration the database does not have yet.
    /// - Throws: ``DatasetError`` — `.badInput` for a missing pgvector, a schema newer than this tripbench,
    ///   an embedding dimension that differs from the database's, or missing rights; `.runtime` otherwise.
    public func migrate(_ connection: PostgresConnection) throws -> Report {
        guard (1...16_000).contains(self.dimension) else {
            throw DatasetError(.badInput, "embedding dimension \(self.dimension) is out of range: pgvector takes 1 to 16000")
        }
        try self.run("create schema_migrations") {
            try connection.transaction {
                try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
                try connection.execute(script: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version VARCHAR(50) PRIMARY KEY,
                        applied_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
                        description TEXT
                    )
                    """)
            }
        }
        let context = SchemaContext(dimension: self.dimension, availableExtensions: try self.availableExtensions(connection))
        let missing = TripSageSchema.requiredExtensions.filter { !context.availableExtensions.contains($0) }
        var report = Report(applied: [], alreadyApplied: [])
        for migration in self.migrations {
            let applied = try self.run("migration \(migration.version) (\(migration.description))") {
                try connection.transaction { () throws -> Bool in
                    try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
                    let versions = try self.appliedVersions(connection)
                    try self.checkNotNewer(versions)
                    if versions.contains(migration.version) { return false }
                    if migration.version == "0001", !missing.isEmpty {
                        throw DatasetError(.badInput, "the server at \(connection.connectionString.summary) has no \(missing.joined(separator: " or ")) extension; install pgvector there, or use the local server (`tripbench db up`)")
                    }
                    try connection.execute(script: migration.sql(context))
                    try connection.query(
                        "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
                        [migration.version, migration.description]
                    )
                    return true
                }
            }
            if applied { report.applied.append(migration.version) } else { report.alreadyApplied.append(migration.version) }
        }
        try self.checkDimension(connection)
        return report
    }

    /// One migration's state.
    public struct MigrationState: Sendable {
        public var version: String
        public var description: String
        /// When it was applied; nil while pending.
        public var appliedAt: Date?
    }

    /// The state of every known migration, and of any unknown (newer) one the database has.
    public func status(_ connection: PostgresConnection) throws -> [MigrationState] {
        try self.run("read schema_migrations") {
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
            var applied: [String: (String, Date?)] = [:]
            if try exists.decode(Bool.self, row: 0, column: 0) {
                for row in try connection.query("SELECT version, description, applied_at FROM schema_migrations").rows {
                    applied[try row.decode(0)] = (try row.decode(1, as: String?.self) ?? "", try row.decode(2))
                }
            }
            var states = self.migrations.map {
                MigrationState(version: $0.version, description: $0.description, appliedAt: applied[$0.version]?.1 ?? nil)
            }
            let known = Set(self.migrations.map(\.version))
            for (version, (description, date)) in applied where !known.contains(version) {
                states.append(MigrationState(version: version, description: description + " (unknown to this tripbench)", appliedAt: date))
            }
            return states.sorted { $0.version < $1.version }
        }
    }

    private func availableExtensions(_ connection: PostgresConnection) throws -> Set<String> {
        try self.run("list available extensions") {
            Set(try connection.query("SELECT name FROM pg_available_extensions").rows.map { try $0.decode(0) })
        }
    }

    private func appliedVersions(_ connection: PostgresConnection) throws -> Set<String> {
        Set(try connection.query("SELECT version FROM schema_migrations").rows.map { try $0.decode(0) })
    }

    private func checkNotNewer(_ versions: Set<String>) throws {
        let latest = self.migrations.last?.version ?? ""
        if let newest = versions.max(), newest > latest {
            throw DatasetError(.badInput, "the database schema is at version \(newest), newer than this tripbench knows (\(latest)); use a newer tripbench or a fresh database")
        }
    }

    /// Refuses to go on when the table exists with another dimension than asked.
    private func checkDimension(_ connection: PostgresConnection) throws {
        let type = try self.run("read memory_embeddings.embedding") {
            try connection.query("""
                SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                WHERE attrelid = 'memory_embeddings'::regclass AND attname = 'embedding'
                """).decode(String.self, row: 0, column: 0)
        }
        guard type == "vector(\(self.dimension))" else {
            throw DatasetError(.badInput, "memory_embeddings.embedding is \(type), not vector(\(self.dimension)); use a database without the table (a fresh one, or `tripbench db destroy` for the local server)")
        }
    }

    /// Runs `body`, turning a server error into a one-line ``DatasetError`` that names the step.
    private func run<T>(_ step: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            // 42501: insufficient privilege — the user must use a role with more rights.
            let kind: DatasetError.Kind = error.sqlState == "42501" ? .badInput : .runtime
            throw DatasetError(kind, "\(step) failed: \(error)")
        }
    }
}

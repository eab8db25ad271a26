import Datasets
import Logging
import Foundation
import Postgres
import Results
import Workload

/// The pgvector side of a sweep: one index per build, with parallel workers and `maintenance_work_mem` sized as
/// `tripbench load` sizes them; ``SweepMeasurement`` then searches it at each search setting.
///
/// HNSW on `vector` replaces `idx_memory_embeddings_vector` (built by ``DatasetLoader``); the other variants
/// are `tripbench_sweep_index`, built while the vector index is dropped (an IVFFlat index answers the same
/// `ORDER BY embedding <=>`, and the planner must not have two to choose from). Share filters get the b-tree on
/// ``RowShare``'s bucket. ``restore(logger:)`` drops what the sweep created and puts back the index the
/// database had before, so nothing the sweep built is left behind.
final class PostgresSweep: Sendable {
    let loader: DatasetLoader
    /// The index before the sweep, nil when there was none (or no data).
    private let original: PostgresHNSWIndex?

    init(loader: DatasetLoader) throws {
        self.loader = loader
        let admin = try PostgresConnection(loader.target)
        self.original = try Self.tableExists(admin) ? PostgresHNSWIndex.current(admin) : nil
    }

    /// The index of the variants other than HNSW on `vector`.
    static let variantIndexName = "tripbench_sweep_index"

    /// Builds the index for `key`, loading the dataset first if the database does not hold it.
    func build(_ key: BuildKey, logger: Logger, progress: @escaping @Sendable (LoadProgress) -> Void) throws -> BuildResult {
        guard key.variant == .vector else { return try self.buildVariant(key, logger: logger, progress: progress) }
        var loader = self.loader
        loader.index = PostgresHNSWIndex(m: key.m, efConstruction: key.efConstruction, operatorClass: self.loader.index?.operatorClass ?? "vector_cosine_ops")
        let admin = try PostgresConnection(loader.target)
        try admin.execute(script: "DROP INDEX IF EXISTS \(Self.variantIndexName)")
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

    /// Builds a `halfvec`, `bit` or IVFFlat index as `tripbench_sweep_index`, with the vector HNSW dropped.
    private func buildVariant(_ key: BuildKey, logger: Logger, progress: @escaping @Sendable (LoadProgress) -> Void) throws -> BuildResult {
        var loader = self.loader
        loader.index = nil
        _ = try loader.load(logger: logger, progress: progress)
        let admin = try PostgresConnection(loader.target)
        try admin.execute(script: "DROP INDEX IF EXISTS \(PostgresHNSWIndex.name); DROP INDEX IF EXISTS \(Self.variantIndexName)")
        // The vector graph's memory bounds the others' (their elements are smaller).
        _ = try loader.prepareIndexBuild(admin, for: PostgresHNSWIndex(m: max(key.m, 2), efConstruction: max(key.efConstruction, 4)), logger: logger)
        let d = loader.manifest.dimension
        let definition = switch key.variant {
        case .halfvec: "hnsw ((embedding::halfvec(\(d))) halfvec_cosine_ops) WITH (m = \(key.m), ef_construction = \(key.efConstruction))"
        case .bit: "hnsw ((binary_quantize(embedding)::bit(\(d))) bit_hamming_ops) WITH (m = \(key.m), ef_construction = \(key.efConstruction))"
        case .ivfflat: "ivfflat (embedding vector_cosine_ops) WITH (lists = \(key.lists ?? 100))"
        case .vector: "hnsw (embedding vector_cosine_ops)"
        }
        logger.info("pgvector: CREATE INDEX \(Self.variantIndexName) USING \(definition)")
        let clock = ContinuousClock(), started = clock.now
        try admin.execute(script: "CREATE INDEX \(Self.variantIndexName) ON memory_embeddings USING \(definition)")
        let seconds = (clock.now - started).inSeconds
        for notice in admin.takeNotices() { logger.warning("PostgreSQL: \(notice.trimmingCharacters(in: .whitespacesAndNewlines))") }
        try admin.execute(script: "ANALYZE memory_embeddings")
        let bytes = try admin.query("SELECT pg_relation_size($1::regclass)", [Self.variantIndexName]).decode(Int.self, row: 0, column: 0)
        return BuildResult(target: .postgres, build: key, buildSeconds: seconds, indexBytes: bytes)
    }

    /// Adds the b-tree on the rows' share bucket (and its statistics) that share filters are planned with.
    func prepareShares() throws {
        try PostgresConnection(self.loader.target).execute(script: "\(RowShare.createIndex); ANALYZE memory_embeddings")
    }

    /// Puts back the index the database had before the sweep, or drops the sweep's when it had none.
    func restore(logger: Logger) throws {
        let admin = try PostgresConnection(self.loader.target)
        guard try Self.tableExists(admin) else { return }
        try admin.execute(script: "DROP INDEX IF EXISTS \(Self.variantIndexName); \(RowShare.dropIndex)")
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
    var originalBuild: BuildKey? { self.original.map { BuildKey(variant: .vector, m: $0.m, efConstruction: $0.efConstruction) } }

    private static func tableExists(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT to_regclass('public.memory_embeddings') IS NOT NULL").decode(Bool.self, row: 0, column: 0)
    }
}

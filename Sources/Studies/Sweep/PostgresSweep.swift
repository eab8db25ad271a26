import Datasets
import Logging
import Postgres
import Results
import Workload

/// The pgvector side of a sweep: one HNSW index per (m, ef_construction), built by ``DatasetLoader`` (parallel
/// workers, the same settings as `tripbench load`); ``SweepMeasurement`` then searches it at each ef_search.
///
/// The sweep replaces `idx_memory_embeddings_vector`; ``restore()`` puts back the index the database had
/// before (or drops the sweep's when there was none), so no index the sweep created is left behind.
final class PostgresSweep: Sendable {
    let loader: DatasetLoader
    /// The index before the sweep, nil when there was none (or no data).
    private let original: PostgresHNSWIndex?

    init(loader: DatasetLoader) throws {
        self.loader = loader
        let admin = try PostgresConnection(loader.target)
        self.original = try Self.tableExists(admin) ? PostgresHNSWIndex.current(admin) : nil
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

    private static func tableExists(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT to_regclass('public.memory_embeddings') IS NOT NULL").decode(Bool.self, row: 0, column: 0)
    }
}

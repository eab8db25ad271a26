import Datasets
import Foundation
import Postgres
import Results

/// `--cache prewarm`: before measuring, reads what a vector search touches into the caches with pg_prewarm —
/// the HNSW index into `shared_buffers` (as much of it as fits: pgvector reads it there) and memory_embeddings'
/// heap and TOAST (the vectors) into the OS page cache — so a run measures the steady state rather than the
/// minutes it takes the first requests to fault a cold index in.
public enum CachePrewarm {
    /// Prewarms and returns what was done; creates the pg_prewarm extension if it is missing.
    /// - Throws: ``WorkloadError`` (runtime) when the server has no pg_prewarm or refuses to create it.
    public static func run(_ target: PostgresConnectionString) throws -> CacheState {
        let connection = try PostgresConnection(target)
        do {
            try connection.execute(script: "CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        } catch let error as PostgresError {
            throw WorkloadError(.runtime, "--cache prewarm needs the pg_prewarm extension (contrib): \(error.message)")
        }
        let clock = ContinuousClock(), started = clock.now
        // The index in shared_buffers, the table and its TOAST in the page cache.
        let row = try connection.query("""
            SELECT
              COALESCE((SELECT sum(pg_prewarm(i.indexrelid, 'buffer'))::int8 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                        JOIN pg_am a ON a.oid = ic.relam WHERE i.indrelid = 'memory_embeddings'::regclass AND a.amname = 'hnsw'), 0),
              pg_prewarm('memory_embeddings'::regclass, 'read')
                + COALESCE((SELECT pg_prewarm(reltoastrelid, 'read') FROM pg_class WHERE oid = 'memory_embeddings'::regclass AND reltoastrelid <> 0), 0),
              (SELECT setting::int8 FROM pg_settings WHERE name = 'shared_buffers')
            """).rows[0]
        let index = try row.decode(0, as: Int64.self), table = try row.decode(1, as: Int64.self), buffers = try row.decode(2, as: Int64.self)
        return CacheState(
            mode: "prewarm", prewarmedIndexBlocks: index, prewarmedTableBlocks: table, prewarmSeconds: (clock.now - started).inSeconds,
            sharedBuffersBlocks: buffers)
    }
}

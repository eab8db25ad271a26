import Postgres
import Results

extension DatabaseHealth.DataSizes {
    /// Reads the sizes of memory_embeddings and the server's memory settings (not the shares in
    /// `shared_buffers`, which are the run's).
    public static func read(_ connection: PostgresConnection) throws -> DatabaseHealth.DataSizes {
        let row = try connection.query("""
            SELECT pg_relation_size(c.oid), COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0),
                   (SELECT sum(pg_relation_size(i.indexrelid))::int8 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                    JOIN pg_am a ON a.oid = ic.relam WHERE i.indrelid = c.oid AND a.amname = 'hnsw'),
                   pg_indexes_size(c.oid), pg_database_size(current_database()),
                   (SELECT setting::int8 * 8192 FROM pg_settings WHERE name = 'shared_buffers'),
                   (SELECT setting::int8 * 8192 FROM pg_settings WHERE name = 'effective_cache_size')
            FROM pg_class c WHERE c.oid = 'memory_embeddings'::regclass
            """).rows[0]
        let hnsw = try row.decode(2, as: Int64?.self)
        return DatabaseHealth.DataSizes(
            embeddingsHeapBytes: try row.decode(0), embeddingsToastBytes: try row.decode(1), hnswIndexBytes: hnsw,
            otherIndexBytes: try row.decode(3, as: Int64.self) - (hnsw ?? 0), databaseBytes: try row.decode(4),
            sharedBuffersBytes: try row.decode(5), effectiveCacheSizeBytes: try row.decode(6))
    }
}

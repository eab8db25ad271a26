import Postgres

/// What the TripSage schema in a database looks like now: tables with their rows and row-level security,
/// indexes, and the embedding column's type. Printed by `tripbench db migrate --status` and `make bench`.
public struct SchemaSummary: Sendable {
    public struct Table: Sendable {
        public var name: String
        /// The planner's estimate (`reltuples`), or an exact count for small tables; -1 before ANALYZE.
        public var rows: Int
        public var rowLevelSecurity: Bool
    }

    public struct Index: Sendable {
        public var name: String
        public var table: String
        /// The access method: btree, gin, hnsw.
        public var method: String
    }

    public var tables: [Table]
    public var indexes: [Index]
    /// `vector(1536)`, or nil when the table is missing.
    public var embeddingType: String?

    /// Reads the summary of the `public` schema.
    public static func read(_ connection: PostgresConnection) throws -> SchemaSummary {
        let tables = try connection.query("""
            SELECT c.relname::text, c.reltuples::bigint, c.relrowsecurity
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname
            """).rows.map { row in
            Table(name: try row.decode(0), rows: try row.decode(1), rowLevelSecurity: try row.decode(2))
        }
        let indexes = try connection.query("""
            SELECT i.relname::text, t.relname::text, am.amname::text
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = 'public' ORDER BY t.relname, i.relname
            """).rows.map { row in Index(name: try row.decode(0), table: try row.decode(1), method: try row.decode(2)) }
        let embedding = try connection.query("""
            SELECT format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = to_regclass('public.memory_embeddings') AND attname = 'embedding'
            """)
        return SchemaSummary(
            tables: tables, indexes: indexes,
            embeddingType: embedding.rowCount > 0 ? try embedding.decode(String.self, row: 0, column: 0) : nil
        )
    }
}

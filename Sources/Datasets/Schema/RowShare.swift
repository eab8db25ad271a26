import Foundation

/// A filter that keeps a chosen share of memory_embeddings, for measuring how filter selectivity moves recall
/// and the planner's choice: each row falls in one of 10,000 buckets by the last 32 bits of its id (random in a
/// version-4 UUID, uncorrelated with its vector), and `bucket < share × 10,000` keeps that share of the rows.
///
/// The bucket is an expression over the existing id, so the architecture's table is unchanged and every dataset
/// already has it; a b-tree on the expression (``createIndex``) gives the planner its statistics and the exact
/// path it weighs against the HNSW scan, as a label column with its own index would.
public enum RowShare {
    public static let buckets = 10_000
    /// The SQL of a row's bucket; `('x' || hex)::bit(32)::int8` reads the hex digits as an unsigned number.
    public static let expression = "(('x' || right(id::text, 8))::bit(32)::int8 % 10000)"
    public static let indexName = "tripbench_memory_share"
    public static let createIndex = "CREATE INDEX IF NOT EXISTS \(indexName) ON memory_embeddings (\(expression))"
    public static let dropIndex = "DROP INDEX IF EXISTS \(indexName)"

    /// The bucket of a row's id, as ``expression`` computes it.
    public static func bucket(of id: UUID) -> Int {
        let bytes = id.uuid
        let low = UInt32(bytes.12) << 24 | UInt32(bytes.13) << 16 | UInt32(bytes.14) << 8 | UInt32(bytes.15)
        return Int(low % UInt32(self.buckets))
    }

    /// The bucket bound that keeps `share` (0…1) of the rows: rows with a bucket below it pass.
    public static func bound(_ share: Double) -> Int { Int((share * Double(self.buckets)).rounded()) }
}

import Foundation
import Postgres

/// An `EXPLAIN (FORMAT JSON)` plan, reduced to what explains a latency: its nodes, and how
/// memory_embeddings is read (through the HNSW index, a b-tree, a bitmap, or a sequential scan).
struct PlanSummary {
    /// Depth first, two spaces per level: `Index Scan using memory_embeddings_embedding_idx on memory_embeddings m`.
    var nodes: [String] = []
    var vectorAccess: String?

    static let vectorTable = "memory_embeddings"

    /// - Parameter indexMethods: index name → access method (`hnsw`, `btree`, …) for the public schema.
    init(json: Data, indexMethods: [String: String]) throws {
        guard let root = (try JSONSerialization.jsonObject(with: json) as? [[String: Any]])?.first?["Plan"] as? [String: Any] else {
            throw WorkloadError(.runtime, "EXPLAIN did not return a JSON plan")
        }
        var accesses: [String] = []
        self.walk(root, depth: 0, methods: indexMethods, accesses: &accesses)
        // The most telling access wins: any HNSW use, else another index, else a bitmap, else a sequential scan.
        self.vectorAccess = accesses.first { $0 == "hnsw" }
            ?? accesses.first { $0 != "bitmap" && $0 != "seq_scan" }
            ?? accesses.first { $0 == "bitmap" }
            ?? accesses.first
    }

    /// Index name → access method (`hnsw`, `btree`, …) for the public schema; empty when it cannot be read.
    static func indexMethods(_ connection: PostgresConnection) -> [String: String] {
        var methods: [String: String] = [:]
        if let result = try? connection.query("""
            SELECT c.relname::text, am.amname::text FROM pg_class c JOIN pg_am am ON am.oid = c.relam
            WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace
            """) {
            for row in result.rows { if let name = try? row.decode(0, as: String.self) { methods[name] = try? row.decode(1, as: String.self) } }
        }
        return methods
    }

    private mutating func walk(_ node: [String: Any], depth: Int, methods: [String: String], accesses: inout [String]) {
        let type = node["Node Type"] as? String ?? "?"
        let index = node["Index Name"] as? String
        let relation = node["Relation Name"] as? String
        var line = String(repeating: "  ", count: depth) + type
        if let index { line += " using \(index)" }
        if let relation {
            line += " on \(relation)"
            if let alias = node["Alias"] as? String, alias != relation { line += " \(alias)" }
        }
        self.nodes.append(line)
        if relation == Self.vectorTable {
            switch type {
            case "Seq Scan", "Parallel Seq Scan": accesses.append("seq_scan")
            case "Bitmap Heap Scan": accesses.append("bitmap")
            default: if let index { accesses.append(methods[index] ?? "index") }
            }
        }
        for child in node["Plans"] as? [[String: Any]] ?? [] {
            self.walk(child, depth: depth + 1, methods: methods, accesses: &accesses)
        }
    }
}

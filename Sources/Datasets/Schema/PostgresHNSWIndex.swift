import Foundation
import Postgres

/// The HNSW index on `memory_embeddings.embedding`, built by pgvector with chosen parameters.
public struct PostgresHNSWIndex: Sendable, Equatable, Codable {
    public static let name = "idx_memory_embeddings_vector"

    /// Links per node (pgvector: 2…100).
    public var m: Int
    /// Candidate list size while building (pgvector: 4…1000, at least 2·m).
    public var efConstruction: Int
    /// The operator class: `vector_cosine_ops` (the document's), `vector_l2_ops` or `vector_ip_ops`.
    public var operatorClass: String

    public init(m: Int = 16, efConstruction: Int = 200, operatorClass: String = "vector_cosine_ops") {
        self.m = m
        self.efConstruction = efConstruction
        self.operatorClass = operatorClass
    }

    /// Checks the parameters against pgvector's limits.
    public func validate() throws {
        guard (2...100).contains(self.m) else { throw DatasetError(.badInput, "--m \(self.m) is out of range: pgvector takes 2 to 100") }
        guard (4...1000).contains(self.efConstruction), self.efConstruction >= 2 * self.m else {
            throw DatasetError(.badInput, "--ef-construction \(self.efConstruction) is out of range: pgvector takes 4 to 1000, and at least 2·m (\(2 * self.m))")
        }
        guard ["vector_cosine_ops", "vector_l2_ops", "vector_ip_ops"].contains(self.operatorClass) else {
            throw DatasetError(.badInput, "unknown operator class \(self.operatorClass): use vector_cosine_ops, vector_l2_ops or vector_ip_ops")
        }
    }

    /// Bytes of pgvector's in-memory graph for `rows` vectors of `dimension` floats: per element its value
    /// (4·d + 8), its layer-0 neighbour list (2m candidates of 16 bytes; the upper layers add about 1/m of
    /// that), and the element's own fields (~240 bytes: heap TIDs, pointers, level), with 15 % for the
    /// allocator. pgvector builds the graph in `maintenance_work_mem`; once it no longer fits, the build goes on
    /// on disk, an order of magnitude slower ("hnsw graph no longer fits into maintenance_work_mem").
    public func estimatedGraphBytes(rows: Int, dimension: Int) -> Int {
        let element = Double(4 * dimension + 8) + Double(2 * self.m * 16) * (1 + 1 / Double(max(self.m - 1, 1))) + 240
        return Int(Double(rows) * element * 1.15)
    }

    /// Bytes of the finished index on disk: pgvector stores each element as a tuple of its value (4·d + 8) and
    /// its neighbours' TIDs (3m of 6 bytes on average over the layers) on 8 kB pages, as many whole tuples as a
    /// page holds (one at 1536 dimensions: 50,000 rows gave 391 MiB, as this estimate does).
    public func estimatedIndexBytes(rows: Int, dimension: Int) -> Int {
        let tuple = 4 * dimension + 8 + 3 * self.m * 6 + 64
        let perPage = max(1, 8152 / tuple)
        return (rows + perPage - 1) / perPage * 8192
    }

    /// A `maintenance_work_mem` value for a graph of `bytes`: rounded up to a whole 64 MB, at least 64 MB.
    public static func memorySetting(bytes: Int) -> String {
        let megabytes = max(64, (bytes + (64 << 20) - 1) / (64 << 20) * 64)
        return "\(megabytes)MB"
    }

    /// The index as it exists now, if it does.
    public static func current(_ connection: PostgresConnection) throws -> PostgresHNSWIndex? {
        let result = try connection.query("""
            SELECT c.reloptions::text[]::text, o.opcname::text FROM pg_class c
            JOIN pg_index x ON x.indexrelid = c.oid JOIN pg_opclass o ON o.oid = x.indclass[0]
            WHERE c.relname = $1
            """, [self.name])
        guard result.rowCount == 1 else { return nil }
        let options = (try result.decode(String?.self, row: 0, column: 0) ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",")
        func option(_ name: String, default value: Int) -> Int {
            options.first { $0.hasPrefix("\(name)=") }.flatMap { Int($0.dropFirst(name.count + 1)) } ?? value
        }
        // pgvector's defaults when the WITH clause left a parameter out.
        return PostgresHNSWIndex(
            m: option("m", default: 16), efConstruction: option("ef_construction", default: 64),
            operatorClass: try result.decode(String.self, row: 0, column: 1)
        )
    }

    /// Builds the index, replacing one with other parameters; does nothing when it exists as asked.
    /// - Returns: the build time, or nil when the index was already there.
    public func build(_ connection: PostgresConnection) throws -> Duration? {
        try self.validate()
        if let existing = try Self.current(connection) {
            if existing == self { return nil }
            try connection.execute(script: "DROP INDEX \(Self.name)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        try connection.execute(script: """
            CREATE INDEX \(Self.name) ON memory_embeddings
            USING hnsw (embedding \(self.operatorClass)) WITH (m = \(self.m), ef_construction = \(self.efConstruction))
            """)
        return clock.now - start
    }
}

import ArgumentParser
import Foundation
import Datasets
import Postgres

/// `tripbench db index-hnsw`: build pgvector's HNSW index on the memory embeddings.
struct DatabaseIndexHNSW: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index-hnsw",
        abstract: "Build the HNSW index on memory_embeddings.embedding (replaces one with other parameters)."
    )

    @Option(help: "Links per node, 2 to 100 (the document: 16).")
    var m = 16

    @Option(help: "Candidate list size while building, at least 2·m (the document: 200).")
    var efConstruction = 200

    @Option(help: "Distance: cosine (the document's), l2 or ip.")
    var metric = "cosine"

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard ["cosine", "l2", "ip"].contains(self.metric) else {
            throw ValidationError("--metric must be cosine, l2 or ip")
        }
    }

    func run() async throws {
        let index = PostgresHNSWIndex(m: self.m, efConstruction: self.efConstruction, operatorClass: "vector_\(self.metric)_ops")
        try index.validate()
        let target = try self.connection.resolve()
        let elapsed = try await PostgresConnection.withConnection(target) { try index.build($0) }
        if let elapsed {
            Console.info("built \(PostgresHNSWIndex.name) (m \(self.m), ef_construction \(self.efConstruction)) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds])))")
        } else {
            Console.info("\(PostgresHNSWIndex.name) already exists with these parameters")
        }
    }
}

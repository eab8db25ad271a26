import ArgumentParser
import Datasets
import Foundation
import Postgres
import VectorSearch
import Workload

/// A generated dataset ready to run against: generated when missing, optionally loaded into PostgreSQL, and
/// read into a ``DatasetCatalog``. What `run`, `sweep` and `capacity` start from.
struct PreparedDataset {
    let manifest: DatasetManifest
    let directory: URL
    let catalog: DatasetCatalog

    /// Generates `name` if needed and reads its catalog.
    static func open(_ name: String) async throws -> PreparedDataset {
        var options = try DatasetOptions.parse([])
        options.dataset = name
        let chosen = options
        let (manifest, directory) = try await DedicatedThread.run { () throws -> (DatasetManifest, URL) in
            let (generator, _) = try chosen.generator()
            return (try generator.generate(force: false, logger: Console.logger).manifest, generator.directory)
        }
        let catalog = try await DedicatedThread.run { try DatasetCatalog(directory: directory, manifest: manifest) }
        return PreparedDataset(manifest: manifest, directory: directory, catalog: catalog)
    }

    /// Loads what `scenario` starts from into `database` (the first `memoryRows` embeddings, all by default;
    /// skipped when it is there with the scenario's HNSW index) and returns the catalog of those rows, with the
    /// exact answers over them computed here on all cores when they are not all of the dataset's.
    func prepare(for scenario: Scenario, into database: PostgresConnectionString?) async throws -> DatasetCatalog {
        let rows = scenario.memoryRows.map { $0.rows(of: self.manifest.counts["memory_embeddings"] ?? self.catalog.base.count) }
        if let database {
            var loader = self.loader(into: database, m: scenario.index.m, efConstruction: scenario.index.efConstruction)
            loader.embeddingRows = rows
            try await self.load(loader)
        }
        guard let rows, rows < self.catalog.base.count else { return self.catalog }
        let (directory, manifest) = (self.directory, self.manifest)
        return try await DedicatedThread.run {
            let truth = try manifest.prefixGroundTruth(in: directory, rows: rows, threads: ExactSearch.defaultThreads)
            return try DatasetCatalog(directory: directory, manifest: manifest, embeddingRows: rows, groundTruth: truth)
        }
    }

    /// A loader of this dataset into `database` with pgvector's HNSW index at (m, ef_construction).
    func loader(into database: PostgresConnectionString, m: Int = 16, efConstruction: Int = 200) -> DatasetLoader {
        var loader = DatasetLoader(directory: self.directory, manifest: self.manifest, target: database)
        loader.index = PostgresHNSWIndex(m: m, efConstruction: efConstruction, operatorClass: LoadCommand.operatorClass(self.manifest.metric))
        return loader
    }

    /// Loads the dataset (skipped when the database already holds it with this index), showing progress.
    func load(_ loader: DatasetLoader) async throws {
        let display = ProgressDisplay()
        _ = try await DedicatedThread.run {
            defer { display.finish() }
            return try loader.load(logger: Console.logger) { display.update($0) }
        }
    }
}

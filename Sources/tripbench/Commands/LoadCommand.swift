import ArgumentParser
import Datasets
import Foundation
import LocalServer
import Postgres
import Reporting
import VectorSearch

/// `tripbench load`: put a dataset into PostgreSQL and build its indexes.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a dataset into PostgreSQL (binary COPY), build the indexes and pgvector's HNSW index.",
        discussion: """
            Generates the dataset first if needed, creates the schema if missing, loads every table, builds the \
            secondary indexes and then the HNSW index with the given parameters, runs ANALYZE, and writes \
            timings, rows per second and sizes to load.json. Loading the same dataset and index again does \
            nothing; other HNSW parameters only rebuild the index.
            """
    )

    @OptionGroup var dataset: DatasetOptions

    @Option(help: "HNSW links per node (the document: 16).")
    var m = 16

    @Option(help: "HNSW candidate list while building (the document: 200).")
    var efConstruction = 200

    @Option(help: "Connections that COPY at once (default: cores).")
    var parallel: Int?

    @Option(help: "Parallel workers for the HNSW build, max_parallel_maintenance_workers (default: cores).")
    var buildWorkers: Int?

    @Option(help: "maintenance_work_mem for the HNSW build (default: the graph's estimated size, within 3/4 of the memory available here).")
    var maintenanceWorkMem: String?

    @Option(help: ArgumentHelp("Where to write load.json (default: reports/<dataset>/load.json).", valueName: "path"))
    var output: String?

    @Flag(help: "Reload even when the database already holds this dataset.")
    var force = false

    @Flag(inversion: .prefixedNo, help: "Build pgvector's HNSW index after the data (--no-hnsw-index: load the data only; build it later with `db index hnsw`).")
    var hnswIndex = true

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try OptionBounds.check("--parallel", self.parallel, in: 1...64)
        try OptionBounds.check("--build-workers", self.buildWorkers, in: 0...64)
    }

    func run() async throws {
        let target = try self.connection.resolve()
        let dataset = self.dataset
        let (spec, directory, outcome) = try await DedicatedThread.run { () throws -> (DatasetSpec, URL, DatasetGenerator.Outcome) in
            let (generator, input) = try dataset.generator()
            return (generator.spec, generator.directory, try generator.generate(force: false, logger: Console.logger, input: input))
        }
        let manifest = outcome.manifest
        var loader = DatasetLoader(directory: directory, manifest: manifest, target: target)
        loader.index = self.hnswIndex ? PostgresHNSWIndex(m: self.m, efConstruction: self.efConstruction, operatorClass: Self.operatorClass(manifest.metric)) : nil
        loader.force = self.force
        loader.maintenanceWorkMem = self.maintenanceWorkMem
        if let parallel = self.parallel { loader.copyConnections = parallel }
        if let workers = self.buildWorkers { loader.buildWorkers = workers }
        let display = ProgressDisplay()
        let chosen = loader
        let report = try await DedicatedThread.run {
            defer { display.finish() }
            return try chosen.load(logger: Console.logger) { display.update($0) }
        }
        let path = self.output ?? ProjectLocator.projectRoot().appendingPathComponent("reports/\(spec.directoryName)/load.json").path
        try ReportFile.writeJSON(report, to: path)
        if report.skipped {
            Console.info("\(spec.directoryName) was already loaded with this index; nothing done")
        } else {
            let vectors = report.steps.first { $0.name == "copy memory_embeddings" }
            var summary = String(format: "loaded %@ in %.1f s", spec.directoryName, report.totalSeconds)
            if let rate = vectors?.rowsPerSecond { summary += String(format: "; embeddings at %.0f rows/s", rate) }
            if self.hnswIndex {
                summary += "; HNSW m \(self.m), ef_construction \(self.efConstruction) "
                summary += report.hnsw?.buildSeconds.map { String(format: "built in %.1f s", $0) } ?? "already built"
            } else {
                summary += "; no HNSW index built"
            }
            Console.info(summary)
        }
        Console.out(path)
    }

    static func operatorClass(_ metric: VectorMetric) -> String {
        switch metric {
        case .cosine: "vector_cosine_ops"
        case .l2: "vector_l2_ops"
        case .innerProduct: "vector_ip_ops"
        }
    }
}

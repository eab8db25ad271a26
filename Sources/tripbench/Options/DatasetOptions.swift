import ArgumentParser
import Datasets
import Foundation
import LocalServer

/// `--dataset`, `--seed` and `--scale`: which dataset a command works on.
struct DatasetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A spec in datasets/ by name (tiny, small, medium) or a path to a spec file.", valueName: "name|path"))
    var dataset = "small"

    @Option(parsing: .unconditional, help: "Seed for every random choice, 0 to 2^64-1 (default: the spec's).")
    var seed: UInt64?

    @Option(help: "Multiply the spec's user count (and so every row count) by this factor.")
    var scale: Double?

    @Option(help: ArgumentHelp("Build the dataset around your own embeddings (.fbin or .fvecs) instead of generated ones; the spec gives the rest of its shape.", valueName: "file"))
    var vectors: String?

    @Option(help: ArgumentHelp("Query vectors for --vectors (default: rows held out of the vectors).", valueName: "file"))
    var queries: String?

    func validate() throws {
        if self.queries != nil, self.vectors == nil { throw ValidationError("--queries goes with --vectors") }
    }

    /// The spec with the seed and scale applied.
    func spec() throws -> DatasetSpec {
        let directory = ProjectLocator.projectRoot().appendingPathComponent("datasets")
        var spec = try DatasetSpec.load(self.dataset, datasetsDirectory: directory)
        if let seed = self.seed { spec.seed = seed }
        if let scale = self.scale { spec = try spec.scaled(by: scale) }
        return spec
    }

    /// Where datasets live: `datasets/.cache/<name>-<seed>[-x<scale>]`.
    static var cacheDirectory: URL { ProjectLocator.projectRoot().appendingPathComponent("datasets/.cache") }

    /// The generator for the chosen dataset, and the user's vectors when `--vectors` is given (reads them:
    /// call off the cooperative pool).
    func generator() throws -> (DatasetGenerator, MemoryRowsInput?) {
        let shape = try self.spec()
        guard let vectors = self.vectors else {
            return (DatasetGenerator(spec: shape, directory: Self.cacheDirectory.appendingPathComponent(shape.directoryName)), nil)
        }
        let source = DatasetGenerator.VectorSource(base: vectors, queries: self.queries)
        return try DatasetGenerator.aroundVectors(source, shape: shape, cacheDirectory: Self.cacheDirectory)
    }
}

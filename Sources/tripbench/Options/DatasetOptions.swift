import ArgumentParser
import Datasets
import Foundation
import LocalServer

/// `--dataset`, `--seed` and `--scale`: which dataset a command works on.
struct DatasetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A spec in datasets/ by name (tiny, small, medium) or a path to a spec file.", valueName: "name|path"))
    var dataset = "small"

    @Option(help: "Seed for every random choice (default: the spec's).")
    var seed: UInt64?

    @Option(help: "Multiply the spec's user count (and so every row count) by this factor.")
    var scale: Double?

    /// The spec with the seed and scale applied.
    func spec() throws -> DatasetSpec {
        let directory = ProjectLocator.projectRoot().appendingPathComponent("datasets")
        var spec = try DatasetSpec.load(self.dataset, datasetsDirectory: directory)
        if let seed = self.seed { spec.seed = seed }
        if let scale = self.scale { spec = try spec.scaled(by: scale) }
        return spec
    }

    /// Where the dataset's files live: `datasets/.cache/<name>-<seed>[-x<scale>]`.
    static func cacheDirectory(for spec: DatasetSpec) -> URL {
        ProjectLocator.projectRoot().appendingPathComponent("datasets/.cache/\(spec.directoryName)")
    }
}

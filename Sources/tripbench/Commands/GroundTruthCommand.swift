import ArgumentParser
import Datasets
import Foundation
import Postgres
import VectorSearch

/// `tripbench ground-truth`: exact top-k for any base and query vector files.
struct GroundTruthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground-truth",
        abstract: "Compute the exact k nearest neighbours of every query (.fbin, .fvecs or ann-benchmarks .hdf5 files) and write them as .ibin.",
        discussion: "Prints the search time and queries per second (file reading excluded), so it doubles as the exact-search benchmark."
    )

    @Argument(help: "Base vectors (.fbin, .fvecs, or an ann-benchmarks .hdf5 file: its train matrix).")
    var base: String

    @Argument(help: "Query vectors (.fbin, .fvecs, or .hdf5: its test matrix; default: the .hdf5 base's own).")
    var queries: String?

    @Option(help: "Neighbours per query.")
    var k = 100

    @Option(help: "Distance: cosine, l2 or ip (default: an .hdf5 file's distance attribute, else cosine).")
    var metric: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write the ids here (.ibin).", valueName: "path"))
    var output: String?

    func validate() throws {
        if let metric, VectorMetric(rawValue: metric) == nil { throw ValidationError("--metric must be cosine, l2 or ip") }
        guard self.queries != nil || HDF5VectorFile.isHDF5(self.base) else {
            throw ValidationError("give the query vectors after the base (an .hdf5 base brings its own)")
        }
        try OptionBounds.check("--k", self.k, in: 1...10_000)
        try OptionBounds.check("--threads", self.threads, in: OptionBounds.threads)
    }

    func run() async throws {
        let (base, queries, k, threads) = (self.base, self.queries ?? self.base, self.k, self.threads ?? ExactSearch.defaultThreads)
        let hdf5 = HDF5VectorFile.isHDF5(base) ? HDF5VectorFile(path: base) : nil
        let metric = try self.metric.flatMap(VectorMetric.init(rawValue:)) ?? hdf5?.metric() ?? .cosine
        let output = self.output
        let (seconds, count, agreement) = try await DedicatedThread.run { () throws -> (Double, Int, String?) in
            let store = try VectorInput.base(base)
            let queryStore = try VectorInput.queries(queries)
            let start = ContinuousClock.now
            let result = try ExactSearch(store: store, metric: metric).search(queryStore, k: k, threads: threads)
            let elapsed = ContinuousClock.now - start
            if let output { try VectorFiles.writeIbin(result.ids, count: queryStore.count, k: k, to: output) }
            // The file's own answers, when it has them for these queries: how many of each top-k agree.
            var agreement: String?
            if let hdf5, queries == base, let neighbors = try hdf5.neighbors(), neighbors.rows == queryStore.count {
                let depth = min(k, neighbors.k)
                var shared = 0
                for query in 0..<queryStore.count {
                    let theirs = Set(neighbors.ids[(query * neighbors.k)..<(query * neighbors.k + depth)])
                    shared += result.ids[(query * k)..<(query * k + depth)].filter(theirs.contains).count
                }
                agreement = String(format: "the file's neighbors: %.2f %% of each top-%d shared", 100 * Double(shared) / Double(depth * queryStore.count), depth)
            }
            return (elapsed.inSeconds, queryStore.count, agreement)
        }
        Console.out(String(format: "exact top-%d of %d queries on %d threads: %.3f s, %.1f queries/s", k, count, threads, seconds, Double(count) / seconds) + " (\(metric.rawValue))")
        if let agreement { Console.out(agreement) }
    }
}

import ArgumentParser
import Datasets
import Foundation
import Postgres
import VectorSearch

/// `tripbench ground-truth`: exact top-k for any base and query vector files.
struct GroundTruthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground-truth",
        abstract: "Compute the exact k nearest neighbours of every query (.fbin or .fvecs files) and write them as .ibin.",
        discussion: "Prints the search time and queries per second (file reading excluded), so it doubles as the exact-search benchmark."
    )

    @Argument(help: "Base vectors (.fbin or .fvecs).")
    var base: String

    @Argument(help: "Query vectors (.fbin or .fvecs).")
    var queries: String

    @Option(help: "Neighbours per query.")
    var k = 100

    @Option(help: "Distance: cosine, l2 or ip.")
    var metric: String = "cosine"

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write the ids here (.ibin).", valueName: "path"))
    var output: String?

    func validate() throws {
        guard VectorMetric(rawValue: self.metric) != nil else { throw ValidationError("--metric must be cosine, l2 or ip") }
        try OptionBounds.check("--k", self.k, in: 1...10_000)
        try OptionBounds.check("--threads", self.threads, in: OptionBounds.threads)
    }

    func run() async throws {
        let metric = VectorMetric(rawValue: self.metric)!
        let (base, queries, k, threads) = (self.base, self.queries, self.k, self.threads ?? ExactSearch.defaultThreads)
        let output = self.output
        let (seconds, count) = try await DedicatedThread.run { () throws -> (Double, Int) in
            let store = try VectorFiles.openVectors(base)
            let queryStore = try VectorFiles.readVectors(queries)
            let start = ContinuousClock.now
            let result = try ExactSearch(store: store, metric: metric).search(queryStore, k: k, threads: threads)
            let elapsed = ContinuousClock.now - start
            if let output { try VectorFiles.writeIbin(result.ids, count: queryStore.count, k: k, to: output) }
            return (elapsed.inSeconds, queryStore.count)
        }
        Console.out(String(format: "exact top-%d of %d queries on %d threads: %.3f s, %.1f queries/s", k, count, threads, seconds, Double(count) / seconds))
    }
}

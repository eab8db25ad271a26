import ArgumentParser
import Datasets
import Foundation
import Postgres
import VectorSearch
import Workload

/// `tripbench generate`: make a synthetic TripSage dataset with exact ground truth.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a synthetic TripSage dataset: embeddings, queries, exact ground truth, table rows.",
        discussion: """
            Files go to datasets/.cache/<name>-<seed>/: base.fbin and queries.fbin (big-ann-benchmarks format), \
            gt.ibin and gt_filtered.ibin (exact top-k, unfiltered and per user and content type), the seven \
            tables as binary COPY files, and manifest.json with the SHA-256 of every file. The same spec and seed \
            give byte-identical files; generating again verifies the checksums and does nothing. Ctrl-C stops after \
            the current step (writing the embeddings, the tables, a segment of the exact search) and keeps what is \
            finished in <name>-<seed>.partial/; the same command resumes from it (a killed generation too), and \
            --force starts over.
            """
    )

    @OptionGroup var dataset: DatasetOptions

    @Option(help: "Threads for vectors and ground truth (default: all cores).")
    var threads: Int?

    @Flag(help: "Regenerate even when the directory holds a complete dataset, or another one.")
    var force = false

    func validate() throws {
        try OptionBounds.check("--threads", self.threads, in: OptionBounds.threads)
    }

    func run() async throws {
        let (force, threads, dataset) = (self.force, self.threads, self.dataset)
        let clock = ContinuousClock()
        let start = clock.now
        let stop = StopSignal()
        let signals = RunCommand.trapSignals(stop, what: "stopping after the current step, keeping what is finished")
        defer { signals.forEach { $0.cancel() } }
        let (spec, directory, outcome) = try await DedicatedThread.run { () throws -> (DatasetSpec, URL, DatasetGenerator.Outcome) in
            var (generator, input) = try dataset.generator()
            if let threads { generator.threads = threads }
            generator.shouldStop = { stop.isSet }
            return (generator.spec, generator.directory, try generator.generate(force: force, logger: Console.logger, input: input))
        }
        let elapsed = (clock.now - start).formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))
        if case .upToDate = outcome {
            Console.info("\(spec.directoryName) is up to date (checksums verified in \(elapsed))")
        } else {
            Console.info("generated \(spec.directoryName) in \(elapsed)")
        }
        Self.summarize(outcome.manifest, directory: directory)
    }

    static func summarize(_ manifest: DatasetManifest, directory: URL) {
        Console.out("dataset:   \(directory.path)")
        Console.out("rows:      " + TripSageSchema.tables.map { "\($0) \(manifest.counts[$0] ?? 0)" }.joined(separator: ", "))
        Console.out("vectors:   \(manifest.counts["memory_embeddings"] ?? 0) × \(manifest.dimension) (\(manifest.metric.rawValue)), \(manifest.counts["queries"] ?? 0) queries, ground truth k \(manifest.groundTruthK)")
        Console.out("checksum:  \(manifest.checksum)")
    }
}

import ArgumentParser
import Datasets
import Foundation
import Postgres
import Reporting
import Studies
import VectorSearch
import Workload

/// `tripbench index bench`: recall, throughput and latency of the in-process HNSW index per `ef_search`.
struct IndexBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Build (or load) an HNSW index and measure recall@k, QPS and latency for each ef_search.",
        discussion: """
            Works on any .fbin/.ibin files (--base, --queries, --gt) or on a generated dataset (--dataset). For \
            every ef_search the workload engine sends every query once, in order, one at a time on one client \
            (QPS 1t, recall and the latency percentiles), then spread over --threads clients (QPS Nt). ef_search \
            below k is raised to k, as hnswlib does.
            """
    )

    @Option(help: ArgumentHelp("Base vectors (.fbin, .fvecs, or an ann-benchmarks .hdf5 file, whose test queries, neighbors and distance are then the defaults).", valueName: "file"))
    var base: String?

    @Option(help: ArgumentHelp("Query vectors (.fbin, .fvecs, or .hdf5: its test matrix).", valueName: "file"))
    var queries: String?

    @Option(help: ArgumentHelp("Exact neighbours of the queries (.ibin, e.g. from `tripbench ground-truth`, or .hdf5: its neighbors).", valueName: "file"))
    var gt: String?

    @Option(help: ArgumentHelp("A generated dataset instead of files (tiny, small, medium or a spec path); generated if missing.", valueName: "name"))
    var dataset: String?

    @Option(help: "Distance: cosine, l2 or ip (default: cosine, or the dataset's).")
    var metric: String?

    @Option(help: "Links per node (2·m on layer 0).")
    var m = 16

    @Option(help: "Candidates kept while building.")
    var efConstruction = 200

    @Option(help: ArgumentHelp("Comma-separated ef_search values.", valueName: "list"))
    var efSearch = "10,20,40,80,100,200"

    @Option(help: "Neighbours per query; recall is measured at k.")
    var k = 10

    @Option(help: "Threads for the build and the multi-threaded pass (default: all cores).")
    var threads: Int?

    @Option(help: "How the index stores vectors: float32, or float16 (half the bytes, as pgvector's halfvec); default float32.")
    var precision: String?

    @Option(help: "Seed for the nodes' levels.")
    var levelSeed: UInt64 = 100

    @Option(help: "Timed passes per measurement; the median is reported.")
    var `repeat` = 1

    @Option(help: ArgumentHelp("Read the index from this file instead of building it.", valueName: "file"))
    var load: String?

    @Option(help: ArgumentHelp("Write the built index to this file.", valueName: "file"))
    var save: String?

    @Option(help: ArgumentHelp("Write the results as JSON.", valueName: "file"))
    var json: String?

    func validate() throws {
        if self.dataset != nil {
            guard self.base == nil, self.queries == nil, self.gt == nil else {
                throw ValidationError("give either --dataset or --base, --queries and --gt, not both")
            }
        } else {
            let fromHDF5 = self.base.map(HDF5VectorFile.isHDF5) ?? false
            guard (self.queries != nil && self.gt != nil) || fromHDF5, self.base != nil || self.load != nil else {
                throw ValidationError("give --base (or --load), --queries and --gt, or --dataset (an .hdf5 --base brings its own queries and neighbours)")
            }
        }
        if let metric, VectorMetric(rawValue: metric) == nil { throw ValidationError("--metric must be cosine, l2 or ip") }
        if let precision, VectorPrecision(rawValue: precision) == nil {
            throw ValidationError("--precision must be float32 or float16, not '\(precision)'")
        }
        try OptionBounds.check("--k", self.k, in: 1...10_000)
        try OptionBounds.check("--m", self.m, in: 2...1_000)
        try OptionBounds.check("--ef-construction", self.efConstruction, in: 1...100_000)
        try OptionBounds.check("--threads", self.threads, in: OptionBounds.threads)
        try OptionBounds.check("--repeat", self.repeat, in: 1...1_000)
        _ = try self.efSearchValues()
    }

    func efSearchValues() throws -> [Int] {
        let values = self.efSearch.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ (1...100_000).contains($0 ?? 0) }) else {
            throw ValidationError("--ef-search must be a comma-separated list of positive integers, not '\(self.efSearch)'")
        }
        return values.map { $0! }
    }

    func run() async throws {
        let inputs = try await self.resolveInputs()
        let efValues = try self.efSearchValues()
        let (load, save, k, repeats) = (self.load, self.save, self.k, self.repeat)
        // The cheap checks first, so bad input fails before a long build.
        let (queries, truth) = try await DedicatedThread.run { () throws -> (VectorStore, (ids: [Int32], count: Int, k: Int)) in
            let queries = try VectorInput.queries(inputs.queries)
            let truth = try Self.groundTruth(inputs.groundTruth)
            try HNSWIndex.checkGroundTruth(
                entries: truth.ids.count, depth: truth.k, queries: queries.count, k: k, files: (inputs.queries, inputs.groundTruth))
            return (queries, truth)
        }
        for ef in efValues where ef < k {
            Console.info("ef_search \(ef) is below k \(k); it is raised to \(k), as hnswlib does")
        }
        let parameters = HNSWParameters(
            metric: inputs.metric, m: self.m, efConstruction: self.efConstruction, seed: self.levelSeed,
            precision: self.precision.flatMap(VectorPrecision.init(rawValue:)) ?? .float32)
        let threads = self.threads ?? ExactSearch.defaultThreads
        let display = ProgressDisplay()
        let (index, buildSeconds) = try await DedicatedThread.run { () throws -> (HNSWIndex, Double?) in
            let built = try Self.index(load: load, base: inputs.base, parameters: parameters, threads: threads, display: display)
            if let save { try built.index.save(to: save) }
            try built.index.checkQueries(queries, groundTruth: truth.ids, depth: truth.k, k: k)
            return (built.index, built.seconds)
        }
        if let load, inputs.metric != index.parameters.metric {
            throw CommandFailure(.badInput, "\(load) was built for \(index.parameters.metric.rawValue), not \(inputs.metric.rawValue)")
        }
        if let load, let precision = self.precision, precision != index.parameters.precision.rawValue {
            throw CommandFailure(.badInput, "\(load) stores \(index.parameters.precision.rawValue) vectors, not \(precision)")
        }
        Console.out(Self.headline(index, buildSeconds: buildSeconds, threads: threads, queries: queries.count))
        let manifest = DatasetManifest.vectorFiles(
            name: URL(fileURLWithPath: inputs.base ?? load ?? inputs.queries).deletingPathExtension().lastPathComponent,
            source: inputs.base ?? load ?? inputs.queries, dimension: index.dimension, metric: index.parameters.metric, rows: index.count,
            queries: queries.count, groundTruthK: truth.k)
        // The base vectors, mapped, when given: the engine reads only the ground truth for unfiltered recall.
        let vectors = try inputs.base.map(VectorInput.base) ?? VectorStore(dimension: index.dimension, capacity: 0)
        var benchmark = IndexBenchmark(
            catalog: DatasetCatalog(vectors: vectors, queries: queries, groundTruth: truth.ids, manifest: manifest), index: index, k: k,
            threads: threads)
        benchmark.repeats = repeats
        let chosen = benchmark
        let results = try await DedicatedThread.run { try chosen.run(efSearch: efValues, logger: Console.logger) }
        Console.out(Self.table(results, k: k, threads: threads))
        if let json = self.json {
            let report = IndexBenchReport(
                buildSeconds: buildSeconds, indexBytes: index.bytes, count: index.count, dimension: index.dimension,
                metric: index.parameters.metric, precision: index.parameters.precision, m: index.parameters.m,
                efConstruction: index.parameters.efConstruction,
                k: k, threads: threads, queries: queries.count, results: results)
            try ReportFile.writeJSON(report, to: json)
        }
    }

    /// The vector files and metric to use.
    private func resolveInputs() async throws -> (base: String?, queries: String, groundTruth: String, metric: VectorMetric) {
        guard let name = self.dataset else {
            // An ann-benchmarks file holds the queries, their neighbours and the distance beside the base.
            if let base = self.base, HDF5VectorFile.isHDF5(base) {
                let file = HDF5VectorFile(path: base)
                let metric = try self.metric.flatMap(VectorMetric.init(rawValue:)) ?? file.metric() ?? .cosine
                return (base, self.queries ?? base, self.gt ?? base, metric)
            }
            return (self.base, self.queries!, self.gt!, VectorMetric(rawValue: self.metric ?? "cosine")!)
        }
        let options = try DatasetOptions.parse(["--dataset", name])
        let (directory, manifest) = try await DedicatedThread.run { () throws -> (URL, DatasetManifest) in
            let (generator, input) = try options.generator()
            return (generator.directory, try generator.generate(force: false, logger: Console.logger, input: input).manifest)
        }
        let metric = self.metric.flatMap(VectorMetric.init(rawValue:)) ?? manifest.metric
        func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
        return (path("base.fbin"), path("queries.fbin"), path("gt.ibin"), metric)
    }

    /// Exact neighbours from an `.ibin`, or an HDF5 file's `neighbors`.
    static func groundTruth(_ path: String) throws -> (ids: [Int32], count: Int, k: Int) {
        guard HDF5VectorFile.isHDF5(path) else { return try VectorFiles.readIbin(path) }
        guard let neighbors = try HDF5VectorFile(path: path).neighbors() else {
            throw CommandFailure(.badInput, "\(path) has no neighbors dataset: give --gt (tripbench ground-truth writes one)")
        }
        return (neighbors.ids, neighbors.rows, neighbors.k)
    }

    /// Loads the index from `load`, or builds it from `base` and times the build.
    private static func index(
        load: String?, base: String?, parameters: HNSWParameters, threads: Int, display: ProgressDisplay
    ) throws -> (index: HNSWIndex, seconds: Double?) {
        if let load {
            let index = try HNSWIndex.load(from: load)
            if let base {
                let vectors = try VectorInput.base(base)
                guard vectors.dimension == index.dimension, vectors.count == index.count else {
                    throw CommandFailure(.badInput, "\(load) indexes \(index.count) × \(index.dimension) vectors, \(base) holds \(vectors.count) × \(vectors.dimension)")
                }
            }
            return (index, nil)
        }
        let vectors = try VectorInput.base(base!)
        let total = vectors.count
        let start = ContinuousClock.now
        let index = try HNSWIndex.build(vectors, parameters: parameters, threads: threads) { done in
            display.update(LoadProgress(step: "building HNSW", done: done, total: total, unit: "vectors"))
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        display.finish()
        return (index, seconds)
    }

    private static func headline(_ index: HNSWIndex, buildSeconds: Double?, threads: Int, queries: Int) -> String {
        let parameters = index.parameters
        var line = "HNSW m \(parameters.m), ef_construction \(parameters.efConstruction), \(parameters.metric.rawValue), \(parameters.precision.rawValue): "
        line += "\(index.count.formatted()) × \(index.dimension)"
        if let buildSeconds { line += String(format: ", built in %.2f s on %d thread%@", buildSeconds, threads, threads == 1 ? "" : "s") }
        line += String(format: ", %.1f MiB; %@ queries", Double(index.bytes) / 1_048_576, queries.formatted())
        return line
    }

    private static func table(_ results: [IndexBenchmark.Result], k: Int, threads: Int) -> String {
        let titles = ["ef_search", "recall@\(k)", "QPS 1t", "QPS \(threads)t", "P50 µs", "P95 µs", "P99 µs", "dist/query"]
        let widths = [9, 10, 10, 10, 9, 9, 9, 10]
        var lines = [zip(titles, widths).map { String(repeating: " ", count: max(0, $1 - $0.count)) + $0 }.joined(separator: " ")]
        for row in results {
            lines.append(String(
                format: "%9d %10.4f %10.0f %10.0f %9.1f %9.1f %9.1f %10.0f", row.efSearch, row.recall, row.qps1t, row.qpsNt,
                row.p50Us, row.p95Us, row.p99Us, row.distancesPerQuery))
        }
        return lines.joined(separator: "\n")
    }
}

/// What `tripbench index bench --json` writes.
struct IndexBenchReport: Encodable {
    var buildSeconds: Double?
    var indexBytes: Int
    var count: Int
    var dimension: Int
    var metric: VectorMetric
    var precision: VectorPrecision
    var m: Int
    var efConstruction: Int
    var k: Int
    var threads: Int
    var queries: Int
    var results: [IndexBenchmark.Result]

    enum CodingKeys: String, CodingKey {
        case buildSeconds = "build_seconds", indexBytes = "index_bytes", count, dimension, metric, precision, m
        case efConstruction = "ef_construction", k, threads, queries, results
    }
}

import Foundation
import LocalServer
import TestSupport
import Testing
import VectorSearch

/// `tripbench index bench` as a user meets it, on hand-made files and on a generated dataset.
@Suite struct IndexCommandTests {
    /// A scratch directory with base, query and ground-truth files: 3,000 × 16 Gaussian clusters.
    final class Files {
        let directory: URL
        var base: String { self.path("base.fbin") }
        var queries: String { self.path("queries.fbin") }
        var gt: String { self.path("gt.ibin") }

        init() throws {
            self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
            try VectorFiles.writeFbin(try Self.clusters(count: 3_000, dimension: 16, stream: 0), to: self.base)
            try VectorFiles.writeFbin(try Self.clusters(count: 50, dimension: 16, stream: 1), to: self.queries)
            let run = try TripbenchCLI.run(["ground-truth", self.base, self.queries, "--k", "20", "--output", self.gt])
            precondition(run.status == 0, run.standardError)
        }

        deinit { try? FileManager.default.removeItem(at: self.directory) }

        func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

        /// Points around 30 seeded centres; `stream` picks an independent draw.
        static func clusters(count: Int, dimension: Int, stream: UInt64) throws -> VectorStore {
            var centres = SplitMix64(seed: 8)
            let centre = (0..<30).map { _ in (0..<dimension).map { _ in centres.nextGaussian() } }
            var draw = SplitMix64(seed: 8, stream: stream + 1)
            let store = try VectorStore(dimension: dimension, capacity: count)
            for _ in 0..<count {
                let home = centre[Int(draw.next() % 30)]
                let row = home.map { $0 + 0.3 * draw.nextGaussian() }
                row.withUnsafeBufferPointer { store.append($0) }
            }
            return store
        }
    }

    @Test func benchOnHandMadeFilesPrintsATableWritesJSONAndReloads() throws {
        let files = try Files()
        let json = files.path("bench.json"), saved = files.path("index.hnsw")
        let run = try TripbenchCLI.run([
            "index", "bench", "--base", files.base, "--queries", files.queries, "--gt", files.gt, "--ef-search", "5,40",
            "--k", "10", "--threads", "2", "--json", json, "--save", saved,
        ])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("ef_search 5 is below k 10; it is raised to 10, as hnswlib does"))
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.first?.hasPrefix("HNSW m 16, ef_construction 200, cosine, float32: 3,000 × 16, built in ") == true)
        #expect(lines.count == 4 && lines[1].contains("recall@10") && lines[1].contains("QPS 2t"))
        #expect(lines[2].split(separator: " ").first == "10" && lines[3].split(separator: " ").first == "40")

        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        #expect((report["build_seconds"] as? Double ?? 0) > 0)
        #expect((report["index_bytes"] as? Int ?? 0) > 3_000 * 16 * 4)
        let results = report["results"] as? [[String: Any]] ?? []
        #expect(results.map { $0["ef_search"] as? Int } == [10, 40])
        for key in ["recall", "qps_1t", "qps_nt", "p50_us", "p95_us"] {
            #expect(results.allSatisfy { ($0[key] as? Double ?? 0) > 0 }, "\(key)")
        }
        #expect((results.last?["recall"] as? Double ?? 0) >= 0.9)

        let reloaded = try TripbenchCLI.run(["index", "bench", "--load", saved, "--queries", files.queries, "--gt", files.gt, "--ef-search", "40"])
        #expect(reloaded.status == 0, "\(reloaded.standardError)")
        #expect(!reloaded.standardOutput.contains("built in"))
        // The same graph answers the same: ef_search and recall columns agree.
        let reloadedRow = reloaded.standardOutput.split(separator: "\n").last?.split(separator: " ") ?? []
        #expect(reloadedRow.prefix(2) == lines[3].split(separator: " ").prefix(2))
    }

    @Test func benchOnAGeneratedDataset() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("index-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let spec = home.appendingPathComponent("little.yaml")
        try """
            name: little
            seed: 3
            users: 40
            tripsPerUser: 1
            flightsPerTrip: 1
            accommodationsPerTrip: 1
            chatSessionsPerUser: 1
            messagesPerSession: 2
            embeddingsPerUser: 25
            contentTypes: {conversation: 0.5, preference: 0.5}
            dimension: 24
            metric: cosine
            clusters: 8
            clusterSpreadMin: 0.5
            clusterSpreadMax: 2.0
            homeClustersPerUser: 2
            homeClusterShare: 0.9
            activitySkew: 1.0
            queries: 30
            groundTruthK: 10
            """.write(to: spec, atomically: true, encoding: .utf8)
        let run = try TripbenchCLI.run(
            ["index", "bench", "--dataset", spec.path, "--ef-search", "64", "--m", "8", "--ef-construction", "64"],
            environment: ["TRIPBENCH_HOME": home.path])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("HNSW m 8, ef_construction 64, cosine, float32: 1,000 × 24"))
        let row = run.standardOutput.split(separator: "\n").last?.split(separator: " ") ?? []
        #expect(row.first == "64" && Double(row[1]) ?? 0 >= 0.95)
        // Half precision (pgvector's halfvec): about the same recall, a smaller index. Two threads interleave the
        // build differently each time, and 300 answers move by a few: HNSWIndexTests compares the two closely.
        let json = home.appendingPathComponent("half.json").path
        let half = try TripbenchCLI.run(
            ["index", "bench", "--dataset", spec.path, "--ef-search", "64", "--m", "8", "--ef-construction", "64", "--precision", "float16", "--json", json],
            environment: ["TRIPBENCH_HOME": home.path])
        #expect(half.status == 0, "\(half.standardError)")
        #expect(half.standardOutput.contains("HNSW m 8, ef_construction 64, cosine, float16: 1,000 × 24"))
        let halfRow = half.standardOutput.split(separator: "\n").last?.split(separator: " ") ?? []
        #expect((Double(halfRow[1]) ?? 0) >= 0.93, "float16 recall \(halfRow[1])")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(report?["precision"] as? String == "float16")
    }

    @Test func badInputIsExitTwoWithOneLine() throws {
        let files = try Files()
        try VectorFiles.writeFbin(try Files.clusters(count: 50, dimension: 8, stream: 2), to: files.path("narrow.fbin"))
        try VectorFiles.writeFbin(try VectorStore(dimension: 16, capacity: 0), to: files.path("empty.fbin"))
        let nan = try Files.clusters(count: 10, dimension: 16, stream: 3)
        nan.row(3)[5] = .nan
        try VectorFiles.writeFbin(nan, to: files.path("nan.fbin"))
        let common = ["index", "bench", "--ef-search", "10"]
        let cases: [([String], String)] = [
            (["--base", files.base, "--queries", files.path("narrow.fbin"), "--gt", files.gt], "the queries have 8 dimensions, the index 16"),
            (["--base", files.base, "--queries", files.queries, "--gt", files.gt, "--k", "30"], "k 30 is larger than the ground truth's 20 neighbours per query"),
            (["--base", files.base, "--queries", files.queries, "--gt", files.gt, "--m", "1"], "--m must be between 2 and 1000, not 1"),
            (["--base", files.path("empty.fbin"), "--queries", files.queries, "--gt", files.gt], "there are no vectors to index"),
            (["--base", files.path("nan.fbin"), "--queries", files.queries, "--gt", files.gt], "base vector 3 is not finite: dimension 5 is nan"),
            (["--base", files.base, "--queries", files.path("nan.fbin"), "--gt", files.gt], "has answers for 50 queries"),
            (["--base", files.base, "--queries", files.queries, "--gt", files.gt, "--ef-search", "10,x"], "--ef-search must be a comma-separated list"),
            (["--load", files.base, "--queries", files.queries, "--gt", files.gt], "not a tripbench HNSW index file"),
            (["--queries", files.queries, "--gt", files.gt], "give --base (or --load), --queries and --gt, or --dataset"),
            (["--base", files.base, "--queries", files.queries, "--gt", files.gt, "--precision", "float8"], "--precision must be float32 or float16, not 'float8'"),
        ]
        for (arguments, message) in cases {
            let run = try TripbenchCLI.run(common + arguments)
            #expect(run.status == 2, "\(arguments): \(run.standardError)")
            #expect(run.standardError.contains(message), "\(arguments): \(run.standardError)")
            #expect(!run.standardError.contains("\n") || run.standardError.split(separator: "\n").count == 1, "\(run.standardError)")
        }
    }
}

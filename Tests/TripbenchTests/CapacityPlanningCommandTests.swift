import Datasets
import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// `sweep` and `capacity` as a capacity planner runs them, on the tiny dataset against the test server.
@Suite(.serialized) struct CapacityPlanningCommandTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    static let sweep = """
        name: unit-sweep
        dataset: tiny
        target: both
        grid: {m: [8, 12], efConstruction: [32], efSearch: [10, 40]}
        queries: 50
        clients: 2
        recallFloor: 0.5
        latencyTarget: p95 < 1s
        """

    /// Interrupted after its first saved point, the sweep exits 130 and keeps what it measured; run again, it
    /// measures only the rest; run a third time, it renders without measuring. pgvector's index is the one
    /// the database had before, every time.
    @Test func anInterruptedSweepResumesAndTheDatabaseKeepsItsIndex() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let work = Self.temporary("sweep")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("unit-sweep.yaml")
        try Self.sweep.write(to: file, atomically: true, encoding: .utf8)
        let out = work.appendingPathComponent("out")
        let results = out.appendingPathComponent("sweep.json")
        let load = try TripbenchCLI.run(["load", "--dataset", "tiny", "--database-url", url.raw])
        #expect(load.status == 0, "\(load.standardError)")
        let arguments = ["sweep", file.path, "--database-url", url.raw, "--out", out.path]

        // First run, stopped by SIGINT once a point is saved. Watched from a thread of its own: a task on the
        // cooperative pool waits for a free thread after each sleep, and tests running beside this one can
        // hold both of this machine's for longer than the whole sweep takes (a CI run saw it finish unstopped).
        let sweep = try TripbenchCLI.start(arguments)
        let deadline = Date().addingTimeInterval(120)
        try await DedicatedThread.run {
            while Self.savedPoints(results) < 1, sweep.isRunning, Date() < deadline { usleep(20_000) }
            sweep.send(SIGINT)
        }
        let (status, stderr) = sweep.finish()
        #expect(status == 130, "\(stderr)")
        #expect(stderr.contains("run the same command again to resume"), "\(stderr)")
        let saved = Self.savedPoints(results)
        #expect(saved >= 1 && saved < 8, "\(saved) points saved")
        let firstPoints = try Self.points(results)

        // Second run: resumes, measures the rest, keeps the points saved before as they were.
        let resumed = try await DedicatedThread.run { try TripbenchCLI.run(arguments) }
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("(\(saved) saved from before)"), "\(resumed.standardError)")
        #expect(Self.savedPoints(results) == 8)
        let allPoints = try Self.points(results)
        for (key, point) in firstPoints { #expect(allPoints[key] == point, "\(key) was measured again") }
        #expect(resumed.standardOutput.contains("## Recall versus throughput") && resumed.standardOutput.contains("## How well the in-process index predicts pgvector"))
        let html = try String(contentsOf: out.appendingPathComponent("sweep.html"), encoding: .utf8)
        #expect(html.contains(">Pareto front<") && html.contains("pgvector: recall@10 vs QPS"))

        // Third run: nothing to measure.
        let again = try TripbenchCLI.run(arguments)
        #expect(again.status == 0 && again.standardError.contains("rendering without measuring"), "\(again.standardError)")

        // The database has the index `load` built, not one of the sweep's.
        let connection = try PostgresConnection(url)
        #expect(try PostgresHNSWIndex.current(connection) == PostgresHNSWIndex(m: 16, efConstruction: 200))
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    @Test(arguments: [
        ("grid: {m: [16], efConstruction: [64], efSearch: [5]}", "efSearch 5 is below 10"),
        ("grid: {m: [16], efConstruction: [64], efSearch: []}", "efSearch is an empty list"),
        ("grid: {m: [1], efConstruction: [64], efSearch: [40]}", "m 1 is below 2"),
        ("grid: {m: [16, 32, 48], efConstruction: [200, 400], efSearch: [40, 100]}\ndataset: medium\nmaxDuration: 10m", "the sweep is estimated to take about"),
    ])
    func aBadOrTooLargeSweepExitsTwoBeforeMeasuring(grid: String, message: String) throws {
        let file = Self.temporary("bad-sweep").appendingPathExtension("yaml")
        try "name: bad\ntarget: index\n\(grid)\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try TripbenchCLI.run(["sweep", file.path, "--out", Self.temporary("bad-out").path])
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(message) && !run.standardError.contains("Fatal error"), "\(run.standardError)")
    }

    /// The issue's command on PostgreSQL, with short steps: a rate is found and the report shows the curve.
    @Test func capacityFindsARateOnPostgres() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let out = Self.temporary("capacity")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run([
                "capacity", "scenarios/vector-search.yaml", "--dataset", "tiny", "--slo", "p95<100ms", "--target", "postgres",
                "--database-url", url.raw, "--step", "2s", "--step-warmup", "500ms", "--start-rate", "100", "--precision", "25%",
                "--max-steps", "8", "--out", out.path, "--quiet",
            ])
        }
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("**✅ postgres sustains "), "\(run.standardOutput)")
        let data = try Data(contentsOf: out.appendingPathComponent("capacity.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let target = try #require((json["targets"] as? [[String: Any]])?.first)
        let outcome = try #require(target["outcome"] as? [String: Any])
        let rate = try #require(outcome["sustainable_rate"] as? Double)
        let steps = try #require(outcome["steps"] as? [[String: Any]])
        #expect(rate >= 100 && steps.count <= 8)
        // Every step at or below the rate found met the SLO.
        #expect(steps.filter { ($0["offered_rate"] as? Double ?? 0) <= rate }.allSatisfy { $0["passed"] as? Bool == true })
        // Each step says which plans its requests took (tiny's users are few: b-tree, bitmap or HNSW by user).
        let plans = steps.compactMap { ($0["plans"] as? [String: Any])?["vector_search"] as? [[String: Any]] }
        #expect(plans.count == steps.count && plans.allSatisfy { !$0.isEmpty }, "\(steps.map { $0["plans"] ?? "none" })")
        #expect(run.standardOutput.contains("| plans |"))
        let html = try String(contentsOf: out.appendingPathComponent("capacity.html"), encoding: .utf8)
        #expect(html.contains("postgres: latency vs offered rate") && (html.contains(">sustainable<") || html.contains(">sustainable = knee<")))
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    /// The scale study on tiny-sized steps: one database grown 500 → 1,000 → 2,000 embeddings, a capacity
    /// search and recall against the prefix's own ground truth at each, the sentence and the charts; run again,
    /// it renders from what was saved.
    @Test func scaleStudyGrowsOneDatabase() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let out = Self.temporary("scale")
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments = [
            "scale", "vector-search", "--dataset", "tiny", "--sizes", "500,1k,2000", "--database-url", url.raw, "--step", "2s",
            "--step-warmup", "500ms", "--start-rate", "50", "--precision", "25%", "--max-steps", "4", "--out", out.path, "--quiet",
            "--cache", "prewarm",
        ]
        let run = try await DedicatedThread.run { try TripbenchCLI.run(arguments) }
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("50 requests/s with all p95<100ms ") && run.standardOutput.contains("embeddings on this machine"), "\(run.standardOutput)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scale.json"))) as? [String: Any])
        let points = try #require(json["points"] as? [[String: Any]])
        #expect(points.compactMap { $0["rows"] as? Int } == [500, 1000, 2000])
        #expect(points.compactMap { $0["added_rows"] as? Int } == [500, 500, 1000])
        let indexBytes = points.compactMap { ($0["sizes"] as? [String: Any])?["hnsw_index_bytes"] as? Int }
        #expect(indexBytes.count == 3 && indexBytes[0] < indexBytes[1] && indexBytes[1] < indexBytes[2])
        // Prewarmed before each search: the whole index read into shared_buffers (one 8 kB page a row, about).
        let prewarmed = points.compactMap { ($0["cache"] as? [String: Any])?["prewarmed_index_blocks"] as? Int }
        #expect(prewarmed.count == 3 && zip(prewarmed, indexBytes).allSatisfy { $0 * 8192 == $1 }, "\(prewarmed)")
        // Recall measured against the rows present: a prefix's exact answer, not the full table's.
        let recalls = points.flatMap { point in
            ((point["targets"] as? [[String: Any]]) ?? []).flatMap { (($0["outcome"] as? [String: Any])?["steps"] as? [[String: Any]]) ?? [] }
        }.compactMap { $0["recall"] as? Double }
        #expect(!recalls.isEmpty && recalls.allSatisfy { $0 > 0.8 }, "\(recalls)")
        let truths = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix("truth-") }.sorted()
        #expect(truths.count == 2 && truths.allSatisfy { $0.hasSuffix("-500.ibin") || $0.hasSuffix("-1000.ibin") }, "\(truths)")
        let html = try String(contentsOf: out.appendingPathComponent("scale.html"), encoding: .utf8)
        #expect(html.contains("sustainable rate vs embeddings") && html.contains("data size vs embeddings") && html.contains(">shared_buffers<"))

        let again = try await DedicatedThread.run { try TripbenchCLI.run(arguments) }
        #expect(again.status == 0 && again.standardError.contains("all 3 sizes are saved"), "\(again.standardError)")
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    @Test(arguments: [
        (["--sizes", "1k,500"], "--sizes must grow from one size to the next"),
        (["--sizes", "1k,lots"], "--sizes: \"lots\" is not a count of rows"),
        (["--sizes", "500,5000"], "tiny-1 has 2,000 memory embeddings, the study asks for 5,000"),
        (["--index-growth", "sideways"], "--index-growth must be insert or rebuild"),
    ])
    func aBadScaleStudyExitsTwo(options: [String], message: String) throws {
        let run = try TripbenchCLI.run(["scale", "vector-search", "--target", "index", "--dataset", "tiny"] + options)
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(message), "\(run.standardError)")
    }

    @Test(arguments: [
        (["--slo", "p95 > 100ms"], "--slo must bound a latency percentile from above"),
        (["--slo", "fast"], "is not `metric < value`"),
        (["--max-error-rate", "a lot"], "--max-error-rate must be a percentage"),
        (["--operation", "vectr_search"], "--operation vectr_search: the scenario has vector_search, all"),
        (["--step", "1s"], "--step must be at least 2s"),
    ])
    func aBadObjectiveExitsTwo(options: [String], message: String) throws {
        let run = try TripbenchCLI.run(["capacity", "vector-search", "--target", "index", "--dataset", "tiny"] + options)
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(message), "\(run.standardError)")
    }

    /// pgvector's index variants and a 1 % share filter on tiny: halfvec's index is about half of vector's, bit's
    /// recall rises with its re-rank factor, and with iterative scan off HNSW's recall at 1 % is far below the
    /// exact path's, which the report says; the database keeps its own index and nothing the sweep built. The
    /// in-process index builds vector and halfvec (half precision: about half the bytes) and predicts both.
    @Test func variantsAndSharesAnswerThePlannersQuestions() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let work = Self.temporary("variants")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("variants.yaml")
        try """
            name: unit-variants
            dataset: tiny
            target: both
            variants: [vector, halfvec, bit, ivfflat]
            grid: {m: [16], efConstruction: [64], efSearch: [40], rerank: [1, 4], lists: [20], probes: [2]}
            queries: 60
            clients: 2
            filtered: false
            shares: [0.01]
            iterativeScan: [off, relaxed_order]
            recallFloor: 0.5
            latencyTarget: p95 < 1s
            """.write(to: file, atomically: true, encoding: .utf8)
        let load = try TripbenchCLI.run(["load", "--dataset", "tiny", "--database-url", url.raw])
        #expect(load.status == 0, "\(load.standardError)")
        let out = work.appendingPathComponent("out")
        let sweep = try await DedicatedThread.run { try TripbenchCLI.run(["sweep", file.path, "--database-url", url.raw, "--out", out.path]) }
        #expect(sweep.status == 0, "\(sweep.standardError)")
        let data = try Data(contentsOf: out.appendingPathComponent("sweep.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let builds = try #require(json["builds"] as? [[String: Any]])
        func bytes(_ variant: String, target: String = "postgres") -> Double {
            let build = builds.first { ($0["build"] as? [String: Any])?["variant"] as? String == variant && $0["target"] as? String == target }
            return (build?["index_bytes"] as? Double) ?? .nan
        }
        let halfShare = bytes("halfvec") / bytes("vector")
        #expect(halfShare >= 0.45 && halfShare <= 0.55, "halfvec / vector index bytes: \(halfShare)")
        let inProcessShare = bytes("halfvec", target: "index") / bytes("vector", target: "index")
        #expect(inProcessShare >= 0.45 && inProcessShare <= 0.6, "in-process halfvec / vector bytes: \(inProcessShare)")
        #expect(builds.filter { $0["target"] as? String == "index" }.count == 2)
        #expect(sweep.standardOutput.contains("| halfvec / float16 |"))
        #expect(sweep.standardOutput.contains("Not predicted: HNSW bit + re-rank, IVFFlat."))
        let points = try #require(json["points"] as? [[String: Any]])
        func recall(rerank: Int) -> Double {
            let point = points.first { ($0["build"] as? [String: Any])?["variant"] as? String == "bit" && $0["rerank"] as? Int == rerank }
            return (point?["recall"] as? Double) ?? .nan
        }
        #expect(recall(rerank: 4) > recall(rerank: 1), "bit + re-rank: ×1 \(recall(rerank: 1)), ×4 \(recall(rerank: 4))")
        let vector = try #require(points.first { ($0["build"] as? [String: Any])?["variant"] as? String == "vector" && $0["target"] as? String == "postgres" })
        let filters = try #require(vector["filters"] as? [[String: Any]])
        let hnswOff = try #require(filters.first { $0["iterative_scan"] as? String == "off" && $0["plan"] as? String == "hnsw" })
        let exact = try #require((json["exact_paths"] as? [[String: Any]])?.first)
        let hnswRecall = try #require(hnswOff["recall"] as? Double), exactRecall = try #require(exact["recall"] as? Double)
        #expect(exactRecall > 0.99 && hnswRecall < exactRecall - 0.3, "1 %: HNSW \(hnswRecall), exact \(exactRecall)")
        #expect(sweep.standardOutput.contains("At 1 % of the rows with iterative scan off, HNSW returns") && sweep.standardOutput.contains("the index is far below the exact answer here"))
        #expect(sweep.standardOutput.contains("## Index variants") && sweep.standardOutput.contains("## Filter selectivity"))
        // Nothing the sweep built stays; the database has the index `load` built.
        let connection = try PostgresConnection(url)
        #expect(try PostgresHNSWIndex.current(connection) == PostgresHNSWIndex(m: 16, efConstruction: 200))
        let left = try connection.query("SELECT count(*) FROM pg_class WHERE relname IN ('tripbench_sweep_index', 'tripbench_memory_share')").decode(Int64.self, row: 0, column: 0)
        #expect(left == 0)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    static func savedPoints(_ file: URL) -> Int { (try? self.points(file).count) ?? 0 }

    /// The saved points by "target m efc ef", as JSON text (so a re-measured point shows as changed).
    static func points(_ file: URL) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file.path),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any], let points = json["points"] as? [[String: Any]]
        else { return [:] }
        var byKey: [String: String] = [:]
        for point in points {
            let build = point["build"] as? [String: Any] ?? [:]
            let key = "\(point["target"] ?? "") \(build["m"] ?? "") \(build["ef_construction"] ?? "") \(point["ef_search"] ?? "")"
            byKey[key] = String(decoding: try JSONSerialization.data(withJSONObject: point, options: .sortedKeys), as: UTF8.self)
        }
        return byKey
    }
}

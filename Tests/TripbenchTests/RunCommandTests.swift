import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// `tripbench run` as a user meets it: the CI smoke scenario end to end, and bad scenarios refused up front.
@Suite struct RunCommandTests {
    @Test func ciSmokeOnBothTargetsWritesEveryReportField() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run([
                "run", "ci-smoke", "--dataset", "tiny", "--database-url", url.raw, "--out", out.path, "--quiet",
                "--warmup", "0s", "--duration", "1s",
            ])
        }
        #expect(run.status == 0, "\(run.standardError)")
        // The Markdown report, printed: a table per target, thresholds, health; and the four files.
        #expect(run.standardOutput.contains("## PostgreSQL\n") && run.standardOutput.contains("## In-process HNSW index\n"))
        #expect(run.standardOutput.contains("| vector_search | ") && run.standardOutput.contains("not served"))
        #expect(run.standardOutput.contains("- ✅ `postgres` `vector_search: p95 < 100ms`: p95 = "))
        #expect(run.standardOutput.contains("## Database health (PostgreSQL)"))
        for file in ["report.json", "report.md", "report.html", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let junit = try String(contentsOf: out.appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains("<testcase classname=\"tripbench.ci-smoke.postgres\" name=\"vector_search: p95 &lt; 100ms\""))
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["schema_version", "scenario", "target", "environment", "operations", "totals", "timeseries", "histograms", "partial"] {
            #expect(report[key] != nil, "\(key)")
        }
        let environment = try #require(report["environment"] as? [String: Any])
        for key in ["cpu_model", "cores", "memory_bytes", "os", "server_version", "server_settings", "dataset", "dataset_checksum",
                    "tripbench_version", "git_commit", "start_time", "end_time"] {
            #expect(environment[key] != nil, "environment.\(key)")
        }
        let operations = try #require(report["operations"] as? [[String: Any]])
        #expect(Set(operations.compactMap { $0["target"] as? String }) == ["postgres", "index"])
        let search = try #require(operations.first { $0["target"] as? String == "postgres" && $0["operation"] as? String == "vector_search" })
        for key in ["count", "errors", "qps", "latency_us", "recall"] { #expect(search[key] != nil, "operations[].\(key)") }
        let latency = try #require(search["latency_us"] as? [String: Any])
        for key in ["p50", "p90", "p95", "p99", "p999", "max", "mean"] { #expect(latency[key] != nil, "latency_us.\(key)") }
        // Database health from the server itself: the plans say how memory_embeddings was read.
        let health = try #require(report["health"] as? [String: Any])
        #expect(health["cache_hit_ratio"] is Double && health["index_scan_ratio"] is Double, "\(health["missing"] ?? "")")
        let plans = try #require(health["plans"] as? [[String: Any]])
        #expect(plans.first { $0["operation"] as? String == "vector_search_all" }?["vector_access"] as? String == "hnsw")
        #expect((health["top_statements"] as? [[String: Any]])?.isEmpty == false)
        // The sizes of what was searched, and how much of the HNSW index sat in shared_buffers (pg_buffercache,
        // created by the schema's migration 0006 where the server has it).
        let sizes = try #require(health["sizes"] as? [String: Any], "\(health["missing"] ?? "")")
        #expect((sizes["hnsw_index_bytes"] as? Int ?? 0) > 0 && (sizes["embeddings_toast_bytes"] as? Int ?? 0) > 0)
        #expect((sizes["shared_buffers_bytes"] as? Int) == 256 << 20)  // the test server's (TestServer)
        let resident = try #require(sizes["hnsw_in_shared_buffers_at_end"] as? Double, "\(health["missing"] ?? "")")
        #expect(resident > 0 && resident <= 1)
        let totals = try #require(report["totals"] as? [[String: Any]])
        #expect(totals.allSatisfy { $0["count"] != nil && $0["errors"] != nil && $0["qps"] != nil })
        // No password anywhere, and the server named.
        #expect(!String(decoding: data, as: UTF8.self).contains("password"))
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    /// `--cache cold` on a local server of its own (it is restarted): the server's files leave the page cache
    /// before the run, the run then reads them back, and the report says so. Warm is the default and says so.
    @Test func aColdRunRestartsTheLocalServerAndEvictsItsFiles() async throws {
        let state = URL(fileURLWithPath: "/tmp/tripbench-cold-\(UUID().uuidString.prefix(8))")
        let environment = ["TRIPBENCH_STATE_DIR": state.path]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cold-\(UUID().uuidString)")
        defer {
            _ = try? TripbenchCLI.run(["db", "destroy"], environment: environment)
            try? FileManager.default.removeItem(at: out)
        }
        let up = try TripbenchCLI.run(["db", "up", "--port", "55444"], environment: environment)
        #expect(up.status == 0, "\(up.standardError)")
        func run(_ cache: String, _ directory: String) async throws -> [String: Any] {
            let arguments = ["run", "vector-search", "--dataset", "tiny", "--target", "postgres", "--cache", cache, "--warmup", "0s",
                             "--duration", "1s", "--rate", "50", "--quiet", "--out", out.appendingPathComponent(directory).path]
            let run = try await DedicatedThread.run { try TripbenchCLI.run(arguments, environment: environment) }
            // 1: the scenario's thresholds (460 requests/s) are not met at 50/s; the run itself ran.
            #expect(run.status == 0 || run.status == 1, "\(run.standardError)")
            let data = try Data(contentsOf: out.appendingPathComponent(directory).appendingPathComponent("report.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let warm = try await run("warm", "warm")
        #expect((warm["cache"] as? [String: Any])?["mode"] as? String == "warm")
        let cold = try await run("cold", "cold")
        let cache = try #require(cold["cache"] as? [String: Any])
        #expect(cache["mode"] as? String == "cold")
        let before = try #require(cache["resident_before"] as? Double), after = try #require(cache["resident_after"] as? Double)
        #expect(before > 0.2 && after < before / 2, "resident before \(before), after \(after)")
        #expect((cache["data_bytes"] as? Int ?? 0) > 10_000_000)
        let totals = try #require((cold["totals"] as? [[String: Any]])?.first)
        #expect((totals["count"] as? Int ?? 0) > 0)
        let markdown = try String(contentsOf: out.appendingPathComponent("cold/report.md"), encoding: .utf8)
        #expect(markdown.contains("| caches | cold: the local server was restarted"))
    }

    /// `--cache prewarm`: pg_prewarm reads the whole (small) index into shared_buffers before the run.
    @Test func aPrewarmedRunStartsWithTheIndexInSharedBuffers() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("prewarm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run([
                "run", "vector-search", "--dataset", "tiny", "--target", "postgres", "--cache", "prewarm", "--warmup", "0s",
                "--duration", "1s", "--rate", "50", "--quiet", "--database-url", url.raw, "--out", out.path,
            ])
        }
        #expect(run.status == 0 || run.status == 1, "\(run.standardError)")
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cache = try #require(report["cache"] as? [String: Any])
        #expect(cache["mode"] as? String == "prewarm" && (cache["prewarmed_table_blocks"] as? Int ?? 0) > 0)
        let sizes = try #require((report["health"] as? [String: Any])?["sizes"] as? [String: Any])
        #expect((cache["prewarmed_index_blocks"] as? Int ?? 0) * 8192 == sizes["hnsw_index_bytes"] as? Int)
        #expect((cache["shared_buffers_blocks"] as? Int ?? 0) * 8192 == sizes["shared_buffers_bytes"] as? Int, "\(cache)")
        #expect((sizes["hnsw_in_shared_buffers_at_start"] as? Double ?? 0) > 0.99, "\(sizes)")
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    @Test(arguments: [
        (["--database-url", "postgresql://u:secret@127.0.0.1:1/db"], "only tripbench's local server can be restarted"),
        (["--target", "index"], "--cache cold applies to the postgres target"),
    ])
    func aColdRunNeedsTheLocalServer(options: [String], words: String) throws {
        let run = try TripbenchCLI.run(["run", "vector-search", "--dataset", "tiny", "--cache", "cold"] + options)
        #expect(run.status == 2 && run.standardError.contains(words) && !run.standardError.contains("secret"), "\(run.standardError)")
    }

    @Test(arguments: [
        ("executor: {type: constant-vus, clients: 2, rate: 10}", "rate does not apply to constant-vus"),
        ("executor: {type: constant-vus, clients: 2}\nduratoin: 5s", "unknown key duratoin (did you mean duration?)"),
        ("executor: {type: constant-vus, clients: 2}\ndataset: nowhere", "no dataset nowhere"),
        ("executor: {type: constant-vus, clients: 2}\nname: ../../x", "name must be 1 to 100 letters"),
        ("executor: {type: constant-vus, clients: 2}\nname: \(String(repeating: "n", count: 300))", "name must be 1 to 100 letters"),
    ])
    func badScenarioExitsTwoWithItsPosition(body: String, words: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        let name = body.contains("\nname:") ? "" : "name: bad\n"
        try "\(name)\(body)\noperations:\n  - {name: vector_search, weight: 1}\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try TripbenchCLI.run(["run", file.path, "--target", "index"])
        #expect(run.status == 2)
        #expect(run.standardError.hasPrefix("tripbench: error: \(file.path):"), "\(run.standardError)")
        #expect(run.standardError.contains(words), "\(run.standardError)")
        #expect(run.standardError.split(separator: "\n").count == 1)
    }

    /// A custom operation whose SQL the server refuses: bad input, naming the scenario file and the operation.
    @Test func aServerSyntaxErrorNamesTheScenarioAndTheOperation() async throws {
        let loaded = try await TinyDataset.loaded()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("syntax-\(UUID().uuidString.prefix(8)).yaml")
        try "name: syntax\ndataset: tiny\nexecutor: {type: constant-vus, clients: 1}\nduration: 1s\noperations:\n  - {name: broken, sql: SELEC 1}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("syntax-out-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run(["run", file.path, "--database-url", loaded.database.raw, "--out", out.path, "--quiet"])
        }
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(file.path) && run.standardError.contains("operation broken:") && run.standardError.contains("SELEC"),
                "\(run.standardError)")
        #expect(run.standardError.split(separator: "\n").filter { $0.hasPrefix("tripbench: error:") }.count == 1, "\(run.standardError)")
    }

    /// An output directory that cannot hold the reports is refused before anything is measured.
    @Test(arguments: [
        ("/etc/hostname", "is an existing file"), ("/proc/tripbench-out", "cannot create the report directory"),
        ("/tmp/" + String(repeating: "x", count: 300), "more than a file name may have"),
    ])
    func anUnwritableOutputIsRefusedBeforeMeasuring(out: String, message: String) throws {
        let started = ContinuousClock.now
        let run = try TripbenchCLI.run(["run", "ci-smoke", "--target", "index", "--out", out, "--quiet"])
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(message), "\(run.standardError)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// A report directory on a file system too small for the report (8 KB of tmpfs): the directory passes the
    /// checks before measuring, the write at the end fails, and the report goes to a printed temporary
    /// directory with the run's verdict standing.
    @Test(.enabled(if: geteuid() == 0, "mounting a small tmpfs needs root"))
    func aReportThatCannotBeWrittenAtTheEndIsNotLost() async throws {
        let small = FileManager.default.temporaryDirectory.appendingPathComponent("small-out-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = try CommandRunner().run("/bin/mount", ["-t", "tmpfs", "-o", "size=8k", "tmpfs", small.path])
        #expect(mount.succeeded, "\(mount.text)")
        defer {
            _ = try? CommandRunner().run("/bin/umount", [small.path])
            try? FileManager.default.removeItem(at: small)
        }
        let out = small.appendingPathComponent("run")
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run(["run", "ci-smoke", "--target", "index", "--warmup", "0s", "--duration", "1s", "--out", out.path, "--quiet"])
        }
        #expect(run.status == 0, "\(run.standardError)")
        let line = try #require(run.standardError.split(separator: "\n").first { $0.contains("the report is in ") }, "\(run.standardError)")
        let fallback = String(line[line.range(of: "the report is in ")!.upperBound...]).replacingOccurrences(of: " instead", with: "")
        defer { try? FileManager.default.removeItem(atPath: fallback) }
        for file in ["report.json", "report.md", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: fallback + "/" + file), "\(file) in \(fallback)")
        }
    }

    @Test func unknownOperationAndBadWeightAreRefusedBeforeAnythingRuns() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try "name: bad\nexecutor: {type: closed, clients: 1}\noperations:\n  - {name: vectr_search}\n  - {name: chat_history, weight: 0}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try TripbenchCLI.run(["run", file.path])
        #expect(run.status == 2)
        #expect(run.standardError.contains("\(file.path):4:") && run.standardError.contains("did you mean vector_search?"), "\(run.standardError)")
        #expect(run.standardError.contains("\(file.path):5:") && run.standardError.contains("weight must be above zero"), "\(run.standardError)")
    }
}

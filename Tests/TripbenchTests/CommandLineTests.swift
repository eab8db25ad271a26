import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// The `tripbench` binary as users and CI meet it: help, exit codes, one-line errors, no passwords.
@Suite struct CommandLineTests {
    @Test(arguments: [
        ["--help"], ["db", "--help"], ["db", "up", "--help"], ["db", "down", "--help"], ["db", "status", "--help"],
        ["db", "url", "--help"], ["db", "migrate", "--help"], ["db", "index-hnsw", "--help"], ["db", "destroy", "--help"],
    ])
    func helpIsClear(arguments: [String]) throws {
        let output = try TripbenchCLI.run(arguments)
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("USAGE: tripbench"))
        #expect(output.standardOutput.contains("OVERVIEW:"))
        #expect(output.standardError.isEmpty)
    }

    @Test func topLevelHelpStatesTheExitCodes() throws {
        let help = try TripbenchCLI.run(["--help"]).standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("0 success; 1 a threshold failed; 2 bad input or configuration; 3 runtime failure"))
    }

    @Test func versionNamesLibpqAndJemalloc() throws {
        let output = try TripbenchCLI.run(["--version"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("libpq"))
        #expect(output.standardOutput.contains("jemalloc 5."))
        let ldd = try TripbenchCLI.ldd()
        #expect(ldd.contains("libjemalloc.so"))
    }

    @Test(arguments: [["db", "frobnicate"], ["db", "up", "--port", "0"], ["db", "index-hnsw", "--metric", "hamming"], ["--nope"]])
    func badUsageExitsTwoWithOneLine(arguments: [String]) throws {
        let output = try TripbenchCLI.run(arguments)
        #expect(output.status == 2)
        #expect(output.standardError.hasPrefix("tripbench: error:"))
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    @Test(arguments: ["status", "migrate"])
    func unreachableServerFailsInOneLineWithoutThePassword(command: String) throws {
        let url = "postgresql://alice:TopSecret-31337@127.0.0.1:1/tripsage?connect_timeout=3"
        for output in [
            try TripbenchCLI.run(["db", command, "--database-url", url]),
            try TripbenchCLI.run(["db", command], environment: ["DATABASE_URL": url]),
        ] {
            #expect(output.status == 3)
            #expect(output.standardError.split(separator: "\n").count == 1)
            #expect(output.standardError.contains("127.0.0.1"))
            #expect(!(output.standardOutput + output.standardError).contains("TopSecret"))
            #expect(!output.standardError.contains("Fatal error") && !output.standardError.contains("Stack"))
        }
    }

    @Test func malformedURLIsBadInput() throws {
        let output = try TripbenchCLI.run(["db", "status", "--database-url", "postgresql://alice:TopSecret-31337@[oops"])
        #expect(output.status == 2)
        #expect(!output.standardError.contains("TopSecret"))
    }

    /// Malformed URLs and key/value strings of every kind: the password never shows, whole or in part, even
    /// where libpq quotes the token it refused.
    @Test(arguments: [
        "postgresql://u:S3cr3tPW%ZZ@host/db", "postgresql://u:%ZZS3cr3tPW@host/db", "postgresql://u:S3c%ZZr3tPW@host/db",
        "postgresql://u:S3cr3tPW@[oops", "postgresql://u:S3cr3tPW@host/db%ZZ", "postgresql://u:S3cr3tPW@h/d?nope=1",
        "postgresql://h/d?password=S3cr3tPW%ZZ", "postgresql://h/d?password=%ZZS3cr3tPW&sslmode=require",
        "postgres://u:S3cr3tPW@h:notaport/d", "host=x password='S3cr3tPW", "host=x password=S3cr3tPW nope=1",
        "host=x password = 'S3cr3t PW' nope", "postgresql://u:S3cr3tPW@h/d?password=S3cr3tPW%", "postgresql://u:S3cr%3tPW@h/d",
    ])
    func malformedConnectionStringsNeverShowThePassword(url: String) throws {
        let output = try TripbenchCLI.run(["db", "status", "--database-url", url])
        #expect(output.status == 2 || output.status == 3, "\(output.standardError)")
        let printed = output.standardOutput + output.standardError
        for piece in ["S3cr3t", "3cr3tPW", "cr%3t", "c%ZZr3"] { #expect(!printed.contains(piece), "\(printed)") }
        #expect(output.standardError.split(separator: "\n").count == 1, "\(output.standardError)")
    }

    /// Numbers that would overflow the executors' arithmetic, or stall them, are refused before anything
    /// runs, as are vector files whose header promises more than any file holds.
    @Test func outOfRangeNumbersAreBadInput() throws {
        let header = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString.prefix(8)).fbin")
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]).write(to: header)
        defer { try? FileManager.default.removeItem(at: header) }
        let cases: [([String], String)] = [
            (["run", "ci-smoke", "--duration", "1e12"], "--duration must be a duration such as"),
            (["run", "ci-smoke", "--duration", "9999999999h"], "at most 365 days"),
            (["run", "ci-smoke", "--rate", "1e11"], "--rate must be between"),
            (["run", "ci-smoke", "--clients", "100000000"], "--clients must be between"),
            (["run", "ci-smoke", "--seed", "-1"], "--seed"),
            (["generate", "--dataset", "tiny", "--scale", "1e9"], "at most 100,000,000 are supported"),
            (["ground-truth", header.path, header.path, "--output", header.path + ".gt"], "the header says 4294967295 × 4294967295"),
            (["index", "bench", "--base", header.path, "--queries", header.path, "--gt", header.path], "the header says 4294967295"),
            (["generate", "--dataset", "tiny", "--vectors", header.path], "the header says 4294967295"),
            (["index", "bench", "--dataset", "tiny", "--threads", "100000"], "--threads must be between 1 and 1024"),
            // 20 million users' embeddings: about 2.6 TB, more than this disk has free.
            (["generate", "--dataset", "tiny", "--scale", "100000"], "on disk and"),
        ]
        for (arguments, message) in cases {
            let output = try TripbenchCLI.run(arguments)
            #expect(output.status == 2, "\(arguments): \(output.standardError)")
            #expect(output.standardError.contains(message), "\(arguments): \(output.standardError)")
            #expect(output.standardError.split(separator: "\n").count == 1, "\(arguments): \(output.standardError)")
        }
    }

    /// Random bytes where a scenario, a vector file or a report belongs: the binary exits 2 with one line,
    /// as the parsers' fuzz tests (ScenarioFuzzTests, VectorFilesFuzzTests, ReportFileFuzzTests) show in depth.
    @Test func randomFilesAreBadInputForTheBinary() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("random-input-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var state: UInt64 = 0x5EED
        for round in 0..<8 {
            let bytes = Data((0..<(64 + round * 97)).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33)
            })
            let base = directory.appendingPathComponent("round\(round)")
            for name in ["s.yaml", "v.fbin", "q.fbin", "report.json"] { try bytes.write(to: base.appendingPathExtension(name)) }
            for arguments in [
                ["run", base.appendingPathExtension("s.yaml").path, "--target", "index"],
                ["ground-truth", base.appendingPathExtension("v.fbin").path, base.appendingPathExtension("q.fbin").path, "--output", base.path + ".gt"],
                ["report", base.appendingPathExtension("report.json").path],
                ["gate", base.appendingPathExtension("report.json").path, "--threshold", "all:qps>1"],
            ] {
                let output = try TripbenchCLI.run(arguments)
                #expect(output.status == 2, "\(arguments): \(output.standardError)")
                #expect(output.standardError.hasPrefix("tripbench: error:") && output.standardError.split(separator: "\n").count == 1,
                        "\(arguments): \(output.standardError)")
            }
        }
    }

    /// A dataset wider than pgvector's HNSW limit is refused before a row is loaded.
    @Test func vectorsWiderThanPgvectorsIndexAreRefusedBeforeLoading() async throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("wide-\(UUID().uuidString.prefix(8)).yaml")
        let tiny = try String(contentsOf: ProjectLocator.projectRoot().appendingPathComponent("datasets/tiny.yaml"), encoding: .utf8)
        let name = spec.deletingPathExtension().lastPathComponent
        try tiny.replacingOccurrences(of: "name: tiny", with: "name: \(name)")
            .replacingOccurrences(of: "dimension: 1536", with: "dimension: 2001").replacingOccurrences(of: "users: 200", with: "users: 20")
            .write(to: spec, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(at: spec)
            try? FileManager.default.removeItem(at: ProjectLocator.projectRoot().appendingPathComponent("datasets/.cache/\(name)-1"))
        }
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database)
        let output = try TripbenchCLI.run(["load", "--dataset", spec.path, "--database-url", url.raw])
        #expect(output.status == 2, "\(output.standardError)")
        #expect(output.standardError.contains("2001-dimensional vectors cannot have pgvector's HNSW index"), "\(output.standardError)")
        let tables = try await PostgresConnection.withConnection(url) {
            try $0.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").decode(Int.self, row: 0, column: 0)
        }
        #expect(tables == 0)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    @Test func unknownDatabaseIsBadInput() async throws {
        let url = try await TestServer.connectionString(database: "no_such_database").raw
        let output = try TripbenchCLI.run(["db", "migrate", "--database-url", url])
        #expect(output.status == 2)
        #expect(output.standardError.contains("does not exist"))
    }

    @Test func migrateWithoutAServerSaysHowToStartOne() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-none-\(UUID().uuidString)")
        let output = try TripbenchCLI.run(["db", "migrate"], environment: ["TRIPBENCH_STATE_DIR": state.path])
        #expect(output.status == 3)
        #expect(output.standardError.contains("tripbench db up"))
    }

    @Test func migrateAgainstAnExistingServer() async throws {
        let database = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: database).raw
        let first = try TripbenchCLI.run(["db", "migrate", "--database-url", url])
        #expect(first.status == 0)
        #expect(first.standardError.contains("applied migrations 0001"))
        let second = try TripbenchCLI.run(["db", "migrate"], environment: ["DATABASE_URL": url])
        #expect(second.status == 0 && second.standardError.contains("up to date"))
        let status = try TripbenchCLI.run(["db", "migrate", "--status", "--database-url", url])
        #expect(status.standardOutput.contains("embedding: vector(1536)"))
        #expect(status.standardOutput.contains("users                rows not counted yet   row-level security on"))
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }
}


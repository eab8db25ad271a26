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


import Datasets
import Foundation
import Logging
import Postgres
import Results
import TestSupport
import Testing
@testable import Workload

/// Operations with their own rate beside the mix: inserts of the dataset's next rows, deletes of the oldest,
/// metadata updates, on both targets, in a database of their own that holds three quarters of tiny.
@Suite(.serialized) struct WriteStreamTests {
    static let yaml = """
        name: writes
        executor: {type: constant-arrival-rate, rate: 100, clients: 2}
        warmup: 500ms
        duration: 2s
        recallSample: 0
        operations:
          - {name: vector_search, weight: 1}
          - {name: insert_memory, rate: 40}
          - {name: delete_memory, rate: 20, clients: 1}
          - {name: update_memory, rate: 10, clients: 1}
        """

    /// A database holding the first `rows` memories of tiny (and everything else), and its catalog.
    static func database(rows: Int) async throws -> (name: String, url: PostgresConnectionString, catalog: DatasetCatalog) {
        let (directory, manifest) = try await TinyDataset.generated()
        let name = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: name)
        var loader = DatasetLoader(directory: directory, manifest: manifest, target: url)
        loader.embeddingRows = rows
        let chosen = loader
        _ = try await DedicatedThread.run { try chosen.load(logger: Logger(label: "test")) { _ in } }
        let catalog = try DatasetCatalog(directory: directory, manifest: manifest, embeddingRows: rows, groundTruth: try manifest.prefixGroundTruth(in: directory, rows: rows, threads: 2))
        return (name, url, catalog)
    }

    /// A run of `seconds` without warm-up: profile lookups at 20/s beside the write stream `stream`.
    static func run(lookupsBeside stream: String, seconds: Int, _ url: PostgresConnectionString, _ catalog: DatasetCatalog) async throws -> RunReport {
        let yaml = """
            name: stream
            executor: {type: constant-arrival-rate, rate: 20, clients: 1}
            warmup: 0s
            duration: \(seconds)s
            recallSample: 0
            operations:
              - {name: preference_lookup, weight: 1}
              - \(stream)
            """
        let runner = WorkloadRunner(scenario: try Scenario.parse(yaml, file: "stream.yaml"), scenarioFile: "stream.yaml", catalog: catalog, database: url, stopSignal: StopSignal())
        return try await DedicatedThread.run { try runner.run(logger: Logger(label: "tests")) }
    }

    static func ids(_ url: PostgresConnectionString) async throws -> Set<UUID> {
        try await PostgresConnection.withConnection(url) { (connection) throws -> Set<UUID> in
            let result = try connection.query("SELECT id FROM memory_embeddings")
            return Set(try (0..<result.rowCount).map { try result.decode(UUID.self, row: $0, column: 0) })
        }
    }

    @Test func writesRunBesideTheMixAndTheTableIsPutBack() async throws {
        let (directory, manifest) = try await TinyDataset.generated()
        let all = try #require(manifest.counts["memory_embeddings"])
        let rows = all * 3 / 4
        let (name, url, catalog) = try await Self.database(rows: rows)
        let before = try await Self.ids(url)
        #expect(before.count == rows)
        var scenario = try Scenario.parse(Self.yaml, file: "writes.yaml")
        scenario.target = .both
        #expect(scenario.index.growing)
        let runner = WorkloadRunner(scenario: scenario, scenarioFile: "writes.yaml", catalog: catalog, database: url, stopSignal: StopSignal())
        let report = try await DedicatedThread.run { try runner.run(logger: Logger(label: "tests")) }
        func operation(_ name: String, _ target: String = "postgres") throws -> OperationReport {
            try #require(report.operations.first { $0.operation == name && $0.target == target })
        }
        // 2 s measured at 40, 20 and 10 a second, each on its own stream.
        for (name, rate) in [("insert_memory", 40.0), ("delete_memory", 20), ("update_memory", 10)] {
            let writes = try operation(name)
            #expect(writes.errors == 0, "\(name): \(writes.errorsByKind)")
            #expect(abs(Double(writes.count) - 2 * rate) <= rate * 0.3 + 2, "\(name): \(writes.count)")
            #expect(writes.latencyUs.p50 > 0)
        }
        #expect(try operation("vector_search").count > 150)
        // The in-process index inserts and deletes as well; it has no metadata to update.
        #expect(try operation("insert_memory", "index").count > 60 && operation("delete_memory", "index").count > 30)
        #expect(try operation("update_memory", "index").count == 0)
        // Put back: the same rows as loaded, and no metadata change left.
        #expect(try await Self.ids(url) == before)
        let updated = try await PostgresConnection.withConnection(url) { (connection) throws -> Int64 in
            try connection.query("SELECT count(*) FROM memory_embeddings WHERE metadata ? 'tripbench_update'").decode(Int64.self, row: 0, column: 0)
        }
        #expect(updated == 0)
        _ = directory
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    /// Without putting back (a runbook's stage): exactly the dataset's next rows came in and its oldest left,
    /// byte for byte as the load would have written them.
    @Test func insertsAreTheDatasetsNextRowsAndDeletesItsOldest() async throws {
        let (_, manifest) = try await TinyDataset.generated()
        let rows = try #require(manifest.counts["memory_embeddings"]) / 2
        let (name, url, catalog) = try await Self.database(rows: rows)
        var scenario = try Scenario.parse(Self.yaml.replacingOccurrences(of: "  - {name: update_memory, rate: 10, clients: 1}\n", with: ""), file: "writes.yaml")
        scenario.operations[1].count = 30
        scenario.operations[2].count = 12
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: "writes.yaml", catalog: catalog, database: url, stopSignal: StopSignal())
        runner.restoresMemories = false
        let chosen = runner
        let report = try await DedicatedThread.run { try chosen.run(logger: Logger(label: "tests")) }
        #expect(report.operations.filter { $0.operation != "vector_search" }.allSatisfy { $0.errors == 0 })
        let expected = Set((12..<(rows + 30)).map { DatasetIDs.uuid(seed: manifest.spec.seed, table: .memoryEmbeddings, index: $0) })
        #expect(try await Self.ids(url) == expected)
        // An inserted row is the loaded row: its text and embedding match a row loaded by COPY elsewhere.
        let (reference, _) = try await (TinyDataset.loaded().database, 0)
        let id = DatasetIDs.uuid(seed: manifest.spec.seed, table: .memoryEmbeddings, index: rows + 7)
        func row(_ url: PostgresConnectionString) async throws -> String {
            try await PostgresConnection.withConnection(url) { (connection) throws -> String in
                try connection.query("SELECT md5(ROW(user_id, content_type, content_text, embedding::text, metadata, session_id, created_at)::text) FROM memory_embeddings WHERE id = $1", [id]).decode(String.self, row: 0, column: 0)
            }
        }
        #expect(try await row(url) == row(reference))
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    /// Every measured insert followed (sample 1) is one request of time_to_searchable on each target, found,
    /// and timed from its commit: never less than the search that found it.
    @Test func everyFollowedInsertBecomesSearchable() async throws {
        let (_, manifest) = try await TinyDataset.generated()
        let rows = try #require(manifest.counts["memory_embeddings"]) / 2
        let (name, url, catalog) = try await Self.database(rows: rows)
        let yaml = Self.yaml
            .replacingOccurrences(of: "  - {name: update_memory, rate: 10, clients: 1}", with: "thresholds: {time_to_searchable: \"p95 < 5s\"}")
            .replacingOccurrences(of: "{name: insert_memory, rate: 40}", with: "{name: insert_memory, rate: 40, timeToSearchable: {sample: 1, poll: 5ms, timeout: 5s}}")
        var scenario = try Scenario.parse(yaml, file: "writes.yaml")
        scenario.target = .both
        let probe = try #require(scenario.operations.last)
        #expect(probe.name == "time_to_searchable" && probe.isProbe && probe.filter == .none)
        let runner = WorkloadRunner(scenario: scenario, scenarioFile: "writes.yaml", catalog: catalog, database: url, stopSignal: StopSignal())
        let report = try await DedicatedThread.run { try runner.run(logger: Logger(label: "tests")) }
        for target in ["postgres", "index"] {
            let inserts = try #require(report.operations.first { $0.operation == "insert_memory" && $0.target == target })
            let searchable = try #require(report.operations.first { $0.operation == "time_to_searchable" && $0.target == target })
            #expect(inserts.count > 60 && inserts.errors == 0, "\(target): \(inserts.count) inserts, \(inserts.errorsByKind)")
            #expect(searchable.count == inserts.count, "\(target): \(searchable.count) followed of \(inserts.count) inserted")
            #expect(searchable.errors == 0, "\(target): \(searchable.errorsByKind)")
            #expect((searchable.polls ?? 0) >= searchable.count)
            let service = try #require(searchable.serviceUs)
            #expect(searchable.latencyUs.p50 >= service.p50 && searchable.latencyUs.max >= service.max)
            // Rows followed are not requests of the mix.
            let mix = report.operations.filter { $0.target == target && $0.operation != "time_to_searchable" }.reduce(0) { $0 + $1.count }
            #expect(report.totals.first { $0.target == target }?.count == mix)
        }
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    /// update_trip changes trips' status during the run; afterwards every trip is as loaded, byte for byte.
    @Test func tripUpdatesArePutBack() async throws {
        let (_, manifest) = try await TinyDataset.generated()
        let (name, url, catalog) = try await Self.database(rows: try #require(manifest.counts["memory_embeddings"]))
        func trips() async throws -> String {
            try await PostgresConnection.withConnection(url) { (connection) throws -> String in
                try connection.query("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM trips t").decode(String.self, row: 0, column: 0)
            }
        }
        let before = try await trips()
        let report = try await Self.run(lookupsBeside: "{name: update_trip, rate: 100, clients: 2}", seconds: 2, url, catalog)
        let updates = try #require(report.operations.first { $0.operation == "update_trip" })
        #expect(updates.count >= 150 && updates.errors == 0, "\(updates.count), \(updates.errorsByKind)")
        #expect(try await trips() == before)
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    /// A write stream offered far more than one session can send: its backlog is its own, not the mix's.
    @Test func aWriteStreamsBacklogIsCountedAgainstIt() async throws {
        let (_, manifest) = try await TinyDataset.generated()
        let (name, url, catalog) = try await Self.database(rows: try #require(manifest.counts["memory_embeddings"]))
        let report = try await Self.run(lookupsBeside: "{name: insert_message, rate: 100000, clients: 1}", seconds: 1, url, catalog)
        let messages = try #require(report.operations.first { $0.operation == "insert_message" })
        let lookups = try #require(report.operations.first { $0.operation == "preference_lookup" })
        #expect((messages.unsent ?? 0) > 50_000 && messages.count > 0, "\(messages.count) sent, \(messages.unsent ?? -1) unsent")
        #expect(lookups.unsent == 0 && report.totals[0].unsent == messages.unsent)
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    @Test func writesThatCannotFitAreRefusedBeforeTheRun() async throws {
        let (_, manifest) = try await TinyDataset.generated()
        let all = try #require(manifest.counts["memory_embeddings"])
        let (name, url, catalog) = try await Self.database(rows: all - 10)
        let scenario = try Scenario.parse(Self.yaml, file: "writes.yaml")
        let runner = WorkloadRunner(scenario: scenario, scenarioFile: "writes.yaml", catalog: catalog, database: url, stopSignal: StopSignal())
        let error = await #expect(throws: WorkloadError.self) { try await DedicatedThread.run { try runner.run(logger: Logger(label: "tests")) } }
        #expect(error?.kind == .badInput)
        #expect(error?.message.contains("insert_memory may insert") == true && error?.message.contains("and the dataset holds 10 more") == true, "\(error?.message ?? "")")
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }
}

@testable import Datasets
import Foundation
import Logging
import Postgres
import TestSupport
import Testing

/// A generated dataset loaded into the real server.
@Suite struct DatasetLoaderTests {
    /// The unit dataset, freshly generated, an empty database of its own on the test server, and a loader
    /// between them that builds a small HNSW index (m 8, ef_construction 40). The caller removes the directory
    /// and drops the database.
    static func freshLoad() async throws -> (directory: URL, manifest: DatasetManifest, database: String, loader: DatasetLoader) {
        let (directory, manifest) = try DatasetGeneratorTests.generate(try DatasetGeneratorTests.spec())
        let database = try await TestServer.createDatabase(migrated: false)
        var loader = DatasetLoader(directory: directory, manifest: manifest, target: try await TestServer.connectionString(database: database))
        loader.index = PostgresHNSWIndex(m: 8, efConstruction: 40)
        return (directory, manifest, database, loader)
    }

    @Test func loadLeavesTheManifestsRowsAndTheAskedIndex() async throws {
        let (directory, manifest, database, fresh) = try await DatasetLoaderTests.freshLoad()
        var loader = fresh
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = loader.target
        // Every table above 16 kB in parts on three connections (in a real load, only the embeddings' file).
        loader.copyConnections = 3
        loader.splitBytes = 16 << 10
        let configured = loader
        let report = try await DedicatedThread.run { try configured.load(logger: Logger(label: "test")) { _ in } }
        #expect(!report.skipped)
        #expect(report.hnsw?.m == 8 && report.hnsw?.efConstruction == 40 && (report.hnsw?.indexBytes ?? 0) > 0)
        #expect(report.steps.contains { $0.name == "copy memory_embeddings" && $0.rows == manifest.counts["memory_embeddings"] })

        try await PostgresConnection.withConnection(target) { (connection) throws in
            for table in TripSageSchema.tables {
                let rows = try connection.query("SELECT count(*) FROM \(table)").decode(Int.self, row: 0, column: 0)
                #expect(rows == manifest.counts[table], "\(table)")
            }
            #expect(try PostgresHNSWIndex.current(connection) == PostgresHNSWIndex(m: 8, efConstruction: 40))
            // The generator's invariants, checked by the server.
            let checks = [
                "SELECT bool_and(end_date >= start_date) FROM trips",
                "SELECT bool_and(arrival_time > departure_time) FROM flights",
                "SELECT bool_and(check_out_date > check_in_date) FROM accommodations a",
                "SELECT bool_and(a.check_in_date >= t.start_date AND a.check_out_date <= t.end_date) FROM accommodations a JOIN trips t ON t.id = a.trip_id",
                "SELECT bool_and(metadata ? 'category') FROM memory_embeddings",
                """
                SELECT bool_and(ok) FROM (SELECT created_at > lag(created_at) OVER w AND role <> lag(role) OVER w AS ok
                FROM chat_messages WINDOW w AS (PARTITION BY session_id ORDER BY created_at)) s WHERE ok IS NOT NULL
                """,
                """
                SELECT bool_and(EXISTS (SELECT 1 FROM trips t WHERE t.id::text = m.metadata->>'trip_id' AND t.user_id = m.user_id))
                FROM memory_embeddings m WHERE content_type = 'trip_creation'
                """,
                "SELECT count(*) > 0 FROM memory_embeddings WHERE to_tsvector('english', content_text) @@ plainto_tsquery('trip')",
                "SELECT count(*) > 0 FROM trips WHERE title % 'Lisbon food tour weekend' OR title ILIKE '%lisbon%' OR title ILIKE '%rome%'",
            ]
            for sql in checks {
                #expect(try connection.query(sql).decode(Bool.self, row: 0, column: 0), "\(sql)")
            }
        }

        let again = try await DedicatedThread.run { try configured.load(logger: Logger(label: "test")) { _ in } }
        #expect(again.skipped)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }
}

/// The sizes the loader states before it starts, against figures measured on this machine's server.
@Suite struct HNSWBuildSizingTests {
    @Test func estimatesMatchMeasuredIndexes() {
        let index = PostgresHNSWIndex(m: 16, efConstruction: 200)
        // small: 50,000 × 1536 built a 391 MiB index (docs/benchmarks.md): one element per 8 kB page.
        #expect(index.estimatedIndexBytes(rows: 50_000, dimension: 1536) == 50_000 * 8192)
        // Narrow vectors share pages: 384 dimensions fit four elements to a page.
        #expect(index.estimatedIndexBytes(rows: 1_000, dimension: 384) == 250 * 8192)
        // large: the graph of 1,000,000 × 1536 is about 8 GB, so maintenance_work_mem is sized to it.
        let graph = index.estimatedGraphBytes(rows: 1_000_000, dimension: 1536)
        #expect((7_500_000_000...8_500_000_000).contains(graph))
        #expect(PostgresHNSWIndex.memorySetting(bytes: graph) == "\((graph + (64 << 20) - 1) / (64 << 20) * 64)MB")
        #expect(PostgresHNSWIndex.memorySetting(bytes: 1) == "64MB")
    }

    /// A database grown through prefixes of the embeddings: the first rows, then the rest appended (inserted
    /// into the kept index, or with the index rebuilt) hold exactly the file's first rows, and the fingerprint
    /// says how many are there.
    @Test(arguments: [DatasetLoader.IndexGrowth.insert, .rebuild])
    func aPrefixGrowsToTheFullTable(growth: DatasetLoader.IndexGrowth) async throws {
        let (directory, manifest, database, fresh) = try await DatasetLoaderTests.freshLoad()
        var loader = fresh
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = loader.target
        let all = try #require(manifest.counts["memory_embeddings"])
        loader.growth = growth
        loader.copyConnections = 2
        func load(_ rows: Int?) async throws -> LoadReport {
            var sized = loader
            sized.embeddingRows = rows
            let chosen = sized
            return try await DedicatedThread.run { try chosen.load(logger: Logger(label: "test")) { _ in } }
        }
        /// Whether the table holds exactly the first `rows` embeddings of the file, what the fingerprint says, the index.
        func state(_ rows: Int) async throws -> (exact: Bool, fingerprint: Int?, index: PostgresHNSWIndex?) {
            let expected = Set((0..<rows).map { DatasetIDs.uuid(seed: manifest.spec.seed, table: .memoryEmbeddings, index: $0) })
            return try await PostgresConnection.withConnection(target) { (connection) throws in
                let result = try connection.query("SELECT id FROM memory_embeddings WHERE embedding IS NOT NULL")
                let present = try (0..<result.rowCount).map { try result.decode(UUID.self, row: $0, column: 0) }
                return (present.count == rows && Set(present) == expected,
                        try connection.query("SELECT embedding_rows FROM tripbench_dataset").decode(Int?.self, row: 0, column: 0),
                        try PostgresHNSWIndex.current(connection))
            }
        }
        let first = try await load(all / 3)
        #expect(first.steps.contains { $0.name == "copy memory_embeddings" && $0.rows == all / 3 })
        var now = try await state(all / 3)
        #expect(now.exact && now.fingerprint == all / 3 && now.index == loader.index)

        let grown = try await load(nil)
        let added = try #require(grown.steps.first { $0.name.hasSuffix("memory_embeddings") })
        #expect(added.name == (growth == .insert ? "insert memory_embeddings" : "copy memory_embeddings") && added.rows == all - all / 3)
        #expect(!grown.steps.contains { $0.name.hasPrefix("copy users") })
        #expect((grown.hnsw?.buildSeconds != nil) == (growth == .rebuild))
        #expect(first.grownBy == nil && grown.grownBy == growth)
        now = try await state(all)
        #expect(now.exact && now.fingerprint == all && now.index == loader.index)
        #expect(try await load(nil).skipped)
        // Smaller than what is there: loaded again from scratch.
        let shrunk = try await load(all / 4)
        #expect(!shrunk.skipped && shrunk.steps.contains { $0.name == "copy users" })
        #expect(try await state(all / 4).exact)
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }

    /// A load waits while another holds the database (its advisory lock, as a load in progress does), then
    /// finds the work done instead of redoing it.
    @Test func aSecondLoadWaitsForTheFirst() async throws {
        let (directory, _, database, chosen) = try await DatasetLoaderTests.freshLoad()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = chosen.target
        #expect(try await DedicatedThread.run { try chosen.load(logger: Logger(label: "test")) { _ in } }.skipped == false)
        let holder = try PostgresConnection(target)
        #expect(try holder.query("SELECT pg_try_advisory_lock(\(DatasetLoader.loadLock))").decode(Bool.self, row: 0, column: 0))
        let second = Task {
            try await DedicatedThread.run { (try chosen.load(logger: Logger(label: "test")) { _ in }, ContinuousClock.now) }
        }
        // Already loaded, it would return in milliseconds if nothing held the lock.
        try await Task.sleep(for: .seconds(1))
        let unlocked = ContinuousClock.now
        _ = try holder.query("SELECT pg_advisory_unlock(\(DatasetLoader.loadLock))")
        let (report, finished) = try await second.value
        #expect(report.skipped)
        #expect(finished >= unlocked, "the second load finished \(unlocked - finished) before the first let go")
        try await TestServer.drop(database, admin: try await TestServer.connectionString())
    }
}

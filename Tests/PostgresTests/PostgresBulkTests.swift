import Dispatch
import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// Transactions, binary COPY and pipeline mode against the real server.
@Suite struct PostgresBulkTests {
    struct Rollback: Error {}

    @Test func transactionCommitsOrRollsBack() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: "CREATE TABLE t (id int)")
            try connection.transaction { try connection.query("INSERT INTO t VALUES (1)") }
            #expect(throws: Rollback.self) {
                try connection.transaction {
                    try connection.query("INSERT INTO t VALUES (2)")
                    throw Rollback()
                }
            }
            // A failed statement whose error was swallowed still rolls the transaction back, and says so.
            #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try connection.query("INSERT INTO t VALUES (3)")
                    _ = try? connection.query("SELECT 1/0")
                }
            }
            let ids = try connection.query("SELECT id FROM t ORDER BY id").rows.map { try $0.decode(0, as: Int.self) }
            #expect(ids == [1])
        }
    }

    @Test func binaryCopyLoadsTenThousandRows() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: """
                CREATE EXTENSION IF NOT EXISTS vector;
                CREATE TABLE items (id uuid, n int8, label text, price numeric(10,2), day date, at timestamptz,
                                    doc jsonb, embedding vector(1536), note text)
                """)
            let start = Date(timeIntervalSince1970: 1_700_000_000)
            var vector = [Float](repeating: 0, count: 1536)
            let loaded = try connection.copyIn(
                table: "items", columns: ["id", "n", "label", "price", "day", "at", "doc", "embedding", "note"]
            ) { writer in
                for n in 0..<10_000 {
                    vector[n % 1536] = Float(n)
                    try writer.beginRow()
                    try writer.append(UUID())
                    try writer.append(n)
                    try writer.append("item \(n)")
                    try writer.append(Decimal(n) / 100)
                    try writer.append(PostgresDate(year: 2025, month: 1, day: 1).adding(days: n % 365))
                    try writer.append(start.addingTimeInterval(Double(n)))
                    try writer.append(PostgresJSONB(#"{"n": \#(n)}"#))
                    try writer.append(PostgresVector(vector))
                    if n % 2 == 0 { writer.appendNull() } else { try writer.append("odd") }
                    try writer.endRow()
                    vector[n % 1536] = 0
                }
            }
            #expect(loaded == 10_000)
            let row = try connection.query(
                "SELECT count(*), sum(n)::int8, count(note), max(price), (SELECT embedding FROM items WHERE n = 4242) FROM items"
            ).rows[0]
            #expect(try row.decode(0) == 10_000)
            #expect(try row.decode(1) == 49_995_000)
            #expect(try row.decode(2) == 5_000)
            #expect(try row.decode(3) == Decimal(string: "99.99")!)
            let embedding = try row.decode(4, as: PostgresVector.self).components
            #expect(embedding[4242 % 1536] == 4242 && embedding.reduce(0, +) == 4242)
        }
    }

    /// A COPY file split at row boundaries and loaded in parts on three connections holds every row once; a
    /// damaged file is refused before anything is sent.
    @Test func copyFileLoadsInPartsOnSeveralConnections() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parts-\(UUID().uuidString).pgcopy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PostgresCopyFile.write(to: path, columnCount: 3) { writer in
            for n in 0..<5_000 {
                try writer.append(row: [n, n % 7 == 0 ? nil : String(repeating: "x", count: n % 300), PostgresVector([Float(n), 1, 2])])
            }
        }
        let parts = try PostgresCopyFile.parts(of: path, count: 3)
        #expect(parts.count == 3)
        #expect(zip(parts, parts.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        let name = try await TestServer.createDatabase(migrated: false)
        let target = try await TestServer.connectionString(database: name)
        let connection = try PostgresConnection(target)
        try connection.execute(script: "CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE p (n int8, note text, v vector(3))")
        let loaded = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: parts.count) { index in
            let rows = try? PostgresConnection(target).copyIn(table: "p", columns: ["n", "note", "v"], file: path, rows: parts[index])
            loaded.withLock { $0.append(rows ?? -1) }
        }
        #expect(loaded.withLock { $0.reduce(0, +) } == 5_000 && loaded.withLock { $0.allSatisfy { $0 > 1_000 } })
        let check = try connection.query("SELECT count(DISTINCT n), max(n), count(*) FILTER (WHERE note IS NULL) FROM p")
        #expect(try check.decode(Int.self, row: 0, column: 0) == 5_000)
        #expect(try check.decode(Int.self, row: 0, column: 1) == 4_999)
        #expect(try check.decode(Int.self, row: 0, column: 2) == 715)
        // Rows 1,000..<3,500 only, in parts: a table grown from a prefix of its file.
        try connection.execute(script: "TRUNCATE p")
        let middle = try PostgresCopyFile.parts(of: path, count: 2, rows: 1_000..<3_500)
        #expect(middle.count == 2 && middle[0].upperBound == middle[1].lowerBound)
        for part in middle { try connection.copyIn(table: "p", columns: ["n", "note", "v"], file: path, rows: part) }
        let range = try connection.query("SELECT count(*), min(n), max(n) FROM p").rows[0]
        #expect(try range.decode(0, as: Int.self) == 2_500 && range.decode(1, as: Int.self) == 1_000 && range.decode(2, as: Int.self) == 3_499)
        #expect(try PostgresCopyFile.parts(of: path, count: 4, rows: 4_999..<5_000).count == 1)
        #expect(throws: PostgresError.self) { try PostgresCopyFile.parts(of: path, count: 2, rows: 4_000..<5_001) }
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 40_000)
        try handle.close()
        #expect(throws: PostgresError.self) { try PostgresCopyFile.parts(of: path, count: 3) }
    }

    @Test func failedCopyLoadsNothing() async throws {
        struct Stop: Error {}
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: "CREATE TABLE t (id int8)")
            #expect(throws: Stop.self) {
                try connection.copyIn(table: "t", columns: ["id"]) { writer in
                    try writer.append(row: [1])
                    throw Stop()
                }
            }
            #expect(throws: PostgresError.self) {
                try connection.copyIn(table: "t", columns: ["id"]) { writer in try writer.append(row: [1, 2]) }
            }
            #expect(try connection.query("SELECT count(*) FROM t").decode(Int.self, row: 0, column: 0) == 0)
        }
    }

    @Test func pipelineReturnsResultsInOrder() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let statements = (0..<500).map { PostgresStatement("SELECT $1::int8 * 2", [$0]) }
            let results = try connection.pipeline(statements)
            let doubled = try results.map { try $0.get().decode(Int.self, row: 0, column: 0) }
            #expect(doubled == (0..<500).map { $0 * 2 })
        }
    }

    @Test func pipelineSkipsWhatFollowsAFailure() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: "CREATE TABLE t (id int PRIMARY KEY)")
            let insert = try connection.prepare("INSERT INTO t VALUES ($1)")
            let results = try connection.pipeline([
                PostgresStatement(insert, [1]), PostgresStatement(insert, [1]), PostgresStatement(insert, [2]),
            ])
            #expect(results.count == 3)
            #expect((try? results[0].get()) != nil)
            guard case .failure(let duplicate) = results[1], case .failure(let skipped) = results[2] else {
                Issue.record("expected the second and third statements to fail")
                return
            }
            #expect(duplicate.sqlState == "23505")
            #expect(skipped.code == .pipelineAborted)
            // One sync: the batch is one implicit transaction, so the first insert was rolled back too.
            #expect(try connection.query("SELECT count(*) FROM t").decode(Int.self, row: 0, column: 0) == 0)
            #expect(try connection.query("SELECT 1").rowCount == 1)  // usable after the pipeline
        }
    }
}

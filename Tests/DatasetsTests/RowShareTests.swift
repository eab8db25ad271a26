import Datasets
import Foundation
import Postgres
import TestSupport
import Testing

/// The share filter's bucket is the same in Swift and in PostgreSQL, and spreads rows evenly.
struct RowShareTests {
    @Test func swiftAndPostgreSQLAgreeOnEveryBucket() async throws {
        let ids = (0..<500).map { DatasetIDs.uuid(seed: 7, table: .memoryEmbeddings, index: $0) }
        let buckets = try await TestServer.withDatabase(migrated: false) { connection in
            try ids.map { id in
                try connection.query("SELECT \(RowShare.expression) FROM (SELECT $1::uuid AS id) AS row", [id]).decode(Int64.self, row: 0, column: 0)
            }
        }
        #expect(buckets == ids.map { Int64(RowShare.bucket(of: $0)) })
    }

    @Test func sharesKeepTheirShareOfRows() {
        let buckets = (0..<100_000).map { RowShare.bucket(of: DatasetIDs.uuid(seed: 1, table: .memoryEmbeddings, index: $0)) }
        for share in [0.001, 0.01, 0.1, 0.5] {
            let kept = Double(buckets.filter { $0 < RowShare.bound(share) }.count) / Double(buckets.count)
            #expect(abs(kept - share) < 4 * (share * (1 - share) / Double(buckets.count)).squareRoot() + 1e-4, "\(share): \(kept)")
        }
    }
}

import Testing

@testable import Postgres

/// The protocol pieces the direct driver reads without a server: DataRow payloads kept as rows, and the
/// fields of an ErrorResponse.
@Suite struct PostgresRowsTests {
    /// A DataRow payload: the field count, then each field's length (-1 for NULL) and bytes.
    private func dataRow(_ fields: [[UInt8]?]) -> [UInt8] {
        var bytes = withUnsafeBytes(of: Int16(fields.count).bigEndian) { Array($0) }
        for field in fields {
            bytes += withUnsafeBytes(of: Int32(field?.count ?? -1).bigEndian) { Array($0) }
            bytes += field ?? []
        }
        return bytes
    }

    @Test func rowsDecodeTheirFieldsAndNulls() throws {
        var rows = PostgresRows(columnTypes: [.int4, .text])
        for row in [self.dataRow([[0, 0, 0, 7], Array("seven".utf8)]), self.dataRow([[0, 0, 1, 0], nil])] {
            try row.withUnsafeBytes { try rows.append(dataRow: $0) }
        }
        #expect(rows.count == 2 && rows.columnCount == 2)
        #expect(try rows.decode(Int32.self, row: 0, column: 0) == 7)
        #expect(try rows.decode(String.self, row: 0, column: 1) == "seven")
        #expect(try rows.decode(Int32.self, row: 1, column: 0) == 256)
        #expect(try rows.decode(String?.self, row: 1, column: 1) == nil)
        #expect(throws: PostgresError.self) { try rows.decode(String.self, row: 1, column: 1) }
        #expect(throws: PostgresError.self) { try rows.decode(Int32.self, row: 2, column: 0) }
    }

    @Test(arguments: [
        [0, 1, 0, 0, 0, 4, 0, 0, 0, 7],  // one field where the statement has two
        [0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 9, 1],  // the second field's 9 bytes run past the end
        [0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0],  // the second length is cut off
        [0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFE],  // a length of -2
    ] as [[UInt8]])
    func malformedRowsAreRejected(payload: [UInt8]) {
        var rows = PostgresRows(columnTypes: [.int4, .text])
        #expect(throws: PostgresError.self) { try payload.withUnsafeBytes { try rows.append(dataRow: $0) } }
        #expect(rows.count == 0)
    }

    @Test func errorResponsesGiveTheServersFieldsAndSayWhenTheSessionEnds() {
        func response(_ fields: [(Character, String)]) -> [UInt8] {
            fields.flatMap { [UInt8($0.0.asciiValue!)] + Array($0.1.utf8) + [0] } + [0]
        }
        let (timeout, timeoutIsFatal) = response([("S", "ERROR"), ("V", "ERROR"), ("C", "57014"),
            ("M", "canceling statement due to statement timeout"), ("H", "a hint")])
            .withUnsafeBytes { PostgresWireChannel.serverError($0) }
        #expect(!timeoutIsFatal)
        #expect(timeout.code == .server && timeout.sqlState == "57014" && timeout.hint == "a hint")
        #expect(timeout.message == "canceling statement due to statement timeout")
        let (shutdown, shutdownIsFatal) = response([("S", "FATAL"), ("V", "FATAL"), ("C", "57P01"),
            ("M", "terminating connection due to administrator command")])
            .withUnsafeBytes { PostgresWireChannel.serverError($0) }
        #expect(shutdownIsFatal && shutdown.sqlState == "57P01")
    }
}
